/**
 * Two PgStore instances (two hubs) on one PostgreSQL database: per-(target, entity) delivery
 * order with workers on both, the normaliser lock, optimistic unit commits and racing appends.
 */
import { noChanges, type DomainChanges } from '../../src/domain/ports';
import type { InboxEntry } from '../../src/store/ports';
import { PgStore } from '../../src/store/postgres/pg-store';
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
    const inFlight = new Set<string>();
    const seen = new Map<string, number[]>();
    const violations: string[] = [];
    let ingested = false;

    // Ingestion runs while the delivery workers already claim: blocking is decided concurrently with completions.
    const ingest = (async () => {
      for (let i = 0; i < EVENTS; i++) await a.append(webhook(`evt_${i}`, { receivedAt: T0 + i }));
      for (let done = 0; done < EVENTS;) {
        const rows = await a.claimInbox(7, LEASE, T0 + EVENTS);
        for (const r of rows) {
          const i = Number(r.sourceEventId.slice(4));
          const event = {
            eventId: `ev_${i}`,
            type: 'subscription.updated',
            entityKey: `sub_${i % ENTITIES}`,
            body: JSON.stringify({ i }),
            deliveries: ['erp', 'wms'].map((t) => ({
              route: `${t}-r`,
              target: t,
              action: 'upsert',
              mapping: 'm',
              idempotencyKey: `ev_${i}/${t}`,
            })),
          };
          expect(await a.completeInbox(r, { status: 'normalised', event }, T0 + EVENTS)).toBe(true);
          done++;
        }
      }
      ingested = true;
    })();

    const worker = async (store: PgStore) => {
      for (;;) {
        const rows = await store.claimDeliveries(3, LEASE, T0 + 2 * EVENTS);
        if (rows.length === 0) {
          if (ingested && (await store.counts(T0 + 2 * EVENTS)).deliveriesPending === 0) return;
          await new Promise((r) => setImmediate(r));
          continue;
        }
        for (const d of rows) {
          const key = `${d.target}|${d.entityKey}`;
          if (inFlight.has(key)) violations.push(`${key}: ev ${d.eventId} claimed while another was in flight`);
          inFlight.add(key);
          seen.set(key, [...(seen.get(key) ?? []), Number(JSON.parse(d.eventBody).i)]);
        }
        for (const d of rows) {
          inFlight.delete(`${d.target}|${d.entityKey}`);
          expect(await store.completeDelivery(d, { status: 'done', at: T0 + 2 * EVENTS })).toBe(true);
        }
      }
    };
    await Promise.all([ingest, worker(a), worker(b), worker(a), worker(b)]);

    expect(violations).toEqual([]);
    expect(seen.size).toBe(2 * ENTITIES);
    let total = 0;
    for (const [key, order] of seen) {
      const entity = Number(key.split('|sub_')[1]);
      const expected = Array.from({ length: EVENTS / ENTITIES }, (_, k) => entity + k * ENTITIES);
      expect({ key, order }).toEqual({ key, order: expected });
      total += order.length;
    }
    expect(total).toBe(200);
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
