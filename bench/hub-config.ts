import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BENCH_SECRET = 'whsec_bench';

export interface BenchHubOptions {
  /** An HTTP target and how many routes send every event to it (none: ingest only). */
  target?: { url: string; routes: number };
  /** Default sqlite. postgres: the database in DATABASE_URL, shared by every hub process of the run. */
  backend?: 'sqlite' | 'postgres';
  /**
   * eventLog.kind "kafka" (needs backend postgres) on these brokers: the inbox topic and its
   * normalisers' group, one pair per measured variant so that none reads another's messages.
   */
  kafka?: { brokers: string; topic: string; groupId: string; partitions: number };
}

/** Writes a temp hub config for benchmarks: a Stripe source and, with a target, `routes` routes to it. */
export function benchHubConfig(root: string, o: BenchHubOptions = {}): string {
  const { target, backend = 'sqlite', kafka } = o;
  const dir = mkdtempSync(join(tmpdir(), 'subhub-bench-'));
  writeFileSync(
    join(dir, 'bench.payload.json'),
    JSON.stringify({
      output: { eventId: { $path: 'id' }, type: { $path: 'type' }, subscription: { $path: 'subscription.hubSubscriptionId' } },
    }),
  );
  const config = {
    server: { host: '127.0.0.1', port: 0 },
    storage:
      backend === 'postgres'
        ? { kind: 'postgres', postgres: { url: { env: 'DATABASE_URL' }, poolSize: 10 } }
        : { dataDir: join(dir, 'data') },
    ...(kafka && {
      eventLog: {
        kind: 'kafka',
        kafka: {
          brokers: [kafka.brokers],
          inboxTopic: kafka.topic,
          groupId: kafka.groupId,
          partitions: kafka.partitions,
          // One broker: no other replica to wait for.
          replicationFactor: 1,
        },
      },
    }),
    log: { level: 'error' },
    mappings: { paths: [join(root, 'mappings'), join(dir, 'bench.payload.json')] },
    connectors: {
      stripe: {
        type: 'stripe',
        webhook: { secrets: [{ env: 'STRIPE_WEBHOOK_SECRET' }] },
        inbound: { mappings: { 'customer.subscription.created': 'stripe.customer-subscription.to.hub-event' } },
      },
      ...(target && {
        target: {
          type: 'http',
          options: { baseUrl: target.url, allowHosts: ['127.0.0.1'], actions: { notify: { method: 'POST', path: '/events' } } },
          delivery: { ratePerSec: 100_000, burst: 100_000 },
        },
      }),
    },
    routes: target
      ? Array.from({ length: target.routes }, (_, i) => ({
          name: `r${i}`,
          on: ['subscription.*'],
          to: 'target',
          action: 'notify',
          mapping: 'bench.payload',
        }))
      : [],
  };
  writeFileSync(join(dir, 'hub.json'), JSON.stringify(config));
  return join(dir, 'hub.json');
}
