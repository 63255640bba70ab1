import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateHubEvent, type HubEvent } from '../events';
import type { DunningPolicy } from '../dunning/policy';
import { DomainService } from './domain-service';
import { DomainView } from './domain-view';
import type { DomainChanges } from './ports';
import { MemoryDomainState } from '../../test/helpers/domain-memory';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', '..', 'mappings', 'fixtures', name), 'utf8')) as HubEvent;

/** An in-memory store that also keeps every derived event. */
class MemoryDomain extends MemoryDomainState {
  derived: HubEvent[] = [];
  override commit(c: DomainChanges): DomainChanges {
    this.derived.push(...c.derived);
    return super.commit(c);
  }
}

const policy: DunningPolicy = {
  id: 'test',
  stages: [
    { name: 'SUSPENDED', when: { daysSinceEarliestUnpaid: 14 }, deliver: false, pauseBilling: true, notify: 'dunning_suspended' },
    { name: 'WARNING', when: { daysSinceEarliestUnpaid: 3 }, deliver: true, notify: 'dunning_warning' },
  ],
  retries: { soft: [1, 4], sepaSoft: [5], technical: [0], inventory: [1] },
  providerRetries: false,
  blacklist: { defaults: 2, windowDays: 365 },
};
const bom = new Map([
  [
    'COF-DISCOVERY-KIT',
    [
      { sku: 'COF-ESP-250', qtyPer: 1 },
      { sku: 'COF-FLT-250', qtyPer: 1 },
      { sku: 'COF-ORIGIN-250', qtyPer: 1 },
    ],
  ],
]);

function setup() {
  const store = new MemoryDomain();
  const service = new DomainService({ bom, policy, overrides: {}, paymentUpdateUrl: 'https://pay.example/update?c={customer}' });
  const run = (e: HubEvent) => {
    const c = service.handle(e, store, Date.parse('2026-01-01T00:00:00Z'));
    store.commit(c);
    return c;
  };
  /** The nightly dunning review at `at`, committed. */
  const review = (at: string) => {
    const c = service.reviewDunning([...store.dunnings.values()], store, Date.parse(at));
    store.commit(c);
    return c;
  };
  return { store, service, run, review };
}
const created = fixture('hub-subscription-created-coffee.json');
const renewed = fixture('hub-subscription-renewed-coffee.json');
const failed = fixture('hub-invoice-payment-failed-coffee.json');
const subId = created.subscription!.hubSubscriptionId;
const key = (e: HubEvent, dedupeKey: string, occurredAt = e.occurredAt): HubEvent => ({
  ...e,
  occurredAt,
  source: { ...e.source, dedupeKey },
});

describe('domain service: stock demand', () => {
  it('records the exploded demand of the next delivery once and derives one stock.demand_changed', () => {
    const { store, run } = setup();
    const c = run(created);
    const period = created.subscription!.nextRenewalAt!.slice(0, 10);
    expect(store.demand(subId, period)).toMatchObject({
      status: 'reserved',
      revision: 1,
      lines: [
        { sku: 'COF-ESP-1KG', quantity: 2 },
        { sku: 'COF-ESP-250', quantity: 1 },
        { sku: 'COF-FLT-250', quantity: 1 },
        { sku: 'COF-ORIGIN-250', quantity: 1 },
      ],
    });
    expect(c.derived.map((e) => e.type)).toEqual(['stock.demand_changed']);
    for (const e of c.derived) expect(validateHubEvent(e)).toEqual({ ok: true });
  });

  it('is idempotent under duplicates and safe against out-of-order events', () => {
    const { store, run } = setup();
    run(created);
    expect(run(created)).toMatchObject({ demand: [], derived: [] });
    run(renewed);
    const periods = [...store.demands.keys()];
    // A late created (older than the renewal) changes nothing: no demand rolled back.
    const late = run(key(created, 'stripe:evt_late', '2025-01-01T00:00:00.000Z'));
    expect(late.demand).toEqual([]);
    expect(late.decisions[0]).toMatchObject({ kind: 'projection', outcome: 'ignored', rule: expect.stringMatching(/^stale/) });
    expect([...store.demands.keys()]).toEqual(periods);
  });

  it('a pause releases the reservation of that delivery (a new revision, lines empty)', () => {
    const { store, run } = setup();
    run(created);
    const paused = { ...key(created, 'stripe:evt_pause', '2025-11-25T00:00:00.000Z'), type: 'subscription.paused' as const };
    paused.subscription = { ...created.subscription!, pause: { startsAt: '2025-11-25T00:00:00.000Z', reason: 'customer_request' } };
    const c = run(paused);
    expect(c.demand[0]).toMatchObject({ status: 'released', lines: [], revision: 2, reason: expect.stringContaining('paused') });
    expect(c.derived[0]).toMatchObject({
      type: 'stock.demand_changed',
      demand: { status: 'released' },
      subscription: { entitlement: { deliver: false } },
    });
    expect(store.demands.size).toBe(1);
  });
});

describe('domain service: the location a delivery ships from', () => {
  it("records a subscription's demand at its tenant's location, and addresses its reservations to that tenant also when the hub's own review moves them", () => {
    const store = new MemoryDomain();
    const locationOf = (t: string | undefined) => (t === 'lenses-de' ? 'DUS1' : 'AMS1');
    const service = new DomainService({ bom, policy, overrides: {}, locationOf });
    const commit = (c: DomainChanges) => (store.commit(c), c);
    commit(service.handle({ ...created, tenantId: 'lenses-de' }, store, Date.parse('2026-01-01T00:00:00Z')));
    const period = created.subscription!.nextRenewalAt!.slice(0, 10);
    expect(store.demand(subId, period)).toMatchObject({ location: 'DUS1', status: 'reserved' });
    expect(store.derived.at(-1)).toMatchObject({ type: 'stock.demand_changed', tenantId: 'lenses-de' });
    // A failure, then 14 days on the nightly review holds the shipment: the release goes to the same tenant's warehouse.
    commit(service.handle({ ...failed, tenantId: 'lenses-de' }, store, Date.parse(failed.occurredAt)));
    const c = commit(service.reviewDunning([...store.dunnings.values()], store, Date.parse(failed.occurredAt) + 15 * 86_400_000));
    const release = c.derived.find((e) => e.type === 'stock.demand_changed');
    expect(release).toMatchObject({ tenantId: 'lenses-de', demand: { status: 'released' } });
    expect(c.demand.every((d) => d.location === 'DUS1')).toBe(true);
  });
});

describe('domain service: a moved delivery date', () => {
  it('releases the old, still future, delivery when the date moves without a renewal', () => {
    const { store, run } = setup();
    const at = (e: HubEvent, k: string, occurredAt: string, next: string): HubEvent => ({
      ...key(e, k, occurredAt),
      subscription: { ...e.subscription!, nextRenewalAt: next, currentPeriodEnd: next },
    });
    run(at(created, 'k1', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'));
    const moved = run({ ...at(created, 'k2', '2026-01-02T00:00:00.000Z', '2026-02-10T00:00:00.000Z'), type: 'subscription.changed' });
    expect(moved.demand.map((d) => [d.period, d.status, d.reason])).toEqual([
      ['2026-02-10', 'reserved', 'active: the delivery of 2026-02-10 ships'],
      ['2026-02-01', 'released', 'the delivery moved to 2026-02-10'],
    ]);
    expect(moved.derived.map((e) => [e.type, e.demand?.period, e.demand?.status])).toEqual([
      ['stock.demand_changed', '2026-02-10', 'reserved'],
      ['stock.demand_changed', '2026-02-01', 'released'],
    ]);
    expect([...store.demands.values()].filter((d) => d.status === 'reserved').map((d) => d.period)).toEqual(['2026-02-10']);
  });
});

describe('domain service: dunning and the blacklist', () => {
  /** A failure of `invoiceId`; `givenUp`: the provider will not retry it (no next attempt), which makes it a default. */
  const failure = (dedupeKey: string, occurredAt: string, invoiceId: string, givenUp = false): HubEvent => ({
    ...key(failed, dedupeKey, occurredAt),
    invoice: { ...failed.invoice!, id: invoiceId, ...(givenUp ? { nextAttemptAt: null } : {}) },
    subscription: { ...failed.subscription!, hubSubscriptionId: subId },
    customer: created.customer,
  });

  it('a first failure starts a cycle with the rule that fired; 14 days later shipments are held', () => {
    const { store, run } = setup();
    run(created);
    const first = run(failure('k1', '2025-12-24T17:00:00.000Z', 'in_1'));
    expect(first.derived.map((e) => e.type)).toContain('dunning.started');
    expect(store.dunning(subId)).toMatchObject({ stage: 'LATE', deliver: true, attempts: 1 });
    const later = run(failure('k2', '2026-01-08T17:00:00.000Z', 'in_1'));
    expect(store.dunning(subId)).toMatchObject({ stage: 'SUSPENDED', deliver: false, attempts: 2 });
    expect(later.decisions.find((d) => d.kind === 'dunning')).toMatchObject({
      outcome: 'SUSPENDED (shipments held)',
      rule: expect.stringContaining('≥ 14 days'),
    });
    const stage = later.derived.find((e) => e.type === 'dunning.stage_changed')!;
    expect(stage.dunning?.decision).toMatchObject({ deliver: false, pauseBilling: true, notify: 'dunning_suspended' });
    expect(later.derived.find((e) => e.type === 'stock.demand_changed')).toMatchObject({
      demand: { status: 'released', reason: expect.stringContaining('SUSPENDED') },
    });
    for (const e of later.derived) expect(validateHubEvent(e)).toEqual({ ok: true });
  });

  it('a second default blacklists the customer once (customer.risk_changed) and holds every subscription of theirs', () => {
    const { store, run } = setup();
    run(created);
    // Failures the provider will retry are not defaults yet.
    run(failure('k0', '2025-12-24T12:00:00.000Z', 'in_1'));
    expect(store.customer(created.customer!.hubCustomerId)?.defaults).toEqual([]);
    run(failure('k1', '2025-12-24T17:00:00.000Z', 'in_1', true));
    const second = run(failure('k2', '2025-12-30T17:00:00.000Z', 'in_2', true));
    expect(store.customer(created.customer!.hubCustomerId)).toMatchObject({
      blacklisted: true,
      defaults: ['2025-12-24T17:00:00.000Z', '2025-12-30T17:00:00.000Z'],
    });
    expect(second.derived.filter((e) => e.type === 'customer.risk_changed')).toHaveLength(1);
    expect(second.decisions.find((d) => d.kind === 'blacklist')?.rule).toMatch(/2 defaults within 365 days/);
    const third = run(failure('k3', '2025-12-31T17:00:00.000Z', 'in_2', true));
    expect(store.customer(created.customer!.hubCustomerId)?.defaults).toHaveLength(2);
    expect(third.derived.filter((e) => e.type === 'customer.risk_changed')).toHaveLength(0);
  });

  it('recovery clears the stage and releases held shipments', () => {
    const { store, run } = setup();
    run(created);
    run(failure('k1', '2025-12-24T17:00:00.000Z', 'in_1'));
    run(failure('k2', '2026-01-08T17:00:00.000Z', 'in_1'));
    const paid = {
      ...key(renewed, 'k-paid', '2026-01-09T10:00:00.000Z'),
      type: 'invoice.paid' as const,
      customer: created.customer,
      invoice: { ...renewed.invoice!, id: 'in_1', status: 'paid' as const },
      subscription: { ...failed.subscription!, hubSubscriptionId: subId, status: 'active' as const },
    };
    const c = run(paid);
    expect(store.dunning(subId)).toBeUndefined();
    expect(c.derived.map((e) => e.type)).toEqual(['dunning.resolved', 'stock.demand_changed']);
    expect(c.derived[1]).toMatchObject({ demand: { status: 'reserved' } });
  });

  it('a blacklisted customer who pays is out of dunning but stays held until cleared', () => {
    const { store, run } = setup();
    run(created);
    run(failure('k1', '2025-12-24T17:00:00.000Z', 'in_1', true));
    run(failure('k2', '2025-12-30T17:00:00.000Z', 'in_2', true));
    const paid = (id: string, dedupeKey: string): HubEvent => ({
      ...key(renewed, dedupeKey, '2026-01-02T10:00:00.000Z'),
      type: 'invoice.paid',
      customer: created.customer,
      invoice: { ...renewed.invoice!, id, status: 'paid' },
      subscription: { ...failed.subscription!, hubSubscriptionId: subId, status: 'active' },
    });
    // One of two unpaid invoices paid: the cycle goes on with the other.
    expect(run(paid('in_2', 'k-paid-2')).derived.map((e) => e.type)).not.toContain('dunning.resolved');
    expect(store.dunning(subId)?.unpaid).toEqual({ in_1: expect.anything() });
    const c = run(paid('in_1', 'k-paid-1'));
    expect(store.dunning(subId)).toBeUndefined();
    expect(c.derived.find((e) => e.type === 'dunning.resolved')?.dunning?.decision).toMatchObject({ deliver: false, blacklisted: true });
    const period = failed.subscription!.nextRenewalAt ?? failed.subscription!.currentPeriodEnd!;
    expect(store.demand(subId, period.slice(0, 10))).toMatchObject({ status: 'released', reason: expect.stringContaining('blacklisted') });
  });

  it('the nightly review moves a stage on with time alone, once', () => {
    const { store, run, review } = setup();
    run(created);
    run(failure('k1', '2025-12-24T17:00:00.000Z', 'in_1'));
    const later = review('2026-01-08T03:00:00.000Z');
    expect(store.dunning(subId)).toMatchObject({ stage: 'SUSPENDED', deliver: false });
    expect(later.decisions[0]).toMatchObject({
      kind: 'dunning',
      outcome: 'SUSPENDED (shipments held)',
      rule: expect.stringMatching(/^nightly review: stage SUSPENDED/),
    });
    expect(later.derived.map((e) => e.type)).toEqual(['dunning.stage_changed', 'stock.demand_changed']);
    for (const e of later.derived) expect(validateHubEvent(e)).toEqual({ ok: true });
    expect(review('2026-01-08T04:00:00.000Z')).toMatchObject({ decisions: [], derived: [] });
  });

  it('an operator clears the blacklist: shipments reserved again (once paid up), defaults start afresh, the shop and ERP are told', () => {
    const { store, service, run } = setup();
    run(created);
    run(failure('k1', '2025-12-24T17:00:00.000Z', 'in_1', true));
    const second = run(failure('k2', '2025-12-30T17:00:00.000Z', 'in_2', true));
    expect(second.derived.find((e) => e.type === 'customer.risk_changed')?.risk).toMatchObject({ blacklisted: true, defaultsInWindow: 2 });
    const paid = (id: string, k: string): HubEvent => ({
      ...key(renewed, k, '2026-01-02T10:00:00.000Z'),
      type: 'invoice.paid',
      customer: created.customer,
      invoice: { ...renewed.invoice!, id, status: 'paid' },
      subscription: { ...failed.subscription!, hubSubscriptionId: subId, status: 'active' },
    });
    run(paid('in_1', 'p1'));
    run(paid('in_2', 'p2'));
    const customerId = created.customer!.hubCustomerId;
    const c = service.clearBlacklist(customerId, 'ops@example.com', store, Date.parse('2026-01-03T09:00:00.000Z'))!;
    store.commit(c);
    expect(store.customer(customerId)).toMatchObject({ blacklisted: false, clearedAt: '2026-01-03T09:00:00.000Z' });
    expect(c.derived.map((e) => e.type)).toEqual(['customer.risk_changed', 'stock.demand_changed']);
    expect(c.derived[0]!.risk).toEqual({
      blacklisted: false,
      reason: 'blacklist cleared by ops@example.com; earlier defaults no longer count',
    });
    expect(c.derived[1]).toMatchObject({ demand: { status: 'reserved' } });
    for (const e of c.derived) expect(validateHubEvent(e)).toEqual({ ok: true });
    expect(service.clearBlacklist(customerId, 'ops@example.com', store, Date.now())).toBeUndefined();
    // A later failure is the first default after clearing: no blacklist.
    const again = run(failure('k3', '2026-01-20T17:00:00.000Z', 'in_3', true));
    expect(again.derived.map((e) => e.type)).not.toContain('customer.risk_changed');
    expect(store.customer(customerId)?.blacklisted).toBe(false);
  });

  it('a failure reported after the status change it caused still opens the cycle (its snapshot is stale); a replay of it is a no-op', () => {
    const { store, run } = setup();
    run(created);
    const pastDue = {
      ...key(created, 'k-upd', '2025-12-24T17:00:01.000Z'),
      type: 'subscription.changed' as const,
      subscription: { ...failed.subscription!, hubSubscriptionId: subId },
    };
    run(pastDue);
    const late = failure('k-fail', '2025-12-24T17:00:00.000Z', 'in_1');
    const c = run(late);
    expect(c.decisions[0]).toMatchObject({ kind: 'projection', outcome: 'ignored', rule: expect.stringMatching(/^stale/) });
    expect(store.dunning(subId)).toMatchObject({ stage: 'LATE', attempts: 1 });
    expect(run(late)).toMatchObject({ dunning: [], derived: [] });
    expect(store.dunning(subId)?.attempts).toBe(1);
  });

  it('a canceled subscription ends its dunning cycle without a notice, and the nightly review leaves it alone', () => {
    const { store, run } = setup();
    run(created);
    run(failure('k1', '2025-12-24T17:00:00.000Z', 'in_1'));
    const canceled = {
      ...key(created, 'k-cancel', '2025-12-30T00:00:00.000Z'),
      type: 'subscription.canceled' as const,
      subscription: { ...created.subscription!, status: 'canceled' as const, nextRenewalAt: undefined },
    };
    const c = run(canceled);
    expect(store.dunning(subId)).toBeUndefined();
    expect(c.decisions.find((d) => d.kind === 'dunning')).toMatchObject({ outcome: 'closed', rule: expect.stringContaining('canceled') });
    expect(c.derived.filter((e) => e.type.startsWith('dunning.'))).toEqual([]);
  });

  it('clearing the blacklist releases a hold that only the blacklist caused (a stage that delivers)', () => {
    const { store, service, run } = setup();
    run(created);
    run(failure('k1', '2025-12-24T17:00:00.000Z', 'in_1', true));
    run(failure('k2', '2025-12-25T17:00:00.000Z', 'in_2', true));
    expect(store.dunning(subId)).toMatchObject({ stage: 'LATE', deliver: false });
    const c = service.clearBlacklist(created.customer!.hubCustomerId, 'ops', store, Date.parse('2025-12-26T09:00:00.000Z'))!;
    store.commit(c);
    expect(store.dunning(subId)).toMatchObject({ stage: 'LATE', deliver: true });
    expect(c.decisions.map((d) => d.rule)).toContain('blacklist cleared: unpaid, but no stage applies yet (insufficient_funds)');
    expect(c.derived.filter((e) => e.type === 'dunning.stage_changed')).toEqual([]);
    expect(c.derived.find((e) => e.type === 'stock.demand_changed')).toMatchObject({ demand: { status: 'reserved' } });
  });

  it('billing paused by a stage resumes when a lighter stage takes over, and on recovery', () => {
    const { store, run, review } = setup();
    run(created);
    run(failure('k1', '2025-12-24T17:00:00.000Z', 'in_1'));
    const suspended = review('2026-01-08T03:00:00.000Z');
    expect(suspended.derived[0]?.dunning?.decision).toMatchObject({ pauseBilling: true });
    expect(store.dunning(subId)?.billingPaused).toBe(true);
    // Goodwill granted meanwhile: the stage is lighter, billing resumes.
    const kind = new DomainService({ bom, policy, overrides: { [created.customer!.hubCustomerId]: { goodwill: true } } });
    const lighter = kind.reviewDunning([...store.dunnings.values()], store, Date.parse('2026-01-09T03:00:00.000Z'));
    expect(lighter.derived.find((e) => e.type === 'dunning.stage_changed')?.dunning).toMatchObject({
      stage: 'GOODWILL',
      decision: { resumeBilling: true, pauseBilling: false },
    });
    expect(lighter.dunning[0]?.billingPaused).toBe(false);
    // Recovery straight from the paused stage resumes billing too.
    const paid: HubEvent = {
      ...key(renewed, 'k-paid', '2026-01-09T10:00:00.000Z'),
      type: 'invoice.paid',
      customer: created.customer,
      invoice: { ...renewed.invoice!, id: 'in_1', status: 'paid' },
      subscription: { ...failed.subscription!, hubSubscriptionId: subId, status: 'active' },
    };
    expect(run(paid).derived.find((e) => e.type === 'dunning.resolved')?.dunning?.decision).toMatchObject({ resumeBilling: true });
  });

  it('write-offs and chargebacks are defaults whatever the category; a technical failure the provider gave up on is not', () => {
    const { store, run } = setup();
    run(created);
    const tech = failure('k1', '2025-12-24T17:00:00.000Z', 'in_1', true);
    run({
      ...tech,
      payment: { ...tech.payment!, failure: { category: 'technical', providerCode: 'processing_error', hard: false, retryable: true } },
    });
    expect(store.customer(created.customer!.hubCustomerId)?.defaults).toEqual([]);
    const writeOff = run({ ...failure('k2', '2025-12-26T17:00:00.000Z', 'in_1'), type: 'invoice.uncollectible' });
    expect(writeOff.decisions.find((d) => d.outcome === 'default recorded')?.rule).toBe('invoice in_1: written off (insufficient_funds)');
    // The same invoice charged back later is not a second default.
    run({ ...failure('k3', '2025-12-27T17:00:00.000Z', 'in_1'), type: 'payment.chargeback' });
    expect(store.customer(created.customer!.hubCustomerId)?.defaults).toEqual(['2025-12-26T17:00:00.000Z']);
  });

  it("blacklisting holds the customer's other subscriptions, also one created earlier in the same batch", () => {
    const { store, service } = setup();
    const other: HubEvent = {
      ...key(created, 'k-other', '2025-12-29T00:00:00.000Z'),
      subscription: {
        ...created.subscription!,
        hubSubscriptionId: 'stripe:sub_other',
        providerSubscriptionId: 'sub_other',
        nextRenewalAt: '2026-01-29T00:00:00.000Z',
      },
    };
    // One batch, as the pipeline runs it: the customer's unit is read once, each event is computed on
    // the view the one before it left, and all are committed together.
    const now = Date.parse('2026-01-01T00:00:00Z');
    const view = new DomainView({ customerId: created.customer!.hubCustomerId, version: 0, subscriptions: [], dunning: [], demand: [] });
    const changes = [
      created,
      failure('k1', '2025-12-24T17:00:00.000Z', 'in_1', true),
      other,
      failure('k2', '2025-12-30T17:00:00.000Z', 'in_2', true),
    ].map((e) => {
      const c = service.handle(e, view, now);
      view.apply(c);
      return c;
    });
    expect(view.version).toBe(4);
    changes.forEach((c) => store.commit(c));
    expect(store.customer(created.customer!.hubCustomerId)?.blacklisted).toBe(true);
    expect(store.demand('stripe:sub_other', '2026-01-29')).toMatchObject({
      status: 'released',
      reason: expect.stringContaining('blacklisted'),
    });
  });
});
