import { stripeToTargetConnectors, writeCliHubConfig } from '../helpers/cli-hub';
import { startTarget } from '../helpers/target-server';
import { CRASH_PAYLOAD, effectOrder } from './effect-order';
import type { HubFleet, SendAttempt } from './hub-fleet';
import { subscriptionQueues } from './stripe-events';

/**
 * What the outage tests (a server taken away under load: PostgreSQL, Kafka) share: a target that
 * records effects and their order per subscription, a hub config routing subscription events to
 * it (route `r0`), and senders that push signed events through a fleet and keep every answer.
 */
export async function orderedTarget() {
  const order = effectOrder('r0');
  const target = await startTarget((req) => {
    order.record(req, target.effects.includes(String(req.headers['idempotency-key'])));
    return { status: 200 };
  });
  return { target, order };
}

/** A hub.json with one route to `targetUrl` and quick retries; server, storage and event log are set by the test. */
export function outageConfig(targetUrl: string, leaseMs: number): string {
  return writeCliHubConfig(
    targetUrl,
    {
      connectors: stripeToTargetConnectors(targetUrl, {
        ratePerSec: 100_000,
        burst: 100_000,
        circuitFailureThreshold: 1000,
        timeoutMs: 5000,
      }),
      routes: [{ name: 'r0', on: ['subscription.*'], to: 'target', action: 'notify', mapping: 'crash.payload' }],
      retry: { initialDelayMs: 5, multiplier: 2, maxDelayMs: 200, jitter: 0.2, maxAttempts: 1000, maxAgeMs: 3_600_000 },
      pipeline: { pollMs: 10, leaseMs },
    },
    { 'crash.payload': CRASH_PAYLOAD },
  ).configPath;
}

/**
 * `events` signed events over `events / 10` subscriptions, sent by `senders` concurrent senders (each
 * owning whole subscriptions, so a subscription's events go in order). Every attempt lands in
 * `attempts`, every acknowledged id in `acked`; resolves when all are acknowledged.
 */
export async function sendAll(
  fleet: HubFleet,
  o: { events: number; senders: number; prefix: string; secret: string },
  attempts: SendAttempt[],
  acked: Set<string>,
): Promise<void> {
  const queues = subscriptionQueues(o.events, o.events / 10, o.prefix);
  await Promise.all(
    Array.from({ length: o.senders }, async (_, w) => {
      for (let k = w; k < queues.length; k += o.senders)
        for (const e of queues[k]!) {
          await fleet.send(e, o.secret, (a) => attempts.push(a));
          acked.add(e.id);
        }
    }),
  );
}

/** What the hubs answered to webhooks sent after `downAt` and answered before `upAt`. */
export function outageAnswers(attempts: readonly SendAttempt[], downAt: number, upAt: number) {
  const during = attempts.filter((a) => a.sentAt > downAt && a.answeredAt < upAt);
  return {
    during,
    report: {
      ms: upAt - downAt,
      answered: during.length,
      status503: during.filter((a) => a.status === 503).length,
      status2xx: during.filter((a) => a.status >= 200 && a.status < 300).length,
    },
  };
}

/** After an outage test: what a hub that died by itself wrote last, then everything stopped, hubs first. */
export async function tearDown(
  fleet: HubFleet | undefined,
  target: { close(): Promise<unknown> } | undefined,
  ...servers: Array<{ stop(): Promise<void> } | undefined>
): Promise<void> {
  for (const hub of fleet?.hubs ?? []) if (hub.running && !hub.alive) console.error(`hub ${hub.url} died:\n${hub.output}`);
  await fleet?.kill();
  await target?.close();
  for (const server of servers) await server?.stop();
}
