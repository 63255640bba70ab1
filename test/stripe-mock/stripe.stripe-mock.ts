/**
 * The Stripe connector against Stripe's own mock server (stripe-mock: Stripe's OpenAPI spec behind
 * a real HTTP API, which rejects any request the spec does not allow). Run with
 * `npm run test:stripe-mock` after `.ci/stripe-mock.sh start` (STRIPE_MOCK_URL); it is not part of
 * plain `npm test`, and without STRIPE_MOCK_URL it fails instead of skipping.
 *
 * 1. Every action, pull and enricher of the connector runs against it: a request it rejects fails
 *    the test (the connector reports a refusal as DELIVERY_REJECTED with the HTTP status).
 * 2. The simulator's objects have the field sets of Stripe's (subscription and its items, invoice
 *    and its lines, price, customer), but for the fields Stripe added after the API version the
 *    SDK pins: those are listed, and the test checks that the SDK's types do not know them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Stripe from 'stripe';
import { stripeConnector } from '../../connectors/stripe';
import { startStripeSimulator, type StripeSimulator } from '../../connectors/stripe/simulator';
import type { ActionContext, ConnectorDeps } from '../../src/sdk';
import { stripeClientFor } from '../helpers/stripe-sim-connector';

const MOCK_URL = process.env.STRIPE_MOCK_URL;
if (!MOCK_URL)
  throw new Error(
    'STRIPE_MOCK_URL is not set: start stripe-mock first (url="$(.ci/stripe-mock.sh start)"; STRIPE_MOCK_URL="$url" npm run test:stripe-mock)',
  );
const mockUrl = new URL(MOCK_URL);

const deps: ConnectorDeps = { resolveSecret: () => 'sk_test_123' };
const options = {
  apiKey: { env: 'STRIPE_API_KEY' },
  api: { host: mockUrl.hostname, port: Number(mockUrl.port), protocol: 'http' },
  allowHosts: [mockUrl.hostname],
};
const ctx = (key: string): ActionContext => ({ idempotencyKey: key, attempt: 1, timeoutMs: 10_000 });
const mock = stripeClientFor(MOCK_URL, 'sk_test_123');

/** Runs a call; a refusal by stripe-mock (4xx) fails the test with Stripe's message. */
async function accepted<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    const err = e as { code?: string; status?: number; message?: string };
    throw new Error(`stripe-mock rejected ${what}: ${err.code ?? ''} ${err.status ?? ''} ${err.message ?? String(e)}`);
  }
}

describe('Stripe connector against stripe-mock (every request must be one Stripe accepts)', () => {
  const actions = stripeConnector.createActions!(options, deps);

  it('declares exactly the actions, pulls and enrichers this suite runs (a new one must be added here)', () => {
    expect(Object.keys(actions).sort()).toEqual(['cancel', 'createPortalSession', 'pauseCollection', 'payLink', 'resumeCollection']);
    expect(Object.keys(stripeConnector.createPulls!(options, deps)).sort()).toEqual(['subscriptions']);
    expect(Object.keys(stripeConnector.createEnrichers!(options, deps)).sort()).toEqual([
      'charge.dispute.created',
      'invoice.payment_failed',
    ]);
  });

  it('createPortalSession: a payment-method update session', async () => {
    const r = await accepted('createPortalSession', () =>
      actions.createPortalSession!({ customer: 'cus_123', returnUrl: 'https://shop.example/account' }, ctx('a1')),
    );
    expect(r.externalId).toMatch(/^https:\/\//);
  });

  it('payLink: reads the invoice (its hosted page, or DELIVERY_NO_RESULT when it has none: never a refusal)', async () => {
    const outcome = await actions.payLink!({ invoice: 'in_123' }, ctx('a2')).then(
      (r) => ({ ok: true as const, externalId: r.externalId }),
      (e: { code?: string; message?: string }) => ({ ok: false as const, code: e.code, message: e.message }),
    );
    if (outcome.ok) expect(outcome.externalId).toMatch(/^https:\/\//);
    else expect(outcome).toMatchObject({ code: 'DELIVERY_NO_RESULT' });
  });

  it("pauseCollection: each of Stripe's three behaviours, with and without resumes_at", async () => {
    for (const behavior of ['void', 'keep_as_draft', 'mark_uncollectible']) {
      await accepted(`pauseCollection ${behavior}`, () =>
        actions.pauseCollection!({ subscription: 'sub_123', behavior }, ctx(`p-${behavior}`)),
      );
    }
    await accepted('pauseCollection with resumesAt', () =>
      actions.pauseCollection!({ subscription: 'sub_123', behavior: 'void', resumesAt: '2027-01-15T08:00:00.000Z' }, ctx('p-resume')),
    );
  });

  it('resumeCollection: clears pause_collection', async () => {
    await accepted('resumeCollection', () => actions.resumeCollection!({ subscription: 'sub_123' }, ctx('r1')));
  });

  it('cancel: at period end, and now', async () => {
    await accepted('cancel at period end', () => actions.cancel!({ subscription: 'sub_123', atPeriodEnd: true }, ctx('c1')));
    await accepted('cancel now', () => actions.cancel!({ subscription: 'sub_123' }, ctx('c2')));
  });

  it('pull subscriptions: pages through the list', async () => {
    const seen: unknown[] = [];
    await accepted('pull subscriptions', async () => {
      for await (const s of stripeConnector.createPulls!(options, deps).subscriptions!()) seen.push(s);
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toMatchObject({ object: 'subscription' });
  });

  it('enrichment of invoice.payment_failed: the invoice with payments.data.payment.payment_intent expanded (current versions), the PaymentIntent (older)', async () => {
    const enrich = stripeConnector.createEnrichers!(options, deps)['invoice.payment_failed']!;
    const current = await accepted('enrich (current version)', () =>
      enrich({ api_version: Stripe.API_VERSION, data: { object: { id: 'in_123' } } }, ctx('e1')),
    );
    expect(current).toMatchObject({ payment_intent: { object: 'payment_intent' } });
    const older = await accepted('enrich (2024-06-20)', () =>
      enrich({ api_version: '2024-06-20', data: { object: { id: 'in_123', payment_intent: 'pi_123' } } }, ctx('e2')),
    );
    expect(older).toMatchObject({ payment_intent: { object: 'payment_intent' } });
  });

  it('enrichment of charge.dispute.created: the disputed charge (it names the customer)', async () => {
    const enrich = stripeConnector.createEnrichers!(options, deps)['charge.dispute.created']!;
    const r = await accepted('enrich dispute', () =>
      enrich({ api_version: Stripe.API_VERSION, data: { object: { id: 'dp_123', charge: 'ch_123' } } }, ctx('e3')),
    );
    expect(r).toMatchObject({ charge: { object: 'charge' } });
  });
});

/** Top-level fields Stripe's current spec has that the SDK's pinned version does not (added later). */
const NEWER_THAN_PINNED: Record<string, { types: string; fields: string[] }> = {
  customer: { types: 'Customers.d.ts', fields: [] },
  price: { types: 'Prices.d.ts', fields: [] },
  subscription: { types: 'Subscriptions.d.ts', fields: ['billing_schedules', 'customer_account', 'managed_payments'] },
  subscription_item: { types: 'SubscriptionItems.d.ts', fields: [] },
  invoice: { types: 'Invoices.d.ts', fields: ['amount_paid_off_stripe', 'customer_account'] },
  line_item: { types: 'InvoiceLineItems.d.ts', fields: ['quantity_decimal', 'subtotal'] },
};

describe("the simulator's objects have the field sets of Stripe's (stripe-mock)", () => {
  let sim: StripeSimulator;
  const ours: Record<string, object> = {};
  const theirs: Record<string, object> = {};
  beforeAll(async () => {
    sim = await startStripeSimulator();
    const s = stripeClientFor(sim.url);
    ours.customer = await s.customers.create({ email: 'ana@example.com' });
    ours.price = await s.prices.create({ unit_amount: 990, currency: 'eur', recurring: { interval: 'month' }, product: 'prod_coffee' });
    const sub = await s.subscriptions.create({
      customer: (ours.customer as Stripe.Customer).id,
      items: [{ price: (ours.price as Stripe.Price).id }],
    });
    ours.subscription = sub;
    ours.subscription_item = sub.items.data[0]!;
    const invoice = await s.invoices.retrieve(sub.latest_invoice as string);
    ours.invoice = invoice;
    ours.line_item = invoice.lines.data[0]!;
    theirs.customer = await mock.customers.retrieve('cus_123');
    theirs.price = await mock.prices.retrieve('price_123');
    const mockSub = await mock.subscriptions.retrieve('sub_123');
    theirs.subscription = mockSub;
    theirs.subscription_item = mockSub.items.data[0]!;
    const mockInvoice = await mock.invoices.retrieve('in_123');
    theirs.invoice = mockInvoice;
    theirs.line_item = mockInvoice.lines.data[0]!;
  });
  afterAll(() => sim?.close());

  for (const [object, newer] of Object.entries(NEWER_THAN_PINNED)) {
    it(`${object}: the same fields, but for those added after ${Stripe.API_VERSION}`, () => {
      const sorted = (o: object) => Object.keys(o).sort();
      const expected = sorted(theirs[object]!).filter((k) => !newer.fields.includes(k));
      expect(sorted(ours[object]!)).toEqual(expected);
      // The exceptions really are newer than the pinned version: the SDK's types do not know them.
      const types = readFileSync(join(require.resolve('stripe'), '../../types', newer.types), 'utf8');
      for (const f of newer.fields) expect([f, new RegExp(`^\\s+${f}\\??:`, 'm').test(types)]).toEqual([f, false]);
    });
  }
});

describe("the Kafka partition key finds the customer where Stripe's objects carry it (stripe-mock)", () => {
  const keyOf = stripeConnector.webhook!.partitionKey!;
  const asEvent = (object: object) => ({ object: 'event', type: 'test', data: { object } });

  it('customer.*: the object itself; subscriptions, invoices, charges and payment intents: their customer, an id or expanded', async () => {
    const customer = await accepted('customers.retrieve', () => mock.customers.retrieve('cus_123'));
    const subscription = await accepted('subscriptions.retrieve', () => mock.subscriptions.retrieve('sub_123'));
    const expanded = await accepted('subscriptions.retrieve expanded', () =>
      mock.subscriptions.retrieve('sub_123', { expand: ['customer'] }),
    );
    const invoice = await accepted('invoices.retrieve', () => mock.invoices.retrieve('in_123'));
    const charge = await accepted('charges.retrieve', () => mock.charges.retrieve('ch_123'));
    const intent = await accepted('paymentIntents.retrieve', () => mock.paymentIntents.retrieve('pi_123'));
    const idOf = (c: string | { id: string } | null) => (typeof c === 'string' ? c : c?.id);
    expect(typeof expanded.customer).toBe('object');
    expect([customer, subscription, expanded, invoice, charge, intent].map((o) => [o.object, keyOf(asEvent(o), {})])).toEqual([
      ['customer', customer.id],
      ['subscription', idOf(subscription.customer)],
      ['subscription', idOf(expanded.customer)],
      ['invoice', idOf(invoice.customer)],
      ['charge', idOf(charge.customer)],
      ['payment_intent', idOf(intent.customer)],
    ]);
    // Subscriptions and invoices always name their customer; stripe-mock's charge and payment intent name none
    // (null: a guest payment), so theirs are keyed by the event's own id.
    expect([subscription, invoice].map((o) => typeof keyOf(asEvent(o), {}))).toEqual(['string', 'string']);
    expect([charge.customer, intent.customer]).toEqual([null, null]);
  });
});
