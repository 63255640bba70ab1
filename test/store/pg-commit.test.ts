/**
 * pg-tx's two ways to commit: `inTransaction` waits for the disk; `inRedoableTransaction` (claims and
 * completions, whose loss in a server crash is redone safely) does not, for that one transaction only: the
 * pooled connection goes back to durable commits afterwards.
 */
import { Pool } from 'pg';
import { inRedoableTransaction, inTransaction } from '../../src/store/postgres/pg-tx';
import { testDatabase, type TestDatabase } from '../helpers/postgres';

describe('pg-tx commit modes', () => {
  let db: TestDatabase;
  let pool: Pool;
  beforeAll(async () => {
    db = await testDatabase();
    pool = new Pool({ connectionString: db.url, max: 1 });
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const setting = (mode?: 'durable' | 'redoable') =>
    (mode === 'redoable' ? inRedoableTransaction : inTransaction)(
      pool,
      async (tx) => (await tx.sql<{ synchronous_commit: string }>('SHOW synchronous_commit'))[0]!.synchronous_commit,
    );

  it('durable by default; redoable commits without waiting for the disk, for that transaction only', async () => {
    expect(await setting()).toBe('on');
    expect(await setting('redoable')).toBe('off');
    // The same (only) pooled connection, after the redoable transaction: durable again.
    expect(await setting()).toBe('on');
    expect(await setting('durable')).toBe('on');
  });

  it('a redoable transaction that fails rolls back like any other, and leaves the connection durable', async () => {
    await pool.query('CREATE TABLE t (k int PRIMARY KEY)');
    await expect(
      inRedoableTransaction(pool, async (tx) => {
        await tx.run('INSERT INTO t VALUES (1)');
        await tx.run('INSERT INTO t VALUES (1)');
      }),
    ).rejects.toThrow();
    expect((await pool.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(0);
    expect(await setting()).toBe('on');
  });
});
