import { decide, type DunningPolicy, type PaymentState } from './policy';

const policy: DunningPolicy = {
  id: 'default-monthly',
  stages: [
    { name: 'CANCELLATION', when: { daysSinceEarliestUnpaid: 28 }, deliver: false, cancel: 'end_of_term' },
    {
      name: 'SUSPENDED',
      when: { daysSinceEarliestUnpaid: 14 },
      deliver: false,
      pauseBilling: true,
      blockChanges: true,
      notify: 'suspended',
    },
    { name: 'WARNING', when: { daysSinceEarliestUnpaid: 3 }, deliver: true, blockChanges: true, notify: 'payment_failed_with_links' },
  ],
  retries: { soft: [1, 4, 7, 14], sepaSoft: [5, 12], technical: [0, 0, 1], inventory: [1, 2, 3, 4, 5] },
  providerRetries: false,
  blacklist: { defaults: 2, windowDays: 365 },
};
const late = (over: Partial<PaymentState> = {}): PaymentState => ({
  daysSinceEarliestUnpaid: 0,
  unpaidInvoices: 1,
  unpaidBalanceMinor: 2490,
  category: 'insufficient_funds',
  method: 'card',
  attempts: 1,
  defaultsInWindow: 0,
  ...over,
});

describe('dunning decisions', () => {
  it.each([
    [0, 'LATE', true],
    [3, 'WARNING', true],
    [14, 'SUSPENDED', false],
    [30, 'CANCELLATION', false],
  ])('%i days late → stage %s, deliver %s', (days, stage, deliver) => {
    const d = decide(policy, late({ daysSinceEarliestUnpaid: days }));
    expect(d).toMatchObject({ stage, deliver });
    expect(d.rule.length).toBeGreaterThan(0);
  });

  it('the most severe stage wins and its actions apply', () => {
    expect(decide(policy, late({ daysSinceEarliestUnpaid: 20 }))).toMatchObject({
      stage: 'SUSPENDED',
      pauseBilling: true,
      blockChanges: true,
      notify: 'suspended',
      cancel: 'none',
    });
    expect(decide(policy, late({ daysSinceEarliestUnpaid: 28 }))).toMatchObject({
      cancel: 'end_of_term',
      rule: expect.stringContaining('≥ 28 days'),
    });
  });

  it('hard failures (wrong or closed account, expired card, no method): no retry, a payment-update link at once', () => {
    for (const category of ['invalid_account', 'account_closed', 'expired_or_invalid_card', 'no_payment_method'] as const) {
      expect(decide(policy, late({ category }))).toMatchObject({ sendPaymentUpdateLink: true, retryInDays: undefined });
    }
  });

  it('soft failures retry on the schedule; SEPA at most twice; a provider that retries itself gets no hub retries', () => {
    expect(decide(policy, late({ attempts: 2 })).retryInDays).toBe(4);
    expect(decide(policy, late({ method: 'sepa_debit', attempts: 2 })).retryInDays).toBe(12);
    expect(decide(policy, late({ method: 'sepa_debit', attempts: 3 })).retryInDays).toBeUndefined();
    expect(decide({ ...policy, providerRetries: true }, late()).retryInDays).toBeUndefined();
  });

  it('3-D Secure and refusals send the one-off payment link, without retries', () => {
    expect(decide(policy, late({ category: 'authentication_required' }))).toMatchObject({ sendPayLink: true, retryInDays: undefined });
    expect(decide(policy, late({ category: 'customer_refusal' }))).toMatchObject({ sendPayLink: true });
  });

  it('a stock-out is no customer dunning: shipment held, stock-out schedule, never a default', () => {
    const d = decide(policy, late({ category: 'insufficient_inventory', daysSinceEarliestUnpaid: 30 }));
    expect(d).toMatchObject({ stage: 'STOCK_OUT', cancel: 'none', retryInDays: 1, deliver: false, sendPaymentUpdateLink: false });
    expect(d.notify).toBeUndefined();
  });

  it('overrides: goodwill stops escalation; grace days shift the stages', () => {
    expect(decide(policy, late({ daysSinceEarliestUnpaid: 30 }), { goodwill: true })).toMatchObject({
      stage: 'GOODWILL',
      deliver: true,
      cancel: 'none',
    });
    // Goodwill does not lift a blacklist: shipments stay held until an operator clears it.
    expect(decide(policy, late({ daysSinceEarliestUnpaid: 30 }), { goodwill: true, blacklisted: true })).toMatchObject({
      stage: 'GOODWILL',
      deliver: false,
      blacklist: true,
      rule: expect.stringContaining('blacklisted'),
    });
    expect(decide(policy, late({ daysSinceEarliestUnpaid: 16 }), { graceDays: 7 })).toMatchObject({
      stage: 'WARNING',
      rule: expect.stringContaining('7 grace days'),
    });
  });

  it('blacklist after N defaults in the window: shipments held even when the stage would deliver, until cleared', () => {
    expect(decide(policy, late({ daysSinceEarliestUnpaid: 3, defaultsInWindow: 2 }))).toMatchObject({
      stage: 'WARNING',
      blacklist: true,
      deliver: false,
    });
    expect(decide(policy, late({ unpaidInvoices: 0, defaultsInWindow: 2 }))).toMatchObject({
      stage: 'CLEAR',
      blacklist: true,
      deliver: false,
    });
  });

  it('recovery: with nothing unpaid the stage clears and deliveries resume', () => {
    expect(decide(policy, late({ unpaidInvoices: 0, daysSinceEarliestUnpaid: 0 }))).toMatchObject({
      stage: 'CLEAR',
      deliver: true,
      blockChanges: false,
      rule: expect.stringContaining('recovered'),
    });
  });
});
