/** What `tryRun` resolved: the function's value when this caller held the lock, else `ran: false`. */
export type LockRun<T> = { ran: true; value: T } | { ran: false };

/**
 * Named locks across processes (and across hubs sharing one database), for work that must run
 * once at a time: the nightly job, reconciliation. Not a queue: a caller that finds the lock held
 * does not wait, it skips (another holder is doing the work).
 *
 * SQLite profile: a kernel file lock per name in the data folder (src/store/sqlite/file-locks.ts).
 * PostgreSQL profile: a session advisory lock per name (src/store/postgres/pg-locks.ts).
 * Either way the lock goes with its holder's death (SIGKILL included): nothing stale to clean up.
 */
export interface Locks {
  /**
   * Runs `fn` while holding the named lock across processes; resolves `{ ran: false }` at once when
   * another holder has it. The lock is released when `fn` settles (also when it throws: the
   * rejection passes through). `signal` aborts when the lock is lost while `fn` runs (PostgreSQL:
   * the holding connection broke, so another hub may take the lock now): a long `fn` should stop.
   * Rejects with a StoreUnavailableError when the lock cannot be asked for (database down).
   */
  tryRun<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<LockRun<T>>;
  /** Refuses new `tryRun` calls and resolves once the running ones have settled. */
  close(): Promise<void>;
}
