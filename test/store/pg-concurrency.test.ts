/**
 * Two PgStore instances (two hubs) on one PostgreSQL database: per-(target, entity) delivery
 * order with workers on both, the normaliser lock, optimistic unit commits and racing appends.
 */
import { Client } from 'pg';
import { noChanges, type DomainChanges } from '../../src/domain/ports';
import type { InboxEntry } from '../../src/store/ports';
import { PgStore } from '../../src/store/postgres/pg-store';
import { StoreUnavailableError } from '../../src/store/store-error';
import { testDatabase, type TestDatabase } from '../helpers/postgres';

const T0 = 1_700_000_000_000;
const LEASE = 600_000;

function webhook(id: string, over: Partial<InboxEntry> = {}): InboxEntry {
  return { source: 'stripe', sourceEventId: id, eventType: 'x', receivedAt: T0, headers: {}, body: JSON.stringify({ id }), ...over };
}

function decided(subject: string): DomainChanges {
  return { ...noChanges(), decisions: [{ at: '2026-12-06', kind: 'reconcile', subject, outcome: 'checked', rule: 'test' }] };
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

  it('delivers 200 deliveries (20 entities × 2 targets) with workers on both stores: each (target, entity) strictly in order, none twice', async () => {
    const ENTITIES = 20;
    const EVENTS = 100; // 5 per entity, each to two targets
    const AT = T0 + 1000;
    const inFlight = new Set<string>();
    const seen = new Map<string, number[]>();
    const violations: string[] = [];
    let ingested = 0;

    for (let i = 0; i < EVENTS; i++) await a.append(webhook(`evt_${i}`, { receivedAt: T0 + i }));
    // Two normaliser workers completing batches while the delivery workers already claim and complete:
    // blocking is decided concurrently with other inserts and with completions of the same (target, entity).
    const ingest = async () => {
      for (;;) {
        const rows = await a.claimInbox(4, LEASE, AT);
        if (rows.length === 0) return;
        const batch = rows.map((r) => {
          const i = Number(r.sourceEventId.slice(4));
          const deliveries = ['erp', 'wms'].map((t) => ({
            route: `${t}-r`,
            target: t,
            action: 'upsert',
            mapping: 'm',
            idempotencyKey: `${i}/${t}`,
          }));
          const event = { eventId: `ev_${i}`, type: 'x', entityKey: `sub_${i % ENTITIES}`, body: JSON.stringify({ i }), deliveries };
          return { claim: r, outcome: { status: 'normalised' as const, event } };
        });
        expect(await a.completeInboxBatch(batch, AT)).toEqual(batch.map(() => 'applied'));
        ingested += batch.length;
      }
    };

    const worker = async (store: PgStore) => {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
        const rows = await store.claimDeliveries(3, LEASE, AT);
        if (rows.length === 0) {
          if (ingested === EVENTS && (await store.counts(AT)).deliveriesPending === 0) return;
          await new Promise((r) => setImmediate(r));
          continue;
        }
        for (const d of rows) {
          const key = `${d.target}|${d.entityKey}`;
          if (inFlight.has(key)) violations.push(`${key}: delivery seq ${d.seq} claimed while another was in flight`);
          inFlight.add(key);
          seen.set(key, [...(seen.get(key) ?? []), d.seq]);
        }
        for (const d of rows) {
          inFlight.delete(`${d.target}|${d.entityKey}`);
          expect(await store.completeDelivery(d, { status: 'done', at: AT })).toBe(true);
        }
      }
      violations.push('deliveries left pending (a later delivery stayed blocked)');
    };
    await Promise.all([ingest(), ingest(), worker(a), worker(b), worker(a), worker(b)]);

    expect(violations).toEqual([]);
    expect(seen.size).toBe(2 * ENTITIES);
    let total = 0;
    for (const [key, order] of seen) {
      expect({ key, order }).toEqual({ key, order: [...order].sort((x, y) => x - y) });
      expect(new Set(order).size).toBe(order.length);
      total += order.length;
    }
    expect(total).toBe(200);
    expect(await a.counts(AT)).toMatchObject({ inboxPending: 0, deliveriesPending: 0 });
  }, 120_000);

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

  it('two commits against the same unit version: one commits, the other is a conflict', async () => {
    for (let round = 0; round < 10; round++) {
      const customerId = `cus_${round}`;
      const results = await Promise.all([
        a.domain.commitUnit({ customerId, version: 0, changes: decided(customerId) }, T0),
        b.domain.commitUnit({ customerId, version: 0, changes: decided(customerId) }, T0),
      ]);
      expect(results.sort()).toEqual(['committed', 'conflict']);
      expect((await a.domain.loadUnit(customerId)).version).toBe(1);
      expect(await a.domain.decisions({ subject: customerId })).toHaveLength(1);
    }
  });

  it('an inbox completion and a unit commit against the same version: one applies, the other is a conflict', async () => {
    await a.append(webhook('evt_1'));
    const [row] = await a.claimInbox(1, LEASE, T0);
    const event = {
      eventId: 'ev_1',
      type: 'subscription.updated',
      entityKey: 'sub_1',
      body: '{}',
      deliveries: [],
      unit: { customerId: 'cus_1', version: 0 },
      domain: decided('cus_1'),
    };
    const [batch, commit] = await Promise.all([
      a.completeInboxBatch([{ claim: row!, outcome: { status: 'normalised', event } }], T0),
      b.domain.commitUnit({ customerId: 'cus_1', version: 0, changes: decided('cus_1') }, T0),
    ]);
    expect([batch[0], commit].sort()).toEqual(batch[0] === 'applied' ? ['applied', 'conflict'] : ['committed', 'conflict']);
    expect((await b.domain.loadUnit('cus_1')).version).toBe(1);
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

  it('appends of the same webhook racing on both stores: one accepted, one duplicate with the same id', async () => {
    for (let i = 0; i < 20; i++) {
      const [x, y] = await Promise.all([a.append(webhook(`evt_${i}`)), b.append(webhook(`evt_${i}`))]);
      expect([x.status, y.status].sort()).toEqual(['accepted', 'duplicate']);
      expect(x.id).toBe(y.id);
    }
    // Same content under different ids (content key): also one accepted.
    const [x, y] = await Promise.all([
      a.append(webhook('wh_a', { source: 'shopify', contentKey: 'k1' })),
      b.append(webhook('wh_b', { source: 'shopify', contentKey: 'k1' })),
    ]);
    expect([x.status, y.status].sort()).toEqual(['accepted', 'duplicate']);
    expect(x.id).toBe(y.id);
    expect((await a.counts()).inboxPending).toBe(21);
  });
});
