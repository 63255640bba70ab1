/**
 * Two PgStore instances (two hubs) on one PostgreSQL database: what only this adapter does, the
 * normaliser lock (one hub claims inbox entries) and LISTEN/NOTIFY wake-ups. What every backend
 * promises with two workers (claims, delivery order, conflicting domain writes, racing appends) is
 * in the contract: test/contract/two-workers.contract.ts.
 */
import { Client } from 'pg';
import type { InboxEntry } from '../../src/store/ports';
import { PgStore } from '../../src/store/postgres/pg-store';
import { StoreUnavailableError } from '../../src/store/store-error';
import { testDatabase, type TestDatabase } from '../helpers/postgres';

const T0 = 1_700_000_000_000;
const LEASE = 600_000;

function webhook(id: string, over: Partial<InboxEntry> = {}): InboxEntry {
  return { source: 'stripe', sourceEventId: id, eventType: 'x', receivedAt: T0, headers: {}, body: JSON.stringify({ id }), ...over };
}

describe('PgStore: two hubs on one database', () => {
  let db: TestDatabase;
  let a: PgStore;
  let b: PgStore;

  beforeEach(async () => {
    db = await testDatabase();
    a = new PgStore({ url: db.url });
    b = new PgStore({ url: db.url });
    await a.init();
    await b.init();
  });

  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
    await db.drop();
  });

  it('only the hub holding the normaliser lock claims inbox entries; after it closes the other claims, starting with the entry it left leased', async () => {
    for (let i = 0; i < 3; i++) await a.append(webhook(`evt_${i}`, { receivedAt: T0 + i }));
    const first = await a.claimInbox(1, LEASE, T0 + 10);
    expect(first.map((r) => r.sourceEventId)).toEqual(['evt_0']);
    expect(await b.claimInbox(10, LEASE, T0 + 11)).toEqual([]);
    expect((await a.claimInbox(10, LEASE, T0 + 12)).map((r) => r.sourceEventId)).toEqual(['evt_1', 'evt_2']);

    await a.close();
    // The server drops the session lock once the closed session's backend has exited: B tries on each call.
    let rows = await b.claimInbox(10, LEASE, T0 + 13);
    for (const deadline = Date.now() + 10_000; rows.length === 0 && Date.now() < deadline;) rows = await b.claimInbox(10, LEASE, T0 + 13);
    expect(rows.map((r) => [r.sourceEventId, r.attempts])).toEqual([
      ['evt_0', 2],
      ['evt_1', 2],
      ['evt_2', 2],
    ]);
    // A's late completion of its claim is fenced off.
    const late = await b.completeInbox(first[0]!, { status: 'ignored', reason: 'late' }, T0 + 14);
    expect(late).toBe(false);
  });

  it("entries are claimed in the order they were stored, not by the receiving hubs' clocks (one hub runs 5 s ahead)", async () => {
    // A customer's next event is sent only after the previous one was acknowledged, to the other hub.
    await a.append(webhook('evt_first', { receivedAt: T0 + 5000 }));
    await b.append(webhook('evt_second', { receivedAt: T0 }));
    await a.append(webhook('evt_third', { receivedAt: T0 + 5001 }));
    await b.append(webhook('evt_fourth', { receivedAt: T0 + 1 }));
    const rows = await a.claimInbox(10, LEASE, T0 + 10_000);
    expect(rows.map((r) => r.sourceEventId)).toEqual(['evt_first', 'evt_second', 'evt_third', 'evt_fourth']);
    expect((await a.listPendingInbox(10)).map((r) => r.sourceEventId)).toEqual(['evt_first', 'evt_second', 'evt_third', 'evt_fourth']);
  });

  it('a hub whose normaliser session the server ended claims nothing more; the other takes over from the entries it left leased', async () => {
    for (let i = 0; i < 2; i++) await a.append(webhook(`evt_${i}`, { receivedAt: T0 + i }));
    const [leased] = await a.claimInbox(1, LEASE, T0 + 10);
    expect(leased!.sourceEventId).toBe('evt_0');
    expect(await b.claimInbox(10, LEASE, T0 + 11)).toEqual([]);

    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      const ended = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()`,
      );
      expect(ended.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    // B takes the lock once the ended session's backend is gone, and starts with the entry A left leased.
    let rows = await b.claimInbox(10, LEASE, T0 + 13);
    for (const deadline = Date.now() + 10_000; rows.length === 0 && Date.now() < deadline;) rows = await b.claimInbox(10, LEASE, T0 + 13);
    expect(rows.map((r) => [r.sourceEventId, r.attempts])).toEqual([
      ['evt_0', 2],
      ['evt_1', 1],
    ]);
    // A claims nothing now: its ended session fails the claim, or its new session finds the lock taken.
    await a.append(webhook('evt_2', { receivedAt: T0 + 2 }));
    const fromA = await a.claimInbox(10, LEASE, T0 + 14).catch((e: unknown) => {
      expect(e).toBeInstanceOf(StoreUnavailableError);
      return a.claimInbox(10, LEASE, T0 + 14);
    });
    expect(fromA).toEqual([]);
    expect(await a.completeInbox(leased!, { status: 'ignored', reason: 'late' }, T0 + 15)).toBe(false);
  });

  it("one hub's append wakes the other hub's workers (LISTEN subhub_work)", async () => {
    let wake: () => void = () => {};
    b.onWork(() => wake());
    for (const id of ['evt_1', 'evt_2']) {
      const woken = new Promise<void>((resolve) => (wake = resolve));
      await a.append(webhook(id));
      await woken;
    }
  });
});
