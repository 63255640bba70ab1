import { createHmac } from 'node:crypto';
import type { ActionContext, ConnectorDeps } from '../../src/sdk';
import { startTarget } from '../../test/helpers/target-server';
import { mollieConnector, mollieFetchedKey } from './index';
import { startMollieSimulator, type MollieSimulator } from './simulator';
import type { MollieEnrichment, MolliePayment, MollieSubscription } from './types';

const KEY = 'test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM';
const ctx = (key: string, attempt = 1): ActionContext => ({ idempotencyKey: key, attempt, timeoutMs: 5000 });
const deps: ConnectorDeps = { resolveSecret: () => KEY };

let sim: MollieSimulator;
beforeEach(async () => {
  sim = await startMollieSimulator();
});
afterEach(() => sim.close());

const options = () => ({
  apiKey: { env: 'MOLLIE_API_KEY' },
  apiEndpoint: sim.apiEndpoint,
  webhookUrl: 'https://hub.example/webhooks/mollie',
  redirectUrl: 'https://shop.example/account',
  allowHosts: ['127.0.0.1'],
});
const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const r = await fetch(`${sim.apiEndpoint}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await r.json()) as T;
};
const control = async <T>(path: string, body: Record<string, unknown> = {}): Promise<T> => {
  const r = await fetch(`${sim.url}/_sim/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await r.json()) as T;
};
/** A customer with a valid SEPA mandate (a paid first payment) and an active monthly subscription. */
const subscribed = async (metadata: Record<string, unknown> = { tenant: 'beans-nl' }) => {
  const customer = await api<{ id: string }>('POST', 'customers', { name: 'Ana' });
  const first = await api<MolliePayment>('POST', `customers/${customer.id}/payments`, {
    amount: { currency: 'EUR', value: '0.01' },
    description: 'Mandate',
    sequenceType: 'first',
    method: 'ideal',
    redirectUrl: 'https://shop.example/r',
  });
  const paid = await control<MolliePayment>(`payments/${first.id}/paid`);
  const sub = await api<MollieSubscription>('POST', `customers/${customer.id}/subscriptions`, {
    amount: { currency: 'EUR', value: '24.90' },
    interval: '1 month',
    description: 'Espresso 1 kg monthly',
    method: 'directdebit',
    webhookUrl: 'https://hub.example/webhooks/mollie',
    metadata,
  });
  return { customerId: customer.id, mandateId: paid.mandateId!, sub };
};

describe('Mollie actions', () => {
  it('chargeRecurring: a recurring payment on the valid mandate, carrying the invoice and subscription; the same key gives the same payment', async () => {
    const { customerId, mandateId, sub } = await subscribed();
    const a = mollieConnector.createActions!(options(), deps);
    const payload = {
      customerId,
      amount: { currency: 'EUR', value: '24.90' },
      description: 'Retry of tr_failed1',
      metadata: { subhubInvoice: 'tr_failed1', subscriptionId: sub.id },
    };
    const one = await a.chargeRecurring!(payload, ctx('retry-1'));
    const again = await a.chargeRecurring!(payload, ctx('retry-1'));
    expect(again.externalId).toBe(one.externalId);
    const other = await a.chargeRecurring!(payload, ctx('retry-2'));
    expect(other.externalId).not.toBe(one.externalId);
    expect(sim.objects.get(one.externalId!)).toMatchObject({
      sequenceType: 'recurring',
      status: 'pending',
      mandateId,
      customerId,
      webhookUrl: 'https://hub.example/webhooks/mollie',
      metadata: { subhubInvoice: 'tr_failed1', subscriptionId: sub.id },
    });
    await expect(a.chargeRecurring!({ ...payload, metadata: { subscriptionId: sub.id } }, ctx('r3'))).rejects.toMatchObject({
      code: 'MAPPING_REQUIRED_MISSING',
    });
    await expect(a.chargeRecurring!({ ...payload, amount: { currency: 'EUR', value: 24.9 } }, ctx('r4'))).rejects.toMatchObject({
      code: 'DELIVERY_INPUT_INVALID',
    });
    await control(`mandates/${mandateId}/revoke`);
    await expect(a.chargeRecurring!(payload, ctx('r5'))).rejects.toMatchObject({ code: 'DELIVERY_REJECTED', status: 422 });
  });

  it('createPaymentLink and createFirstPayment return the URLs the customer visits', async () => {
    const { customerId } = await subscribed();
    const a = mollieConnector.createActions!(options(), deps);
    const link = await a.createPaymentLink!({ amount: { currency: 'EUR', value: '49.80' }, description: 'Open amount' }, ctx('l1'));
    expect(link.externalId).toMatch(/^https:\/\/paymentlink\.mollie\.com\/payment\//);
    const stored = [...sim.objects.values()].find((o) => o.resource === 'payment-link')!;
    expect(stored).toMatchObject({ webhookUrl: 'https://hub.example/webhooks/mollie', amount: { value: '49.80' } });
    expect(Date.parse(String(stored.expiresAt)) - Date.now()).toBeGreaterThan(13 * 86_400_000);
    const first = await a.createFirstPayment!({ customerId }, ctx('f1'));
    expect(first.externalId).toMatch(/^https:\/\/www\.mollie\.com\/checkout\//);
    const payment = [...sim.objects.values()].find((o) => o.resource === 'payment' && o.description === 'Payment details update')!;
    expect(payment).toMatchObject({ sequenceType: 'first', method: 'ideal', amount: { currency: 'EUR', value: '0.01' } });
  });

  it('pauseSubscription: cancels, then recreates at the resume date with the same fields and the hub id kept', async () => {
    const { customerId, mandateId, sub } = await subscribed({ tenant: 'beans-nl', sku: 'COF-ESP-1KG' });
    const a = mollieConnector.createActions!(options(), deps);
    const r = await a.pauseSubscription!({ customerId, subscriptionId: sub.id, resumeDate: '2027-03-01' }, ctx('p1'));
    expect(sim.objects.get(sub.id)!.status).toBe('canceled');
    const created = sim.objects.get(r.externalId!)!;
    expect(created).toMatchObject({
      status: 'active',
      startDate: '2027-03-01',
      nextPaymentDate: '2027-03-01',
      amount: sub.amount,
      interval: sub.interval,
      description: sub.description,
      method: 'directdebit',
      mandateId,
      webhookUrl: sub.webhookUrl,
      metadata: { tenant: 'beans-nl', sku: 'COF-ESP-1KG', subhubSubscriptionId: `mollie:${sub.id}`, pausedFrom: sub.id },
    });
    // A retry of the same delivery (the answer was lost) finishes without a second subscription.
    const retry = await a.pauseSubscription!({ customerId, subscriptionId: sub.id, resumeDate: '2027-03-01' }, ctx('p1', 2));
    expect(retry.externalId).toBe(r.externalId);
    // A first attempt on a canceled subscription is refused: the customer's own cancellation stands.
    await expect(a.pauseSubscription!({ customerId, subscriptionId: sub.id, resumeDate: '2027-03-01' }, ctx('p2'))).rejects.toMatchObject({
      code: 'DELIVERY_REJECTED',
    });
    // Pausing the recreated one keeps the first hub id.
    const again = await a.pauseSubscription!({ customerId, subscriptionId: r.externalId!, resumeDate: '2027-06-01' }, ctx('p3'));
    expect(sim.objects.get(again.externalId!)!.metadata).toMatchObject({
      subhubSubscriptionId: `mollie:${sub.id}`,
      pausedFrom: r.externalId,
    });
    await expect(
      a.pauseSubscription!({ customerId, subscriptionId: again.externalId!, resumeDate: 'soon' }, ctx('p4')),
    ).rejects.toMatchObject({
      code: 'DELIVERY_INPUT_INVALID',
    });
  });

  it('cancelSubscription; failures classified: unknown ids rejected, a bad or unset key a config error, an unreachable API retryable', async () => {
    const { customerId, sub } = await subscribed();
    const a = mollieConnector.createActions!(options(), deps);
    await a.cancelSubscription!({ customerId, subscriptionId: sub.id }, ctx('c1'));
    expect(sim.objects.get(sub.id)!.status).toBe('canceled');
    await expect(a.cancelSubscription!({ customerId, subscriptionId: 'sub_nope' }, ctx('c2'))).rejects.toMatchObject({
      code: 'DELIVERY_REJECTED',
      status: 404,
    });
    await expect(a.cancelSubscription!({ customerId }, ctx('c3'))).rejects.toMatchObject({ code: 'MAPPING_REQUIRED_MISSING' });
    const noKey = mollieConnector.createActions!(options(), { resolveSecret: () => undefined });
    await expect(noKey.cancelSubscription!({ customerId, subscriptionId: sub.id }, ctx('c4'))).rejects.toMatchObject({
      code: 'CONFIG_SECRET_MISSING',
    });
    const badKey = mollieConnector.createActions!(options(), { resolveSecret: () => 'sk_test_not_mollie' });
    await expect(badKey.cancelSubscription!({ customerId, subscriptionId: sub.id }, ctx('c5'))).rejects.toMatchObject({
      code: 'CONFIG_SECRET_MISSING',
      message: expect.stringContaining('test_ or live_'),
    });
    const down = mollieConnector.createActions!({ ...options(), apiEndpoint: 'http://127.0.0.1:9/v2/' }, deps);
    await expect(down.cancelSubscription!({ customerId, subscriptionId: sub.id }, ctx('c6'))).rejects.toMatchObject({
      code: 'DELIVERY_NETWORK',
      kind: 'retryable',
    });
    sim.limiter.failNext(1);
    await expect(a.cancelSubscription!({ customerId, subscriptionId: sub.id }, ctx('c7'))).rejects.toMatchObject({
      code: 'DELIVERY_RATE_LIMITED',
      retryAfterMs: 1000,
    });
  });

  it('checkOptions refuses a private apiEndpoint not listed in allowHosts', () => {
    expect(mollieConnector.checkOptions!({ apiEndpoint: 'http://10.0.0.5/v2/' })).toEqual([
      expect.objectContaining({ pointer: '/apiEndpoint' }),
    ]);
    expect(mollieConnector.checkOptions!({ apiEndpoint: 'https://api.mollie.com/v2/' })).toEqual([]);
  });
});

describe('Mollie enrichment (fetch on notify) and the fetched dedupe key', () => {
  const enrich = () => mollieConnector.createEnrichers!(options(), deps)['*']!;

  it('a failed renewal: the payment with its subscription and mandate; the key is id + fetched status', async () => {
    const { sub, mandateId } = await subscribed();
    const p = await control<MolliePayment>(`subscriptions/${sub.id}/charge`, { status: 'failed', bankReasonCode: 'AM04' });
    const e = (await enrich()({ id: p.id }, ctx('e1'))) as MollieEnrichment;
    expect(e.payment).toMatchObject({ id: p.id, status: 'failed', details: { bankReasonCode: 'AM04', bankReason: 'Insufficient funds' } });
    expect(e.subscription).toMatchObject({ id: sub.id, status: 'active' });
    expect(e.mandate).toMatchObject({ id: mandateId, status: 'valid' });
    expect(mollieFetchedKey(e)).toBe(`${p.id}:failed`);
    await control(`payments/${p.id}/chargeback`).catch(() => undefined);
  });

  it("a hub retry's payment resolves its subscription from metadata.subscriptionId; a chargeback has its own key", async () => {
    const { customerId, sub } = await subscribed();
    const a = mollieConnector.createActions!(options(), deps);
    const { externalId } = await a.chargeRecurring!(
      {
        customerId,
        amount: { currency: 'EUR', value: '24.90' },
        description: 'Retry',
        metadata: { subhubInvoice: 'tr_x', subscriptionId: sub.id },
      },
      ctx('k'),
    );
    await control(`payments/${externalId!}/paid`);
    const e = (await enrich()({ id: externalId }, ctx('e2'))) as MollieEnrichment;
    expect(e.subscription?.id).toBe(sub.id);
    expect(mollieFetchedKey(e)).toBe(`${externalId!}:paid`);
    await control(`payments/${externalId!}/chargeback`);
    expect(mollieFetchedKey(await enrich()({ id: externalId }, ctx('e3')))).toBe(`${externalId!}:charged_back`);
  });

  it('subscriptions and mandates by id with their customer; unknown ids refused, other ids nothing to fetch', async () => {
    const { customerId, sub, mandateId } = await subscribed();
    await control(`mandates/${mandateId}/revoke`);
    const s = (await enrich()({ id: sub.id, customerId }, ctx('e4'))) as MollieEnrichment;
    expect(s).toMatchObject({ subscription: { status: 'suspended' }, mandate: { status: 'invalid' } });
    expect(mollieFetchedKey(s)).toBe(`${sub.id}:suspended`);
    expect(await enrich()({ id: mandateId, customerId }, ctx('e5'))).toMatchObject({ mandate: { id: mandateId, status: 'invalid' } });
    await expect(enrich()({ id: sub.id }, ctx('e6'))).rejects.toMatchObject({ code: 'MAPPING_REQUIRED_MISSING' });
    await expect(enrich()({ id: 'tr_nope' }, ctx('e7'))).rejects.toMatchObject({ code: 'DELIVERY_REJECTED', status: 404 });
    expect(await enrich()({ id: 'pl_abc' }, ctx('e8'))).toBeUndefined();
    expect(await enrich()({}, ctx('e9'))).toBeUndefined();
    expect(mollieFetchedKey(undefined)).toBeUndefined();
  });
});

describe('Mollie pulls', () => {
  it('subscriptions stream across pages of 250; mandates customer by customer', async () => {
    const c1 = sim.seedSubscriptions(260);
    sim.seedSubscriptions(3);
    const { customerId } = await subscribed();
    const pulls = mollieConnector.createPulls!(options(), deps);
    const ids: string[] = [];
    for await (const s of pulls.subscriptions!()) ids.push((s as { id: string }).id);
    expect(new Set(ids).size).toBe(264);
    const mandates: Array<{ customerId: string; status: string }> = [];
    for await (const m of pulls.mandates!()) mandates.push(m as { customerId: string; status: string });
    expect(mandates.map((m) => m.customerId)).toEqual(expect.arrayContaining([c1, customerId]));
    expect(mandates).toHaveLength(3);
    const one: unknown[] = [];
    for await (const m of pulls.mandates!({ customerId })) one.push(m);
    expect(one).toEqual([expect.objectContaining({ customerId, status: 'valid' })]);
  });

  it('a refused page (429) is asked again from the same cursor', async () => {
    sim.seedSubscriptions(300);
    const pulls = mollieConnector.createPulls!(options(), { ...deps, pull: { ratePerSec: 1000, maxRetries: 3, maxDelayMs: 5 } });
    const gen = pulls.subscriptions!()[Symbol.asyncIterator]();
    const first = await gen.next();
    expect(first.done).toBe(false);
    for (let i = 1; i < 250; i++) await gen.next();
    sim.limiter.failNext(1);
    let n = 250;
    for (let r = await gen.next(); !r.done; r = await gen.next()) n++;
    expect(n).toBe(300);
    expect(sim.limiter.limited).toBe(1);
  });
});

describe('the simulator posts webhooks on payment status changes', () => {
  it('classic `id=tr_…` form posts to the webhookUrl, and signed next-gen events', async () => {
    const receiver = await startTarget((_r, n) => ({ status: n === 1 ? 500 : 200 }));
    const nextGen = await startTarget();
    await sim.close();
    sim = await startMollieSimulator(0, { nextGen: { url: `${nextGen.url}/events`, secret: 'ngsecret' }, retryDelaysMs: [5, 5] });
    try {
      const customer = await api<{ id: string }>('POST', 'customers', {});
      const first = await api<MolliePayment>('POST', `customers/${customer.id}/payments`, {
        amount: { currency: 'EUR', value: '0.01' },
        description: 'Mandate',
        sequenceType: 'first',
        redirectUrl: 'https://shop.example/r',
        webhookUrl: `${receiver.url}/webhooks/mollie`,
      });
      expect(sim.deliveries).toHaveLength(0); // creation is no status change
      await control(`payments/${first.id}/paid`);
      await sim.settled();
      const classic = sim.deliveries.filter((d) => d.kind === 'classic');
      expect(classic).toEqual([expect.objectContaining({ body: `id=${first.id}`, attempts: 2, status: 200 })]);
      expect(receiver.requests[1]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const event = sim.deliveries.find((d) => d.kind === 'next-gen')!;
      const signature = createHmac('sha256', 'ngsecret').update(event.body).digest('hex');
      expect(nextGen.requests[0]!.headers['x-mollie-signature']).toBe(signature);
      expect(JSON.parse(event.body)).toMatchObject({
        resource: 'event',
        type: 'payment.paid',
        entityId: first.id,
        _embedded: { entity: { status: 'paid' } },
      });
    } finally {
      await receiver.close();
      await nextGen.close();
    }
  });
});
