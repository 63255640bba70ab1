import type { HubConfig } from '../../src/config/config.types';
import { startDemoWorld, type DemoWorld } from '../../src/demo/world';

/**
 * Mollie end to end over HTTP: the Mollie simulator posts classic webhooks (`id=tr_…`) to the hub,
 * which fetches the payment, maps it, runs the dunning policy and, because Mollie does not retry,
 * charges again itself on the sepaSoft schedule through the connector's chargeRecurring action.
 * Business time is the demo's clock; the hub's retry scheduler reads it.
 */
jest.setTimeout(120_000);

const KEY = 'test_demo';
const DAY = 86_400_000;

async function mollieApi(w: DemoWorld, method: string, path: string, body?: unknown) {
  const r = await fetch(`${w.mollie.apiEndpoint}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await r.json()) as Record<string, unknown>;
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

async function sim(w: DemoWorld, path: string, body: unknown = {}) {
  const r = await fetch(`${w.mollie.url}/_sim/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await r.json()) as Record<string, unknown>;
  if (!r.ok) throw new Error(`/_sim/${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/** A Dutch customer with a SEPA mandate and a monthly espresso subscription, its first month paid. */
async function subscribed(w: DemoWorld) {
  const customer = await mollieApi(w, 'POST', 'customers', { name: 'Daan de Vries', email: 'daan@example.nl' });
  const cst = customer.id as string;
  await mollieApi(w, 'POST', `customers/${cst}/mandates`, {
    method: 'directdebit',
    consumerName: 'Daan de Vries',
    consumerAccount: 'NL55INGB0000000000',
  });
  const sub = await mollieApi(w, 'POST', `customers/${cst}/subscriptions`, {
    amount: { currency: 'EUR', value: '24.90' },
    interval: '1 month',
    description: 'Espresso 250 g monthly',
    metadata: { sku: 'COF-ESP-250', quantity: 1 },
  });
  await sim(w, `subscriptions/${sub.id as string}/charge`, { status: 'paid' });
  await w.settle();
  const hubId = `mollie:${sub.id as string}`;
  expect(await w.hub.store.domain.subscription(hubId)).toBeDefined();
  return { cst, sub: sub.id as string, hubId };
}

/** Payments of the customer the hub created itself (its retries), from the simulator's state. */
function hubRetries(w: DemoWorld, cst: string) {
  return [...w.mollie.objects.values()].filter(
    (o) => o.resource === 'payment' && o.customerId === cst && (o.metadata as Record<string, unknown> | null)?.subhubInvoice !== undefined,
  );
}

async function world(configure?: (c: HubConfig) => void): Promise<DemoWorld> {
  return startDemoWorld({ configure });
}

describe('Mollie: the hub retries and dunns', () => {
  let w: DemoWorld;
  afterEach(async () => {
    await w?.close();
  });

  it('AM04 → a retry at the scheduled time, charged once through the connector → paid → the dunning cycle resolves', async () => {
    w = await world();
    const s = await subscribed(w);
    w.clock.at(3);
    const failed = await sim(w, `subscriptions/${s.sub}/charge`, { status: 'failed', bankReasonCode: 'AM04' });
    await w.settle();
    const cycle = await w.hub.store.domain.dunning(s.hubId);
    expect(cycle).toMatchObject({ method: 'sepa_debit', category: 'insufficient_funds', retry: { attempt: 2, invoice: failed.id } });
    const retryAt = Date.parse(cycle!.retry!.at);
    expect(retryAt).toBe(Date.parse(failed.createdAt as string) + 5 * DAY);

    // A day before: nothing is charged.
    w.clock.at(7);
    await w.settle();
    expect(hubRetries(w, s.cst)).toHaveLength(0);

    // At the retry time: one charge, on the invoice, with the hub's idempotency key.
    w.clock.at(8, 12);
    await w.settle();
    const retries = hubRetries(w, s.cst);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({
      sequenceType: 'recurring',
      amount: { currency: 'EUR', value: '24.90' },
      metadata: { subhubInvoice: failed.id, subscriptionId: s.sub, subhubAttempt: 2 },
    });
    // Checked again later: still one.
    w.clock.at(9);
    await w.settle();
    expect(hubRetries(w, s.cst)).toHaveLength(1);

    await sim(w, `payments/${retries[0]!.id as string}/paid`);
    await w.settle();
    expect(await w.hub.store.domain.dunning(s.hubId)).toBeUndefined();
    const trail = (await w.hub.store.domain.decisions({ subject: s.hubId })).map((d) => d.outcome);
    expect(trail).toEqual(expect.arrayContaining(['retry requested', 'CLEAR']));
    expect(trail.indexOf('retry requested')).toBeLessThan(trail.indexOf('CLEAR'));
  });

  it('a hub restart between the failure and the retry loses nothing and retries once', async () => {
    w = await world();
    const s = await subscribed(w);
    w.clock.at(3);
    await sim(w, `subscriptions/${s.sub}/charge`, { status: 'failed', bankReasonCode: 'AM04' });
    await w.settle();
    await w.restart();
    w.clock.at(8, 12);
    await w.settle();
    expect(hubRetries(w, s.cst)).toHaveLength(1);
    // Another restart after the request: the request is not made again.
    await w.restart();
    w.clock.at(9);
    await w.settle();
    expect(hubRetries(w, s.cst)).toHaveLength(1);
    expect((await w.hub.store.domain.dunning(s.hubId))?.retry?.requestedAt).toBeDefined();
  });

  it('AM04 twice in the window: the retry schedule runs out → a default → blacklisted at the configured count', async () => {
    w = await world((c) => {
      c.dunning!.policy!.retries = { ...c.dunning!.policy!.retries, sepaSoft: [5] };
      c.dunning!.policy!.blacklist = { defaults: 1, windowDays: 365 };
    });
    const s = await subscribed(w);
    w.clock.at(3);
    await sim(w, `subscriptions/${s.sub}/charge`, { status: 'failed', bankReasonCode: 'AM04' });
    await w.settle();
    w.clock.at(8, 12);
    await w.settle();
    const [retry] = hubRetries(w, s.cst);
    await sim(w, `payments/${retry!.id as string}/failed`, { bankReasonCode: 'AM04' });
    await w.settle();
    const customer = await w.hub.store.domain.customer(`mollie:${s.cst}`);
    expect(customer).toMatchObject({ blacklisted: true });
    expect(customer!.defaults).toHaveLength(1);
    expect((await w.hub.store.domain.dunning(s.hubId))?.retry).toBeUndefined();
    const outcomes = (await w.hub.store.domain.decisions({ subject: s.hubId })).map((d) => d.outcome);
    expect(outcomes).toContain('default recorded');
    // No third charge.
    w.clock.at(25);
    await w.settle();
    expect(hubRetries(w, s.cst)).toHaveLength(1);
  });

  it('AC04 (account closed): no retry; the mailed link makes an iDEAL first payment → a new mandate → the cycle resolves', async () => {
    w = await world();
    const s = await subscribed(w);
    w.clock.at(3);
    await sim(w, `subscriptions/${s.sub}/charge`, { status: 'failed', bankReasonCode: 'AC04' });
    await w.settle();
    const cycle = await w.hub.store.domain.dunning(s.hubId);
    expect(cycle).toMatchObject({ category: 'account_closed', updateToken: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) });
    expect(cycle?.retry).toBeUndefined();
    w.clock.at(20);
    await w.settle();
    expect(hubRetries(w, s.cst)).toHaveLength(0);

    // The notice carries the hub's own link (a capability, not the customer's id).
    const mail = w.mailbox.messages().find((m) => m.to === 'daan@example.nl' && m.template === 'payment_failed');
    const link = (mail?.variables as { paymentUpdateUrl?: string } | undefined)?.paymentUpdateUrl;
    expect(link).toBe(`${w.hub.url}/links/payment-update/${cycle!.updateToken!}`);
    expect(link).not.toContain(s.cst);

    // The customer clicks: a €0.01 iDEAL first payment at Mollie, and its checkout (twice: the same one).
    const click = () => fetch(link!, { redirect: 'manual' });
    const first = await click();
    expect(first.status).toBe(303);
    const again = await click();
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    const payments = [...w.mollie.objects.values()].filter(
      (o) => o.resource === 'payment' && o.sequenceType === 'first' && o.customerId === s.cst,
    );
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ amount: { currency: 'EUR', value: '0.01' }, method: 'ideal' });
    expect(first.headers.get('location')).toBe((payments[0]!._links as { checkout: { href: string } }).checkout.href);

    // Paid: Mollie makes a new mandate; the hub hears of it and the cycle ends.
    await sim(w, `payments/${payments[0]!.id as string}/paid`);
    await w.settle();
    expect(await w.hub.store.domain.dunning(s.hubId)).toBeUndefined();
    expect((await w.hub.store.domain.decisions({ subject: s.hubId })).map((d) => d.outcome)).toContain('CLEAR');
    // The link is spent.
    expect((await click()).status).toBe(410);
    expect((await fetch(`${w.hub.url}/links/payment-update/not-a-token-of-anyone-at-all`)).status).toBe(410);
  });

  it('a replayed classic webhook with an unchanged status has no second effect', async () => {
    w = await world();
    const s = await subscribed(w);
    w.clock.at(3);
    const failed = await sim(w, `subscriptions/${s.sub}/charge`, { status: 'failed', bankReasonCode: 'AM04' });
    await w.settle();
    const before = await w.hub.store.counts();
    const decisions = (await w.hub.store.domain.decisions({ subject: s.hubId })).length;
    const r = await fetch(`${w.hub.url}/webhooks/mollie`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `id=${failed.id as string}`,
    });
    expect(r.status).toBe(202);
    await w.settle();
    expect((await w.hub.store.domain.decisions({ subject: s.hubId })).length).toBe(decisions);
    expect(await w.hub.store.counts()).toEqual(before);
    const ignored = await w.hub.store.listIgnored({ source: 'mollie' });
    expect(ignored).toEqual([expect.objectContaining({ count: 1 })]);
  });
});
