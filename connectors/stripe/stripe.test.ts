import Stripe from 'stripe';
import type { ActionContext, ConnectorDeps } from '../../src/sdk';
import { startTarget } from '../../test/helpers/target-server';
import { stripeConnector } from './index';
import { startStripeSimulator, type StripeSimulator } from './simulator';

const KEY = 'sk_test_simulator';
const ctx = (key: string): ActionContext => ({ idempotencyKey: key, attempt: 1, timeoutMs: 5000 });

describe('Stripe: the official SDK against the simulator (real HTTP)', () => {
  let sim: StripeSimulator;
  let stripe: Stripe;
  beforeEach(async () => {
    sim = await startStripeSimulator();
    const u = new URL(sim.url);
    stripe = new Stripe(KEY, { host: u.hostname, port: Number(u.port), protocol: 'http', maxNetworkRetries: 0, telemetry: false });
  });
  afterEach(() => sim.close());

  const subscription = async () => {
    const customer = await stripe.customers.create({ email: 'ana@example.com', name: 'Ana de Vries' });
    const price = await stripe.prices.create({
      unit_amount: 2490,
      currency: 'eur',
      recurring: { interval: 'month' },
      product: 'prod_coffee',
    });
    return stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 2 }] });
  };

  it('creates a customer and a subscription and lists it back', async () => {
    const sub = await subscription();
    expect(sub).toMatchObject({
      object: 'subscription',
      status: 'active',
      items: { data: [{ quantity: 2, price: { unit_amount: 2490 } }] },
    });
    const listed = await stripe.subscriptions.list({ limit: 10 });
    expect(listed.data.map((s) => s.id)).toEqual([sub.id]);
  });

  it('paginates like Stripe (has_more, starting_after) so the SDK auto-pagination sees every subscription', async () => {
    const customer = await stripe.customers.create({});
    const price = await stripe.prices.create({ unit_amount: 100, currency: 'eur', recurring: { interval: 'month' }, product: 'p' });
    for (let i = 0; i < 125; i++) await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const first = await stripe.subscriptions.list({ limit: 100 });
    expect(first.has_more).toBe(true);
    const ids: string[] = [];
    for await (const s of stripe.subscriptions.list({ limit: 100 })) ids.push(s.id);
    expect(new Set(ids).size).toBe(125);
  });

  it("answers errors in Stripe's shape: 401 wrong key, 404 resource_missing, idempotency conflicts", async () => {
    const wrong = new Stripe('sk_test_wrong', {
      host: '127.0.0.1',
      port: Number(new URL(sim.url).port),
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    await expect(wrong.customers.create({})).rejects.toMatchObject({ type: 'StripeAuthenticationError', statusCode: 401 });
    await expect(stripe.subscriptions.retrieve('sub_nope')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'resource_missing',
      statusCode: 404,
    });
    const a = await stripe.customers.create({ email: 'x@example.com' }, { idempotencyKey: 'same' });
    const b = await stripe.customers.create({ email: 'x@example.com' }, { idempotencyKey: 'same' });
    expect(b.id).toBe(a.id);
    await expect(stripe.customers.create({ email: 'other@example.com' }, { idempotencyKey: 'same' })).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
    });
  });
});

describe('Stripe connector actions and pulls', () => {
  let sim: StripeSimulator;
  beforeEach(async () => {
    sim = await startStripeSimulator();
  });
  afterEach(() => sim.close());

  const deps: ConnectorDeps = { resolveSecret: () => KEY };
  const options = () => ({
    apiKey: { env: 'STRIPE_API_KEY' },
    api: { host: '127.0.0.1', port: Number(new URL(sim.url).port), protocol: 'http' },
    allowHosts: ['127.0.0.1'],
  });
  const seed = async () => {
    const u = new URL(sim.url);
    const s = new Stripe(KEY, { host: u.hostname, port: Number(u.port), protocol: 'http' });
    const customer = await s.customers.create({});
    const price = await s.prices.create({ unit_amount: 990, currency: 'eur', recurring: { interval: 'month' }, product: 'p' });
    return { customer, sub: await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] }) };
  };

  it('payment-method update link, one-off payment link, pause and resume collection, cancel at period end and now', async () => {
    const { customer, sub } = await seed();
    const a = stripeConnector.createActions!(options(), deps);
    expect(
      (await a.createPortalSession!({ customer: customer.id, returnUrl: 'https://shop.example/account' }, ctx('k1'))).externalId,
    ).toMatch(/^https:\/\/billing\.stripe\.test\//);
    const failed = (await (await fetch(`${sim.url}/_sim/subscriptions/${sub.id}/fail_payment`, { method: 'POST' })).json()) as {
      id: string;
    };
    expect((await a.payLink!({ invoice: failed.id }, ctx('k2'))).externalId).toMatch(/^https:\/\/invoice\.stripe\.test\//);
    await a.pauseCollection!({ subscription: sub.id, behavior: 'keep_as_draft' }, ctx('k3'));
    expect(sim.objects.get(sub.id)!.pause_collection).toEqual({ behavior: 'keep_as_draft', resumes_at: null });
    await a.resumeCollection!({ subscription: sub.id }, ctx('k4'));
    expect(sim.objects.get(sub.id)!.pause_collection).toBeNull();
    await a.pauseCollection!({ subscription: sub.id, resumesAt: '2027-01-15T08:00:00.000Z' }, ctx('k4b'));
    expect(sim.objects.get(sub.id)!.pause_collection).toEqual({
      behavior: 'void',
      resumes_at: Date.parse('2027-01-15T08:00:00.000Z') / 1000,
    });
    await a.cancel!({ subscription: sub.id, atPeriodEnd: true }, ctx('k5'));
    expect(sim.objects.get(sub.id)).toMatchObject({ status: 'past_due', cancel_at_period_end: true });
    await a.cancel!({ subscription: sub.id }, ctx('k6'));
    expect(sim.objects.get(sub.id)!.status).toBe('canceled');
  });

  it('classifies failures: unknown objects rejected, an unset key a config error, an unreachable API retryable', async () => {
    const a = stripeConnector.createActions!(options(), deps);
    await expect(a.cancel!({ subscription: 'sub_nope' }, ctx('k'))).rejects.toMatchObject({ code: 'DELIVERY_REJECTED', status: 404 });
    await expect(a.cancel!({}, ctx('k'))).rejects.toMatchObject({ code: 'MAPPING_REQUIRED_MISSING' });
    await expect(
      stripeConnector.createActions!(options(), { resolveSecret: () => undefined }).cancel!({ subscription: 's' }, ctx('k')),
    ).rejects.toMatchObject({ code: 'CONFIG_SECRET_MISSING' });
    const down = stripeConnector.createActions!({ ...options(), api: { host: '127.0.0.1', port: 9, protocol: 'http' } }, deps);
    await expect(down.cancel!({ subscription: 's' }, ctx('k'))).rejects.toMatchObject({ code: 'DELIVERY_NETWORK', kind: 'retryable' });
  });

  it('the subscriptions pull streams every subscription', async () => {
    await seed();
    await seed();
    const seen: string[] = [];
    for await (const s of stripeConnector.createPulls!(options(), deps).subscriptions!()) seen.push((s as { id: string }).id);
    expect(seen).toHaveLength(2);
  });
});

describe('the simulator sends signed webhooks and retries non-2xx answers', () => {
  it('retries a failing receiver until it answers 2xx', async () => {
    const receiver = await startTarget((_r, n) => ({ status: n === 1 ? 500 : 200 }));
    const sim = await startStripeSimulator(0, {
      webhook: { url: `${receiver.url}/webhooks/stripe`, secret: 'whsec_sim', retryDelaysMs: [10, 10] },
    });
    try {
      const u = new URL(sim.url);
      const s = new Stripe(KEY, { host: u.hostname, port: Number(u.port), protocol: 'http' });
      await s.customers.create({});
      await s.subscriptions.create({
        customer: [...sim.objects.values()].find((o) => o.object === 'customer')!.id,
        items: [{ price: (await s.prices.create({ unit_amount: 1, currency: 'eur', product: 'p', recurring: { interval: 'month' } })).id }],
      });
      await sim.settled();
      expect(sim.deliveries.map((d) => [d.type, d.status])).toEqual([
        ['customer.subscription.created', 200],
        ['invoice.paid', 200],
      ]);
      expect(sim.deliveries.reduce((n, d) => n + d.attempts, 0)).toBe(3);
      const event = receiver.requests.at(-1)!;
      expect(String(event.headers['stripe-signature'])).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      // The official library accepts what the simulator signs.
      const body = JSON.stringify(event.body);
      expect(() => Stripe.webhooks.constructEvent(body, String(event.headers['stripe-signature']), 'whsec_sim')).not.toThrow();
    } finally {
      await sim.close();
      await receiver.close();
    }
  });
});
