/**
 * The OperatorViews contract (src/store/operator-ports.ts), against the interfaces only: data goes
 * in through the store's public methods (append, claim/complete, domain.commitUnit, seeds), and
 * every list is paged to the end and compared with what was written. Every backend runs it:
 * test/contract/sqlite-store.contract.test.ts and postgres-store.contract.test.ts.
 */
import { noChanges, type DemandRecord, type DomainChanges, type DunningRecord, type SubscriptionState } from '../../src/domain/ports';
import type { Page, PageRequest } from '../../src/store/operator-ports';
import type { DeadLetterEntry, InboxEntry, Store } from '../../src/store/ports';
import type { StoreFixture } from './store.contract';

const T0 = 1_700_000_000_000;
const LEASE = 30_000;
const changes = (c: Partial<DomainChanges>): DomainChanges => ({ ...noChanges(), ...c });

function webhook(sourceEventId: string, eventType: string, receivedAt: number, source = 'stripe'): InboxEntry {
  return { source, sourceEventId, eventType, receivedAt, headers: { 'x-id': sourceEventId }, body: JSON.stringify({ id: sourceEventId }) };
}

function subscription(id: string, customer: string, status = 'active', providerId = id.split(':')[1]!): SubscriptionState {
  return {
    hubSubscriptionId: id,
    hubCustomerId: customer,
    snapshot: {
      hubSubscriptionId: id,
      providerSubscriptionId: providerId,
      status,
      providerStatus: status,
      items: [{ sku: 'COF-ESP-1KG', quantity: 1 }],
      interval: { unit: 'month', count: 1 },
      nextRenewalAt: '2026-01-01T00:00:00.000Z',
    } as SubscriptionState['snapshot'],
    occurredAt: '2025-12-01T00:00:00.000Z',
    lastEventType: 'subscription.created',
    applied: [],
    version: 1,
  };
}

function deadLetter(i: number, over: Partial<DeadLetterEntry> = {}): DeadLetterEntry {
  return {
    stage: 'deliver',
    source: 'stripe',
    sourceEventId: `evt_dl_${i}`,
    target: 'erp',
    errorCode: 'DELIVERY_REJECTED',
    errorMessage: 'HTTP 422',
    attempts: 1,
    firstAttemptAt: T0,
    lastAttemptAt: T0,
    payload: '{}',
    ...over,
  };
}

/** Every page of a list, checking each is at most `limit` long and only the last has no `next`. */
async function allPages<T>(fetch: (page: PageRequest) => Promise<Page<T>>, limit: number): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await fetch({ limit, ...(cursor === undefined ? {} : { cursor }) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    out.push(...page.items);
    if (page.next === undefined) return out;
    expect(page.items).toHaveLength(limit);
    cursor = page.next;
  }
  throw new Error('no last page');
}

/** Normalises every received entry: `event(entry)` says its canonical event (or undefined: ignored). */
async function normaliseAll(
  store: Store,
  event: (e: { sourceEventId: string }) => { id: string; type: string; entityKey: string } | undefined,
  now: number,
): Promise<void> {
  for (const row of await store.claimInbox(100, LEASE, now)) {
    const e = event(row);
    await store.completeInbox(
      row,
      e
        ? { status: 'normalised', event: { eventId: e.id, type: e.type, entityKey: e.entityKey, body: '{}', deliveries: [] } }
        : { status: 'ignored', reason: 'test' },
      now,
    );
  }
}

const byNewest = (a: { receivedAt: number; inboxId: string }, b: { receivedAt: number; inboxId: string }) =>
  b.receivedAt - a.receivedAt || (a.inboxId < b.inboxId ? 1 : a.inboxId > b.inboxId ? -1 : 0);

export function viewsContract(name: string, create: () => Promise<StoreFixture>): void {
  describe(`Operator views contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: Store;
    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('refuses a malformed or foreign cursor and a limit outside 1–500 with VIEWS_BAD_CURSOR', async () => {
      for (let i = 0; i < 3; i++) await store.addDeadLetter(deadLetter(i), T0 + i);
      const first = await store.views.deadLetters({ limit: 1 });
      expect(first.next).toEqual(expect.any(String));
      const bad = { code: 'VIEWS_BAD_CURSOR', kind: 'bad_input' };
      await expect(store.views.deadLetters({ limit: 1, cursor: 'not a cursor!' })).rejects.toMatchObject(bad);
      await expect(store.views.deadLetters({ limit: 1, cursor: first.next!.slice(0, -3) })).rejects.toMatchObject(bad);
      await expect(
        store.views.deadLetters({ limit: 1, cursor: Buffer.from('["deadLetters","x","y"]').toString('base64url') }),
      ).rejects.toMatchObject(bad);
      await expect(store.views.audit({ limit: 1, cursor: first.next! })).rejects.toMatchObject(bad);
      await expect(store.views.recentEvents({ limit: 0 })).rejects.toMatchObject(bad);
      await expect(store.views.subscriptions({ limit: 501 })).rejects.toMatchObject(bad);
      expect((await store.views.deadLetters({ limit: 1, cursor: first.next! })).items).toHaveLength(1);
    });

    it("tells one event's story: webhook, canonical event, decisions, deliveries, dead letter and the replay's audit row", async () => {
      const sub = subscription('stripe:sub_A', 'stripe:cus_A');
      await store.domain.seedSubscriptions([sub]);
      const { id: inboxId } = await store.append(webhook('evt_paid', 'invoice.paid', T0));
      const [claim] = await store.claimInbox(10, LEASE, T0 + 1);
      const decision = {
        at: '2026-01-01T00:00:00.000Z',
        kind: 'dunning' as const,
        subject: sub.hubSubscriptionId,
        eventId: 'ev_paid',
        outcome: 'CLEAR',
        rule: 'paid',
        detail: { n: 1 },
      };
      const deliveries = ['erp', 'mail'].map((t) => ({
        route: `${t}-route`,
        target: t,
        action: 'upsert',
        mapping: `${t}/m`,
        idempotencyKey: `ev_paid/${t}`,
      }));
      expect(
        await store.completeInbox(
          claim!,
          {
            status: 'normalised',
            event: {
              eventId: 'ev_paid',
              type: 'subscription.renewed',
              entityKey: sub.hubSubscriptionId,
              body: '{"id":"ev_paid"}',
              deliveries,
              domain: changes({ decisions: [decision] }),
              unit: { customerId: sub.hubCustomerId, version: 0 },
            },
          },
          T0 + 2,
        ),
      ).toBe(true);
      const rows = await store.claimDeliveries(10, LEASE, T0 + 3);
      expect(rows).toHaveLength(2);
      const erp = rows.find((r) => r.target === 'erp')!;
      const mail = rows.find((r) => r.target === 'mail')!;
      await store.completeDelivery(erp, { status: 'done', at: T0 + 4 });
      await store.completeDelivery(mail, {
        status: 'dead',
        at: T0 + 5,
        deadLetter: {
          stage: 'deliver',
          source: mail.source,
          sourceEventId: mail.sourceEventId,
          eventId: mail.eventId,
          route: mail.route,
          target: 'mail',
          errorCode: 'DELIVERY_REJECTED',
          errorMessage: 'HTTP 422',
          attempts: 1,
          firstAttemptAt: T0 + 3,
          lastAttemptAt: T0 + 5,
          payload: mail.eventBody,
        },
      });
      const [letter] = await store.listDeadLetters({ status: 'open' });
      expect(await store.replayDeadLetter(letter!.id, 'alice', T0 + 6)).toBe('replayed');

      const t = (await store.views.eventTimeline(inboxId))!;
      expect(t.inbox).toMatchObject({
        inboxId,
        source: 'stripe',
        sourceEventId: 'evt_paid',
        eventType: 'invoice.paid',
        receivedAt: T0,
        status: 'normalised',
        event: { id: 'ev_paid', type: 'subscription.renewed', entityKey: sub.hubSubscriptionId },
        headers: { 'x-id': 'evt_paid' },
        body: '{"id":"evt_paid"}',
        attempts: 1,
      });
      expect(t.event).toEqual({
        id: 'ev_paid',
        type: 'subscription.renewed',
        entityKey: sub.hubSubscriptionId,
        createdAt: T0 + 2,
        body: '{"id":"ev_paid"}',
      });
      expect(t.decisions).toEqual([
        { at: decision.at, kind: 'dunning', subject: decision.subject, outcome: 'CLEAR', rule: 'paid', detail: { n: 1 } },
      ]);
      expect(t.deliveries.map((d) => [d.target, d.status, d.attempts, d.idempotencyKey])).toEqual([
        ['erp', 'done', 1, 'ev_paid/erp'],
        ['mail', 'pending', 0, 'ev_paid/mail'],
      ]);
      expect(t.deliveries[0]).toMatchObject({
        route: 'erp-route',
        action: 'upsert',
        mapping: 'erp/m',
        createdAt: T0 + 2,
        firstAttemptAt: T0 + 3,
      });
      expect(t.deadLetters.map((d) => [d.id, d.status, d.resolvedBy, d.target])).toEqual([[letter!.id, 'replayed', 'alice', 'mail']]);
      expect(t.audit).toEqual([expect.objectContaining({ at: T0 + 6, actor: 'alice', subject: letter!.id })]);
      expect(await store.views.eventTimeline('no-such-entry')).toBeUndefined();

      // The same entry found by each search field.
      const ids = async (field: 'sourceEventId' | 'type' | 'subscription' | 'customer', v: string) =>
        (await store.views.searchEvents(field, v, { limit: 10 })).items.map((e) => e.inboxId);
      expect(await ids('sourceEventId', 'evt_paid')).toEqual([inboxId]);
      expect(await ids('type', 'invoice.paid')).toEqual([inboxId]);
      expect(await ids('type', 'subscription.renewed')).toEqual([inboxId]);
      expect(await ids('subscription', sub.hubSubscriptionId)).toEqual([inboxId]);
      expect(await ids('customer', 'stripe:cus_A')).toEqual([inboxId]);
      expect(await ids('customer', 'stripe:cus_B')).toEqual([]);
      expect(await ids('sourceEventId', 'evt_other')).toEqual([]);
    });

    it('pages event searches and the recent list newest first, without duplicates or gaps, across inbox and canonical types', async () => {
      await store.domain.seedSubscriptions([
        subscription('stripe:sub_1', 'stripe:cus_1'),
        subscription('stripe:sub_2', 'stripe:cus_1'),
        subscription('stripe:sub_3', 'stripe:cus_3'),
      ]);
      // 12 webhooks, some at the same instant (the inbox id breaks the tie).
      const types = ['invoice.paid', 'customer.subscription.updated', 'subscription.renewed'];
      for (let i = 0; i < 12; i++) await store.append(webhook(`evt_${i}`, types[i % 3]!, T0 + Math.floor(i / 2)));
      const canonicalOf = (e: { sourceEventId: string }) => {
        const i = Number(e.sourceEventId.split('_')[1]);
        return i % 4 === 3
          ? undefined
          : { id: `ev_${i}`, type: i % 2 ? 'subscription.renewed' : 'subscription.updated', entityKey: `stripe:sub_${(i % 3) + 1}` };
      };
      await normaliseAll(store, canonicalOf, T0 + 100);
      const everything = await allPages((p) => store.views.recentEvents(p), 5);
      expect(everything).toHaveLength(12);
      expect([...everything].sort(byNewest)).toEqual(everything);

      const expected = (match: (e: (typeof everything)[number]) => boolean) => everything.filter(match).map((e) => e.inboxId);
      const paged = async (field: 'type' | 'subscription' | 'customer', v: string, limit: number) =>
        (await allPages((p) => store.views.searchEvents(field, v, p), limit)).map((e) => e.inboxId);
      for (const limit of [1, 2, 3, 50]) {
        expect(await paged('type', 'subscription.renewed', limit)).toEqual(
          expected((e) => e.eventType === 'subscription.renewed' || e.event?.type === 'subscription.renewed'),
        );
        expect(await paged('subscription', 'stripe:sub_2', limit)).toEqual(expected((e) => e.event?.entityKey === 'stripe:sub_2'));
        expect(await paged('customer', 'stripe:cus_1', limit)).toEqual(
          expected((e) => e.event?.entityKey === 'stripe:sub_1' || e.event?.entityKey === 'stripe:sub_2'),
        );
      }
      expect(everything.filter((e) => e.event === undefined).every((e) => e.status === 'ignored')).toBe(true);
    });

    it('lists dead letters newest first by every filter, pages them across statuses, and counts facets per status', async () => {
      const stages = ['verify', 'map', 'route', 'deliver'] as const;
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const stage = stages[i % 4]!;
        ids.push(
          await store.addDeadLetter(
            deadLetter(i, {
              stage,
              source: i % 3 ? 'stripe' : 'shopify',
              ...(stage === 'deliver' ? { target: i % 2 ? 'erp' : 'mail' } : { target: undefined }),
              errorCode: i % 5 ? 'DELIVERY_REJECTED' : 'MAPPING_LOOKUP_MISSING',
            }),
            T0 + Math.floor(i / 3),
          ),
        );
      }
      for (const id of ids.slice(0, 6)) await store.discardDeadLetter(id, 'bob', T0 + 100);
      const all = await store.listDeadLetters({ limit: 1000 });
      const newest = [...all].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
      const strip = ({ payload: _p, ...rest }: (typeof all)[number]) => rest;
      expect(await allPages((p) => store.views.deadLetters(p), 7)).toEqual(newest.map(strip));
      const queries = [
        { status: 'open' as const },
        { status: 'discarded' as const },
        { status: 'open' as const, stage: 'deliver' as const },
        { status: 'open' as const, source: 'shopify' },
        { status: 'open' as const, target: 'erp' },
        { status: 'open' as const, errorCode: 'MAPPING_LOOKUP_MISSING' },
        { status: 'open' as const, stage: 'deliver' as const, target: 'mail', source: 'stripe' },
        { stage: 'map' as const },
        { errorCode: 'DELIVERY_REJECTED', source: 'stripe' },
      ];
      for (const q of queries) {
        const match = (d: (typeof all)[number]) => Object.entries(q).every(([k, v]) => (d as unknown as Record<string, unknown>)[k] === v);
        expect(await allPages((p) => store.views.deadLetters({ ...q, ...p }), 4)).toEqual(newest.filter(match).map(strip));
      }
      const open = all.filter((d) => d.status === 'open');
      const tally = (f: (d: (typeof all)[number]) => string | undefined) =>
        open.reduce<Record<string, number>>((m, d) => {
          const v = f(d);
          if (v !== undefined) m[v] = (m[v] ?? 0) + 1;
          return m;
        }, {});
      expect(await store.views.deadLetterFacets('open')).toEqual({
        stage: tally((d) => d.stage),
        source: tally((d) => d.source),
        target: tally((d) => d.target),
        errorCode: tally((d) => d.errorCode),
      });
      expect((await store.views.deadLetterFacets('discarded')).stage).toEqual({ verify: 2, map: 2, route: 1, deliver: 1 });
      expect(await store.views.deadLetterFacets('replayed')).toEqual({ stage: {}, source: {}, target: {}, errorCode: {} });
    });

    it('lists subscriptions by hub id, by status and by a prefix of any of their ids, and counts them per status', async () => {
      const subs = [
        subscription('stripe:sub_b1', 'stripe:cus_x'),
        subscription('stripe:sub_a2', 'stripe:cus_y', 'past_due'),
        subscription('mollie:sub_a3', 'mollie:cst_1', 'canceled'),
        subscription('stripe:sub_a1', 'stripe:cus_x'),
        subscription('shopify:9001', 'shopify:cus_a', 'active', 'gid_9001'),
        subscription('stripe:cus_z', 'stripe:cus_z'),
      ];
      await store.domain.seedSubscriptions(subs);
      const ids = async (q: { q?: string; status?: string }, limit = 2) =>
        (await allPages((p) => store.views.subscriptions({ ...q, ...p }), limit)).map((s) => s.id);
      const sortedIds = subs.map((s) => s.hubSubscriptionId).sort();
      expect(await ids({})).toEqual(sortedIds);
      expect(await ids({ status: 'active' })).toEqual(
        sortedIds.filter((id) => subs.find((s) => s.hubSubscriptionId === id)!.snapshot.status === 'active'),
      );
      // Hub ids with the prefix first, then provider ids, then customer ids; each listed once.
      expect(await ids({ q: 'stripe:' }, 1)).toEqual(['stripe:cus_z', 'stripe:sub_a1', 'stripe:sub_a2', 'stripe:sub_b1']);
      expect(await ids({ q: 'sub_a' }, 1)).toEqual(['stripe:sub_a1', 'stripe:sub_a2', 'mollie:sub_a3']);
      expect(await ids({ q: 'stripe:cus_' }, 1)).toEqual(['stripe:cus_z', 'stripe:sub_a1', 'stripe:sub_b1', 'stripe:sub_a2']);
      expect(await ids({ q: 'stripe:cus_', status: 'past_due' })).toEqual(['stripe:sub_a2']);
      expect(await ids({ q: 'gid' })).toEqual(['shopify:9001']);
      expect(await ids({ q: 'nothing' })).toEqual([]);
      expect((await store.views.subscriptions({ limit: 10, q: 'shopify:' })).items).toEqual([
        {
          id: 'shopify:9001',
          providerId: 'gid_9001',
          customerId: 'shopify:cus_a',
          status: 'active',
          nextDelivery: '2026-01-01T00:00:00.000Z',
        },
      ]);
      expect(await store.views.subscriptionCounts()).toEqual({ active: 4, past_due: 1, canceled: 1 });
      await store.domain.seedSubscriptions([
        subscription('stripe:sub_b1', 'stripe:cus_x', 'canceled'),
        subscription('stripe:sub_new', 'stripe:cus_x', 'trialing'),
      ]);
      expect(await store.views.subscriptionCounts()).toEqual({ active: 3, past_due: 1, canceled: 2, trialing: 1 });
    });

    it('shows the dunning board: stages with their sums, open cycles oldest first, blacklisted customers newest first, recoveries per day', async () => {
      const cycle = (sub: string, customer: string, stage: string, startedAt: string, amounts: number[]): DunningRecord => ({
        subscriptionId: sub,
        customerId: customer,
        policyId: 'default',
        stage,
        startedAt,
        unpaid: Object.fromEntries(amounts.map((a, i) => [`in_${sub}_${i}`, { amountMinor: a, failedAt: startedAt }])),
        attempts: amounts.length,
        method: 'card',
        deliver: stage !== 'HOLD',
      });
      const cycles = [
        cycle('s1', 'c1', 'REMIND', '2026-01-03T00:00:00.000Z', [1000]),
        cycle('s2', 'c1', 'HOLD', '2026-01-01T00:00:00.000Z', [2500, 500]),
        cycle('s3', 'c2', 'REMIND', '2026-01-02T00:00:00.000Z', [700]),
        cycle('s4', 'c3', 'REMIND', '2026-01-02T00:00:00.000Z', [100]),
        cycle('s5', 'c3', 'PAUSE', '2026-01-05T00:00:00.000Z', []),
      ];
      const byCustomer = (c: string) => cycles.filter((x) => x.customerId === c);
      for (const c of ['c1', 'c2', 'c3'])
        expect(await store.domain.commitUnit({ customerId: c, version: 0, changes: changes({ dunning: byCustomer(c) }) }, T0)).toBe(
          'committed',
        );
      // s5 recovers; s1's invoice is written off and its cycle moves on.
      expect(await store.domain.commitUnit({ customerId: 'c3', version: 1, changes: changes({ dunningCleared: ['s5'] }) }, T0)).toBe(
        'committed',
      );
      expect(
        await store.domain.commitUnit(
          {
            customerId: 'c1',
            version: 1,
            changes: changes({ dunning: [{ ...cycles[0]!, stage: 'HOLD', unpaid: { x: { amountMinor: 4000, failedAt: 'x' } } }] }),
          },
          T0,
        ),
      ).toBe('committed');
      expect(await store.views.dunningStages()).toEqual([
        { stage: 'HOLD', cycles: 2, unpaidMinor: 7000, oldestStartedAt: '2026-01-01T00:00:00.000Z' },
        { stage: 'REMIND', cycles: 2, unpaidMinor: 800, oldestStartedAt: '2026-01-02T00:00:00.000Z' },
      ]);
      const subsOf = async (stage: string | undefined) =>
        (await allPages((p) => store.views.dunningCycles(stage, p), 1)).map((c) => c.subscriptionId);
      expect(await subsOf(undefined)).toEqual(['s2', 's3', 's4', 's1']);
      expect(await subsOf('REMIND')).toEqual(['s3', 's4']);
      expect(await subsOf('PAUSE')).toEqual([]);
      expect((await store.views.dunningCycles('HOLD', { limit: 1 })).items).toEqual([
        {
          subscriptionId: 's2',
          customerId: 'c1',
          stage: 'HOLD',
          startedAt: '2026-01-01T00:00:00.000Z',
          unpaidMinor: 3000,
          attempts: 2,
          method: 'card',
          deliver: false,
        },
      ]);

      const customer = (id: string, blacklistedAt?: string) => ({
        id,
        defaults: blacklistedAt ? ['2025-01-01', '2025-06-01'] : [],
        blacklisted: blacklistedAt !== undefined,
        ...(blacklistedAt ? { blacklistedAt } : {}),
        email: `${id}@example.com`,
      });
      const customers = [
        customer('k1', '2026-02-01T00:00:00Z'),
        customer('k2'),
        customer('k3', '2026-03-01T00:00:00Z'),
        customer('k4', '2026-02-01T00:00:00Z'),
      ];
      for (const c of customers) await store.domain.commitUnit({ customerId: c.id, version: 0, changes: changes({ customers: [c] }) }, T0);
      const listed = await allPages((p) => store.views.blacklistedCustomers(p), 1);
      expect(listed.map((c) => c.id)).toEqual(['k3', 'k4', 'k1']);
      expect(listed[0]).toEqual({
        id: 'k3',
        blacklisted: true,
        blacklistedAt: '2026-03-01T00:00:00Z',
        defaults: 2,
        email: 'k3@example.com',
      });

      const clear = (at: string, outcome = 'CLEAR', kind: 'dunning' | 'blacklist' = 'dunning') => ({
        at,
        kind,
        subject: 's',
        outcome,
        rule: 'r',
      });
      await store.domain.addDecisions([
        clear('2026-01-01T23:59:59.000Z'),
        clear('2026-01-02T00:00:00.000Z'),
        clear('2026-01-02T10:00:00.000Z'),
        clear('2026-01-02T11:00:00.000Z', 'HOLD'),
        clear('2026-01-02T12:00:00.000Z', 'CLEAR', 'blacklist'),
        clear('2026-01-04T00:00:00.000Z'),
      ]);
      expect(await store.views.recoveriesPerDay('2026-01-02T00:00:00.000Z')).toEqual([
        { day: '2026-01-02', recoveries: 2 },
        { day: '2026-01-04', recoveries: 1 },
      ]);
    });

    it('answers daily demand exactly as summing the reserved demand rows, through writes, releases, moves and prune', async () => {
      const demand = (sub: string, period: string, lines: Array<[string, number]>, over: Partial<DemandRecord> = {}): DemandRecord => ({
        subscriptionId: sub,
        customerId: `c_${sub}`,
        period,
        location: 'AMS1',
        status: 'reserved',
        lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
        revision: 1,
        eventId: 'e',
        reason: 'test',
        ...over,
      });
      const check = async () => {
        const sums = new Map<string, number>();
        for await (const page of store.domain.demandPages('', 100))
          for (const d of page)
            if (d.status === 'reserved')
              for (const l of d.lines) {
                const k = JSON.stringify([l.sku, d.location ?? null, d.period]);
                sums.set(k, (sums.get(k) ?? 0) + l.quantity);
              }
        const keys = [...new Set([...sums.keys()].map((k) => JSON.stringify((JSON.parse(k) as unknown[]).slice(0, 2))))].sort();
        const views: Record<string, number> = {};
        for (const k of keys) {
          const [sku, location] = JSON.parse(k) as [string, string | null];
          for (const d of await store.views.dailyDemand(sku, location ?? undefined, '2026-01-01', '2026-12-31'))
            views[JSON.stringify([sku, location, d.period])] = d.quantity;
        }
        const expected = Object.fromEntries([...sums].filter(([k, q]) => q !== 0 && (JSON.parse(k) as string[])[2]! > '2026-01-01'));
        expect(views).toEqual(expected);
        // Keys in any order (the default location sorts first).
        const keysNow = (await store.views.demandKeys('2026-01-01')).map((k) => JSON.stringify([k.sku, k.location ?? null]));
        expect(keysNow.sort()).toEqual(
          [...new Set(Object.keys(expected).map((k) => JSON.stringify((JSON.parse(k) as unknown[]).slice(0, 2))))].sort(),
        );
        return expected;
      };
      await store.domain.seedDemand([
        demand('s1', '2026-01-05', [
          ['ESP', 2],
          ['FLT', 1],
        ]),
        demand('s2', '2026-01-05', [['ESP', 3]]),
        demand('s3', '2026-01-06', [['ESP', 1]], { location: undefined }),
        demand('s4', '2026-01-06', [['FLT', 4]], { status: 'released' }),
        demand('s5', '2025-12-20', [['ESP', 9]]),
      ]);
      expect(await check()).toEqual({
        '["ESP","AMS1","2026-01-05"]': 5,
        '["FLT","AMS1","2026-01-05"]': 1,
        '["ESP",null,"2026-01-06"]': 1,
      });
      expect(await store.views.dailyDemand('ESP', 'AMS1', '2026-01-04', '2026-01-05')).toEqual([{ period: '2026-01-05', quantity: 5 }]);
      expect(await store.views.dailyDemand('ESP', 'AMS1', '2026-01-05', '2026-01-31')).toEqual([]);
      // Event handling replaces records: lines change, one is released, one moves location, one is reserved again.
      const commit = (sub: string, d: DemandRecord[]) =>
        store.domain.commitUnit({ customerId: `c_${sub}`, version: 0, changes: changes({ demand: d }) }, T0);
      await commit('s1', [
        demand(
          's1',
          '2026-01-05',
          [
            ['ESP', 1],
            ['DEC', 2],
          ],
          { revision: 2 },
        ),
      ]);
      await commit('s2', [demand('s2', '2026-01-05', [['ESP', 3]], { status: 'released', revision: 2 })]);
      await commit('s3', [demand('s3', '2026-01-06', [['ESP', 1]], { location: 'BER1', revision: 2 })]);
      await commit('s4', [demand('s4', '2026-01-06', [['FLT', 4]], { revision: 2 }), demand('s4', '2026-02-06', [['FLT', 4]])]);
      expect(await check()).toEqual({
        '["ESP","AMS1","2026-01-05"]': 1,
        '["DEC","AMS1","2026-01-05"]': 2,
        '["ESP","BER1","2026-01-06"]': 1,
        '["FLT","AMS1","2026-01-06"]': 4,
        '["FLT","AMS1","2026-02-06"]': 4,
      });
      await store.domain.prune({ demandBefore: '2026-01-06' }, 1);
      expect(await check()).toEqual({
        '["ESP","BER1","2026-01-06"]': 1,
        '["FLT","AMS1","2026-01-06"]': 4,
        '["FLT","AMS1","2026-02-06"]': 4,
      });
      expect(await store.views.dailyDemand('FLT', 'AMS1', '2025-01-01', '2026-12-31')).toEqual([
        { period: '2026-01-06', quantity: 4 },
        { period: '2026-02-06', quantity: 4 },
      ]);
    });

    it('pages the audit trail newest first', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await store.addDeadLetter(deadLetter(i), T0 + i));
      for (const [i, id] of ids.entries()) await store.discardDeadLetter(id, `op${i}`, T0 + 10 + i);
      const trail = await allPages((p) => store.views.audit(p), 2);
      expect(trail.map((a) => [a.actor, a.subject, a.at])).toEqual(ids.map((id, i) => [`op${i}`, id, T0 + 10 + i]).reverse());
      expect(trail.every((a) => a.action === 'dead_letter.discard')).toBe(true);
    });
  });
}
