/**
 * The LogLanding port's contract (src/store/ports.ts): what a store does for an external event log
 * (eventLog.kind "kafka"). Entries read from the log are landed with their outcomes in one
 * transaction, deduplicated by (source, source event id) and content key; derived events and the
 * canonical stream leave through outboxes that keep their rows until the publish resolved. Written
 * against the ports only; run by every store that implements LogLanding (PostgreSQL).
 */
import { noChanges } from '../../src/domain/ports';
import type { HubEvent } from '../../src/events';
import { DUPLICATE_STATE_REASON } from '../../src/store/ports';
import type { LoggedEntry, LogLanding, NormalisedEvent, RelayRecord, Store } from '../../src/store/ports';

export interface LandingFixture {
  store: Store & LogLanding;
  cleanup(): Promise<void>;
}

const T0 = 1_700_000_000_000;

function logged(n: number, over: Partial<LoggedEntry> = {}): LoggedEntry {
  return {
    id: `01LANDING${String(n).padStart(17, '0')}`,
    source: 'stripe',
    sourceEventId: `evt_${n}`,
    eventType: 'customer.subscription.updated',
    receivedAt: T0 + n,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: `evt_${n}` }),
    ...over,
  };
}

function normalised(n: number, unit?: { customerId: string; version: number }): NormalisedEvent {
  return {
    eventId: `ev_${n}`,
    type: 'subscription.updated',
    entityKey: `sub_${n % 3}`,
    body: JSON.stringify({ id: `ev_${n}`, n }),
    deliveries: [{ route: 'r0', target: 'erp', action: 'upsert', mapping: 'm', idempotencyKey: `ev_${n}/r0` }],
    ...(unit ? { unit } : {}),
  };
}

function derived(key: string): HubEvent {
  return {
    id: `ev_${key}`,
    type: 'stock.demand_changed',
    source: { provider: 'hub', eventId: key, eventType: 'demand', dedupeKey: key },
  } as HubEvent;
}

export function landingContract(name: string, create: (options: { canonicalStream: boolean }) => Promise<LandingFixture>): void {
  describe(`LogLanding contract: ${name}`, () => {
    let fixture: LandingFixture | undefined;
    let store: Store & LogLanding;
    const open = async (canonicalStream = false) => {
      fixture = await create({ canonicalStream });
      store = fixture.store;
    };
    beforeEach(() => open(false));
    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    it('lands entries with their outcomes in order: each stored once, with its event and deliveries', async () => {
      const items = [1, 2, 3].map((n) => ({ entry: logged(n), outcome: { status: 'normalised' as const, event: normalised(n) } }));
      expect(await store.landBatch(items, T0)).toEqual(['applied', 'applied', 'applied']);
      const status = await store.findEvent('stripe', 'evt_2');
      expect(status?.inbox).toMatchObject({ id: logged(2).id, status: 'normalised' });
      expect(status?.event?.id).toBe('ev_2');
      expect(status?.deliveries.map((d) => d.route)).toEqual(['r0']);
      expect(await store.counts(T0)).toMatchObject({ inboxPending: 0, deliveriesPending: 3 });
    });

    it('lands a second entry whose fetched state has the same key as an ignored duplicate (same_state), and goes on', async () => {
      const withKey = (n: number, key: string) => ({
        entry: logged(n, { source: 'mollie' }),
        outcome: { status: 'normalised' as const, event: normalised(n), fetchedStateKey: key },
      });
      expect(await store.landBatch([withKey(1, 'tr_1:failed'), withKey(2, 'tr_1:failed'), withKey(3, 'tr_1:paid')], T0)).toEqual([
        'applied',
        'same_state',
        'applied',
      ]);
      expect(await store.landBatch([withKey(4, 'tr_1:paid')], T0)).toEqual(['same_state']);
      expect((await store.findEvent('mollie', 'evt_2'))?.inbox).toMatchObject({ status: 'ignored', detail: DUPLICATE_STATE_REASON });
      expect((await store.findEvent('mollie', 'evt_4'))?.event).toBeUndefined();
      expect(await store.counts(T0)).toMatchObject({ inboxPending: 0, deliveriesPending: 2 });
    });

    it('says which entries are landed already, by (source, event id) or by content key, in any status', async () => {
      await store.landBatch(
        [
          { entry: logged(1), outcome: { status: 'ignored', reason: 'test' } },
          { entry: logged(2, { source: 'shopify', contentKey: 'c2' }), outcome: { status: 'ignored', reason: 'test' } },
        ],
        T0,
      );
      const asked = [
        logged(1),
        logged(1, { source: 'shopify' }),
        logged(9, { source: 'shopify', contentKey: 'c2' }),
        logged(3),
        logged(4, { contentKey: 'c2' }),
      ];
      expect([...(await store.landed(asked))].sort()).toEqual([0, 2]);
      expect(await store.landed([])).toEqual(new Set());
    });

    it('stops at an entry landed meanwhile (by another member): earlier ones commit, it and later ones write nothing', async () => {
      await store.landBatch([{ entry: logged(2), outcome: { status: 'normalised', event: normalised(2) } }], T0);
      const items = [1, 2, 3].map((n) => ({
        entry: logged(n, { id: `01OTHER${n}` }),
        outcome: { status: 'normalised' as const, event: normalised(n + 10) },
      }));
      expect(await store.landBatch(items, T0)).toEqual(['applied', 'duplicate', 'skipped']);
      expect((await store.findEvent('stripe', 'evt_1'))?.inbox.id).toBe('01OTHER1');
      expect((await store.findEvent('stripe', 'evt_2'))?.event?.id).toBe('ev_2');
      expect(await store.findEvent('stripe', 'evt_3')).toBeUndefined();
    });

    it('stops at a moved domain unit (conflict) and leaves no inbox row for it, so it is landed on the next round', async () => {
      // Another writer (the nightly review, an operator) moves the customer's unit to version 1.
      const customer = { id: 'c1', defaults: [], blacklisted: false, email: 'a@example.com' };
      expect(await store.domain.commitUnit({ customerId: 'c1', version: 0, changes: { ...noChanges(), customers: [customer] } }, T0)).toBe(
        'committed',
      );
      const items = [
        { entry: logged(1), outcome: { status: 'normalised' as const, event: normalised(1) } },
        { entry: logged(2), outcome: { status: 'normalised' as const, event: normalised(2, { customerId: 'c1', version: 0 }) } },
        { entry: logged(3), outcome: { status: 'ignored' as const, reason: 'test' } },
      ];
      expect(await store.landBatch(items, T0)).toEqual(['applied', 'conflict', 'skipped']);
      expect([...(await store.landed(items.map((i) => i.entry)))]).toEqual([0]);
      const again = await store.landBatch(
        [{ entry: logged(2), outcome: { status: 'normalised', event: normalised(2, { customerId: 'c1', version: 1 }) } }, items[2]!],
        T0,
      );
      expect(again).toEqual(['applied', 'applied']);
      expect((await store.domain.loadUnit('c1')).version).toBe(1);
      expect((await store.findEvent('stripe', 'evt_2'))?.event?.id).toBe('ev_2');
    });

    it('lands a deferred entry (enrichment to retry) as pending, for the store to claim at its time; a failed one as a replayable dead letter', async () => {
      await store.landBatch(
        [
          { entry: logged(1), outcome: { status: 'retry', nextAttemptAt: T0 + 60_000, error: 'API down' } },
          {
            entry: logged(2),
            outcome: {
              status: 'failed',
              deadLetter: {
                stage: 'map',
                source: 'stripe',
                sourceEventId: 'evt_2',
                errorCode: 'MAPPING_OUTPUT_INVALID',
                errorMessage: 'bad',
                attempts: 1,
                firstAttemptAt: T0,
                lastAttemptAt: T0,
                payload: logged(2).body,
              },
            },
          },
        ],
        T0,
      );
      expect(await store.counts(T0)).toMatchObject({ inboxPending: 1, inboxDeferred: 1, deadLettersOpen: 1 });
      expect(await store.claimInbox(10, 30_000, T0)).toEqual([]);
      expect((await store.claimInbox(10, 30_000, T0 + 60_000)).map((r) => r.sourceEventId)).toEqual(['evt_1']);
      const [letter] = await store.listDeadLetters({ status: 'open' });
      expect(letter).toMatchObject({ inboxId: logged(2).id, errorCode: 'MAPPING_OUTPUT_INVALID' });
      expect(await store.replayDeadLetter(letter!.id, 'ops', T0)).toBe('replayed');
      expect((await store.claimInbox(10, 30_000, T0 + 61_000)).map((r) => r.sourceEventId)).toEqual(['evt_2']);
    });

    it('drains derived events to the log oldest first, keeping them while the publish fails', async () => {
      expect(await store.domain.appendHubEvents([derived('k1'), derived('k2'), derived('k3')], T0)).toBe(3);
      await expect(store.drainOutbox(10, () => Promise.reject(new Error('broker away')))).rejects.toThrow('broker away');
      const published: LoggedEntry[][] = [];
      expect(await store.drainOutbox(2, async (entries) => void published.push(entries))).toBe(2);
      expect(await store.drainOutbox(10, async (entries) => void published.push(entries))).toBe(1);
      expect(await store.drainOutbox(10, async (entries) => void published.push(entries))).toBe(0);
      expect(published.map((b) => b.map((e) => e.sourceEventId))).toEqual([['k1', 'k2'], ['k3']]);
      expect(published[0]![0]).toMatchObject({ source: 'hub', eventType: 'stock.demand_changed', receivedAt: T0 });
      expect(JSON.parse(published[0]![0]!.body)).toMatchObject({ id: 'ev_k1' });
      expect((await store.counts(T0)).outboxPending).toBe(0);
    });

    it('lets one drain run at a time: a second drain while the first publishes leaves the rows to it', async () => {
      await store.domain.appendHubEvents([derived('k1')], T0);
      let release!: () => void;
      let entered!: () => void;
      const publishing = new Promise<void>((r) => (entered = r));
      const first = store.drainOutbox(10, () => {
        entered();
        return new Promise<void>((r) => (release = r));
      });
      await publishing;
      expect(await store.drainOutbox(10, async () => undefined)).toBe(0);
      release();
      expect(await first).toBe(1);
    });

    it('queues each canonical event for the stream with its landing, keyed by entity, when the stream is on (and only then)', async () => {
      await fixture!.cleanup();
      await open(true);
      const items = [1, 2, 3, 4].map((n) => ({ entry: logged(n), outcome: { status: 'normalised' as const, event: normalised(n) } }));
      await store.landBatch(items, T0);
      const records: RelayRecord[] = [];
      expect(await store.drainStream(10, async (r) => void records.push(...r))).toBe(4);
      expect(records.map((r) => [r.key, JSON.parse(r.value).id])).toEqual([
        ['sub_1', 'ev_1'],
        ['sub_2', 'ev_2'],
        ['sub_0', 'ev_3'],
        ['sub_1', 'ev_4'],
      ]);
      expect(await store.drainStream(10, async () => undefined)).toBe(0);
      await fixture!.cleanup();
      await open(false);
      await store.landBatch(items, T0);
      expect(await store.drainStream(10, async () => undefined)).toBe(0);
    });
  });
}
