import { join } from 'node:path';
import { acquireReconcileLock, RECONCILE_LOCKED } from './reconcile-lock';
import type { LockRun, Locks } from '../locks';
import { StoreUnavailableError } from '../store-error';

/**
 * Locks for the embedded profile: `<dataDir>/locks/<name>.lock`, one small SQLite file per name
 * held in an exclusive transaction (the mechanism of the reconciliation lock, reused as is). The
 * kernel drops the file lock when the holder dies, even on SIGKILL, so there is no stale lock to
 * take over and no pid to trust (a pid file can name a reused pid, and two processes taking over
 * the same stale file race). The lock also excludes a second holder in the same process.
 * Like the hub's database, the folder must be on a local file system (POSIX locks).
 */
export class FileLocks implements Locks {
  readonly #dir: string;
  readonly #running = new Set<Promise<unknown>>();
  #closed = false;

  constructor(dataDir: string) {
    this.#dir = join(dataDir, 'locks');
  }

  /** The lock file of a name (any text: encoded into a file name). */
  fileOf(name: string): string {
    return join(this.#dir, `${encodeURIComponent(name)}.lock`);
  }

  async tryRun<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<LockRun<T>> {
    if (this.#closed) throw new Error(`locks are closed: cannot take ${name}`);
    let release: () => void;
    try {
      release = acquireReconcileLock(this.fileOf(name));
    } catch (e) {
      if ((e as { code?: unknown }).code === RECONCILE_LOCKED) return { ran: false };
      throw new StoreUnavailableError(e);
    }
    // A kernel lock is not lost while its holder lives: the signal never aborts.
    const run = (async () => {
      try {
        return { ran: true as const, value: await fn(new AbortController().signal) };
      } finally {
        release();
      }
    })();
    this.#running.add(run);
    try {
      return await run;
    } finally {
      this.#running.delete(run);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#running]);
  }
}
