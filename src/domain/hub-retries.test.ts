// The hub's own payment retries for providers that do not retry (Mollie; docs/dunning.md §4.8):
// a soft SEPA failure schedules a retry on the sepaSoft schedule, `retriesDue` requests it once at
// its time, hard failures get none, an exhausted schedule is a default, and Stripe (which retries
// by itself) gets none from the hub in the same configuration.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateHubEvent, type HubEvent } from '../events';
import type { DunningPolicy } from '../dunning/policy';
import { DomainService } from './domain-service';
import { MemoryDomainState } from '../../test/helpers/domain-memory';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', '..', 'mappings', 'fixtures', name), 'utf8')) as HubEvent;
const DAY = 86_400_000;
const FAILED_AT = '2026-01-05T06:00:00.000Z';
const t0 = Date.parse(FAILED_AT);

const policy: DunningPolicy = {
  id: 'test',
  stages: [{ name: 'WARNING', when: { daysSinceEarliestUnpaid: 3 }, deliver: true, notify: 'dunning_warning' }],
  retries: { soft: [1, 4], sepaSoft: [5, 12], technical: [0], inventory: [1] },
  providerRetries: true,
  blacklist: { defaults: 2, windowDays: 365 },
};

/** A subscription of `provider` and a failure of its invoice with a SEPA code (`hard` for AC04-like codes). */
function world(provider: 'mollie' | 'stripe') {
  const base = fixture('hub-subscription-created-coffee.json');
  const subId = `${provider}:sub_1`;
  const customerId = `${provider}:cst_1`;
  const created: HubEvent = {
    ...base,
    subscription: { ...base.subscription!, hubSubscriptionId: subId, providerSubscriptionId: 'sub_1' },
    customer: { ...base.customer!, hubCustomerId: customerId, providerCustomerId: 'cst_1' },
  };
  const store = new MemoryDomainState();
  const service = new DomainService({ bom: new Map(), policy, overrides: {}, providerRetries: { mollie: false } });
  store.commit(service.handle(created, store, Date.parse(created.occurredAt)));
  const failed = fixture('hub-invoice-payment-failed-coffee.json');
  /** Payment tr_<n> of invoice tr_1 (a hub retry's payment names the invoice it settles) failed with `code`. */
  const fail = (n: number, code: string, category: string, hard: boolean, at: number) =>
    store.commit(
      service.handle(
        {
          ...failed,
          id: `01FAIL${n}`,
          occurredAt: new Date(at).toISOString(),
          source: { ...failed.source, provider, eventId: `tr_${n}`, dedupeKey: `${provider}:tr_${n}:failed` },
          subscription: { ...failed.subscription!, hubSubscriptionId: subId },
          customer: created.customer,
          // No nextAttemptAt: Mollie schedules nothing (a null would say the provider gave up).
          invoice: { id: 'tr_1', status: 'open', amountDueMinor: 1795, amountPaidMinor: 0, currency: 'EUR', attemptCount: n },
          payment: {
            id: `tr_${n}`,
            method: 'sepa_debit',
            status: 'failed',
            amountMinor: 1795,
            currency: 'EUR',
            mandateId: 'mdt_1',
            failure: { category, providerCode: code, hard, retryable: !hard, message: code },
          } as HubEvent['payment'],
        },
        store,
        at,
      ),
    );
  const due = (at: number) => store.commit(service.retriesDue([...store.dunnings.values()], store, at));
  return { store, subId, customerId, fail, due };
}

describe('domain service: hub-scheduled payment retries', () => {
  it('AM04 on Mollie: a retry on the sepaSoft schedule, requested once when due, as a valid payment.retry_requested', () => {
    const w = world('mollie');
    const c = w.fail(1, 'AM04', 'insufficient_funds', false, t0);
    const retry = {
      at: new Date(t0 + 5 * DAY).toISOString(),
      attempt: 2,
      invoice: 'tr_1',
      amountMinor: 1795,
      currency: 'EUR',
      mandateId: 'mdt_1',
    };
    expect(w.store.dunning(w.subId)?.retry).toEqual(retry);
    expect(c.decisions[0]).toMatchObject({ outcome: 'LATE', rule: expect.stringContaining(`the hub retries the charge at ${retry.at}`) });
    // Not yet due: nothing.
    expect(w.due(t0 + 5 * DAY - 1).derived).toEqual([]);
    const requested = w.due(t0 + 5 * DAY);
    expect(requested.derived).toHaveLength(1);
    const event = requested.derived[0]!;
    expect(validateHubEvent(event)).toEqual({ ok: true });
    expect(event).toMatchObject({
      type: 'payment.retry_requested',
      source: { provider: 'hub', dedupeKey: `hub:retry:${w.subId}:tr_1:2` },
      subscription: { hubSubscriptionId: w.subId },
      customer: { hubCustomerId: w.customerId, providerCustomerId: 'cst_1' },
      retry: { invoiceId: 'tr_1', attempt: 2, amountMinor: 1795, currency: 'EUR', scheduledAt: retry.at, mandateId: 'mdt_1' },
    });
    expect(requested.decisions).toEqual([expect.objectContaining({ kind: 'dunning', subject: w.subId, outcome: 'retry requested' })]);
    expect(w.store.dunning(w.subId)?.retry?.requestedAt).toBe(new Date(t0 + 5 * DAY).toISOString());
    // Asked again (the next check, another hub): nothing more.
    expect(w.due(t0 + 6 * DAY).derived).toEqual([]);
  });

  it('the retry fails again with AM04: the next one 12 days after; then the schedule is exhausted: a default, no more retries', () => {
    const w = world('mollie');
    w.fail(1, 'AM04', 'insufficient_funds', false, t0);
    w.due(t0 + 5 * DAY);
    w.fail(2, 'AM04', 'insufficient_funds', false, t0 + 5 * DAY + 3600_000);
    expect(w.store.dunning(w.subId)?.retry).toMatchObject({ attempt: 3, at: new Date(t0 + 5 * DAY + 3600_000 + 12 * DAY).toISOString() });
    expect(w.store.customer(w.customerId)?.defaults).toEqual([]);
    w.due(t0 + 18 * DAY);
    const last = w.fail(3, 'AM04', 'insufficient_funds', false, t0 + 18 * DAY);
    expect(w.store.dunning(w.subId)?.retry).toBeUndefined();
    expect(w.store.customer(w.customerId)?.defaults).toHaveLength(1);
    expect(last.decisions).toContainEqual(
      expect.objectContaining({ outcome: 'default recorded', rule: expect.stringContaining("the hub's retries ran out") }),
    );
  });

  it('AC04 (account closed) on Mollie: no retry, the payment-update link instead', () => {
    const w = world('mollie');
    const c = w.fail(1, 'AC04', 'account_closed', true, t0);
    expect(w.store.dunning(w.subId)?.retry).toBeUndefined();
    expect(w.due(t0 + 30 * DAY).derived).toEqual([]);
    expect(c.derived.find((e) => e.type === 'dunning.started')?.dunning?.decision).toMatchObject({ sendPaymentUpdateLink: true });
  });

  it('Stripe retries by itself: the same AM04 schedules nothing in the hub', () => {
    const w = world('stripe');
    w.fail(1, 'AM04', 'insufficient_funds', false, t0);
    expect(w.store.dunning(w.subId)?.retry).toBeUndefined();
    expect(w.due(t0 + 30 * DAY).derived).toEqual([]);
  });

  it('a cycle that recovered before the retry time has nothing to retry', () => {
    const w = world('mollie');
    w.fail(1, 'AM04', 'insufficient_funds', false, t0);
    w.store.dunnings.delete(w.subId);
    expect(w.due(t0 + 5 * DAY).derived).toEqual([]);
  });
});
