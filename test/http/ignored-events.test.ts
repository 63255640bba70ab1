// Stripe events the domain needs are mapped (3-D Secure, write-offs, chargebacks) and the ones the
// hub drops are counted and listed with the reason (issue 10, item 3). A real hub with the
// shipped config's Stripe inbound mappings and dunning policy, signed webhooks over loopback.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { HubConfig } from '../../src/config/config.types';
import { captureIO } from '../helpers/capture-io';
import { rawRequest } from '../helpers/http-raw';
import { eventually, startTarget } from '../helpers/target-server';
import { startTestHub } from '../helpers/test-hub';

type Hub = Awaited<ReturnType<typeof startTestHub>>;
const ROOT = join(__dirname, '..', '..');
const shipped = JSON.parse(readFileSync(join(ROOT, 'config', 'hub.json'), 'utf8')) as HubConfig;
type StripeEvent = Record<string, unknown> & { id: string };
const fixture = (name: string) => JSON.parse(readFileSync(join(ROOT, 'mappings', 'fixtures', name), 'utf8')) as StripeEvent;
const TOKEN = 'adm_ignored_events_0123456789abcdef';
const SUB = 'stripe:sub_1QxYyzLkdIwHu7ixQm4RtB2K';
const CUSTOMER = 'stripe:cus_RbX4pQ8mZt2LwA';

describe('Stripe events the domain needs, and the ones it ignores (shipped config)', () => {
  let hub: Hub | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  afterEach(async () => {
    await hub?.stop();
    await target?.close();
    hub = target = undefined;
  });

  async function start(): Promise<Hub> {
    target = await startTarget();
    const stripe = { ...shipped.connectors!.stripe!, options: undefined };
    return (hub = await startTestHub({
      targetUrl: target.url,
      config: {
        connectors: {
          stripe,
          target: {
            type: 'http',
            options: { baseUrl: target.url, allowHosts: ['127.0.0.1'], actions: { notify: { method: 'POST', path: '/events' } } },
          },
        },
        dunning: shipped.dunning,
      },
      env: { SUBHUB_ADMIN_TOKEN: TOKEN },
    }));
  }

  async function processed(h: Hub, id: string): Promise<string> {
    await eventually(async () => (await h.store.findEvent('stripe', id))?.inbox.status !== 'received');
    return (await h.store.findEvent('stripe', id))!.inbox.status;
  }

  async function send(h: Hub, event: StripeEvent): Promise<string> {
    expect((await h.postStripe(event)).status).toBe(202);
    return processed(h, event.id);
  }

  it('3-D Secure starts dunning with the pay link; a write-off and a chargeback count as defaults and blacklist the customer', async () => {
    const h = await start();
    expect(await send(h, fixture('stripe-subscription-created.json'))).toBe('normalised');

    expect(await send(h, fixture('stripe-invoice-payment-action-required-renewal.json'))).toBe('normalised');
    const cycle = await h.store.domain.dunning(SUB);
    expect(cycle).toMatchObject({ category: 'authentication_required', attempts: 1, defaulted: [] });
    expect(cycle?.payUrl).toMatch(/^https:\/\/invoice\.stripe\.com\//);
    expect((await h.store.domain.customer(CUSTOMER))?.defaults).toEqual([]);
    // Stripe's invoice.payment_failed for the same attempt: still one unpaid invoice, one attempt.
    // The webhook as Stripe sends it carries no PaymentIntent (the enrichment step fetches it: test/e2e/expired-card.test.ts);
    // this hub has no Stripe API, so the event carries it expanded, the shape the mapping also reads.
    const failed = fixture('stripe-invoice-payment-failed-authentication-required.json') as StripeEvent & {
      data: { object: Record<string, unknown> };
    };
    const { payment_intent } = fixture('stripe-enrichment-authentication-required.json') as unknown as { payment_intent: unknown };
    failed.data.object.payments = { object: 'list', data: [{ payment: { type: 'payment_intent', payment_intent } }], has_more: false };
    expect(await send(h, failed)).toBe('normalised');
    expect(await h.store.domain.dunning(SUB)).toMatchObject({ attempts: 1 });

    // The write-off counts as a default; it says nothing about the subscription: the projection stays.
    const projected = (await h.store.domain.subscription(SUB))?.snapshot;
    expect(await send(h, fixture('stripe-invoice-marked-uncollectible.json'))).toBe('normalised');
    expect((await h.store.domain.customer(CUSTOMER))?.defaults).toHaveLength(1);
    expect((await h.store.domain.subscription(SUB))?.snapshot).toEqual(projected);
    expect(await h.store.domain.decisions({ subject: SUB })).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ outcome: 'default recorded', rule: expect.stringContaining('written off') as unknown }),
      ]),
    );

    expect(await send(h, fixture('stripe-charge-dispute-created-charge-expanded.json'))).toBe('normalised');
    const customer = await h.store.domain.customer(CUSTOMER);
    expect(customer?.defaults).toHaveLength(2);
    expect(customer?.blacklisted).toBe(true);
    expect((await h.store.domain.decisions({ subject: `customer:${CUSTOMER}` })).map((d) => d.outcome)).toEqual([
      'default recorded',
      'blacklisted',
    ]);
  });

  it('a dispute that names no customer is a dead letter, never a silent drop', async () => {
    const h = await start();
    // The charge as the enrichment step would read it, for a guest payment (no customer).
    const dispute = fixture('stripe-charge-dispute-created-charge-expanded.json') as StripeEvent & {
      data: { object: { charge: Record<string, unknown>; payment_intent?: unknown } };
    };
    dispute.data.object.charge.customer = null;
    dispute.data.object.payment_intent = 'pi_guest';
    expect(await send(h, dispute)).toBe('failed');
    const [letter] = await h.store.listDeadLetters({ source: 'stripe' });
    expect(letter).toMatchObject({
      stage: 'map',
      errorCode: 'MAPPING_REQUIRED_MISSING',
      mapping: 'stripe.charge-dispute-created.to.hub-event',
    });
  });

  it('ignored events are counted per (source, type, reason) in /metrics and listed with the reason by the admin API and `subhub ignored`', async () => {
    const h = await start();
    const upcoming = (n: number) => ({
      ...fixture('stripe-invoice-payment-action-required-renewal.json'),
      id: `evt_upcoming_${n}`,
      type: 'invoice.upcoming',
    });
    await send(h, upcoming(1));
    await send(h, upcoming(2));
    await send(h, { ...fixture('stripe-subscription-created.json'), id: 'evt_unmapped_1', type: 'customer.discount.created' });
    await send(h, { ...fixture('stripe-subscription-created.json'), id: 'evt_pm_1', type: 'payment_method.attached' });

    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toContain('subhub_events_ignored_total{connector="stripe",type="invoice.upcoming",reason="configured"} 2');
    expect(metrics).toContain('subhub_events_ignored_total{connector="stripe",type="customer.discount.created",reason="unmapped"} 1');
    expect(metrics).toContain('subhub_events_ignored_total{connector="stripe",type="payment_method.attached",reason="configured"} 1');

    const res = await rawRequest(`${h.url}/admin/api/ignored?source=stripe`, {
      method: 'GET',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    const { ignored } = JSON.parse(res.text) as {
      ignored: Array<{ eventType: string; count: number; reason: string; lastSourceEventId: string }>;
    };
    expect(ignored.find((r) => r.eventType === 'invoice.upcoming')).toMatchObject({
      count: 2,
      lastSourceEventId: 'evt_upcoming_2',
      reason: expect.stringMatching(/^ignored by config: a reminder only/) as unknown,
    });
    expect(ignored.find((r) => r.eventType === 'customer.discount.created')).toMatchObject({
      count: 1,
      reason: 'no inbound mapping for "customer.discount.created"',
    });
    expect(
      (await rawRequest(`${h.url}/admin/api/ignored?limit=0`, { method: 'GET', headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(400);

    await h.stop();
    const config = h.configPath;
    hub = undefined;
    const io = captureIO();
    expect(await main(['ignored', '--config', config], io)).toBe(0);
    expect(io.stdout()).toMatch(/ {5}2 {2}stripe\/invoice\.upcoming {2}last .* \(evt_upcoming_2\) {2}ignored by config: a reminder only/);
    expect(io.stdout()).toContain('stripe/customer.discount.created');
    const json = captureIO();
    expect(await main(['ignored', '--config', config, '--format', 'json', '--source', 'nope'], json)).toBe(0);
    expect(JSON.parse(json.stdout())).toEqual([]);
  });
});
