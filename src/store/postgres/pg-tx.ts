import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { isConnectionBroken, storeError } from './pg-errors';

/** One round trip on a connection: a statement with positional parameters. */
export type Sql = <R extends QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<R[]>;

/** What a transaction body gets: the statement runner and the client (for helpers that take one). */
export interface Tx {
  sql: Sql;
  client: PoolClient;
  /** Rows changed by the last statement run through `run`. */
  run(text: string, params?: unknown[]): Promise<number>;
}

export function txOf(client: PoolClient): Tx {
  return {
    client,
    sql: async <R extends QueryResultRow>(text: string, params: unknown[] = []) => (await client.query<R>(text, params)).rows,
    run: async (text: string, params: unknown[] = []) => (await client.query(text, params)).rowCount ?? 0,
  };
}

/** How a transaction commits: see `inTransaction` (durable) and `inRedoableTransaction`. */
type Commit = 'durable' | 'redoable';

// Redoable: two statements in one simple-protocol round trip.
const BEGIN: Record<Commit, string> = { durable: 'BEGIN', redoable: 'BEGIN; SET LOCAL synchronous_commit = off' };

/**
 * Runs `fn` in one READ COMMITTED transaction on a pooled connection and commits; rolls back on
 * any error. Connection and contention failures reject as StoreUnavailableError/StoreBusyError.
 * A connection that broke meanwhile is destroyed, never returned to the pool; its 'error' event
 * (a dropped socket while checked out) is caught here, so it cannot crash the process.
 */
export function inTransaction<T>(pool: Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return run(pool, fn, 'durable');
}

/**
 * `inTransaction` for background work whose loss in a server crash is redone safely (a lease runs
 * out, an entry is normalised again, a delivery is sent again with the same idempotency key): the
 * commit does not wait for the disk (synchronous_commit off for this transaction only). A crash
 * loses at most the last few hundred milliseconds of it, atomically; the next durable commit
 * flushes it anyway. Never for what is acknowledged to someone: a webhook append, an operator's or
 * the nightly job's write. The embedded store does the same with synchronous=NORMAL (SqliteStore's
 * `#relaxed`).
 */
export function inRedoableTransaction<T>(pool: Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return run(pool, fn, 'redoable');
}

async function run<T>(pool: Pool, fn: (tx: Tx) => Promise<T>, commit: Commit): Promise<T> {
  // An idle pooled connection may have died unnoticed (the server restarted): when BEGIN fails on
  // a broken connection nothing was sent yet, so one fresh connection is tried before giving up.
  for (let attempt = 1; ; attempt++) {
    try {
      return await once(pool, fn, commit);
    } catch (e) {
      if (!(e instanceof BeginFailed) || attempt === 2) throw storeError(e instanceof BeginFailed ? e.cause : e);
    }
  }
}

/** BEGIN failed on a broken connection: the transaction never started. */
class BeginFailed extends Error {}

async function once<T>(pool: Pool, fn: (tx: Tx) => Promise<T>, commit: Commit): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw storeError(e);
  }
  let broken: Error | undefined;
  const onError = (e: Error) => (broken ??= e);
  client.on('error', onError);
  try {
    try {
      await client.query(BEGIN[commit]);
    } catch (e) {
      if (isConnectionBroken(e)) throw new BeginFailed('BEGIN failed', { cause: e });
      throw e;
    }
    const value = await fn(txOf(client));
    await client.query('COMMIT');
    return value;
  } catch (e) {
    if (e instanceof BeginFailed) broken ??= e;
    if (isConnectionBroken(e)) broken ??= e instanceof Error ? e : new Error(String(e));
    if (!broken) await client.query('ROLLBACK').catch((r: unknown) => (broken = r instanceof Error ? r : new Error(String(r))));
    throw e instanceof BeginFailed ? e : storeError(e);
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** A single statement outside a transaction (reads), errors mapped like `inTransaction`. */
export async function query<R extends QueryResultRow = Record<string, unknown>>(
  pool: Pool,
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  try {
    return (await pool.query<R>(text, params)).rows;
  } catch (e) {
    throw storeError(e);
  }
}
