import type { Pool, PoolClient } from 'pg';
import type { LockRun, Locks } from '../locks';
import { StoreUnavailableError } from '../store-error';

/**
 * Locks on PostgreSQL: a session advisory lock, `pg_try_advisory_lock(hashtextextended(name, 0))`,
 * on a connection taken from the pool and kept for as long as `fn` runs (advisory locks belong
 * to the session that took them, so the connection must not go back to the pool in between).
 *
 * When the holding connection breaks (the server restarted, the network dropped), the session
 * ends and PostgreSQL drops the lock with it: another hub may take it while `fn` still runs here.
 * `fn`'s signal aborts then, and the broken connection is destroyed instead of returned. When the
 * holding process dies, the server ends its sessions and the lock is free again.
 *
 * The pool is the caller's: `close()` does not end it.
 */
export class PgLocks implements Locks {
  readonly #pool: Pool;
  readonly #running = new Set<Promise<unknown>>();
  #closed = false;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async tryRun<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<LockRun<T>> {
    if (this.#closed) throw new Error(`locks are closed: cannot take ${name}`);
    const run = this.#tryRun(name, fn);
    this.#running.add(run);
    try {
      return await run;
    } finally {
      this.#running.delete(run);
    }
  }

  async #tryRun<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<LockRun<T>> {
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (e) {
      throw new StoreUnavailableError(e);
    }
    const lost = new AbortController();
    const onError = (e: Error) => lost.abort(e);
    client.on('error', onError);
    let held = false;
    try {
      try {
        const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [name]);
        held = r.rows[0].ok;
      } catch (e) {
        lost.abort(e);
        throw new StoreUnavailableError(e);
      }
      if (!held) return { ran: false };
      return { ran: true, value: await fn(lost.signal) };
    } finally {
      if (held && !lost.signal.aborted) {
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [name]).catch((e: unknown) => lost.abort(e));
      }
      client.off('error', onError);
      // Destroyed rather than pooled when broken: its session (and any lock on it) must end.
      client.release(lost.signal.aborted ? toError(lost.signal.reason) : undefined);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#running]);
  }
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
