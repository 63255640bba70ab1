// Mollie-style webhooks end to end over real HTTP and a real SQLite store, with a FAKE connector of
// scheme `mollie` (a plugin module written here): a classic `id=tr_…` notification is fetched from a
// local API this test controls ("fetch on notify"), deduplicated by (payment id, fetched status), and
// an API outage is retried on the hub's schedule, then dead-lettered and replayable.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { RunningHub } from '../../src/hub';
import { DUPLICATE_STATE_REASON } from '../../src/store/ports';
import { shutDown } from '../helpers/fixtures';
import { eventually, startTarget } from '../helpers/target-server';
import { tempFiles } from '../helpers/temp-files';
import { startTestHub } from '../helpers/test-hub';

const SECRET = 'mollie-next-gen-test-secret';

/** The fake connector: a classic webhook names a payment; its enricher fetches it; its key is id:status. */
const PLUGIN = `
exports.connector = {
  type: 'mollie-fake',
  kind: 'billing',
  description: 'test double of a Mollie connector',
  optionsSchema: { type: 'object', properties: { apiUrl: { type: 'string' } }, required: ['apiUrl'], additionalProperties: false },
  webhook: {
    scheme: 'mollie',
    mappingInput: 'body',
    fetchedStateKey: (p) => (p && typeof p.id === 'string' && typeof p.status === 'string' ? p.id + ':' + p.status : undefined),
  },
  createEnrichers: (options) => ({
    payment: async (event, ctx) => {
      const res = await fetch(options.apiUrl + '/v2/payments/' + encodeURIComponent(event.id), { signal: AbortSignal.timeout(ctx.timeoutMs) });
      if (!res.ok) throw new Error('Mollie API answered ' + res.status);
      return res.json();
    },
  }),
};
`;

/** payment → hub event: the type from the FETCHED status (never from the notification). */
const PAYMENT_MAPPING = {
  let: {
    p: { $path: 'enrichment', required: true },
    type: { $if: { $eq: [{ $path: 'enrichment.status' }, 'paid'] }, then: 'payment.succeeded', else: 'payment.failed' },
  },
  output: {
    type: { $path: '$type' },
    schemaVersion: 1,
    occurredAt: { $path: '$p.updatedAt', required: true },
    effectiveAt: { $path: '$p.updatedAt', required: true },
    actionType: 'effective',
    customer: { hubCustomerId: { $concat: ['mollie:', { $path: '$p.customerId' }] } },
    source: {
      provider: 'mollie',
      eventId: { $path: 'id', required: true },
      eventType: 'payment',
      dedupeKey: { $concat: ['mollie:', { $path: '$p.id' }, ':', { $path: '$p.status' }] },
    },
  },
};

interface FakeApi {
  url: string;
  /** Status by payment id; a missing payment answers 404. */
  payments: Map<string, string>;
  /** While set, every request answers this status (the API is down). */
  down: number | undefined;
  hits: string[];
  close(): Promise<void>;
}

async function startFakeMollie(): Promise<FakeApi> {
  const api: Omit<FakeApi, 'url' | 'close'> = { payments: new Map(), down: undefined, hits: [] };
  const server: Server = createServer((req, res) => {
    const id = decodeURIComponent((req.url ?? '').replace('/v2/payments/', ''));
    api.hits.push(id);
    const status = api.payments.get(id);
    if (api.down !== undefined || status === undefined) {
      res.writeHead(api.down ?? 404, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        resource: 'payment',
        id,
        status,
        updatedAt: '2026-11-02T10:00:00.000Z',
        amount: { value: '9.95', currency: 'EUR' },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(api, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

describe('mollie scheme: classic notifications fetched, deduplicated by fetched state, retried and dead-lettered (real HTTP)', () => {
  let hub: RunningHub | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  let mollie: FakeApi | undefined;
  afterEach(async () => {
    await shutDown(hub, target);
    await mollie?.close();
    hub = undefined;
    target = undefined;
    mollie = undefined;
  });

  async function start(over: { allowUnsigned?: boolean } = {}): Promise<RunningHub> {
    target = await startTarget();
    mollie = await startFakeMollie();
    const plugins = tempFiles({});
    writeFileSync(join(plugins, 'mollie-fake.js'), PLUGIN);
    hub = await startTestHub({
      targetUrl: target.url,
      env: { MOLLIE_WEBHOOK_SECRET: SECRET },
      mappings: { 'mollie-test.payment': PAYMENT_MAPPING },
      config: {
        connectorPaths: [plugins],
        connectors: {
          mollie: {
            type: 'mollie-fake',
            options: { apiUrl: mollie.url },
            webhook: { secrets: [{ env: 'MOLLIE_WEBHOOK_SECRET' }], allowUnsigned: over.allowUnsigned ?? true },
            inbound: { mappings: { payment: 'mollie-test.payment' } },
            delivery: { timeoutMs: 2000, circuitFailureThreshold: 1000 },
          },
          target: {
            type: 'http',
            options: { baseUrl: target.url, allowHosts: ['127.0.0.1'], actions: { notify: { method: 'POST', path: '/events' } } },
            delivery: { timeoutMs: 2000, ratePerSec: 10_000, burst: 10_000, circuitFailureThreshold: 1000 },
          },
        },
        routes: [{ name: 'to-target', on: ['payment.*'], to: 'target', action: 'notify', mapping: 'test.payload' }],
      },
    });
    return hub;
  }

  const notify = (h: RunningHub, body: string, headers: Record<string, string> = {}) =>
    fetch(`${h.url}/webhooks/mollie`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });

  it('id=tr_1 → fetched failed → one event and its delivery; the same state again → ignored as duplicate; paid → a second event', async () => {
    const h = await start();
    mollie!.payments.set('tr_1', 'failed');

    const first = await notify(h, 'id=tr_1');
    expect(first.status).toBe(202);
    await target!.waitFor(1);
    expect(target!.requests[0]!.body).toMatchObject({ type: 'payment.failed' });
    expect(target!.requests[0]!.headers['idempotency-key']).toBe('mollie:tr_1:failed/to-target');

    // Mollie calls again with the same id and the status has not changed (a re-sent notification).
    expect((await notify(h, 'id=tr_1')).status).toBe(202);
    await eventually(async () => (await h.store.listIgnored({ source: 'mollie' })).length === 1);
    expect(await h.store.listIgnored({ source: 'mollie' })).toEqual([
      expect.objectContaining({ source: 'mollie', eventType: 'payment', reason: DUPLICATE_STATE_REASON, count: 1 }),
    ]);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toContain('subhub_events_ignored_total{connector="mollie",type="payment",reason="duplicate"} 1');

    // The status changes: the same id now fetches `paid`, a new state.
    mollie!.payments.set('tr_1', 'paid');
    expect((await notify(h, 'id=tr_1')).status).toBe(202);
    await target!.waitFor(2);
    await eventually(async () => (await h.store.counts()).deliveriesPending === 0);
    expect(target!.requests.map((r) => (r.body as { type: string }).type)).toEqual(['payment.failed', 'payment.succeeded']);
    expect(mollie!.hits).toEqual(['tr_1', 'tr_1', 'tr_1']);
  });

  it('refuses malformed classic bodies with 400 WEBHOOK_MALFORMED and keeps them as dead letters; oversized forms get 413', async () => {
    const h = await start();
    const bad = await notify(h, 'id=tr_1&status=paid');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('WEBHOOK_MALFORMED');
    const [letter] = await h.store.listDeadLetters({ status: 'open' });
    expect(letter).toMatchObject({ stage: 'verify', source: 'mollie', errorCode: 'WEBHOOK_MALFORMED', payload: 'id=tr_1&status=paid' });

    const big = await notify(h, `id=tr_1${'0'.repeat(2000)}`);
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('WEBHOOK_TOO_LARGE');
    expect(mollie!.hits).toEqual([]);
  });

  it('fails closed: without allowUnsigned a classic webhook is 401; a signed event must verify', async () => {
    const h = await start({ allowUnsigned: false });
    expect((await notify(h, 'id=tr_1')).status).toBe(401);

    const event = JSON.stringify({ resource: 'event', id: 'event_abc123', type: 'payment-link.paid' });
    const sign = (secret: string) => createHmac('sha256', secret).update(event).digest('hex');
    const post = (signature: string) =>
      fetch(`${h.url}/webhooks/mollie`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-mollie-signature': signature },
        body: event,
      });
    expect((await post(sign('forged'))).status).toBe(401);
    expect((await post(sign(SECRET))).status).toBe(202);
    expect((await post(`sha256=${sign(SECRET)}`)).status).toBe(200); // the same event id again: a duplicate
    expect((await h.store.findEvent('mollie', 'event_abc123'))?.inbox.eventType).toBe('payment-link.paid');
  });

  it('the API down during enrichment: retried on the schedule, then dead-lettered with its context; a replay maps and delivers it', async () => {
    const h = await start();
    mollie!.payments.set('tr_9', 'failed');
    mollie!.down = 503;
    expect((await notify(h, 'id=tr_9')).status).toBe(202);

    await eventually(async () => (await h.store.counts()).deadLettersOpen === 1);
    const maxAttempts = h.config.retry?.maxAttempts ?? 0;
    expect(maxAttempts).toBeGreaterThan(1);
    expect(mollie!.hits).toEqual(Array.from({ length: maxAttempts }, () => 'tr_9'));
    const [letter] = await h.store.listDeadLetters({ status: 'open' });
    expect(letter).toMatchObject({
      stage: 'map',
      source: 'mollie',
      mapping: 'mollie.enrich(payment)',
      errorCode: 'DELIVERY_EXHAUSTED',
      attempts: maxAttempts,
      payload: 'id=tr_9',
    });
    expect(letter!.sourceEventId).toMatch(/^tr_9#\d+-[0-9a-f]{12}$/);
    expect(letter!.errorMessage).toContain('Mollie API answered 503');
    expect(target!.requests).toEqual([]);

    mollie!.down = undefined;
    expect(await h.store.replayDeadLetter(letter!.id, 'ops@example.com', Date.now())).toBe('replayed');
    h.pipeline.notify();
    await target!.waitFor(1);
    expect(target!.requests[0]!.body).toMatchObject({ type: 'payment.failed', sourceEventId: 'tr_9' });
    expect((await h.store.findEvent('mollie', letter!.sourceEventId))?.inbox.status).toBe('normalised');
  });
});
