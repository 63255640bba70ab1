import type { RunningHub } from '../../src/hub';
import { fixture, shutDown } from '../helpers/fixtures';
import { eventually, startTarget } from '../helpers/target-server';
import { startTestHub } from '../helpers/test-hub';

const created = () => fixture('stripe-subscription-created.json');

describe('webhook → inbox → canonical event → delivery (real HTTP, real SQLite)', () => {
  let hub: (RunningHub & { postStripe: (e: object, o?: object) => Promise<Response> }) | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  afterEach(async () => {
    await shutDown(hub, target);
    hub = undefined;
    target = undefined;
  });

  it('accepts a signed Stripe event (202 after commit), maps it and delivers it once with an idempotency key', async () => {
    target = await startTarget();
    hub = await startTestHub({ targetUrl: target.url });
    const event = created();
    const res = await hub.postStripe(event);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { status: string; id: string };
    expect(body.status).toBe('accepted');
    await target.waitFor(1);
    const req = target.requests[0]!;
    expect(req.path).toBe('/events');
    expect(req.body).toMatchObject({ type: 'subscription.created', sourceEventId: event.id });
    expect(req.headers['idempotency-key']).toBe(`stripe:${event.id}/to-target`);
    const status = await hub.store.findEvent('stripe', event.id);
    expect(status?.inbox.status).toBe('normalised');
    expect(status?.event?.type).toBe('subscription.created');
    await eventually(async () => (await hub!.store.findEvent('stripe', event.id))?.deliveries[0]?.status === 'done');
  });

  it('answers a second copy of an event with 200 duplicate and no second effect', async () => {
    target = await startTarget();
    hub = await startTestHub({ targetUrl: target.url });
    const event = created();
    const first = (await (await hub.postStripe(event)).json()) as { id: string };
    const again = await hub.postStripe(event);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'duplicate', id: first.id });
    await target.waitFor(1);
    await eventually(async () => (await hub!.store.counts()).deliveriesPending === 0);
    expect(target.requests).toHaveLength(1);
  });

  it('retries 5xx and 429 on the schedule, then succeeds', async () => {
    target = await startTarget((_r, n) =>
      n === 1 ? { status: 503 } : n === 2 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 },
    );
    hub = await startTestHub({ targetUrl: target.url });
    const event = created();
    await hub.postStripe(event);
    await target.waitFor(3);
    await eventually(async () => (await hub!.store.findEvent('stripe', event.id))?.deliveries[0]?.status === 'done');
    const d = (await hub.store.findEvent('stripe', event.id))!.deliveries[0]!;
    // Three calls; the 429 with Retry-After was pacing, not a failed attempt (issue 10.7): two count.
    expect(target.requests).toHaveLength(3);
    expect(d.attempts).toBe(2);
    expect(new Set(target.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([`stripe:${event.id}/to-target`]));
  });

  it('dead-letters a permanent refusal at once with its full context, and a replay delivers it', async () => {
    let refuse = true;
    target = await startTarget(() => (refuse ? { status: 422, body: { error: 'unknown sku' } } : { status: 201 }));
    hub = await startTestHub({ targetUrl: target.url });
    const event = created();
    await hub.postStripe(event);
    await eventually(async () => (await hub!.store.counts()).deadLettersOpen === 1);
    const [dl] = await hub.store.listDeadLetters({ status: 'open' });
    expect(dl).toMatchObject({
      stage: 'deliver',
      source: 'stripe',
      sourceEventId: event.id,
      target: 'target',
      route: 'to-target',
      mapping: 'test.payload',
      errorCode: 'DELIVERY_REJECTED',
      attempts: 1,
    });
    expect(JSON.parse(dl!.payload)).toMatchObject({ type: 'subscription.created' });
    refuse = false;
    expect(await hub.store.replayDeadLetter(dl!.id, 'ops@example.com', Date.now())).toBe('replayed');
    hub.pipeline.notify();
    await target.waitFor(2);
    await eventually(async () => (await hub!.store.findEvent('stripe', event.id))?.deliveries[0]?.status === 'done');
    // R5: a second replay of the same letter changes nothing
    expect(await hub.store.replayDeadLetter(dl!.id, 'ops@example.com', Date.now())).toBe('not_open');
    expect(target.effects).toEqual([`stripe:${event.id}/to-target`]);
  });

  it('gives up after the attempts of the schedule with DELIVERY_EXHAUSTED', async () => {
    target = await startTarget(() => ({ status: 500 }));
    hub = await startTestHub({ targetUrl: target.url });
    const event = created();
    await hub.postStripe(event);
    await eventually(async () => (await hub!.store.counts()).deadLettersOpen === 1);
    const [dl] = await hub.store.listDeadLetters({});
    expect(dl).toMatchObject({ stage: 'deliver', errorCode: 'DELIVERY_EXHAUSTED', attempts: 4 });
    expect(target.requests).toHaveLength(4);
  });

  it('R6: a poison mapping dead-letters at stage map while other events flow', async () => {
    target = await startTarget();
    hub = await startTestHub({
      targetUrl: target.url,
      mappings: {
        'test.poison': {
          output: { sku: { $lookup: { $path: 'subscription.items[0].sku' }, table: 't', required: true } },
          tables: { t: { data: {} } },
        },
      },
      routes: [
        { name: 'good', on: ['subscription.*'], to: 'target', action: 'notify', mapping: 'test.payload' },
        { name: 'poison', on: ['subscription.*'], to: 'target', action: 'notify', mapping: 'test.poison' },
      ],
    });
    const event = created();
    await hub.postStripe(event);
    await target.waitFor(1);
    await eventually(async () => (await hub!.store.counts()).deadLettersOpen === 1);
    const [dl] = await hub.store.listDeadLetters({});
    expect(dl).toMatchObject({ stage: 'map', route: 'poison', mapping: 'test.poison', errorCode: 'MAPPING_LOOKUP_MISSING' });
    expect(target.requests.map((r) => r.headers['idempotency-key'])).toEqual([`stripe:${event.id}/good`]);
  });

  it('an inbound mapping failure dead-letters at stage map with the raw body; the webhook was still accepted', async () => {
    target = await startTarget();
    hub = await startTestHub({ targetUrl: target.url });
    const event = fixture('stripe-subscription-updated-unknown-price.json');
    expect((await hub.postStripe(event)).status).toBe(202);
    await eventually(async () => (await hub!.store.counts()).deadLettersOpen === 1);
    const [dl] = await hub.store.listDeadLetters({});
    expect(dl).toMatchObject({
      stage: 'map',
      sourceEventId: event.id,
      mapping: 'stripe.customer-subscription.to.hub-event',
      errorCode: 'MAPPING_LOOKUP_MISSING',
    });
    expect(JSON.parse(dl!.payload)).toEqual(event);
    expect((await hub.store.findEvent('stripe', event.id))?.inbox.status).toBe('failed');
  });

  it('routes to a connector without the action dead-letter at stage route', async () => {
    target = await startTarget();
    hub = await startTestHub({
      targetUrl: target.url,
      routes: [{ name: 'nowhere', on: ['subscription.*'], to: 'target', action: 'missing', mapping: 'test.payload' }],
    });
    await hub.postStripe(created());
    await eventually(async () => (await hub!.store.counts()).deadLettersOpen === 1);
    expect((await hub.store.listDeadLetters({}))[0]).toMatchObject({ stage: 'route', errorCode: 'ROUTE_UNKNOWN_TARGET' });
  });

  it('keeps per-subscription order at the target while other subscriptions proceed', async () => {
    // The first delivery of subscription A fails twice; B's events must not wait for it, A's second must.
    let failuresLeft = 2;
    target = await startTarget((r) => {
      const body = r.body as { subscription?: string; sourceEventId?: string };
      if (body.sourceEventId === 'evt_A1' && failuresLeft > 0) {
        failuresLeft--;
        return { status: 503 };
      }
      return { status: 200 };
    });
    hub = await startTestHub({ targetUrl: target.url });
    const base = created() as { id: string; data: { object: { id: string } } };
    const ev = (id: string, sub: string) => ({ ...base, id, data: { ...base.data, object: { ...base.data.object, id: sub } } });
    for (const [id, sub] of [
      ['evt_A1', 'sub_A'],
      ['evt_B1', 'sub_B'],
      ['evt_A2', 'sub_A'],
      ['evt_B2', 'sub_B'],
    ] as const) {
      expect((await hub.postStripe(ev(id, sub))).status).toBe(202);
    }
    await eventually(async () => (await hub!.store.counts()).deliveriesPending === 0 && (await hub!.store.counts()).inboxPending === 0);
    const order = (sub: string) =>
      target!.requests
        .map((r) => r.body as { subscription: string; sourceEventId: string })
        .filter((b) => b.subscription?.endsWith(sub))
        .map((b) => b.sourceEventId);
    expect(order('sub_A')).toEqual(['evt_A1', 'evt_A1', 'evt_A1', 'evt_A2']);
    expect(order('sub_B')).toEqual(['evt_B1', 'evt_B2']);
    expect(target.requests).toHaveLength(6);
    const ids = target.requests.map((r) => (r.body as { sourceEventId: string }).sourceEventId);
    expect(ids.indexOf('evt_B1')).toBeLessThan(ids.lastIndexOf('evt_A1'));
  });
});
