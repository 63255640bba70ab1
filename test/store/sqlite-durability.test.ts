/**
 * R9/R10 (docs/reliability.md §2, §5): the SQLite adapter's durability
 * configuration on every open, its versioned migrations, integrity after writes, and that a
 * storage failure rejects `append` (the webhook answers 503) instead of acknowledging it.
 */
import Database from 'better-sqlite3';
import { HubError } from '../../src/errors/hub-error';
import type { InboxEntry } from '../../src/store/ports';
import { migrate, openDatabase } from '../../src/store/sqlite/open-database';
import { MIGRATIONS } from '../../src/store/sqlite/migrations';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store';
import { StoreUnavailableError } from '../../src/store/store-error';
import { tempSqliteFile } from '../helpers/temp-sqlite';

const T0 = 1_700_000_000_000;
const SYNCHRONOUS_NORMAL = 1;
const SYNCHRONOUS_FULL = 2;

function webhook(sourceEventId: string, body = `{"id":"${sourceEventId}"}`): InboxEntry {
  return {
    source: 'stripe',
    sourceEventId,
    eventType: 'invoice.paid',
    receivedAt: T0,
    headers: { 'content-type': 'application/json' },
    body,
  };
}

function pragmas(db: Database.Database) {
  return {
    synchronous: db.pragma('synchronous', { simple: true }),
    journalMode: db.pragma('journal_mode', { simple: true }),
    busyTimeout: db.pragma('busy_timeout', { simple: true }),
    foreignKeys: db.pragma('foreign_keys', { simple: true }),
  };
}

let tmp: ReturnType<typeof tempSqliteFile>;
const open: Array<{ close(): unknown }> = [];

/** Tracks handles so a failing assertion does not leave the file open. */
function track<T extends { close(): unknown }>(h: T): T {
  open.push(h);
  return h;
}

beforeEach(() => {
  tmp = tempSqliteFile();
});

afterEach(async () => {
  for (const h of open.splice(0)) {
    try {
      await h.close();
    } catch {
      // already closed
    }
  }
  tmp.remove();
});

describe('R9: durability pragmas on every open', () => {
  it('a fresh SqliteStore runs WAL with synchronous=FULL, a busy timeout and foreign keys', async () => {
    const store = track(await openSqliteStore(tmp.file));
    expect(pragmas(store.db)).toEqual({ synchronous: SYNCHRONOUS_FULL, journalMode: 'wal', busyTimeout: 5000, foreignKeys: 1 });
    await store.close();
  });

  it('after close and reopen, SqliteStore still reports synchronous=2 (FULL) and journal_mode=wal', async () => {
    const first = track(await openSqliteStore(tmp.file));
    await first.append(webhook('evt_1'));
    await first.close();

    for (let reopen = 1; reopen <= 3; reopen++) {
      const store = track(await openSqliteStore(tmp.file));
      expect(pragmas(store.db)).toEqual({ synchronous: SYNCHRONOUS_FULL, journalMode: 'wal', busyTimeout: 5000, foreignKeys: 1 });
      expect(await store.append(webhook('evt_1'))).toMatchObject({ status: 'duplicate' });
      await store.close();
    }
  });

  it('the trap it defends against: a bare better-sqlite3 connection reopens the WAL file with synchronous=1 (NORMAL)', async () => {
    const created = track(await openSqliteStore(tmp.file));
    await created.append(webhook('evt_1'));
    await created.close();

    const bare = track(new Database(tmp.file));
    expect(bare.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(bare.pragma('synchronous', { simple: true })).toBe(SYNCHRONOUS_NORMAL);
    bare.close();

    const store = track(await openSqliteStore(tmp.file));
    expect(store.db.pragma('synchronous', { simple: true })).toBe(SYNCHRONOUS_FULL);
    await store.close();
  });

  it('openDatabase honours a configured busy timeout', () => {
    const db = track(openDatabase(tmp.file, { busyTimeoutMs: 1234 }));
    expect(pragmas(db)).toEqual({ synchronous: SYNCHRONOUS_FULL, journalMode: 'wal', busyTimeout: 1234, foreignKeys: 1 });
    db.close();
  });
});

describe('migrations', () => {
  const schema = (db: Database.Database) =>
    db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();

  it('records every migration version, in order, in schema_migrations and creates the tables', () => {
    const db = track(openDatabase(tmp.file));
    const versions = MIGRATIONS.map((m) => m.version);
    // Strictly increasing (numbers reserved for parallel work may leave gaps until they are merged).
    expect(versions.every((v, i) => (i === 0 ? v === 1 : v > versions[i - 1]!))).toBe(true);
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual(versions.map((version) => ({ version })));
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all() as string[];
    expect(tables).toEqual([
      'audit',
      'customers',
      'dead_letters',
      'decisions',
      'deliveries',
      'demand',
      'demand_lines',
      'demand_totals',
      'domain_units',
      'dunning',
      'events',
      'inbox',
      'inbox_fetched_states',
      'outbox',
      'privacy_requests',
      'proposals',
      'schema_migrations',
      'subscription_counts',
      'subscriptions',
    ]);
    db.close();
  });

  it('running migrate twice changes nothing', () => {
    const db = track(new Database(tmp.file));
    const latest = MIGRATIONS.at(-1)!.version;
    expect(migrate(db)).toBe(latest);
    const rows = db.prepare('SELECT * FROM schema_migrations').all();
    const before = schema(db);
    expect(migrate(db)).toBe(latest);
    expect(migrate(db)).toBe(latest);
    expect(db.prepare('SELECT * FROM schema_migrations').all()).toEqual(rows);
    expect(schema(db)).toEqual(before);
    db.close();
  });

  it('reopening a migrated database with data keeps the data and the version', async () => {
    const store = track(await openSqliteStore(tmp.file));
    const { id } = await store.append(webhook('evt_1'));
    await store.close();
    const again = track(await openSqliteStore(tmp.file));
    expect(again.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: MIGRATIONS.at(-1)!.version });
    expect(await again.append(webhook('evt_1'))).toEqual({ status: 'duplicate', id });
    await again.close();
  });
});

describe('integrity', () => {
  it('PRAGMA integrity_check is ok after a batch of writes, and after reopening', async () => {
    const store = track(await openSqliteStore(tmp.file));
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => store.append(webhook(`evt_${i % 250}`))));
    expect(results.filter((r) => r.status === 'accepted')).toHaveLength(250);
    const rows = await store.claimInbox(1000, 30_000, T0);
    for (const [i, row] of rows.entries()) {
      if (i % 2 === 0) await store.completeInbox(row, { status: 'ignored', reason: 'test' }, T0 + 1);
      else
        await store.completeInbox(
          row,
          {
            status: 'normalised',
            event: {
              eventId: `ev_${i}`,
              type: 'invoice.paid',
              entityKey: `sub_${i % 10}`,
              body: '{}',
              deliveries: [{ route: 'r', target: 'erp', action: 'a', mapping: 'm', idempotencyKey: `k${i}` }],
            },
          },
          T0 + 1,
        );
    }
    expect(await store.counts()).toEqual({
      inboxPending: 0,
      inboxDeferred: 0,
      outboxPending: 0,
      deliveriesPending: 125,
      deadLettersOpen: 0,
    });
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(store.db.pragma('foreign_key_check')).toEqual([]);
    await store.close();

    const reopened = track(await openSqliteStore(tmp.file));
    expect(reopened.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(await reopened.counts()).toEqual({
      inboxPending: 0,
      inboxDeferred: 0,
      outboxPending: 0,
      deliveriesPending: 125,
      deadLettersOpen: 0,
    });
    await reopened.close();
  });
});

describe('R10: a storage failure rejects append with StoreUnavailableError', () => {
  async function expectUnavailable(p: Promise<unknown>): Promise<StoreUnavailableError> {
    const outcome = await p.then(
      (value) => ({ resolved: true as const, value }),
      (error: unknown) => ({ resolved: false as const, error }),
    );
    expect(outcome.resolved).toBe(false);
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toBeInstanceOf(HubError);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', kind: 'retryable', retryable: true });
    return error as StoreUnavailableError;
  }

  it('the database handle closed under the store: append (and every append of the batch) rejects, none resolves', async () => {
    const store = track(await openSqliteStore(tmp.file));
    await store.append(webhook('evt_ok'));
    store.db.close();

    await expectUnavailable(store.append(webhook('evt_lost')));
    const batch = Array.from({ length: 20 }, (_, i) => store.append(webhook(`evt_batch_${i}`)));
    for (const p of batch) await expectUnavailable(p);

    // Nothing was acknowledged without a commit; what was acknowledged before is still there.
    const reopened = track(await openSqliteStore(tmp.file));
    expect(await reopened.findEvent('stripe', 'evt_lost')).toBeUndefined();
    expect(await reopened.findEvent('stripe', 'evt_batch_0')).toBeUndefined();
    expect(await reopened.findEvent('stripe', 'evt_ok')).toMatchObject({ inbox: { status: 'received' } });
    await reopened.close();
  });

  it('disk full (SQLITE_FULL via max_page_count): the whole batch rejects, nothing of it is stored, and appends recover when space returns', async () => {
    const store = track(await openSqliteStore(tmp.file));
    const kept = await store.append(webhook('evt_ok'));
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    expect(store.db.pragma(`max_page_count = ${pages}`, { simple: true })).toBe(pages);

    const big = 'x'.repeat(64 * 1024);
    const small = store.append(webhook('evt_small'));
    const large = store.append(webhook('evt_big', big));
    const error = await expectUnavailable(large);
    // The small entry shared the failed transaction: it is rejected too, not acknowledged.
    await expectUnavailable(small);
    expect((error.cause as { code?: string }).code).toBe('SQLITE_FULL');

    expect(await store.findEvent('stripe', 'evt_big')).toBeUndefined();
    expect(await store.findEvent('stripe', 'evt_small')).toBeUndefined();
    expect(await store.findEvent('stripe', 'evt_ok')).toMatchObject({ inbox: { id: kept.id } });
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');

    // The fault clears: the provider's retry is accepted (it was never stored, so not a duplicate).
    store.db.pragma('max_page_count = 1073741823');
    expect(await store.append(webhook('evt_big', big))).toMatchObject({ status: 'accepted' });
    expect(await store.append(webhook('evt_small'))).toMatchObject({ status: 'accepted' });
    expect((await store.counts()).inboxPending).toBe(3);
    await store.close();
  });
});
