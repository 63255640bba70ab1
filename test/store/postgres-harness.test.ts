import { Pool } from 'pg';
import { migrate } from '../../src/store/postgres/migrate';
import { PG_MIGRATIONS } from '../../src/store/postgres/schema';
import { createTestDatabase, dropTestDatabase, startPostgres, testDatabase, type PostgresServer } from '../helpers/postgres';

jest.setTimeout(60_000);

const LATEST = Math.max(...PG_MIGRATIONS.map((m) => m.version));

let server: PostgresServer;
const pools: Pool[] = [];
const databases: string[] = [];

/** A fresh database on the test server, dropped after the test file (an external server keeps nothing). */
async function freshDatabase(): Promise<string> {
  const url = await createTestDatabase(server.url);
  databases.push(url);
  return url;
}

/** A pool on a fresh database; ended after the test file. */
async function freshPool(): Promise<Pool> {
  const pool = new Pool({ connectionString: await freshDatabase(), max: 4 });
  pool.on('error', () => {}); // idle connections cut by kill(): the next query reports it
  pools.push(pool);
  return pool;
}

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end().catch(() => {})));
  await Promise.all(databases.map((url) => dropTestDatabase(url)));
  await server?.stop();
});

describe('the PostgreSQL test harness', () => {
  it('starts a server that accepts connections, durable settings on', async () => {
    const pool = await freshPool();
    const settings = await pool.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'max_connections', 'server_encoding')`,
    );
    expect(Object.fromEntries(settings.rows.map((r) => [r.name, r.setting]))).toEqual({
      fsync: 'on',
      synchronous_commit: 'on',
      max_connections: expect.stringMatching(/^\d+$/),
      server_encoding: 'UTF8',
    });
  });

  it('gives every testDatabase() call its own empty database, and drops it', async () => {
    const [a, b] = await Promise.all([testDatabase(), testDatabase()]);
    expect(a.url).not.toBe(b.url);
    const pool = new Pool({ connectionString: a.url, max: 1 });
    await pool.query('CREATE TABLE t (x int)');
    await pool.end();
    const other = new Pool({ connectionString: b.url, max: 1 });
    expect((await other.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 't'`)).rows[0].n).toBe(0);
    await other.end();
    await a.drop();
    await b.drop();
    await expect(new Pool({ connectionString: a.url, max: 1 }).query('SELECT 1')).rejects.toMatchObject({ code: '3D000' });
  });

  it('refuses to drop a database it did not create', async () => {
    await expect(dropTestDatabase(server.url.replace(/\/[^/]+$/, '/postgres'))).rejects.toThrow(/not a test database/);
  });

  it('keeps committed data across kill (crash recovery) and restart', async () => {
    if (!server.private) return; // SUBHUB_PG_URL: an external server is not ours to kill
    const pool = await freshPool();
    await pool.query('CREATE TABLE kept (x int)');
    await pool.query('INSERT INTO kept VALUES (1)');
    await server.kill();
    await expect(pool.query('SELECT 1')).rejects.toThrow();
    await server.restart();
    expect((await pool.query('SELECT x FROM kept')).rows).toEqual([{ x: 1 }]);
    await server.restart();
    expect((await pool.query('SELECT x FROM kept')).rows).toEqual([{ x: 1 }]);
  });
});

describe('migrate', () => {
  it('creates the schema and records every version', async () => {
    const pool = await freshPool();
    const result = await migrate(pool);
    expect(result).toEqual({ version: LATEST, applied: PG_MIGRATIONS.map((m) => m.version) });
    const tables = (await pool.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows;
    expect(tables.map((t) => t.tablename)).toEqual(
      [
        'audit',
        'customers',
        'dead_letters',
        'deliveries',
        'demand',
        'demand_lines',
        'demand_totals',
        'decisions',
        'domain_units',
        'dunning',
        'event_stream',
        'events',
        'inbox',
        'inbox_fetched_states',
        'outbox',
        'privacy_requests',
        'proposals',
        'schema_migrations',
        'subscription_counts',
        'subscriptions',
      ].sort(),
    );
  });

  it('applies each migration exactly once when three hubs start at once', async () => {
    const url = await freshDatabase();
    const hubs = [0, 1, 2].map(() => new Pool({ connectionString: url, max: 2 }));
    pools.push(...hubs);
    const results = await Promise.all(hubs.map((p) => migrate(p)));
    expect(results.map((r) => r.applied).sort((a, b) => b.length - a.length)).toEqual([PG_MIGRATIONS.map((m) => m.version), [], []]);
    expect(results.every((r) => r.version === LATEST)).toBe(true);
    const rows = (await hubs[0].query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows;
    expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
  });

  it('is a no-op the second time', async () => {
    const pool = await freshPool();
    await migrate(pool);
    expect(await migrate(pool)).toEqual({ version: LATEST, applied: [] });
  });

  it('rolls a failing migration back whole, leaving the recorded versions as they were', async () => {
    const pool = await freshPool();
    await migrate(pool);
    const broken = [
      ...PG_MIGRATIONS,
      { version: LATEST + 1, name: 'broken', sql: 'CREATE TABLE half_done (x int); SELECT no_such_column FROM inbox' },
    ];
    await expect(migrate(pool, broken)).rejects.toMatchObject({ code: '42703' });
    expect((await pool.query(`SELECT to_regclass('half_done') AS t`)).rows[0].t).toBeNull();
    expect((await pool.query('SELECT max(version) AS v FROM schema_migrations')).rows[0].v).toBe(LATEST);
  });
});

describe('deduplication by constraint', () => {
  let pool: Pool;
  const UNIQUE_VIOLATION = { code: '23505' };

  beforeAll(async () => {
    pool = await freshPool();
    await migrate(pool);
  });

  const inbox = (id: string, sourceEventId: string, contentKey: string | null = null, source = 'stripe') =>
    pool.query(
      `INSERT INTO inbox (id, source, source_event_id, received_at, headers, body, content_key) VALUES ($1, $2, $3, 1, '{}', '{"a": 1}', $4)`,
      [id, source, sourceEventId, contentKey],
    );

  it('inbox: one row per (source, source_event_id); ON CONFLICT DO NOTHING inserts nothing', async () => {
    await inbox('i1', 'evt_1');
    await expect(inbox('i2', 'evt_1')).rejects.toMatchObject(UNIQUE_VIOLATION);
    await inbox('i3', 'evt_1', null, 'shopify');
    const again = await pool.query(
      `INSERT INTO inbox (id, source, source_event_id, received_at, headers, body) VALUES ('i4', 'stripe', 'evt_1', 1, '{}', '') ON CONFLICT DO NOTHING`,
    );
    expect(again.rowCount).toBe(0);
  });

  it('inbox: one row per (source, content_key) where a content key is given', async () => {
    await inbox('c1', 'evt_c1', 'sha:1', 'shopify');
    await expect(inbox('c2', 'evt_c2', 'sha:1', 'shopify')).rejects.toMatchObject(UNIQUE_VIOLATION);
    await inbox('c3', 'evt_c3', 'sha:1', 'other');
    await inbox('c4', 'evt_c4', null, 'shopify');
    await inbox('c5', 'evt_c5', null, 'shopify');
  });

  it('inbox: the raw body is stored byte for byte', async () => {
    const body = '{ "z":1,  "a" : [1.10, "é\\u00e9"] }\n';
    await pool.query(
      `INSERT INTO inbox (id, source, source_event_id, received_at, headers, body) VALUES ('raw', 's', 'raw', 1, '{}', $1)`,
      [body],
    );
    expect((await pool.query(`SELECT body FROM inbox WHERE id = 'raw'`)).rows[0].body).toBe(body);
  });

  it('deliveries: one per (event_id, route)', async () => {
    await pool.query(`INSERT INTO events (id, inbox_id, type, entity_key, body, created_at) VALUES ('e1', 'i1', 't', 'k', '{}', 1)`);
    const delivery = (id: string, route: string) =>
      pool.query(
        `INSERT INTO deliveries (id, event_id, route, target, action, mapping, entity_key, idempotency_key, next_attempt_at, created_at)
         VALUES ($1, 'e1', $2, 'erp', 'upsert', 'm', 'k', $1, 1, 1)`,
        [id, route],
      );
    await delivery('d1', 'r1');
    await delivery('d2', 'r2');
    await expect(delivery('d3', 'r1')).rejects.toMatchObject(UNIQUE_VIOLATION);
  });

  it('proposals: one open per (sku, location); closed ones do not count', async () => {
    const proposal = (id: string, sku: string, location: string, status: string) =>
      pool.query(`INSERT INTO proposals (id, sku, location, status, record) VALUES ($1, $2, $3, $4, '{}')`, [id, sku, location, status]);
    await proposal('p1', 'SKU-1', 'main', 'open');
    await proposal('p2', 'SKU-1', 'north', 'open');
    await proposal('p3', 'SKU-1', 'main', 'closed');
    await expect(proposal('p4', 'SKU-1', 'main', 'open')).rejects.toMatchObject(UNIQUE_VIOLATION);
  });

  it('outbox: one row per dedupe key', async () => {
    const derived = (id: string, key: string) =>
      pool.query(`INSERT INTO outbox (id, dedupe_key, event_type, event, created_at) VALUES ($1, $2, 'stock.reorder_proposed', '{}', 1)`, [
        id,
        key,
      ]);
    await derived('o1', 'k1');
    await expect(derived('o2', 'k1')).rejects.toMatchObject(UNIQUE_VIOLATION);
  });

  it('domain_units: a commit at a moved version matches no row', async () => {
    await pool.query(`INSERT INTO domain_units (customer_id, version) VALUES ('cus_1', 1)`);
    const commit = (from: number) =>
      pool.query(`UPDATE domain_units SET version = version + 1 WHERE customer_id = 'cus_1' AND version = $1`, [from]);
    expect((await commit(1)).rowCount).toBe(1);
    expect((await commit(1)).rowCount).toBe(0);
  });
});
