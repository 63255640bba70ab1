import Stripe from 'stripe';
import { stripeClientFor } from '../../test/helpers/stripe-sim-connector';
import { startTarget } from '../../test/helpers/target-server';
import { periodBoundary, periodOf } from './simulator-objects';
import { startStripeSimulator, type StripeSimulator } from './simulator';

const KEY = 'sk_test_simulator';
const unix = (iso: string) => Date.parse(iso) / 1000;
const iso = (s: number) => new Date(s * 1000).toISOString();

const sdk = (sim: StripeSimulator): Stripe => stripeClientFor(sim.url, KEY);

describe('Stripe simulator: billing periods in calendar months from the billing cycle anchor', () => {
  it("Stripe's end-of-month rule: Jan 31 → Feb 28 (Feb 29 in a leap year) → Mar 31; Dec 1 → Jan 1 → Feb 1", () => {
    const monthly = { interval: 'month', interval_count: 1 };
    expect([0, 1, 2, 3].map((k) => iso(periodBoundary(unix('2027-01-31T10:00:00Z'), monthly, k)))).toEqual([
      '2027-01-31T10:00:00.000Z',
      '2027-02-28T10:00:00.000Z',
      '2027-03-31T10:00:00.000Z',
      '2027-04-30T10:00:00.000Z',
    ]);
    expect(iso(periodBoundary(unix('2028-01-31T00:00:00Z'), monthly, 1))).toBe('2028-02-29T00:00:00.000Z');
    expect([1, 2].map((k) => iso(periodBoundary(unix('2026-12-01T08:00:00Z'), monthly, k)))).toEqual([
      '2027-01-01T08:00:00.000Z',
      '2027-02-01T08:00:00.000Z',
    ]);
    expect(iso(periodBoundary(unix('2028-02-29T00:00:00Z'), { interval: 'year', interval_count: 1 }, 1))).toBe('2029-02-28T00:00:00.000Z');
    expect(iso(periodBoundary(unix('2026-12-01T08:00:00Z'), { interval: 'week', interval_count: 2 }, 1))).toBe('2026-12-15T08:00:00.000Z');
  });

  it('a subscription created on Jan 31 renews on Feb 28 and then on Mar 31, not 30 days apart', async () => {
    let now = Date.parse('2027-01-31T10:00:00Z');
    const sim = await startStripeSimulator(0, { now: () => now });
    try {
      const stripe = sdk(sim);
      const customer = await stripe.customers.create({});
      const price = await stripe.prices.create({ unit_amount: 990, currency: 'eur', recurring: { interval: 'month' }, product: 'p' });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      expect(sub.billing_cycle_anchor).toBe(unix('2027-01-31T10:00:00Z'));
      expect(iso(sub.items.data[0]!.current_period_end)).toBe('2027-02-28T10:00:00.000Z');
      const ends: string[] = [];
      for (const at of ['2027-02-28T10:00:00Z', '2027-03-31T10:00:00Z']) {
        now = Date.parse(at);
        await fetch(`${sim.url}/_sim/subscriptions/${sub.id}/renew`, { method: 'POST' });
        ends.push(iso(periodOf(sim.subscription(sub.id)!).end));
      }
      expect(ends).toEqual(['2027-03-31T10:00:00.000Z', '2027-04-30T10:00:00.000Z']);
    } finally {
      await sim.close();
    }
  });
});

describe('Stripe simulator: requests checked like Stripe (400 invalid_request_error with param)', () => {
  let sim: StripeSimulator;
  let stripe: Stripe;
  beforeAll(async () => {
    sim = await startStripeSimulator();
    stripe = sdk(sim);
  });
  afterAll(() => sim.close());

  const seed = async () => {
    const customer = await stripe.customers.create({});
    const price = await stripe.prices.create({ unit_amount: 990, currency: 'eur', recurring: { interval: 'month' }, product: 'p' });
    return stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  };
  const raw = (method: string, path: string, body?: string) =>
    fetch(`${sim.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });

  it('an unknown parameter, top-level or nested', async () => {
    const sub = await seed();
    await expect(
      stripe.subscriptions.update(sub.id, { pause_collection: { behavior: 'void' }, colour: 'red' } as Stripe.SubscriptionUpdateParams),
    ).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      param: 'colour',
      code: 'parameter_unknown',
    });
    const r = await raw('POST', '/v1/subscriptions', `customer=${sub.customer as string}&items[0][price]=x&items[0][colour]=red`);
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: expect.objectContaining({ type: 'invalid_request_error', param: 'items[0][colour]' }) });
  });

  it('a value outside an enum', async () => {
    const sub = await seed();
    await expect(stripe.subscriptions.update(sub.id, { pause_collection: { behavior: 'stop' as 'void' } })).rejects.toMatchObject({
      statusCode: 400,
      param: 'pause_collection[behavior]',
    });
    await expect(stripe.subscriptions.list({ status: 'sleeping' as 'active' })).rejects.toMatchObject({ statusCode: 400, param: 'status' });
    await expect(
      stripe.prices.create({ unit_amount: 1, currency: 'eur', product: 'p', recurring: { interval: 'fortnight' as 'week' } }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'recurring[interval]' });
  });

  it('numbers, booleans and times that do not parse', async () => {
    const sub = await seed();
    const unparsable = [
      ['POST', '/v1/prices', 'unit_amount=12.5.0&currency=eur&product=p', 'unit_amount'],
      [
        'POST',
        `/v1/subscriptions/${sub.id}`,
        'pause_collection[behavior]=void&pause_collection[resumes_at]=NaN',
        'pause_collection[resumes_at]',
      ],
      ['POST', `/v1/subscriptions/${sub.id}`, 'cancel_at_period_end=yes', 'cancel_at_period_end'],
      ['GET', '/v1/subscriptions?limit=ten', undefined, 'limit'],
    ] as const;
    for (const [method, path, body, param] of unparsable) {
      const r = await raw(method, path, body);
      expect([path, r.status, ((await r.json()) as { error: { param: string; type: string } }).error]).toEqual([
        path,
        400,
        expect.objectContaining({ type: 'invalid_request_error', param }),
      ]);
    }
    // Nothing changed.
    expect(sim.subscription(sub.id)!.pause_collection).toBeNull();
  });
});

describe('Stripe simulator: objects and webhooks of the pinned API version', () => {
  it("a failed renewal: the webhook claims the SDK's version and carries no payment; the invoice read back with the expansion has it", async () => {
    const receiver = await startTarget(() => ({ status: 200 }));
    const sim = await startStripeSimulator(0, { webhook: { url: `${receiver.url}/webhooks/stripe`, secret: 'whsec_sim' } });
    try {
      const stripe = sdk(sim);
      const customer = await stripe.customers.create({ email: 'dirk@example.com' });
      const price = await stripe.prices.create({ unit_amount: 850, currency: 'eur', recurring: { interval: 'month' }, product: 'p' });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      expect(sub).not.toHaveProperty('current_period_end');
      expect(sub.items.data[0]).toMatchObject({
        current_period_start: expect.any(Number),
        current_period_end: expect.any(Number),
        price: { id: price.id, object: 'price', unit_amount: 850, recurring: { interval: 'month' } },
      });
      expect(sub).toMatchObject({ trial_end: null, cancellation_details: { reason: null } });
      const failed = (await (
        await fetch(`${sim.url}/_sim/subscriptions/${sub.id}/fail_payment`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code: 'expired_card', decline_code: 'expired_card' }),
        })
      ).json()) as { id: string };
      await sim.settled();
      const events = receiver.requests.map(
        (r) => r.body as { type: string; api_version: string; data: { object: Record<string, unknown> } },
      );
      expect(new Set(events.map((e) => e.api_version))).toEqual(new Set([Stripe.API_VERSION]));
      const webhook = events.find((e) => e.type === 'invoice.payment_failed')!.data.object;
      expect(webhook).toMatchObject({
        id: failed.id,
        customer_email: 'dirk@example.com',
        parent: { type: 'subscription_details', subscription_details: { subscription: sub.id } },
      });
      for (const gone of ['payment_intent', 'subscription', 'payments', 'charge']) expect(webhook).not.toHaveProperty(gone);
      expect((webhook.lines as { data: unknown[] }).data[0]).toMatchObject({
        parent: { subscription_item_details: { subscription: sub.id } },
        pricing: { price_details: { price: price.id } },
      });

      const plain = await stripe.invoices.retrieve(failed.id);
      expect(plain).not.toHaveProperty('payments');
      const expanded = await stripe.invoices.retrieve(failed.id, { expand: ['payments.data.payment.payment_intent'] });
      const pi = expanded.payments!.data[0]!.payment.payment_intent as Stripe.PaymentIntent;
      expect(pi).toMatchObject({
        object: 'payment_intent',
        status: 'requires_payment_method',
        last_payment_error: { code: 'expired_card', decline_code: 'expired_card' },
      });
      expect(await stripe.paymentIntents.retrieve(pi.id)).toMatchObject({ id: pi.id, amount: 850 });
    } finally {
      await sim.close();
      await receiver.close();
    }
  });

  it("a trial's first invoice bills the trial period at 0, and every invoice carries the subscription's metadata as Stripe snapshots it", async () => {
    let now = Date.parse('2026-12-10T09:00:00Z');
    const sim = await startStripeSimulator(0, { now: () => now });
    try {
      const stripe = sdk(sim);
      const customer = await stripe.customers.create({});
      const price = await stripe.prices.create({ unit_amount: 2490, currency: 'eur', recurring: { interval: 'month' }, product: 'p' });
      const trialEnd = unix('2026-12-24T09:00:00Z');
      const sub = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id, quantity: 4 }],
        metadata: { tenant: 'beans-de' },
        trial_end: trialEnd,
      });
      const trialInvoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
      expect(trialInvoice).toMatchObject({
        billing_reason: 'subscription_create',
        amount_due: 0,
        status: 'paid',
        parent: { subscription_details: { subscription: sub.id, metadata: { tenant: 'beans-de' } } },
      });
      expect(trialInvoice.lines.data[0]).toMatchObject({
        amount: 0,
        quantity: 4,
        period: { start: unix('2026-12-10T09:00:00Z'), end: trialEnd },
      });
      now = Date.parse('2026-12-24T09:00:00Z');
      const renewal = (await (await fetch(`${sim.url}/_sim/subscriptions/${sub.id}/renew`, { method: 'POST' })).json()) as Stripe.Invoice;
      expect(renewal).toMatchObject({
        billing_reason: 'subscription_cycle',
        amount_due: 4 * 2490,
        parent: { subscription_details: { metadata: { tenant: 'beans-de' } } },
      });
    } finally {
      await sim.close();
    }
  });

  it('cancellation at period end and now fill cancellation_details', async () => {
    const sim = await startStripeSimulator();
    try {
      const stripe = sdk(sim);
      const customer = await stripe.customers.create({});
      const price = await stripe.prices.create({ unit_amount: 850, currency: 'eur', recurring: { interval: 'month' }, product: 'p' });
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      const scheduled = await stripe.subscriptions.update(sub.id, {
        cancel_at_period_end: true,
        cancellation_details: { feedback: 'too_expensive' },
      });
      expect(scheduled).toMatchObject({
        cancel_at: sub.items.data[0]!.current_period_end,
        cancellation_details: { reason: 'cancellation_requested', feedback: 'too_expensive' },
      });
      expect(await stripe.subscriptions.cancel(sub.id)).toMatchObject({
        status: 'canceled',
        cancellation_details: { reason: 'cancellation_requested' },
      });
    } finally {
      await sim.close();
    }
  });
});
