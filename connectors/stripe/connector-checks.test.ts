import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Stripe from 'stripe';
import type { ActionContext, ConnectorDeps } from '../../src/sdk';
import { stripeClientFor } from '../../test/helpers/stripe-sim-connector';
import { stripeConnector } from './index';
import { startStripeSimulator, type StripeSimulator } from './simulator';

const KEY = 'sk_test_simulator';
const ctx = (key: string): ActionContext => ({ idempotencyKey: key, attempt: 1, timeoutMs: 5000 });
const deps: ConnectorDeps = { resolveSecret: () => KEY };

let sim: StripeSimulator;
let stripe: Stripe;
beforeEach(async () => {
  sim = await startStripeSimulator();
  stripe = stripeClientFor(sim.url);
});
afterEach(() => sim.close());

const options = () => ({
  apiKey: { env: 'STRIPE_API_KEY' },
  api: { host: '127.0.0.1', port: Number(new URL(sim.url).port), protocol: 'http' },
  allowHosts: ['127.0.0.1'],
});
const failedRenewal = async (body: Record<string, unknown>) => {
  const customer = await stripe.customers.create({});
  const price = await stripe.prices.create({ unit_amount: 990, currency: 'eur', recurring: { interval: 'month' }, product: 'p' });
  const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  const r = await fetch(`${sim.url}/_sim/subscriptions/${sub.id}/fail_payment`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { sub, invoice: (await r.json()) as Record<string, unknown> & { id: string } };
};

describe('Stripe enrichment of invoice.payment_failed (the PaymentIntent the webhook leaves out)', () => {
  const enricher = () => stripeConnector.createEnrichers!(options(), deps)['invoice.payment_failed']!;

  it('current API version: re-reads the invoice with payments.data.payment.payment_intent expanded', async () => {
    const { invoice } = await failedRenewal({ code: 'expired_card', decline_code: 'expired_card' });
    const event = { api_version: Stripe.API_VERSION, type: 'invoice.payment_failed', data: { object: invoice } };
    expect(await enricher()(event, ctx('e1'))).toMatchObject({
      payment_intent: { object: 'payment_intent', last_payment_error: { decline_code: 'expired_card' } },
    });
  });

  it('API versions before 2025-03-31.basil: reads the PaymentIntent whose id the invoice carries', async () => {
    const { invoice } = await failedRenewal({ payment_method_type: 'sepa_debit', code: 'insufficient_funds' });
    const expanded = await stripe.invoices.retrieve(invoice.id, { expand: ['payments.data.payment.payment_intent'] });
    const pi = expanded.payments!.data[0]!.payment.payment_intent as Stripe.PaymentIntent;
    const old = { api_version: '2024-06-20', data: { object: { id: invoice.id, subscription: 'sub_x', payment_intent: pi.id } } };
    expect(await enricher()(old, ctx('e2'))).toMatchObject({
      payment_intent: { id: pi.id, payment_method_types: ['sepa_debit'], last_payment_error: { code: 'insufficient_funds' } },
    });
  });

  it('nothing to fetch when the event carries the PaymentIntent itself (older fixtures) or has none to read', async () => {
    const fixture = JSON.parse(
      readFileSync(join(__dirname, '../../mappings/fixtures/stripe-invoice-payment-failed-expired-card-2024-06-20.json'), 'utf8'),
    ) as unknown;
    expect(await enricher()(fixture, ctx('e3'))).toBeUndefined();
    expect(
      await enricher()({ api_version: '2024-06-20', data: { object: { id: 'in_1', payment_intent: null } } }, ctx('e4')),
    ).toBeUndefined();
  });

  it('an invoice Stripe does not know is a refusal (dead letter), an unreachable API retryable', async () => {
    const event = { api_version: Stripe.API_VERSION, data: { object: { id: 'in_nope' } } };
    await expect(enricher()(event, ctx('e5'))).rejects.toMatchObject({ code: 'DELIVERY_REJECTED', status: 404 });
    const down = stripeConnector.createEnrichers!({ ...options(), api: { host: '127.0.0.1', port: 9, protocol: 'http' } }, deps)[
      'invoice.payment_failed'
    ]!;
    await expect(down(event, ctx('e6'))).rejects.toMatchObject({ code: 'DELIVERY_NETWORK', kind: 'retryable' });
  });
});

describe('Stripe connector: inputs checked before anything is sent', () => {
  it("pause_collection.behavior must be one of Stripe's three values, resumesAt a time", async () => {
    const { sub } = await failedRenewal({});
    const a = stripeConnector.createActions!(options(), deps);
    await expect(a.pauseCollection!({ subscription: sub.id, behavior: 'stop' }, ctx('p1'))).rejects.toMatchObject({
      code: 'DELIVERY_INPUT_INVALID',
      kind: 'bad_input',
    });
    await expect(a.pauseCollection!({ subscription: sub.id, resumesAt: 'next tuesday' }, ctx('p2'))).rejects.toMatchObject({
      code: 'DELIVERY_INPUT_INVALID',
      message: expect.stringContaining('resumesAt'),
    });
    expect(sim.subscription(sub.id)!.pause_collection).toBeNull();
    await a.pauseCollection!({ subscription: sub.id, behavior: 'mark_uncollectible' }, ctx('p3'));
    expect(sim.subscription(sub.id)!.pause_collection).toEqual({ behavior: 'mark_uncollectible', resumes_at: null });
  });

  it('a pay link for an invoice without a hosted page is an error with a code, not a success carrying the invoice id', async () => {
    const { invoice } = await failedRenewal({});
    const a = stripeConnector.createActions!(options(), deps);
    expect((await a.payLink!({ invoice: invoice.id }, ctx('l1'))).externalId).toBe(invoice.hosted_invoice_url);
    sim.objects.get(invoice.id)!.hosted_invoice_url = null; // a draft, or paid out of band
    await expect(a.payLink!({ invoice: invoice.id }, ctx('l2'))).rejects.toMatchObject({ code: 'DELIVERY_NO_RESULT', kind: 'permanent' });
  });
});
