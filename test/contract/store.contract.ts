/**
 * The Store port's contract (src/store/ports.ts), written against the interface only: no SQL, no
 * adapter internals. Every adapter runs it through `storeContract(name, create)`, e.g.
 * test/contract/sqlite-store.contract.test.ts; the PostgreSQL and Kafka adapters reuse it unchanged.
 *
 * Time is explicit: every method that takes `now` gets a fixed value, so leases and schedules
 * are driven without sleeping. Each test gets a fresh, empty store.
 */
import { DUPLICATE_STATE_REASON } from '../../src/store/ports';
import type { DeadLetter, DeadLetterEntry, DeliveryEntry, DeliveryRow, InboxEntry, NormalisedEvent, Store } from '../../src/store/ports';

export interface StoreFixture {
  store: Store;
  cleanup(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const LEASE = 30_000;

function webhook(source: string, sourceEventId: string, over: Partial<InboxEntry> = {}): InboxEntry {
  return {
    source,
    sourceEventId,
    eventType: 'customer.subscription.updated',
    receivedAt: T0,
    headers: { 'content-type': 'application/json', 'webhook-id': sourceEventId },
    body: JSON.stringify({ id: sourceEventId, source, type: 'customer.subscription.updated' }),
    ...over,
  };
}

function route(name: string, target: string, over: Partial<DeliveryEntry> = {}): DeliveryEntry {
  return { route: name, target, action: 'upsert', mapping: `${target}/subscription`, idempotencyKey: `key/${name}`, ...over };
}

function canonical(eventId: string, entityKey: string, deliveries: DeliveryEntry[]): NormalisedEvent {
  return {
    eventId,
    type: 'subscription.updated',
    entityKey,
    body: JSON.stringify({ id: eventId, type: 'subscription.updated', subscription: { hubSubscriptionId: entityKey } }),
    deliveries: deliveries.map((d) => ({ ...d, idempotencyKey: `${eventId}/${d.route}` })),
  };
}

function deliverDeadLetter(row: DeliveryRow, at: number, over: Partial<DeadLetterEntry> = {}): DeadLetterEntry {
  return {
    stage: 'deliver',
    source: row.source,
    sourceEventId: row.sourceEventId,
    eventId: row.eventId,
    route: row.route,
    target: row.target,
    mapping: row.mapping,
    errorCode: 'TARGET_REJECTED',
    errorMessage: `HTTP 422 from ${row.target}: invalid VAT id`,
    attempts: row.attempts,
    firstAttemptAt: row.firstAttemptAt ?? at,
    lastAttemptAt: at,
    payload: row.eventBody,
    ...over,
  };
}

const key = (r: { eventId: string; route: string }): string => `${r.eventId}/${r.route}`;
const sorted = (xs: string[]): string[] => [...xs].sort();
const idsOf = (xs: DeadLetter[]): string[] => sorted(xs.map((x) => x.id));

export function storeContract(name: string, create: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: Store;

    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    /** Appends a webhook and normalises it into `event`; only this entry is pending in the inbox. */
    async function ingest(source: string, sourceEventId: string, event: NormalisedEvent, now = T0): Promise<string> {
      const appended = await store.append(webhook(source, sourceEventId, { receivedAt: now }));
      expect(appended.status).toBe('accepted');
      const claimed = await store.claimInbox(100, LEASE, now);
      expect(claimed.map((r) => r.id)).toEqual([appended.id]);
      await store.completeInbox(claimed[0]!, { status: 'normalised', event }, now);
      return appended.id;
    }

    /** Claims deliveries and returns them keyed `eventId/route`. */
    async function claim(now: number, limit = 100, leaseMs = LEASE): Promise<Map<string, DeliveryRow>> {
      const rows = await store.claimDeliveries(limit, leaseMs, now);
      const byKey = new Map(rows.map((r) => [key(r), r]));
      expect(byKey.size).toBe(rows.length);
      return byKey;
    }

    describe('Store.init', () => {
      it('is idempotent: calling it again on an initialised store (twice at once, too) keeps its data', async () => {
        const appended = await store.append(webhook('stripe', 'evt_init'));
        await Promise.all([store.init(), store.init()]);
        expect((await store.counts(T0)).inboxPending).toBe(1);
        expect((await store.findEvent('stripe', 'evt_init'))?.inbox.id).toBe(appended.id);
      });
    });

    describe('Inbox.append', () => {
      it('accepts a new webhook with an id, reports a repeat of (source, sourceEventId) as duplicate with the same id, and keeps sources apart', async () => {
        const first = await store.append(webhook('stripe', 'evt_1'));
        expect(first.status).toBe('accepted');
        expect(typeof first.id).toBe('string');
        expect(first.id.length).toBeGreaterThan(0);

        const again = await store.append(webhook('stripe', 'evt_1', { body: '{"changed":true}', receivedAt: T0 + 1000 }));
        expect(again).toEqual({ status: 'duplicate', id: first.id });

        const otherSource = await store.append(webhook('shopify', 'evt_1'));
        expect(otherSource.status).toBe('accepted');
        expect(otherSource.id).not.toBe(first.id);

        const rows = await store.claimInbox(10, LEASE, T0 + 1000);
        expect(sorted(rows.map((r) => r.id))).toEqual(sorted([first.id, otherSource.id]));
        // The first copy is the one kept.
        expect(rows.find((r) => r.id === first.id)?.body).toBe(webhook('stripe', 'evt_1').body);
      });

      it('still reports a duplicate after the entry was processed (provider retries arrive hours later)', async () => {
        const id = await ingest('stripe', 'evt_1', canonical('ev_1', 'sub_1', []));
        const later = await store.append(webhook('stripe', 'evt_1', { receivedAt: T0 + 48 * 3600_000 }));
        expect(later).toEqual({ status: 'duplicate', id });
        expect(await store.claimInbox(10, LEASE, T0 + 48 * 3600_000)).toEqual([]);
        expect((await store.counts()).inboxPending).toBe(0);
      });

      it('stores the raw webhook verbatim (body text, headers, event type, receive time)', async () => {
        const body = '{ "id" : "evt_ü",\n  "amount": 1.50 }  ';
        const entry = webhook('stripe', 'evt_ü', {
          body,
          headers: { 'stripe-signature': 't=1,v1=abc', 'x-empty': '' },
          receivedAt: T0 + 7,
        });
        const bare: InboxEntry = { source: 'webshop', sourceEventId: 'w-1', receivedAt: T0 + 8, headers: {}, body: 'not json' };
        const a = await store.append(entry);
        const b = await store.append(bare);
        const rows = await store.claimInbox(10, LEASE, T0 + 10);
        expect(rows).toEqual([
          { ...entry, id: a.id, attempts: 1 },
          { ...bare, id: b.id, attempts: 1 },
        ]);
        expect(rows[1]!.eventType).toBeUndefined();
      });

      it('resolves each of 500 concurrent appends (50 duplicates mixed in) correctly and stores exactly the unique ones', async () => {
        const unique = Array.from({ length: 500 }, (_, i) =>
          webhook('stripe', `evt_${i}`, { receivedAt: T0 + (i % 7), body: `{"n":${i}}` }),
        );
        const submissions = [...unique];
        for (let k = 0; k < 50; k++) {
          const original = unique[(k * 37) % 500]!;
          const copy = { ...original, body: `{"copy":${k}}`, receivedAt: original.receivedAt + 1 };
          // Deterministic scatter; some copies land before their original.
          submissions.splice((k * 211) % submissions.length, 0, copy);
        }
        expect(submissions).toHaveLength(550);

        const results = await Promise.all(submissions.map((e) => store.append(e)));

        const byKey = new Map<string, Array<{ entry: InboxEntry; status: string; id: string }>>();
        submissions.forEach((entry, i) => {
          const k = `${entry.source}/${entry.sourceEventId}`;
          byKey.set(k, [...(byKey.get(k) ?? []), { entry, ...results[i]! }]);
        });
        expect(byKey.size).toBe(500);
        const acceptedBody = new Map<string, string>();
        for (const attempts of byKey.values()) {
          const accepted = attempts.filter((a) => a.status === 'accepted');
          expect(accepted).toHaveLength(1);
          expect(attempts.filter((a) => a.status === 'duplicate')).toHaveLength(attempts.length - 1);
          expect(new Set(attempts.map((a) => a.id)).size).toBe(1);
          acceptedBody.set(accepted[0]!.id, accepted[0]!.entry.body);
        }
        expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(50);
        expect(acceptedBody.size).toBe(500);

        expect((await store.counts()).inboxPending).toBe(500);
        const claimed = await store.claimInbox(10_000, LEASE, T0 + 10);
        expect(claimed).toHaveLength(500);
        expect(sorted(claimed.map((r) => r.id))).toEqual(sorted([...acceptedBody.keys()]));
        for (const row of claimed) expect(row.body).toBe(acceptedBody.get(row.id));
      });
    });

    describe('Inbox.claimInbox', () => {
      // Arrival order: the order entries were stored. (The embedded store, one clock, orders by the
      // receipt time; PostgreSQL, several hubs with clocks of their own, by the order it stored them:
      // test/store/pg-concurrency.test.ts.)
      it('hands out entries in arrival order and honours the limit', async () => {
        const a = await store.append(webhook('stripe', 'evt_a', { receivedAt: T0 + 1 }));
        const b = await store.append(webhook('stripe', 'evt_b', { receivedAt: T0 + 2 }));
        const c = await store.append(webhook('stripe', 'evt_c', { receivedAt: T0 + 3 }));
        expect((await store.claimInbox(2, LEASE, T0 + 10)).map((r) => r.id)).toEqual([a.id, b.id]);
        expect((await store.claimInbox(2, LEASE, T0 + 10)).map((r) => r.id)).toEqual([c.id]);
        expect(await store.claimInbox(2, LEASE, T0 + 10)).toEqual([]);
      });

      it('leases: nothing is handed out twice within the lease; after it runs out the entry comes back with attempts + 1', async () => {
        const { id } = await store.append(webhook('stripe', 'evt_1'));
        const first = await store.claimInbox(10, LEASE, T0);
        expect(first.map((r) => [r.id, r.attempts])).toEqual([[id, 1]]);

        expect(await store.claimInbox(10, LEASE, T0 + 1)).toEqual([]);
        expect(await store.claimInbox(10, LEASE, T0 + LEASE - 1)).toEqual([]);

        // A leased entry does not hold back the ones behind it.
        const other = await store.append(webhook('stripe', 'evt_2', { receivedAt: T0 + 5 }));
        expect((await store.claimInbox(10, LEASE, T0 + 6)).map((r) => r.id)).toEqual([other.id]);

        const again = await store.claimInbox(1, LEASE, T0 + LEASE + 1);
        expect(again.map((r) => [r.id, r.attempts])).toEqual([[id, 2]]);
        expect(again[0]).toMatchObject({ source: 'stripe', sourceEventId: 'evt_1', body: first[0]!.body });
        // Re-leased: not handed out again right away.
        expect((await store.claimInbox(10, LEASE, T0 + LEASE + 2)).map((r) => r.id)).toEqual([]);
      });
    });

    describe('Inbox.completeInbox', () => {
      it('normalised: the entry leaves the inbox and its deliveries become claimable with the full context', async () => {
        const event = canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp', { action: 'upsertCustomer' }), route('shop-sync', 'webshop')]);
        const now = T0 + 5;
        const { id: inboxId } = await store.append(webhook('stripe', 'evt_1', { receivedAt: now }));
        expect(await store.claimInbox(10, LEASE, now)).toHaveLength(1);
        await store.completeInbox({ id: inboxId, attempts: 1 }, { status: 'normalised', event }, now);

        expect(await store.claimInbox(10, LEASE, now + LEASE + 1)).toEqual([]);
        const rows = await store.claimDeliveries(10, LEASE, now);
        expect(rows).toHaveLength(2);
        for (const d of event.deliveries) {
          const row = rows.find((r) => r.route === d.route)!;
          expect(row).toEqual({
            ...d,
            id: expect.any(String),
            seq: expect.any(Number),
            eventId: 'ev_1',
            entityKey: 'sub_1',
            eventBody: event.body,
            source: 'stripe',
            sourceEventId: 'evt_1',
            attempts: 1,
            firstAttemptAt: now,
            createdAt: now,
          });
        }
        expect(rows[0]!.id).not.toBe(rows[1]!.id);
        const seqOf = (r: string) => rows.find((x) => x.route === r)!.seq;
        expect(seqOf('erp-upsert')).toBeLessThan(seqOf('shop-sync'));
      });

      it('retry: the entry waits until nextAttemptAt and counts as deferred, not as due work, until then', async () => {
        const { id } = await store.append(webhook('stripe', 'evt_1'));
        await store.claimInbox(10, LEASE, T0);
        await store.completeInbox(
          { id, attempts: 1 },
          { status: 'retry', nextAttemptAt: T0 + 60_000, error: 'DELIVERY_SERVER_ERROR' },
          T0 + 1,
        );
        expect(await store.counts(T0 + 2)).toMatchObject({ inboxPending: 1, inboxDeferred: 1 });
        expect(await store.claimInbox(10, LEASE, T0 + 59_999)).toEqual([]);
        expect(await store.counts(T0 + 60_000)).toMatchObject({ inboxPending: 1, inboxDeferred: 0 });
        expect((await store.claimInbox(10, LEASE, T0 + 60_000)).map((r) => r.id)).toEqual([id]);
      });

      it('ignored: the entry leaves the inbox without an event or deliveries, and the reason is kept', async () => {
        const { id } = await store.append(webhook('stripe', 'evt_1'));
        await store.claimInbox(10, LEASE, T0);
        await store.completeInbox({ id, attempts: 1 }, { status: 'ignored', reason: 'dropped by stripe.invoice: draft invoice' }, T0 + 1);
        expect(await store.claimInbox(10, LEASE, T0 + LEASE + 1)).toEqual([]);
        expect(await store.claimDeliveries(10, LEASE, T0 + 2)).toEqual([]);
        const status = await store.findEvent('stripe', 'evt_1');
        expect(status).toMatchObject({
          inbox: { id, status: 'ignored', detail: 'dropped by stripe.invoice: draft invoice' },
          deliveries: [],
          deadLetters: [],
        });
        expect(status!.event).toBeUndefined();
        expect(await store.counts()).toEqual({
          inboxPending: 0,
          inboxDeferred: 0,
          outboxPending: 0,
          deliveriesPending: 0,
          deadLettersOpen: 0,
        });
      });
    });

    describe('fetched-state deduplication (InboxOutcome.fetchedStateKey)', () => {
      /** Appends and claims one entry of `source` per id, in order; returns their claims. */
      const claimed = async (source: string, ids: string[], at = T0) => {
        for (const [i, id] of ids.entries()) await store.append(webhook(source, id, { receivedAt: at + i }));
        const rows = await store.claimInbox(ids.length, LEASE, at + ids.length);
        expect(rows.map((r) => r.sourceEventId)).toEqual(ids);
        return rows;
      };
      const normalisedWith = (eventId: string, fetchedStateKey: string) =>
        ({ status: 'normalised', event: canonical(eventId, `sub_${eventId}`, [route('erp-upsert', 'erp')]), fetchedStateKey }) as const;

      it('a second entry whose fetched state has the same key is ignored as a duplicate: no event, no deliveries, the reason kept', async () => {
        const [a, b] = await claimed('mollie', ['tr_1#1', 'tr_1#2']);
        expect(await store.completeInbox(a!, normalisedWith('ev_a', 'tr_1:failed'), T0 + 10)).toBe(true);
        expect(await store.completeInbox(b!, normalisedWith('ev_b', 'tr_1:failed'), T0 + 11)).toBe(true);

        expect((await store.claimDeliveries(10, LEASE, T0 + 12)).map((d) => d.eventId)).toEqual(['ev_a']);
        const second = await store.findEvent('mollie', 'tr_1#2');
        expect(second).toMatchObject({ inbox: { status: 'ignored', detail: DUPLICATE_STATE_REASON }, deliveries: [], deadLetters: [] });
        expect(second!.event).toBeUndefined();
        expect((await store.findEvent('mollie', 'tr_1#1'))?.event?.id).toBe('ev_a');
        expect(await store.listIgnored({})).toEqual([
          expect.objectContaining({ source: 'mollie', reason: DUPLICATE_STATE_REASON, count: 1 }),
        ]);
        expect(await store.counts(T0 + 12)).toMatchObject({ inboxPending: 0, deliveriesPending: 1 });
      });

      it('another fetched state of the same object, or the same key at another source, is normalised', async () => {
        const [a, b] = await claimed('mollie', ['tr_1#1', 'tr_1#2']);
        const [c] = await claimed('mollie-b', ['tr_1#3'], T0 + 5);
        expect(await store.completeInbox(a!, normalisedWith('ev_a', 'tr_1:failed'), T0 + 10)).toBe(true);
        expect(await store.completeInbox(b!, normalisedWith('ev_b', 'tr_1:paid'), T0 + 11)).toBe(true);
        expect(await store.completeInbox(c!, normalisedWith('ev_c', 'tr_1:failed'), T0 + 12)).toBe(true);
        const events = (await store.claimDeliveries(10, LEASE, T0 + 13)).map((d) => d.eventId);
        expect(sorted(events)).toEqual(['ev_a', 'ev_b', 'ev_c']);
        expect(await store.listIgnored({})).toEqual([]);
      });

      it('in one batch: the first entry with a key is applied, a later one with the same key is same_state, and the batch goes on', async () => {
        const [a, b, c] = await claimed('mollie', ['tr_1#1', 'tr_1#2', 'tr_2#1']);
        const results = await store.completeInboxBatch(
          [
            { claim: a!, outcome: normalisedWith('ev_a', 'tr_1:failed') },
            { claim: b!, outcome: normalisedWith('ev_b', 'tr_1:failed') },
            { claim: c!, outcome: normalisedWith('ev_c', 'tr_2:paid') },
          ],
          T0 + 10,
        );
        expect(results).toEqual(['applied', 'same_state', 'applied']);
        expect(sorted((await store.claimDeliveries(10, LEASE, T0 + 11)).map((d) => d.eventId))).toEqual(['ev_a', 'ev_c']);
      });

      it('concurrent completions of entries with the same fetched state: exactly one is normalised', async () => {
        const ids = Array.from({ length: 8 }, (_, i) => `tr_1#${i}`);
        const rows = await claimed('mollie', ids);
        const done = await Promise.all(rows.map((r, i) => store.completeInbox(r, normalisedWith(`ev_${i}`, 'tr_1:failed'), T0 + 20)));
        expect(done).toEqual(ids.map(() => true));
        expect((await store.claimDeliveries(20, LEASE, T0 + 21)).map((d) => d.eventId)).toHaveLength(1);
        const statuses = await Promise.all(ids.map(async (id) => (await store.findEvent('mollie', id))!.inbox.status));
        expect(sorted(statuses)).toEqual([...ids.slice(1).map(() => 'ignored'), 'normalised']);
      });

      it('a stale completion records no key: a later entry with that key is still normalised', async () => {
        await store.append(webhook('mollie', 'tr_1#1', { receivedAt: T0 }));
        const [first] = await store.claimInbox(10, 1000, T0);
        const [again] = await store.claimInbox(10, 1000, T0 + 1001);
        expect(await store.completeInbox(first!, normalisedWith('ev_stale', 'tr_1:failed'), T0 + 1002)).toBe(false);
        expect(await store.completeInbox(again!, normalisedWith('ev_1', 'tr_1:failed'), T0 + 1003)).toBe(true);
        expect((await store.findEvent('mollie', 'tr_1#1'))?.event?.id).toBe('ev_1');
      });
    });

    describe('DeliveryQueue: per-entity order', () => {
      it('holds a later delivery for the same target and entity until the earlier one is done; other entities are not held', async () => {
        await ingest('stripe', 'evt_1', canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp')]), T0);
        await ingest('stripe', 'evt_2', canonical('ev_2', 'sub_1', [route('erp-upsert', 'erp')]), T0 + 1);
        await ingest('stripe', 'evt_3', canonical('ev_3', 'sub_2', [route('erp-upsert', 'erp')]), T0 + 2);

        const first = await claim(T0 + 10);
        expect(sorted([...first.keys()])).toEqual(['ev_1/erp-upsert', 'ev_3/erp-upsert']);
        // Still held while the first is in flight.
        expect([...(await claim(T0 + 11)).keys()]).toEqual([]);

        await store.completeDelivery(first.get('ev_1/erp-upsert')!, { status: 'done', at: T0 + 12 });
        expect([...(await claim(T0 + 13)).keys()]).toEqual(['ev_2/erp-upsert']);
      });

      it('releases the later delivery when the earlier one goes dead', async () => {
        await ingest('stripe', 'evt_1', canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp')]), T0);
        await ingest('stripe', 'evt_2', canonical('ev_2', 'sub_1', [route('erp-upsert', 'erp')]), T0 + 1);
        const first = await claim(T0 + 10);
        expect([...first.keys()]).toEqual(['ev_1/erp-upsert']);
        const row = first.get('ev_1/erp-upsert')!;
        await store.completeDelivery(row, { status: 'dead', at: T0 + 11, deadLetter: deliverDeadLetter(row, T0 + 11) });
        expect([...(await claim(T0 + 12)).keys()]).toEqual(['ev_2/erp-upsert']);
      });

      it('keeps the later delivery held while the earlier one waits for a retry in the future', async () => {
        await ingest('stripe', 'evt_1', canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp')]), T0);
        await ingest('stripe', 'evt_2', canonical('ev_2', 'sub_1', [route('erp-upsert', 'erp')]), T0 + 1);
        const first = (await claim(T0 + 10)).get('ev_1/erp-upsert')!;
        await store.completeDelivery(first, { status: 'retry', at: T0 + 11, nextAttemptAt: T0 + 60_000, error: 'HTTP 503' });

        expect([...(await claim(T0 + 12)).keys()]).toEqual([]);
        expect([...(await claim(T0 + 59_999)).keys()]).toEqual([]);
        // Due again: the earlier one comes back first, the later one stays held.
        const again = await claim(T0 + 60_000);
        expect([...again.keys()]).toEqual(['ev_1/erp-upsert']);
        // The first claim is stale now: completing with it changes nothing (the lease fence).
        expect(await store.completeDelivery(first, { status: 'done', at: T0 + 60_001 })).toBe(false);
        expect(await store.completeDelivery(again.get('ev_1/erp-upsert')!, { status: 'done', at: T0 + 60_001 })).toBe(true);
        expect([...(await claim(T0 + 60_002)).keys()]).toEqual(['ev_2/erp-upsert']);
      });

      it('orders per target: the same entity at different targets is not held', async () => {
        await ingest('stripe', 'evt_1', canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp'), route('shop-sync', 'webshop')]), T0);
        await ingest('stripe', 'evt_2', canonical('ev_2', 'sub_1', [route('wh-sync', 'warehouse')]), T0 + 1);
        const rows = await claim(T0 + 10);
        expect(sorted([...rows.keys()])).toEqual(['ev_1/erp-upsert', 'ev_1/shop-sync', 'ev_2/wh-sync']);
      });

      it('keeps the order when an in-flight lease runs out: only the earlier delivery is handed out again', async () => {
        await ingest('stripe', 'evt_1', canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp')]), T0);
        await ingest('stripe', 'evt_2', canonical('ev_2', 'sub_1', [route('erp-upsert', 'erp')]), T0 + 1);
        expect([...(await claim(T0 + 10)).keys()]).toEqual(['ev_1/erp-upsert']);
        expect([...(await claim(T0 + 10 + LEASE + 1)).keys()]).toEqual(['ev_1/erp-upsert']);
      });
    });

    describe('DeliveryQueue: leases and retries', () => {
      it('hands an in-flight delivery out again once its lease has run out, with attempts + 1 and the first attempt time kept', async () => {
        await ingest('stripe', 'evt_1', canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp')]), T0);
        const now = T0 + 100;
        const first = [...(await claim(now)).values()];
        expect(first.map((r) => [key(r), r.attempts, r.firstAttemptAt])).toEqual([['ev_1/erp-upsert', 1, now]]);
        expect(await store.claimDeliveries(10, LEASE, now + 1)).toEqual([]);
        expect(await store.claimDeliveries(10, LEASE, now + LEASE - 1)).toEqual([]);

        const again = await store.claimDeliveries(10, LEASE, now + LEASE + 1);
        expect(again.map((r) => [r.id, r.attempts, r.firstAttemptAt])).toEqual([[first[0]!.id, 2, now]]);
        expect(await store.claimDeliveries(10, LEASE, now + LEASE + 2)).toEqual([]);
      });

      it('honours the claim limit', async () => {
        await ingest(
          'stripe',
          'evt_1',
          canonical('ev_1', 'sub_1', [route('a', 'erp'), route('b', 'webshop'), route('c', 'warehouse')]),
          T0,
        );
        expect(await store.claimDeliveries(2, LEASE, T0 + 1)).toHaveLength(2);
        expect(await store.claimDeliveries(2, LEASE, T0 + 1)).toHaveLength(1);
        expect(await store.claimDeliveries(2, LEASE, T0 + 1)).toHaveLength(0);
      });

      it('retry: the delivery waits until nextAttemptAt, records the error and counts the attempt', async () => {
        await ingest('stripe', 'evt_1', canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp')]), T0);
        const row = (await claim(T0 + 1)).get('ev_1/erp-upsert')!;
        await store.completeDelivery(row, { status: 'retry', at: T0 + 2, nextAttemptAt: T0 + 1000, error: 'HTTP 503 from erp' });

        const status = await store.findEvent('stripe', 'evt_1');
        expect(status!.deliveries).toEqual([
          {
            id: row.id,
            route: 'erp-upsert',
            target: 'erp',
            status: 'pending',
            attempts: 1,
            lastError: 'HTTP 503 from erp',
            nextAttemptAt: T0 + 1000,
          },
        ]);
        expect(await store.claimDeliveries(10, LEASE, T0 + 999)).toEqual([]);
        const again = await store.claimDeliveries(10, LEASE, T0 + 1000);
        expect(again.map((r) => [r.id, r.attempts, r.firstAttemptAt])).toEqual([[row.id, 2, T0 + 1]]);
      });

      it('retry with refund: the attempt that was not made does not count', async () => {
        await ingest('stripe', 'evt_1', canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp')]), T0);
        const row = (await claim(T0 + 1)).get('ev_1/erp-upsert')!;
        expect(row.attempts).toBe(1);
        await store.completeDelivery(row, {
          status: 'retry',
          at: T0 + 2,
          nextAttemptAt: T0 + 1000,
          error: 'circuit open',
          refund: true,
        });

        expect((await store.findEvent('stripe', 'evt_1'))!.deliveries[0]).toMatchObject({
          status: 'pending',
          attempts: 0,
          nextAttemptAt: T0 + 1000,
        });
        const again = await store.claimDeliveries(10, LEASE, T0 + 1000);
        expect(again.map((r) => [r.id, r.attempts])).toEqual([[row.id, 1]]);
      });

      it('done: the delivery is finished and never handed out again', async () => {
        await ingest('stripe', 'evt_1', canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp')]), T0);
        const row = (await claim(T0 + 1)).get('ev_1/erp-upsert')!;
        await store.completeDelivery(row, { status: 'done', at: T0 + 2 });
        expect(await store.claimDeliveries(10, LEASE, T0 + 10 * LEASE)).toEqual([]);
        expect((await store.findEvent('stripe', 'evt_1'))!.deliveries[0]).toMatchObject({ id: row.id, status: 'done', attempts: 1 });
        expect((await store.counts()).deliveriesPending).toBe(0);
      });
    });

    describe('dead letters', () => {
      async function deadDelivery(now = T0): Promise<{ row: DeliveryRow; entry: DeadLetterEntry; letter: DeadLetter; inboxId: string }> {
        const inboxId = await ingest('stripe', 'evt_1', canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp')]), now);
        const row = (await claim(now + 10)).get('ev_1/erp-upsert')!;
        const entry = deliverDeadLetter(row, now + 11, { inboxId });
        await store.completeDelivery(row, { status: 'dead', at: now + 11, deadLetter: entry });
        const letters = await store.listDeadLetters({});
        expect(letters).toHaveLength(1);
        return { row, entry, letter: letters[0]!, inboxId };
      }

      it('completeDelivery dead records a dead letter with the full context', async () => {
        const { row, entry, letter } = await deadDelivery();
        expect(letter).toEqual({ ...entry, deliveryId: row.id, id: expect.any(String), createdAt: T0 + 11, status: 'open' });
        expect(letter.resolvedBy).toBeUndefined();
        expect(letter.resolvedAt).toBeUndefined();
        expect(await store.getDeadLetter(letter.id)).toEqual(letter);
        expect(await store.getDeadLetter('no-such-letter')).toBeUndefined();

        expect(await store.claimDeliveries(10, LEASE, T0 + 10 * LEASE)).toEqual([]);
        expect((await store.findEvent('stripe', 'evt_1'))!.deliveries[0]).toMatchObject({
          id: row.id,
          status: 'dead',
          lastError: entry.errorMessage,
        });
        expect(await store.counts()).toEqual({
          inboxPending: 0,
          inboxDeferred: 0,
          outboxPending: 0,
          deliveriesPending: 0,
          deadLettersOpen: 1,
        });
      });

      it('replay puts the delivery back in line once: replayed, then not_open; a fresh attempt count', async () => {
        const { row, letter } = await deadDelivery();
        expect(await store.replayDeadLetter(letter.id, 'alice', T0 + 100)).toBe('replayed');
        expect(await store.getDeadLetter(letter.id)).toEqual({ ...letter, status: 'replayed', resolvedBy: 'alice', resolvedAt: T0 + 100 });
        expect(await store.counts()).toEqual({
          inboxPending: 0,
          inboxDeferred: 0,
          outboxPending: 0,
          deliveriesPending: 1,
          deadLettersOpen: 0,
        });

        expect(await store.replayDeadLetter(letter.id, 'bob', T0 + 200)).toBe('not_open');
        expect(await store.discardDeadLetter(letter.id, 'bob', T0 + 200)).toBe('not_open');
        expect(await store.getDeadLetter(letter.id)).toMatchObject({ status: 'replayed', resolvedBy: 'alice', resolvedAt: T0 + 100 });

        const again = await store.claimDeliveries(10, LEASE, T0 + 100);
        expect(again.map((r) => [r.id, r.attempts, r.idempotencyKey])).toEqual([[row.id, 1, row.idempotencyKey]]);
        await store.completeDelivery(row, { status: 'done', at: T0 + 101 });

        // A second replay of the same letter changes nothing: the delivery stays done.
        expect(await store.replayDeadLetter(letter.id, 'alice', T0 + 300)).toBe('not_open');
        expect(await store.claimDeliveries(10, LEASE, T0 + 300)).toEqual([]);
        expect(await store.counts()).toEqual({
          inboxPending: 0,
          inboxDeferred: 0,
          outboxPending: 0,
          deliveriesPending: 0,
          deadLettersOpen: 0,
        });
      });

      it('a replayed delivery that fails again gets a new open letter; the old one stays replayed', async () => {
        const { letter } = await deadDelivery();
        expect(await store.replayDeadLetter(letter.id, 'alice', T0 + 100)).toBe('replayed');
        const row = (await claim(T0 + 100)).get('ev_1/erp-upsert')!;
        await store.completeDelivery(row, { status: 'dead', at: T0 + 101, deadLetter: deliverDeadLetter(row, T0 + 101) });
        const open = await store.listDeadLetters({ status: 'open' });
        expect(open).toHaveLength(1);
        expect(open[0]!.id).not.toBe(letter.id);
        expect(open[0]!.deliveryId).toBe(row.id);
        expect((await store.getDeadLetter(letter.id))!.status).toBe('replayed');
      });

      it('discard closes the letter once: discarded, then not_open; the delivery stays dead', async () => {
        const { letter } = await deadDelivery();
        expect(await store.discardDeadLetter(letter.id, 'bob', T0 + 100)).toBe('discarded');
        expect(await store.getDeadLetter(letter.id)).toEqual({ ...letter, status: 'discarded', resolvedBy: 'bob', resolvedAt: T0 + 100 });
        expect(await store.discardDeadLetter(letter.id, 'bob', T0 + 200)).toBe('not_open');
        expect(await store.replayDeadLetter(letter.id, 'alice', T0 + 200)).toBe('not_open');
        expect(await store.claimDeliveries(10, LEASE, T0 + 200)).toEqual([]);
        expect(await store.counts()).toEqual({
          inboxPending: 0,
          inboxDeferred: 0,
          outboxPending: 0,
          deliveriesPending: 0,
          deadLettersOpen: 0,
        });
      });

      it('replay and discard of an unknown letter say not_found', async () => {
        expect(await store.replayDeadLetter('no-such-letter', 'alice', T0)).toBe('not_found');
        expect(await store.discardDeadLetter('no-such-letter', 'alice', T0)).toBe('not_found');
      });

      it('a map-stage failure dead-letters the inbox entry; replay puts the entry back in the inbox', async () => {
        const { id: inboxId } = await store.append(webhook('stripe', 'evt_bad'));
        const [row] = await store.claimInbox(10, LEASE, T0);
        const entry: DeadLetterEntry = {
          stage: 'map',
          source: 'stripe',
          sourceEventId: 'evt_bad',
          mapping: 'stripe.subscription',
          errorCode: 'MAPPING_OUTPUT_INVALID',
          errorMessage: 'mapping stripe.subscription produced an invalid event: /customer required',
          attempts: row!.attempts,
          firstAttemptAt: T0,
          lastAttemptAt: T0 + 1,
          payload: row!.body,
        };
        await store.completeInbox(row!, { status: 'failed', deadLetter: entry }, T0 + 1);

        // Failed entries are not handed out again, even after the lease.
        expect(await store.claimInbox(10, LEASE, T0 + LEASE + 10)).toEqual([]);
        const [letter] = await store.listDeadLetters({ stage: 'map' });
        expect(letter).toEqual({ ...entry, inboxId, id: expect.any(String), createdAt: T0 + 1, status: 'open' });
        const status = await store.findEvent('stripe', 'evt_bad');
        expect(status).toMatchObject({ inbox: { id: inboxId, status: 'failed' }, deliveries: [], deadLetters: [letter] });
        expect(status!.event).toBeUndefined();
        expect(await store.counts()).toEqual({
          inboxPending: 0,
          inboxDeferred: 0,
          outboxPending: 0,
          deliveriesPending: 0,
          deadLettersOpen: 1,
        });

        expect(await store.replayDeadLetter(letter!.id, 'alice', T0 + 100)).toBe('replayed');
        expect(await store.replayDeadLetter(letter!.id, 'alice', T0 + 101)).toBe('not_open');
        expect(await store.counts()).toEqual({
          inboxPending: 1,
          inboxDeferred: 0,
          outboxPending: 0,
          deliveriesPending: 0,
          deadLettersOpen: 0,
        });
        const back = await store.claimInbox(10, LEASE, T0 + 100);
        expect(back.map((r) => [r.id, r.sourceEventId, r.body])).toEqual([[inboxId, 'evt_bad', row!.body]]);
        expect(back[0]!.attempts).toBeGreaterThan(row!.attempts);

        // The fixed mapping now normalises it.
        await store.completeInbox(
          back[0]!,
          { status: 'normalised', event: canonical('ev_fixed', 'sub_9', [route('erp-upsert', 'erp')]) },
          T0 + 102,
        );
        expect([...(await claim(T0 + 103)).keys()]).toEqual(['ev_fixed/erp-upsert']);
        expect(await store.findEvent('stripe', 'evt_bad')).toMatchObject({
          inbox: { status: 'normalised' },
          event: { id: 'ev_fixed' },
          deadLetters: [{ id: letter!.id, status: 'replayed', resolvedBy: 'alice' }],
        });
      });

      it('addDeadLetter records a letter that belongs to no stored event', async () => {
        const entry: DeadLetterEntry = {
          stage: 'verify',
          source: 'webshop',
          sourceEventId: 'unknown',
          errorCode: 'WEBHOOK_UNREADABLE',
          errorMessage: 'body is not JSON',
          attempts: 0,
          firstAttemptAt: T0,
          lastAttemptAt: T0,
          payload: '<html>not json</html>',
        };
        const id = await store.addDeadLetter(entry, T0 + 5);
        expect(typeof id).toBe('string');
        const letter = await store.getDeadLetter(id);
        expect(letter).toEqual({ ...entry, id, createdAt: T0 + 5, status: 'open' });
        expect(letter!.inboxId).toBeUndefined();
        expect(letter!.deliveryId).toBeUndefined();
        expect((await store.listDeadLetters({ stage: 'verify' })).map((l) => l.id)).toEqual([id]);
        expect(await store.counts()).toEqual({
          inboxPending: 0,
          inboxDeferred: 0,
          outboxPending: 0,
          deliveriesPending: 0,
          deadLettersOpen: 1,
        });
        const second = await store.addDeadLetter({ ...entry, sourceEventId: 'unknown-2' }, T0 + 6);
        expect(second).not.toBe(id);
      });

      it('listDeadLetters filters by status, stage and source, and honours the limit', async () => {
        const base = { errorCode: 'E', errorMessage: 'm', attempts: 1, firstAttemptAt: T0, lastAttemptAt: T0, payload: '{}' };
        const v1 = await store.addDeadLetter({ ...base, stage: 'verify', source: 'stripe', sourceEventId: 'v1' }, T0 + 1);
        const v2 = await store.addDeadLetter({ ...base, stage: 'verify', source: 'shopify', sourceEventId: 'v2' }, T0 + 2);

        const { id: inboxId } = await store.append(webhook('stripe', 'm1', { receivedAt: T0 + 3 }));
        await store.claimInbox(10, LEASE, T0 + 3);
        await store.completeInbox(
          { id: inboxId, attempts: 1 },
          { status: 'failed', deadLetter: { ...base, stage: 'map', source: 'stripe', sourceEventId: 'm1' } },
          T0 + 3,
        );
        const m1 = (await store.listDeadLetters({ stage: 'map' }))[0]!.id;

        await ingest('shopify', 'd1', canonical('ev_d1', 'order_1', [route('erp-order', 'erp')]), T0 + 4);
        const row = (await claim(T0 + 4)).get('ev_d1/erp-order')!;
        await store.completeDelivery(row, { status: 'dead', at: T0 + 5, deadLetter: deliverDeadLetter(row, T0 + 5) });
        const d1 = (await store.listDeadLetters({ stage: 'deliver' }))[0]!.id;

        expect(await store.discardDeadLetter(v2, 'ops', T0 + 6)).toBe('discarded');

        expect(idsOf(await store.listDeadLetters({}))).toEqual(sorted([v1, v2, m1, d1]));
        expect(idsOf(await store.listDeadLetters({ status: 'open' }))).toEqual(sorted([v1, m1, d1]));
        expect(idsOf(await store.listDeadLetters({ status: 'discarded' }))).toEqual([v2]);
        expect(idsOf(await store.listDeadLetters({ status: 'replayed' }))).toEqual([]);
        expect(idsOf(await store.listDeadLetters({ stage: 'verify' }))).toEqual(sorted([v1, v2]));
        expect(idsOf(await store.listDeadLetters({ stage: 'map' }))).toEqual([m1]);
        expect(idsOf(await store.listDeadLetters({ stage: 'route' }))).toEqual([]);
        expect(idsOf(await store.listDeadLetters({ source: 'stripe' }))).toEqual(sorted([v1, m1]));
        expect(idsOf(await store.listDeadLetters({ source: 'shopify', status: 'open' }))).toEqual([d1]);
        expect(idsOf(await store.listDeadLetters({ source: 'shopify', stage: 'verify', status: 'discarded' }))).toEqual([v2]);
        expect(idsOf(await store.listDeadLetters({ source: 'stripe', stage: 'deliver' }))).toEqual([]);

        const two = await store.listDeadLetters({ limit: 2 });
        expect(two).toHaveLength(2);
        expect(new Set(two.map((l) => l.id)).size).toBe(2);
        const oneVerify = await store.listDeadLetters({ stage: 'verify', limit: 1 });
        expect(oneVerify).toHaveLength(1);
        expect([v1, v2]).toContain(oneVerify[0]!.id);
      });
    });

    describe('HubState.findEvent and counts', () => {
      it('findEvent returns undefined for an unknown webhook', async () => {
        expect(await store.findEvent('stripe', 'evt_nope')).toBeUndefined();
        await store.append(webhook('stripe', 'evt_1'));
        expect(await store.findEvent('shopify', 'evt_1')).toBeUndefined();
      });

      it('findEvent shows the inbox entry while it is waiting', async () => {
        const { id } = await store.append(webhook('stripe', 'evt_1', { receivedAt: T0 + 3 }));
        expect(await store.findEvent('stripe', 'evt_1')).toEqual({
          inbox: {
            id,
            source: 'stripe',
            sourceEventId: 'evt_1',
            eventType: 'customer.subscription.updated',
            receivedAt: T0 + 3,
            status: 'received',
          },
          deliveries: [],
          deadLetters: [],
        });
      });

      it('findEvent shows the inbox entry, the event, each delivery and the dead letters', async () => {
        const event = canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp'), route('shop-sync', 'webshop')]);
        const inboxId = await ingest('stripe', 'evt_1', event, T0);
        const rows = await claim(T0 + 1);
        const erp = rows.get('ev_1/erp-upsert')!;
        const shop = rows.get('ev_1/shop-sync')!;
        await store.completeDelivery(erp, { status: 'done', at: T0 + 2 });
        const entry = deliverDeadLetter(shop, T0 + 3, { inboxId });
        await store.completeDelivery(shop, { status: 'dead', at: T0 + 3, deadLetter: entry });

        const status = await store.findEvent('stripe', 'evt_1');
        expect(status).toEqual({
          inbox: {
            id: inboxId,
            source: 'stripe',
            sourceEventId: 'evt_1',
            eventType: 'customer.subscription.updated',
            receivedAt: T0,
            status: 'normalised',
          },
          event: { id: 'ev_1', type: 'subscription.updated', entityKey: 'sub_1' },
          deliveries: [
            { id: erp.id, route: 'erp-upsert', target: 'erp', status: 'done', attempts: 1, nextAttemptAt: expect.any(Number) },
            {
              id: shop.id,
              route: 'shop-sync',
              target: 'webshop',
              status: 'dead',
              attempts: 1,
              lastError: entry.errorMessage,
              nextAttemptAt: expect.any(Number),
            },
          ],
          deadLetters: [{ ...entry, deliveryId: shop.id, id: expect.any(String), createdAt: T0 + 3, status: 'open' }],
        });
        expect(status!.deliveries[0]!.lastError).toBeUndefined();
      });

      it('counts pending inbox entries, open deliveries (pending or in flight) and open dead letters', async () => {
        expect(await store.counts()).toEqual({
          inboxPending: 0,
          inboxDeferred: 0,
          outboxPending: 0,
          deliveriesPending: 0,
          deadLettersOpen: 0,
        });
        await store.append(webhook('stripe', 'evt_a', { receivedAt: T0 }));
        await store.append(webhook('stripe', 'evt_b', { receivedAt: T0 + 1 }));
        await store.append(webhook('stripe', 'evt_c', { receivedAt: T0 + 2 }));
        expect(await store.counts()).toEqual({
          inboxPending: 3,
          inboxDeferred: 0,
          outboxPending: 0,
          deliveriesPending: 0,
          deadLettersOpen: 0,
        });

        const [a] = await store.claimInbox(1, LEASE, T0 + 3);
        expect(a!.sourceEventId).toBe('evt_a');
        // Leased but unfinished entries are still pending.
        expect((await store.counts()).inboxPending).toBe(3);
        await store.completeInbox(
          a!,
          { status: 'normalised', event: canonical('ev_a', 'sub_1', [route('r1', 'erp'), route('r2', 'webshop')]) },
          T0 + 4,
        );
        expect(await store.counts()).toEqual({
          inboxPending: 2,
          inboxDeferred: 0,
          outboxPending: 0,
          deliveriesPending: 2,
          deadLettersOpen: 0,
        });

        const rows = await claim(T0 + 5);
        expect((await store.counts()).deliveriesPending).toBe(2);
        await store.completeDelivery(rows.get('ev_a/r1')!, { status: 'done', at: T0 + 6 });
        expect(await store.counts()).toEqual({
          inboxPending: 2,
          inboxDeferred: 0,
          outboxPending: 0,
          deliveriesPending: 1,
          deadLettersOpen: 0,
        });
        const r2 = rows.get('ev_a/r2')!;
        await store.completeDelivery(r2, { status: 'dead', at: T0 + 7, deadLetter: deliverDeadLetter(r2, T0 + 7) });
        expect(await store.counts()).toEqual({
          inboxPending: 2,
          inboxDeferred: 0,
          outboxPending: 0,
          deliveriesPending: 0,
          deadLettersOpen: 1,
        });
      });
    });

    describe('lease fencing: a worker whose lease ran out changes nothing', () => {
      it('a stale delivery completion cannot finish or reopen a delivery claimed again, nor release the next one', async () => {
        await ingest('stripe', 'evt_1', canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp')]), T0);
        await ingest('stripe', 'evt_2', canonical('ev_2', 'sub_1', [route('erp-upsert', 'erp')]), T0 + 1);
        const a = (await claim(T0 + 10, 100, 1000)).get('ev_1/erp-upsert')!;
        const b = (await claim(T0 + 10 + 1001, 100, 1000)).get('ev_1/erp-upsert')!;
        expect(b.attempts).toBe(a.attempts + 1);
        expect(await store.completeDelivery(a, { status: 'done', at: T0 + 2000 })).toBe(false);
        // ev_2 stays held: its predecessor is still in flight under b's lease.
        expect([...(await claim(T0 + 2001)).keys()]).toEqual([]);
        expect(await store.completeDelivery(b, { status: 'done', at: T0 + 2002 })).toBe(true);
        expect(await store.completeDelivery(a, { status: 'retry', at: T0 + 2003, nextAttemptAt: T0 + 2004, error: 'late' })).toBe(false);
        expect([...(await claim(T0 + 2005)).keys()]).toEqual(['ev_2/erp-upsert']);
        expect((await store.findEvent('stripe', 'evt_1'))!.deliveries[0]!.status).toBe('done');
      });

      it('a stale inbox completion adds no second event or deliveries', async () => {
        await store.append(webhook('stripe', 'evt_1', { receivedAt: T0 }));
        const [first] = await store.claimInbox(10, 1000, T0);
        const [second] = await store.claimInbox(10, 1000, T0 + 1001);
        expect(second!.attempts).toBe(first!.attempts + 1);
        const event = canonical('ev_1', 'sub_1', [route('erp-upsert', 'erp')]);
        expect(await store.completeInbox(second!, { status: 'normalised', event }, T0 + 1002)).toBe(true);
        expect(await store.completeInbox(first!, { status: 'normalised', event: { ...event, eventId: 'ev_1b' } }, T0 + 1003)).toBe(false);
        expect((await store.claimDeliveries(10, LEASE, T0 + 1004)).map((d) => d.eventId)).toEqual(['ev_1']);
      });
    });

    describe('listPendingInbox and settleInbox (operator and watchdog)', () => {
      it("lists pending entries oldest first with attempts and lease; a claimed entry can be set aside, and its worker's late completion is fenced off", async () => {
        const a = await store.append(webhook('stripe', 'evt_stuck', { receivedAt: T0 }));
        const b = await store.append(webhook('stripe', 'evt_next', { receivedAt: T0 + 1 }));
        const [held] = await store.claimInbox(1, LEASE, T0 + 2);
        expect(await store.listPendingInbox(10)).toEqual([
          expect.objectContaining({
            id: a.id,
            source: 'stripe',
            sourceEventId: 'evt_stuck',
            eventType: 'customer.subscription.updated',
            receivedAt: T0,
            attempts: 1,
            leasedUntil: T0 + 2 + LEASE,
          }),
          {
            id: b.id,
            source: 'stripe',
            sourceEventId: 'evt_next',
            eventType: 'customer.subscription.updated',
            receivedAt: T0 + 1,
            attempts: 0,
          },
        ]);
        expect(await store.listPendingInbox(1)).toHaveLength(1);

        const r = await store.settleInbox(
          a.id,
          { action: 'dead_letter', errorCode: 'NORMALISE_TIMEOUT', errorMessage: 'ran for 31000 ms' },
          'pipeline-watchdog',
          T0 + 3,
        );
        expect(r.status).toBe('dead_lettered');
        const dl = await store.getDeadLetter((r as { deadLetterId: string }).deadLetterId);
        expect(dl).toMatchObject({
          stage: 'map',
          source: 'stripe',
          sourceEventId: 'evt_stuck',
          inboxId: a.id,
          errorCode: 'NORMALISE_TIMEOUT',
          errorMessage: 'ran for 31000 ms',
          attempts: 1,
          firstAttemptAt: T0,
          lastAttemptAt: T0 + 3,
          payload: webhook('stripe', 'evt_stuck').body,
          status: 'open',
        });
        expect((await store.findEvent('stripe', 'evt_stuck'))?.inbox.status).toBe('failed');
        expect(await store.completeInbox(held!, { status: 'ignored', reason: 'late' }, T0 + 4)).toBe(false);
        expect((await store.claimInbox(10, LEASE, T0 + 5)).map((x) => x.sourceEventId)).toEqual(['evt_next']);
        expect(await store.counts()).toMatchObject({ inboxPending: 1, deadLettersOpen: 1 });

        // Replayed, it is pending again (and the watchdog would meet it again if still too slow).
        expect(await store.replayDeadLetter(dl!.id, 'ops', T0 + 6)).toBe('replayed');
        expect((await store.listPendingInbox(10)).map((x) => x.id)).toContain(a.id);
      });

      it('skip marks a pending entry ignored with the actor and reason; a second settle, or an unknown id, changes nothing', async () => {
        const a = await store.append(webhook('stripe', 'evt_skip', { receivedAt: T0 }));
        expect(await store.settleInbox(a.id, { action: 'skip', reason: 'test webhook' }, 'ana', T0 + 1)).toEqual({ status: 'skipped' });
        expect((await store.findEvent('stripe', 'evt_skip'))?.inbox).toMatchObject({
          status: 'ignored',
          detail: 'skipped by ana: test webhook',
        });
        expect(
          await store.settleInbox(a.id, { action: 'dead_letter', errorCode: 'INBOX_SET_ASIDE', errorMessage: 'x' }, 'ana', T0 + 2),
        ).toEqual({ status: 'not_pending' });
        expect(await store.settleInbox('nope', { action: 'skip', reason: 'x' }, 'ana', T0 + 2)).toEqual({ status: 'not_found' });
        expect(await store.listPendingInbox(10)).toEqual([]);
        expect(await store.counts()).toMatchObject({ inboxPending: 0, deadLettersOpen: 0 });
      });
    });

    describe('HubState.listIgnored', () => {
      it('groups ignored entries by (source, event type, reason), newest group first, with counts and the newest id', async () => {
        const ignore = async (source: string, id: string, type: string, reason: string, at: number) => {
          await store.append(webhook(source, id, { eventType: type, receivedAt: at }));
          const [row] = await store.claimInbox(1, LEASE, at);
          await store.completeInbox(row!, { status: 'ignored', kind: 'configured', reason }, at);
        };
        await ignore('stripe', 'evt_1', 'invoice.upcoming', 'ignored by config: reminder', T0);
        await ignore('stripe', 'evt_2', 'invoice.upcoming', 'ignored by config: reminder', T0 + 10);
        await ignore('shopify', 'wh_1', 'carts/update', 'no inbound mapping for "carts/update"', T0 + 20);
        await ingest('stripe', 'evt_3', canonical('ev_3', 'sub_3', []), T0 + 30);
        expect(await store.listIgnored({})).toEqual([
          {
            source: 'shopify',
            eventType: 'carts/update',
            reason: 'no inbound mapping for "carts/update"',
            count: 1,
            firstReceivedAt: T0 + 20,
            lastReceivedAt: T0 + 20,
            lastSourceEventId: 'wh_1',
          },
          {
            source: 'stripe',
            eventType: 'invoice.upcoming',
            reason: 'ignored by config: reminder',
            count: 2,
            firstReceivedAt: T0,
            lastReceivedAt: T0 + 10,
            lastSourceEventId: 'evt_2',
          },
        ]);
        expect((await store.listIgnored({ source: 'stripe' })).map((r) => r.eventType)).toEqual(['invoice.upcoming']);
        expect(await store.listIgnored({ limit: 1 })).toHaveLength(1);
      });
    });

    describe('privacy: requests and raw-body retention', () => {
      const EMAIL = 'mila.jansen@example.nl';
      const order = {
        id: 61234,
        admin_graphql_api_id: 'gid://shopify/Order/61234',
        email: EMAIL,
        total_price: '24.90',
        currency: 'EUR',
        customer: {
          id: 7390,
          email: EMAIL,
          first_name: 'Mila',
          last_name: 'Jansen',
          default_address: { address1: 'Oudegracht 12', city: 'Utrecht', zip: '3511 AB', country: 'Netherlands', country_code: 'NL' },
        },
        shipping_address: { name: 'Mila Jansen', address1: 'Oudegracht 12', city: 'Utrecht', country_code: 'NL' },
        line_items: [{ sku: 'COF-ESP-250', name: 'Espresso 250 g', quantity: 2, price: '12.45' }],
      };
      const other = {
        id: 61235,
        email: 'bram@example.com',
        customer: { id: 8802, email: 'bram@example.com', first_name: 'Bram' },
        line_items: [],
      };

      /** Stores a processed Shopify webhook (with its canonical event) and returns its inbox id. */
      async function stored(id: string, body: object, event?: object, at = T0): Promise<string> {
        const { id: inboxId } = await store.append(
          webhook('shopify', id, { eventType: 'orders/create', body: JSON.stringify(body), receivedAt: at }),
        );
        const [row] = await store.claimInbox(1, LEASE, at);
        if (!event) await store.completeInbox(row!, { status: 'ignored', kind: 'unmapped', reason: 'test' }, at);
        else
          await store.completeInbox(
            row!,
            {
              status: 'normalised',
              event: { eventId: `ev_${id}`, type: 'subscription.renewed', entityKey: 'sub_1', body: JSON.stringify(event), deliveries: [] },
            },
            at,
          );
        return inboxId;
      }

      async function request(id: string, kind: 'customer_redact' | 'customer_data_request' | 'shop_redact', at: number) {
        await store.append(
          webhook('shopify', id, { eventType: kind, body: JSON.stringify({ customer: { id: 7390, email: EMAIL } }), receivedAt: at }),
        );
        const row = (await store.claimInbox(10, LEASE, at)).find((r) => r.sourceEventId === id);
        const req = {
          kind,
          source: 'shopify',
          shopDomain: 'coffee-club.myshopify.com',
          orderIds: ['61234'],
          ...(kind === 'shop_redact' ? {} : { customerId: '7390', email: EMAIL }),
        };
        expect(await store.completeInbox(row!, { status: 'privacy', request: req }, at)).toBe(true);
        return (await store.privacy.listRequests(1))[0]!;
      }

      it('customer redact: personal fields of every document about the customer are redacted, bookkeeping stays, other customers are untouched, and the request is recorded', async () => {
        const mine = await stored('wh_1', order, {
          type: 'subscription.renewed',
          customer: { hubCustomerId: 'shopify:7390', shopifyCustomerId: '7390', email: EMAIL },
          subscription: { items: [{ sku: 'COF-ESP-250', quantity: 2 }] },
        });
        const theirs = await stored('wh_2', other);
        const record = await request('wh_redact', 'customer_redact', T0 + 100);

        const mineNow = await store.privacy.getRequest(record.id);
        expect(mineNow).toMatchObject({
          kind: 'customer_redact',
          subject: 'customer 7390',
          source: 'shopify',
          sourceEventId: 'wh_redact',
          completedAt: T0 + 100,
        });
        expect(mineNow!.matches.inbox).toEqual(expect.arrayContaining([mine]));
        expect(mineNow!.matches.inbox).not.toContain(theirs);
        expect(mineNow!.matches.events).toEqual(['ev_wh_1']);
        expect(mineNow).not.toHaveProperty('contact');

        // A data request afterwards finds the redacted documents: ids, amounts and SKUs, no personal data.
        const exported = await request('wh_dr', 'customer_data_request', T0 + 200);
        const data = (await store.privacy.getRequest(exported.id)) as {
          data: { inbox: Array<{ body: unknown }>; events: Array<{ body: unknown }> };
        };
        const body = data.data.inbox.find((x) => (x.body as { id?: number }).id === 61234)!.body as typeof order;
        expect(body).toMatchObject({
          id: 61234,
          total_price: '24.90',
          email: '[redacted]',
          line_items: [{ sku: 'COF-ESP-250', name: 'Espresso 250 g', quantity: 2 }],
        });
        expect(body.customer).toMatchObject({
          id: 7390,
          email: '[redacted]',
          first_name: '[redacted]',
          default_address: { address1: '[redacted]', city: '[redacted]', country: 'Netherlands', country_code: 'NL' },
        });
        expect(body.shipping_address).toEqual({ name: '[redacted]', address1: '[redacted]', city: '[redacted]', country_code: 'NL' });
        expect(data.data.events[0]!.body).toEqual({
          type: 'subscription.renewed',
          customer: { hubCustomerId: 'shopify:7390', shopifyCustomerId: '7390' },
          subscription: { items: [{ sku: 'COF-ESP-250', quantity: 2 }] },
        });
      });

      it('customer data request: records where the data is and returns it; nothing is changed; a later redact forgets the contact', async () => {
        await stored('wh_1', order);
        const record = await request('wh_dr', 'customer_data_request', T0 + 100);
        expect(record).toMatchObject({ kind: 'customer_data_request', contact: { email: EMAIL } });
        const found = (await store.privacy.getRequest(record.id)) as { data: { inbox: Array<{ sourceEventId: string; body: unknown }> } };
        expect(found.data.inbox.map((x) => x.sourceEventId).sort()).toEqual(['wh_1', 'wh_dr']);
        expect(found.data.inbox.find((x) => x.sourceEventId === 'wh_1')!.body).toEqual(order);

        await request('wh_redact', 'customer_redact', T0 + 200);
        expect(await store.privacy.getRequest(record.id)).not.toHaveProperty('contact');
        expect((await store.privacy.listRequests(10)).map((r) => r.kind)).toEqual(['customer_redact', 'customer_data_request']);
      });

      it('shop redact: every document from that shop connector is redacted', async () => {
        await stored('wh_1', order);
        await stored('wh_2', other);
        const record = await request('wh_shop', 'shop_redact', T0 + 100);
        expect(record).toMatchObject({ kind: 'shop_redact', subject: 'shop coffee-club.myshopify.com' });
        expect(record.matches.inbox).toHaveLength(3);
      });

      it('pruneRawBodies blanks processed bodies received before the cutoff; pending entries and ones behind an open dead letter keep theirs', async () => {
        await stored('wh_old', order, undefined, T0);
        await stored('wh_new', order, undefined, T0 + 10_000);
        const { id: failedId } = await store.append(webhook('shopify', 'wh_failed', { receivedAt: T0 }));
        const [failedRow] = await store.claimInbox(1, LEASE, T0);
        await store.completeInbox(
          failedRow!,
          {
            status: 'failed',
            deadLetter: {
              stage: 'map',
              source: 'shopify',
              sourceEventId: 'wh_failed',
              inboxId: failedId,
              errorCode: 'MAPPING_REQUIRED_MISSING',
              errorMessage: 'x',
              attempts: 1,
              firstAttemptAt: T0,
              lastAttemptAt: T0,
              payload: failedRow!.body,
            },
          },
          T0,
        );
        await store.append(webhook('shopify', 'wh_pending', { receivedAt: T0 }));

        expect(await store.privacy.pruneRawBodies(T0 + 5000, T0 + 20_000)).toBe(1);
        const dr = await request('wh_dr', 'customer_data_request', T0 + 30_000);
        const found = (await store.privacy.getRequest(dr.id)) as { data: { inbox: Array<{ sourceEventId: string }> } };
        expect(found.data.inbox.map((x) => x.sourceEventId).sort()).toEqual(['wh_dr', 'wh_new']);
        // The row stays: a provider retry of the pruned webhook is still a duplicate.
        expect((await store.append(webhook('shopify', 'wh_old'))).status).toBe('duplicate');
        // The dead letter's entry can still be replayed with its body.
        const [letter] = await store.listDeadLetters({ status: 'open' });
        expect(await store.replayDeadLetter(letter!.id, 'test', T0 + 40_000)).toBe('replayed');
        expect((await store.claimInbox(10, LEASE, T0 + 30_000 + LEASE + 1)).map((r) => [r.sourceEventId, r.body !== ''])).toEqual([
          ['wh_failed', true],
          ['wh_pending', true],
        ]);
      });
    });
  });
}
