// Operations over real HTTP: /healthz, /readyz, /metrics (Prometheus text) and SIGTERM drain of
// the real CLI process (docs/reliability.md R11).
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store';
import { spawnCliHub, stripeToTargetConnectors, writeCliHubConfig, type CliHub } from '../helpers/cli-hub';
import { fixture } from '../helpers/fixtures';
import { startHeldTarget } from '../helpers/held-target';
import { errorCode, postSigned, rawRequest, stripeHeader } from '../helpers/http-raw';
import { parsePromText, sampleValue } from '../helpers/prom-text';
import { eventually, startTarget, type TargetReply } from '../helpers/target-server';
import { startTestHub } from '../helpers/test-hub';

type Hub = Awaited<ReturnType<typeof startTestHub>>;
type StripeEvent = Record<string, unknown> & { id: string };

let seq = 0;
const event = (): StripeEvent => ({ ...fixture<StripeEvent>('stripe-subscription-created.json'), id: `evt_ops_${process.pid}_${++seq}` });

async function scrape(url: string) {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePromText(await res.text());
}

/** The POST answer's status, or 'refused' when nothing listens any more. */
async function statusOrRefused(send: () => Promise<{ status: number }>): Promise<number | 'refused'> {
  try {
    return (await send()).status;
  } catch (e) {
    const code = (e as { code?: string; cause?: { code?: string } }).code ?? (e as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return 'refused';
    throw e;
  }
}

describe('health, readiness and metrics (real hub, real HTTP)', () => {
  let hub: Hub | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  let held: Awaited<ReturnType<typeof startHeldTarget>> | undefined;
  afterEach(async () => {
    held?.release();
    await hub?.stop();
    await target?.close();
    await held?.close();
    hub = undefined;
    target = undefined;
    held = undefined;
  });

  async function start(reply?: (n: number) => TargetReply, config?: Record<string, unknown>): Promise<Hub> {
    target = await startTarget(reply ? (_r, n) => reply(n) : undefined);
    hub = await startTestHub({ targetUrl: target.url, config });
    return hub;
  }

  it('GET /healthz → 200 {"status":"ok"}', async () => {
    const h = await start();
    const res = await fetch(`${h.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz → 200 ready with its checks: store ok, workers running, queue counts', async () => {
    const h = await start();
    const res = await fetch(`${h.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: {
        store: 'ok',
        workers: 'running',
        pipeline: 'ok',
        mappings: h.mappings.names().length,
        inboxPending: 0,
        inboxDeferred: 0,
        outboxPending: 0,
        deliveriesPending: 0,
        deadLettersOpen: 0,
      },
    });
  });

  it('GET /metrics: Prometheus text with webhook, delivery, latency, circuit, queue and dead-letter series', async () => {
    const h = await start();
    const e = event();
    expect((await h.postStripe(e)).status).toBe(202);
    expect((await h.postStripe(e)).status).toBe(200);
    const p = JSON.stringify(event());
    expect((await postSigned(h.url, p, stripeHeader(p, { secret: 'whsec_wrong' }))).status).toBe(401);
    expect((await postSigned(h.url, p, stripeHeader(p), {}, 'nope')).status).toBe(404);
    expect((await rawRequest(`${h.url}/webhooks/stripe`, { headers: { 'content-type': 'text/plain' }, body: p })).status).toBe(415);
    await target!.waitFor(1);
    await eventually(async () => (await h.store.findEvent('stripe', e.id))?.deliveries[0]?.status === 'done');
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200); // fills the queue and dead-letter gauges

    const { samples, types } = await scrape(h.url);
    const v = (name: string, labels?: Record<string, string>) => sampleValue(samples, name, labels);
    expect(v('subhub_webhooks_received_total', { connector: 'stripe' })).toBe(4);
    expect(v('subhub_webhooks_received_total', { connector: 'unknown' })).toBe(1);
    expect(v('subhub_webhooks_accepted_total', { connector: 'stripe' })).toBe(1);
    expect(v('subhub_webhooks_duplicate_total', { connector: 'stripe' })).toBe(1);
    expect(v('subhub_webhooks_rejected_total', { connector: 'stripe', reason: 'bad_signature' })).toBe(1);
    expect(v('subhub_webhooks_rejected_total', { connector: 'stripe', reason: 'media_type' })).toBe(1);
    expect(v('subhub_webhooks_rejected_total', { connector: 'unknown', reason: 'unknown_connector' })).toBe(1);
    expect(v('subhub_events_normalised_total', { connector: 'stripe', outcome: 'normalised' })).toBe(1);
    expect(v('subhub_deliveries_total', { target: 'target', route: 'to-target', outcome: 'done' })).toBe(1);
    expect(v('subhub_webhook_duration_seconds_count', { connector: 'stripe' })).toBe(4);
    expect(v('subhub_webhook_duration_seconds_bucket', { connector: 'stripe', le: '+Inf' })).toBe(4);
    expect(
      samples.filter((s) => s.name === 'subhub_webhook_duration_seconds_bucket' && s.labels.connector === 'stripe').length,
    ).toBeGreaterThan(5);
    expect(v('subhub_delivery_duration_seconds_count', { target: 'target' })).toBe(1);
    expect(v('subhub_circuit_state', { target: 'target' })).toBe(0);
    expect(v('subhub_queue_depth', { queue: 'inbox' })).toBe(0);
    expect(v('subhub_queue_depth', { queue: 'deliveries' })).toBe(0);
    expect(v('subhub_dead_letters_open')).toBe(0);
    expect(types.get('subhub_webhooks_received_total')).toBe('counter');
    expect(types.get('subhub_webhook_duration_seconds')).toBe('histogram');
    expect(types.get('subhub_delivery_duration_seconds')).toBe('histogram');
    expect(types.get('subhub_circuit_state')).toBe('gauge');
    expect(types.get('subhub_delivery_retries_total')).toBe('counter');
  });

  it('metrics count retries and dead letters: 503 then 422 → outcome retry 1, dead 1, retries 1, dead_letters_open 1', async () => {
    const h = await start((n) => (n === 1 ? { status: 503 } : { status: 422 }));
    await h.postStripe(event());
    await eventually(async () => (await h.store.counts()).deadLettersOpen === 1);
    await eventually(async () => sampleValue((await scrape(h.url)).samples, 'subhub_deliveries_total', { outcome: 'dead' }) === 1);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
    const { samples } = await scrape(h.url);
    expect(sampleValue(samples, 'subhub_deliveries_total', { target: 'target', outcome: 'retry' })).toBe(1);
    expect(sampleValue(samples, 'subhub_deliveries_total', { target: 'target', outcome: 'dead' })).toBe(1);
    expect(sampleValue(samples, 'subhub_delivery_retries_total', { target: 'target' })).toBe(1);
    expect(sampleValue(samples, 'subhub_dead_letters_open')).toBe(1);
  });

  it('subhub_circuit_state is 2 (open) after the failure threshold is reached', async () => {
    target = await startTarget(() => ({ status: 503 }));
    hub = await startTestHub({
      targetUrl: target.url,
      config: { connectors: stripeToTargetConnectors(target.url, { timeoutMs: 2000, circuitFailureThreshold: 1, circuitOpenMs: 60_000 }) },
    });
    await hub.postStripe(event());
    await target.waitFor(1);
    await eventually(async () => sampleValue((await scrape(hub!.url)).samples, 'subhub_circuit_state', { target: 'target' }) === 2);
    expect(target.requests).toHaveLength(1); // the open circuit holds further attempts back
  });

  it('subhub_queue_depth shows a delivery in flight (after /readyz)', async () => {
    held = await startHeldTarget();
    hub = await startTestHub({ targetUrl: held.url });
    await hub.postStripe(event());
    await held.waitFor(1);
    const ready = await fetch(`${hub.url}/readyz`);
    expect(await ready.json()).toMatchObject({ checks: { deliveriesPending: 1 } });
    expect(sampleValue((await scrape(hub.url)).samples, 'subhub_queue_depth', { queue: 'deliveries' })).toBe(1);
  });
});

describe('SIGTERM drain of the real CLI (R11)', () => {
  let cli: CliHub | undefined;
  let held: Awaited<ReturnType<typeof startHeldTarget>> | undefined;
  afterEach(async () => {
    if (cli && cli.child.exitCode === null && cli.child.signalCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
    held?.release();
    await held?.close();
    cli = undefined;
    held = undefined;
  });

  const post = (url: string, e: StripeEvent) => {
    const p = JSON.stringify(e);
    return postSigned(url, p, stripeHeader(p));
  };

  it('stops accepting (503), finishes the in-flight delivery, exits 0; the delivery is done in the SQLite file', async () => {
    held = await startHeldTarget();
    const { configPath, dbFile } = writeCliHubConfig(held.url);
    cli = await spawnCliHub(configPath);
    const url = cli.url;
    const first = event();
    expect((await post(url, first)).status).toBe(202);
    await held.waitFor(1); // the delivery is in flight: the target holds its answer

    cli.child.kill('SIGTERM');
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 503);
    const ready = await (await fetch(`${url}/readyz`)).json();
    expect(ready).toMatchObject({ status: 'not_ready', checks: { store: 'ok' } });

    // The listener stays open while draining: new webhooks get 503 with Retry-After, never 2xx.
    const late = event();
    const refused = await post(url, late);
    expect(refused.status).toBe(503);
    expect(errorCode(refused)).toBe('HUB_SHUTTING_DOWN');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(cli.child.exitCode).toBeNull(); // still draining

    held.release();
    expect(await cli.exited).toBe(0);
    expect(held.answered).toBe(1);
    expect(await statusOrRefused(() => post(url, event()))).toBe('refused');

    const store = await openSqliteStore(dbFile);
    try {
      const status = await store.findEvent('stripe', first.id);
      expect(status?.inbox.status).toBe('normalised');
      expect(status?.deliveries).toEqual([expect.objectContaining({ status: 'done', attempts: 1 })]);
      expect(await store.findEvent('stripe', late.id)).toBeUndefined();
      expect(await store.counts()).toEqual({
        inboxPending: 0,
        inboxDeferred: 0,
        outboxPending: 0,
        deliveriesPending: 0,
        deadLettersOpen: 0,
      });
    } finally {
      await store.close();
    }
    expect(held.requests).toHaveLength(1);
  });

  it('a target that answers after ~300 ms: SIGTERM right after the webhook still delivers it before exit 0', async () => {
    const slow = await startHeldTarget();
    held = slow;
    const { configPath, dbFile } = writeCliHubConfig(slow.url);
    cli = await spawnCliHub(configPath);
    const e = event();
    expect((await post(cli.url, e)).status).toBe(202);
    await slow.waitFor(1);
    const releaseTimer = setTimeout(() => slow.release(), 300); // the target's own latency, not a synchronisation
    cli.child.kill('SIGTERM');
    // Sent without waiting for the signal to land: 202 (stored before SIGTERM), 503 or refused are all fine...
    const lateEvent = event();
    const late = await statusOrRefused(() => post(cli!.url, lateEvent));
    expect([202, 503, 'refused']).toContain(late);
    expect(await cli.exited).toBe(0);
    clearTimeout(releaseTimer);
    const store = await openSqliteStore(dbFile);
    try {
      expect((await store.findEvent('stripe', e.id))?.deliveries).toEqual([expect.objectContaining({ status: 'done' })]);
      // ...but a 2xx only ever with a commit, and nothing committed without a 2xx.
      expect((await store.findEvent('stripe', lateEvent.id)) !== undefined).toBe(late === 202);
    } finally {
      await store.close();
    }
  });

  it('a delivery still in flight at the grace deadline is not lost: after a restart it is delivered with the same idempotency key', async () => {
    held = await startHeldTarget();
    const { configPath, dbFile } = writeCliHubConfig(held.url, {
      server: { host: '127.0.0.1', port: 0, shutdownGraceMs: 200 },
      pipeline: { pollMs: 10, leaseMs: 1000 },
      connectors: stripeToTargetConnectors(held.url, { timeoutMs: 1000, circuitFailureThreshold: 1000 }),
    });
    cli = await spawnCliHub(configPath);
    const e = event();
    expect((await post(cli.url, e)).status).toBe(202);
    await held.waitFor(1);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);

    held.release();
    cli = await spawnCliHub(configPath);
    await held.waitFor(2);
    const url = cli.url;
    const key = `stripe:${e.id}/to-target`;
    expect(held.requests.map((r) => r.headers['idempotency-key'])).toEqual([key, key]);
    await eventually(
      async () =>
        ((await (await fetch(`${url}/readyz`)).json()) as { checks: { deliveriesPending: number } }).checks.deliveriesPending === 0,
    );
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const store = await openSqliteStore(dbFile);
    try {
      expect((await store.findEvent('stripe', e.id))?.deliveries).toEqual([expect.objectContaining({ status: 'done' })]);
    } finally {
      await store.close();
    }
  });
});
