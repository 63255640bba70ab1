import type { Pool } from 'pg';
import { PG_MIGRATIONS, type PgMigration } from './schema';

/** The advisory lock migrations take, in the key space of the locks port (hashtextextended of a name). */
export const MIGRATION_LOCK = 'subhub:migrate';

export interface MigrateResult {
  /** The newest version in the database afterwards (may be newer than this hub knows: a newer hub migrated). */
  version: number;
  /** Versions this call applied, in order (empty: nothing to do). */
  applied: number[];
}

/**
 * Brings the database up to the newest migration. All pending migrations run in ONE transaction
 * that first takes a transaction-scoped advisory lock: hubs starting together queue on the lock,
 * the first applies, the others then find every version recorded and apply nothing. A failing
 * migration rolls back all of this call's work (PostgreSQL DDL is transactional) and rejects; the
 * lock goes with the transaction, also when the process dies.
 */
export async function migrate(pool: Pool, migrations: ReadonlyArray<PgMigration> = PG_MIGRATIONS): Promise<MigrateResult> {
  const client = await pool.connect();
  let broken: unknown;
  // A checked-out client has no error listener of the pool's: a dropped connection would be an uncaught 'error'.
  const onError = (e: Error) => (broken ??= e);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)',
    );
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)),
    );
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      applied.push(m.version);
      done.add(m.version);
    }
    await client.query('COMMIT');
    return { version: Math.max(0, ...done), applied };
  } catch (e) {
    broken = e;
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.off('error', onError);
    // A connection whose rollback may have failed is not given back to the pool.
    client.release(broken instanceof Error ? broken : undefined);
  }
}
