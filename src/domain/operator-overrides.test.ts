// An operator's dunning overrides on the customer record (PUT /admin/api/customers/:id/overrides),
// merged with config's dunning.customers: the operator's win field by field (docs/dunning.md §4.5).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateHubEvent, type HubEvent } from '../events';
import type { DunningPolicy } from '../dunning/policy';
import type { CustomerOverrides } from '../dunning/policy';
import { DomainService } from './domain-service';
import { MemoryDomainState as Memory } from '../../test/helpers/domain-memory';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', '..', 'mappings', 'fixtures', name), 'utf8')) as HubEvent;
const created = fixture('hub-subscription-created-coffee.json');
const failed = fixture('hub-invoice-payment-failed-coffee.json');
const subId = created.subscription!.hubSubscriptionId;
const customerId = created.customer!.hubCustomerId;
const DAY = 86_400_000;
const FAILED_AT = '2025-12-24T17:00:00.000Z';
const daysAfterFailure = (n: number) => Date.parse(FAILED_AT) + n * DAY;

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

/** A customer whose subscription failed to pay on FAILED_AT (stage LATE), with config's overrides `config`. */
function inDunning(config: Record<string, CustomerOverrides> = {}) {
  const store = new Memory();
  const service = new DomainService({ bom: new Map(), policy, overrides: config });
  store.commit(service.handle(created, store, Date.parse(created.occurredAt)));
  const failure: HubEvent = {
    ...failed,
    occurredAt: FAILED_AT,
    subscription: { ...failed.subscription!, hubSubscriptionId: subId },
    customer: created.customer,
  };
  store.commit(service.handle(failure, store, Date.parse(FAILED_AT)));
  const review = (at: number) => store.commit(service.reviewDunning([...store.dunnings.values()], store, at));
  const set = (o: { goodwill?: boolean; graceDays?: number }, at: number, actor = 'ops@example.com') =>
    store.commit(service.setOverrides(customerId, o, actor, store, at)!);
  return { store, service, review, set };
}

describe('domain service: operator overrides', () => {
  it('goodwill set by an operator turns an open cycle to GOODWILL at once, recorded with the actor and audited', () => {
    const { store, set } = inDunning();
    expect(store.dunning(subId)).toMatchObject({ stage: 'LATE' });
    const c = set({ goodwill: true }, daysAfterFailure(20));
    expect(store.customer(customerId)?.overrides).toEqual({
      goodwill: true,
      setBy: 'ops@example.com',
      setAt: new Date(daysAfterFailure(20)).toISOString(),
    });
    expect(store.dunning(subId)).toMatchObject({ stage: 'GOODWILL', deliver: true });
    expect(c.decisions).toEqual([
      expect.objectContaining({
        kind: 'dunning',
        subject: `customer:${customerId}`,
        outcome: 'overrides set',
        rule: "operator ops@example.com set goodwill on (over config's overrides)",
      }),
      expect.objectContaining({ kind: 'dunning', subject: subId, outcome: 'GOODWILL', rule: expect.stringContaining('goodwill override') }),
    ]);
    expect(c.audit).toEqual([
      { actor: 'ops@example.com', action: 'customer.overrides', subject: customerId, detail: { set: { goodwill: true } } },
    ]);
    expect(c.derived.map((e) => e.type)).toEqual(['dunning.stage_changed']);
    for (const e of c.derived) expect(validateHubEvent(e)).toEqual({ ok: true });
  });

  it('grace days shift the stage thresholds; the nightly review keeps reading them from the record', () => {
    const { store, set, review } = inDunning();
    // 16 days unpaid: SUSPENDED without grace; with 3 grace days it is 13, still WARNING.
    set({ graceDays: 3 }, daysAfterFailure(16));
    expect(store.dunning(subId)).toMatchObject({ stage: 'WARNING', deliver: true });
    review(daysAfterFailure(16));
    expect(store.dunning(subId)).toMatchObject({ stage: 'WARNING' });
    review(daysAfterFailure(17));
    expect(store.dunning(subId)).toMatchObject({ stage: 'SUSPENDED', deliver: false });
  });

  it("the record's overrides win over config's field by field; without them config's still apply", () => {
    // Config gives goodwill: the review leaves the cycle in GOODWILL.
    const a = inDunning({ [customerId]: { goodwill: true, graceDays: 10 } });
    a.review(daysAfterFailure(20));
    expect(a.store.dunning(subId)).toMatchObject({ stage: 'GOODWILL' });
    // The operator turns goodwill off: config's 10 grace days still count (20 - 10 = 10 days: WARNING).
    a.set({ goodwill: false }, daysAfterFailure(20));
    expect(a.store.dunning(subId)).toMatchObject({ stage: 'WARNING' });
    // The operator's grace days replace config's (20 - 2 = 18: SUSPENDED).
    a.set({ goodwill: false, graceDays: 2 }, daysAfterFailure(20) + 1000);
    expect(a.store.dunning(subId)).toMatchObject({ stage: 'SUSPENDED' });
    // Removing the operator's overrides brings config's back (GOODWILL), announced again on the same day.
    const back = a.set({}, daysAfterFailure(20) + 2000);
    expect(a.store.customer(customerId)?.overrides).toBeUndefined();
    expect(a.store.dunning(subId)).toMatchObject({ stage: 'GOODWILL' });
    expect(back.decisions[0]).toMatchObject({ outcome: 'overrides removed' });
    // SUSPENDED held the delivery; GOODWILL ships it again.
    expect(back.derived.map((e) => e.type)).toEqual(['dunning.stage_changed', 'stock.demand_changed']);
  });

  it('two changes on one day derive events with distinct dedupe keys (neither is lost as a duplicate)', () => {
    const { set } = inDunning();
    const first = set({ goodwill: true }, daysAfterFailure(20));
    const second = set({ goodwill: false }, daysAfterFailure(20) + 60_000);
    const keys = [...first.derived, ...second.derived].filter((e) => e.type.startsWith('dunning.')).map((e) => e.source.dedupeKey);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
  });

  it('an unknown customer changes nothing', () => {
    const { store, service } = inDunning();
    expect(service.setOverrides('stripe:cus_nobody', { goodwill: true }, 'ops', store, daysAfterFailure(1))).toBeUndefined();
  });
});
