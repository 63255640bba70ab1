/**
 * Two workers on one store: the Store port's promises when two Store instances (two hubs, two
 * processes) share one database, written against the port only. Every adapter runs it through
 * `twoWorkersContract(name, create)`: SQLite with two SqliteStore on one file (WAL, IMMEDIATE
 * write transactions), PostgreSQL with two PgStore on one database.
 *
 * What an adapter may decide itself is left open: which store claims inbox entries (on PostgreSQL
 * only the hub holding the normaliser lock does), so inbox tests claim from both and assert only
 * that no entry is handed out twice and every one is handed out.
 */
import { writeUnit } from '../../src/domain/unit-write';
import { noChanges, type DomainChanges, type DomainStore, type DomainUnit } from '../../src/domain/ports';
import type { InboxEntry, InboxRow, NormalisedEvent, Store } from '../../src/store/ports';

export interface TwoStoresFixture {
  /** Two initialised stores on the same database. */
  a: Store;
  b: Store;
  cleanup(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const LEASE = 600_000;
/** Bounds every polling loop: a loop that runs out is a failure (work left over), never a hang. */
const LOOP_MS = 60_000;

function webhook(id: string, over: Partial<InboxEntry> = {}): InboxEntry {
  return { source: 'stripe', sourceEventId: id, eventType: 'x', receivedAt: T0, headers: {}, body: JSON.stringify({ id }), ...over };
}

function decided(subject: string): DomainChanges {
  return { ...noChanges(), decisions: [{ at: '2026-12-06', kind: 'reconcile', subject, outcome: 'checked', rule: 'test' }] };
}

/** Lets the other workers' I/O callbacks run (not a timed wait). */
const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Resolves for everyone once `parties` have arrived. */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived === parties) open();
    return opened;
  };
}

/**
 * A domain store whose first `loadUnit` waits until every party has loaded: both writers then
 * read the same version before either commits (the interleaving the race is about, on any backend).
 */
function loadingTogether(inner: DomainStore, arrive: () => Promise<void>): DomainStore {
  let first = true;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'loadUnit') {
        const value = Reflect.get(target, prop, receiver) as unknown;
        // Bound to the adapter itself: its methods use private fields, which a proxy does not have.
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return async (customerId: string): Promise<DomainUnit> => {
        const unit = await target.loadUnit(customerId);
        if (first) {
          first = false;
          await arrive();
        }
        return unit;
      };
    },
  });
}

export function twoWorkersContract(name: string, create: () => Promise<TwoStoresFixture>): void {
  describe(`Store contract, two workers on one database: ${name}`, () => {
    let fixture: TwoStoresFixture;
    let a: Store;
    let b: Store;

    beforeEach(async () => {
      fixture = await create();
      ({ a, b } = fixture);
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    /** Claims `n` inbox entries from whichever store hands them out (on PostgreSQL, the normaliser-lock holder). */
    async function claimFromEither(n: number, now: number): Promise<InboxRow[]> {
      const rows: InboxRow[] = [];
      for (const deadline = Date.now() + LOOP_MS; rows.length < n && Date.now() < deadline;) {
        rows.push(...(await a.claimInbox(n - rows.length, LEASE, now)));
        if (rows.length < n) rows.push(...(await b.claimInbox(n - rows.length, LEASE, now)));
      }
      expect(rows).toHaveLength(n);
      return rows;
    }

    it('claimInbox from both stores at once: no entry is handed out twice, and every entry is handed out', async () => {
      const ENTRIES = 60;
      for (let i = 0; i < ENTRIES; i++) await a.append(webhook(`evt_${i}`, { receivedAt: T0 + i }));
      const claims: InboxRow[] = [];
      const claimer = async (store: Store) => {
        for (const deadline = Date.now() + LOOP_MS; claims.length < ENTRIES && Date.now() < deadline;) {
          const rows = await store.claimInbox(3, LEASE, T0 + 1000);
          claims.push(...rows);
          if (rows.length === 0) await yieldTurn();
          // Completions race with the other store's claims.
          for (const r of rows) expect(await store.completeInbox(r, { status: 'ignored', reason: 'test' }, T0 + 1000)).toBe(true);
        }
      };
      await Promise.all([claimer(a), claimer(b), claimer(a), claimer(b)]);

      const ids = claims.map((r) => r.sourceEventId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(ENTRIES);
      expect(claims.every((r) => r.attempts === 1)).toBe(true);
      expect((await a.counts(T0 + 1000)).inboxPending).toBe(0);
      expect((await b.listPendingInbox(10)).length).toBe(0);
    }, 120_000);

    it('200 deliveries (20 entities × 2 targets) with normalisers and delivery workers on both stores: each (target, entity) strictly in order, none twice', async () => {
      const ENTITIES = 20;
      const EVENTS = 100; // 5 per entity, each to two targets
      const AT = T0 + 1000;
      const inFlight = new Set<string>();
      const seen = new Map<string, number[]>();
      const violations: string[] = [];
      let ingested = 0;

      for (let i = 0; i < EVENTS; i++) await a.append(webhook(`evt_${i}`, { receivedAt: T0 + i }));
      // Normalisers completing batches while the delivery workers already claim and complete: blocking
      // is decided concurrently with other inserts and with completions of the same (target, entity).
      // A normaliser stops at an empty claim: the rest is leased by another (or, on PostgreSQL, it
      // does not hold the normaliser lock).
      const ingest = async (store: Store) => {
        for (;;) {
          const rows = await store.claimInbox(4, LEASE, AT);
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
          expect(await store.completeInboxBatch(batch, AT)).toEqual(batch.map(() => 'applied'));
          ingested += batch.length;
        }
      };

      const worker = async (store: Store) => {
        for (const deadline = Date.now() + LOOP_MS; Date.now() < deadline;) {
          const rows = await store.claimDeliveries(3, LEASE, AT);
          if (rows.length === 0) {
            if (ingested === EVENTS && (await store.counts(AT)).deliveriesPending === 0) return;
            await yieldTurn();
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
      await Promise.all([ingest(a), ingest(b), worker(a), worker(b), worker(a), worker(b)]);

      expect(ingested).toBe(EVENTS);
      expect(violations).toEqual([]);
      expect(seen.size).toBe(2 * ENTITIES);
      let total = 0;
      for (const [key, order] of seen) {
        expect({ key, order }).toEqual({ key, order: [...order].sort((x, y) => x - y) });
        expect(new Set(order).size).toBe(order.length);
        total += order.length;
      }
      expect(total).toBe(200);
      expect(await b.counts(AT)).toMatchObject({ inboxPending: 0, deliveriesPending: 0 });
    }, 120_000);

    it('two commitUnit calls against the same unit version, one per store: one commits, the other is a conflict and writes nothing', async () => {
      for (let round = 0; round < 10; round++) {
        const customerId = `cus_${round}`;
        const results = await Promise.all([
          a.domain.commitUnit({ customerId, version: 0, changes: decided(customerId) }, T0),
          b.domain.commitUnit({ customerId, version: 0, changes: decided(customerId) }, T0),
        ]);
        expect([...results].sort()).toEqual(['committed', 'conflict']);
        expect((await a.domain.loadUnit(customerId)).version).toBe(1);
        expect((await b.domain.loadUnit(customerId)).version).toBe(1);
        expect(await b.domain.decisions({ subject: customerId })).toHaveLength(1);
      }
    });

    it('two domain writes that read the same version (writeUnit, one round each): one commits, the other fails DOMAIN_CONFLICT; with rounds to spare both commit in turn', async () => {
      const arrive = barrier(2);
      const once = await Promise.allSettled([
        writeUnit(loadingTogether(a.domain, arrive), 'cus_1', () => decided('cus_1'), T0, 1),
        writeUnit(loadingTogether(b.domain, arrive), 'cus_1', () => decided('cus_1'), T0, 1),
      ]);
      expect(once.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const lost = once.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      expect(lost.reason).toMatchObject({ code: 'DOMAIN_CONFLICT', kind: 'retryable' });
      expect((await a.domain.loadUnit('cus_1')).version).toBe(1);
      expect(await a.domain.decisions({ subject: 'cus_1' })).toHaveLength(1);

      const again = barrier(2);
      await Promise.all([
        writeUnit(loadingTogether(a.domain, again), 'cus_1', () => decided('cus_1'), T0, 2),
        writeUnit(loadingTogether(b.domain, again), 'cus_1', () => decided('cus_1'), T0, 2),
      ]);
      expect((await b.domain.loadUnit('cus_1')).version).toBe(3);
      expect(await b.domain.decisions({ subject: 'cus_1' })).toHaveLength(3);
    });

    it('an inbox completion on one store and a unit commit on the other against the same version: exactly one applies, the loser writes nothing', async () => {
      const ROUNDS = 6;
      for (let i = 0; i < ROUNDS; i++) await a.append(webhook(`evt_${i}`, { receivedAt: T0 + i }));
      const rows = await claimFromEither(ROUNDS, T0 + 100);
      for (const [i, row] of rows.entries()) {
        const customerId = `cus_${i}`;
        const event: NormalisedEvent = {
          eventId: `ev_${i}`,
          type: 'subscription.updated',
          entityKey: `sub_${i}`,
          body: '{}',
          deliveries: [],
          unit: { customerId, version: 0 },
          domain: decided(customerId),
        };
        // Alternate the sides and the completion path (batched, group-committed single).
        const [completer, committer] = i % 2 === 0 ? [a, b] : [b, a];
        const complete =
          i % 4 < 2
            ? completer
                .completeInboxBatch([{ claim: row, outcome: { status: 'normalised', event } }], T0 + 100)
                .then(([r]) => r === 'applied')
            : completer.completeInbox(row, { status: 'normalised', event }, T0 + 100);
        const [applied, committed] = await Promise.all([
          complete,
          committer.domain.commitUnit({ customerId, version: 0, changes: decided(customerId) }, T0 + 100),
        ]);
        expect({ round: i, winners: [applied, committed === 'committed'].filter(Boolean).length }).toEqual({ round: i, winners: 1 });
        expect((await a.domain.loadUnit(customerId)).version).toBe(1);
        expect(await b.domain.decisions({ subject: customerId })).toHaveLength(1);
        const status = await b.findEvent('stripe', row.sourceEventId);
        // The losing completion wrote nothing: the entry is still to be normalised, with no event.
        expect({ status: status?.inbox.status, event: status?.event?.id }).toEqual(
          applied ? { status: 'normalised', event: `ev_${i}` } : { status: 'received', event: undefined },
        );
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
}
