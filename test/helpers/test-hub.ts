import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Stripe from 'stripe';
import { startHub, type RunningHub, type StartOptions } from '../../src/hub';
import { tempFiles } from './temp-files';

export const STRIPE_SECRET = 'whsec_test_secret_for_subhub';
const stripe = new Stripe('sk_test_subhub');
const SHIPPED_MAPPINGS = join(__dirname, '..', '..', 'mappings');

/** An outbound mapping used by the tests: the canonical event → a small JSON payload. */
const TEST_PAYLOAD_MAPPING = {
  output: {
    eventId: { $path: 'id', required: true },
    type: { $path: 'type' },
    subscription: { $path: 'subscription.hubSubscriptionId' },
    sourceEventId: { $path: 'source.eventId' },
  },
};

export interface TestHubOptions {
  targetUrl: string;
  routes?: unknown[];
  config?: Record<string, unknown>;
  mappings?: Record<string, unknown>;
  env?: Record<string, string>;
  store?: StartOptions['store'];
  /** Business time for the domain (StartOptions.clock). */
  clock?: StartOptions['clock'];
}

/**
 * A hub on a free loopback port with a temp data folder: the shipped Stripe inbound mappings,
 * a `target` HTTP connector at `targetUrl`, and (by default) one route of every subscription
 * event to it. Retries are fast (10 ms, no jitter) so schedules play out within a test.
 */
export async function startTestHub(o: TestHubOptions): Promise<
  RunningHub & {
    dataDir: string;
    configPath: string;
    postStripe: (event: object, opts?: { secret?: string; timestamp?: number; body?: string }) => Promise<Response>;
  }
> {
  const dir = tempFiles({ 'mappings/test.payload.json': TEST_PAYLOAD_MAPPING });
  for (const [name, m] of Object.entries(o.mappings ?? {})) writeFileSync(join(dir, 'mappings', `${name}.json`), JSON.stringify(m));
  const config = {
    server: { host: '127.0.0.1', port: 0 },
    storage: { dataDir: join(dir, 'data') },
    log: { level: 'error' },
    mappings: { paths: [SHIPPED_MAPPINGS, join(dir, 'mappings')] },
    connectors: {
      stripe: {
        type: 'stripe',
        webhook: { secrets: [{ env: 'STRIPE_WEBHOOK_SECRET' }] },
        inbound: {
          mappings: {
            'customer.subscription.created': 'stripe.customer-subscription.to.hub-event',
            'customer.subscription.updated': 'stripe.customer-subscription.to.hub-event',
            'customer.subscription.deleted': 'stripe.customer-subscription.to.hub-event',
            'invoice.paid': 'stripe.invoice-paid.to.hub-event',
          },
        },
      },
      target: {
        type: 'http',
        options: { baseUrl: o.targetUrl, allowHosts: ['127.0.0.1'], actions: { notify: { method: 'POST', path: '/events' } } },
        delivery: { timeoutMs: 2000, ratePerSec: 10_000, burst: 10_000, circuitFailureThreshold: 1000 },
      },
    },
    routes: o.routes ?? [{ name: 'to-target', on: ['subscription.*'], to: 'target', action: 'notify', mapping: 'test.payload' }],
    retry: { initialDelayMs: 10, multiplier: 2, maxDelayMs: 100, jitter: 0, maxAttempts: 4, maxAgeMs: 60_000 },
    pipeline: { pollMs: 10, leaseMs: 5000 },
    ...o.config,
  };
  writeFileSync(join(dir, 'hub.json'), JSON.stringify(config));
  const hub = await startHub({
    path: join(dir, 'hub.json'),
    localPath: false,
    env: { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, ...o.env },
    silent: true,
    store: o.store,
    clock: o.clock,
  });
  const postStripe = (event: object, opts: { secret?: string; timestamp?: number; body?: string } = {}) => {
    const payload = opts.body ?? JSON.stringify(event);
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? STRIPE_SECRET, timestamp: opts.timestamp });
    return fetch(`${hub.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      body: payload,
    });
  };
  return Object.assign(hub, { dataDir: join(dir, 'data'), configPath: join(dir, 'hub.json'), postStripe });
}
