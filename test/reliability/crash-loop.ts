import Database from 'better-sqlite3';
import Stripe from 'stripe';
import { stripeToTargetConnectors, writeCliHubConfig } from '../helpers/cli-hub';
import { fixture } from '../helpers/fixtures';
import { startTarget, type ReceivedRequest } from '../helpers/target-server';
import { freePort, HubProcess } from './hub-process';

const SECRET = 'whsec_crash_loop';
const stripe = new Stripe('sk_test_crash');
const FIXTURE = fixture<{
  id: string;
  data: { object: { id: string } };
}>('stripe-subscription-created.json');

export interface CrashLoopOptions {
  events: number;
  /** Distinct subscriptions the events are spread over (events of one subscription are sent in order). */
  subscriptions: number;
  kills: number;
  senders: number;
  /** Routes to the target (0: ingest only, R1). */
  routes: number;
  /** Fraction of target requests answered 503 before any effect (R3). */
  serverErrorRate: number;
  /** Fraction of successful target answers after which the hub is killed at once (the 2xx-before-ack window, R2). */
  killAfterAckRate: number;
}

export interface CrashLoopReport {
  sent: number;
  acknowledged: number;
  storedOnce: number;
  missing: number;
  duplicatesStored: number;
  integrity: string;
  kills: number;
  effects?: number;
  expectedEffects?: number;
  duplicateEffects?: number;
  extraRequests?: number;
  /** Requests the target answered 503 on purpose (R3's 30 %). */
  requestsFailedOnPurpose?: number;
  outOfOrder?: number;
  seconds: number;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const debug = (...a: unknown[]) => {
  if (process.env.CRASH_DEBUG) process.stderr.write(`${a.map(String).join(' ')}\n`);
};

/**
 * The R1/R2/R3 harness: concurrent senders push signed Stripe events at a real hub process and
 * retry anything but 2xx (as providers do) while the hub is SIGKILLed at random and restarted.
 * Afterwards the SQLite file is the oracle: every acknowledged event stored exactly once, the
 * database intact; with routes, the target (which dedupes on the idempotency key, like a
 * well-behaved API) must have every effect exactly once and, per subscription, in order.
 */
export async function runCrashLoop(o: CrashLoopOptions): Promise<CrashLoopReport> {
  const started = Date.now();
  let hub: HubProcess | undefined;
  let sendingDone = false;
  const effectsOrder = new Map<string, number[]>();
  let restarting: Promise<void> | undefined;
  const restart = () =>
    (restarting ??= (async () => {
      await hub!.kill();
      await hub!.start();
    })().finally(() => (restarting = undefined)));
  let failedOnPurpose = 0;
  const target = await startTarget((req: ReceivedRequest) => {
    if (Math.random() < o.serverErrorRate) {
      failedOnPurpose++;
      return { status: 503 };
    }
    const body = req.body as { sub?: string; seq?: number };
    const key = String(req.headers['idempotency-key']);
    if (body.sub !== undefined && body.seq !== undefined && key.endsWith('/r0') && !target.effects.includes(key)) {
      const seqs = effectsOrder.get(body.sub) ?? [];
      seqs.push(body.seq);
      effectsOrder.set(body.sub, seqs);
    }
    if (hub?.running && hub.kills < o.kills && Math.random() < o.killAfterAckRate) setImmediate(() => void restart());
    return { status: 200 };
  });

  try {
    const routes = Array.from({ length: o.routes }, (_, i) => ({
      name: `r${i}`,
      on: ['subscription.*'],
      to: 'target',
      action: 'notify',
      mapping: 'crash.payload',
    }));
    // server.host/port and log.level come from the environment HubProcess sets (it restarts on one port).
    const { configPath, dbFile } = writeCliHubConfig(
      target.url,
      {
        connectors: stripeToTargetConnectors(
          target.url,
          { ratePerSec: 100_000, burst: 100_000, circuitFailureThreshold: 1000, timeoutMs: 5000 },
          '/effects',
        ),
        routes,
        retry: { initialDelayMs: 5, multiplier: 2, maxDelayMs: 50, jitter: 0.2, maxAttempts: 1000, maxAgeMs: 3_600_000 },
        pipeline: { pollMs: 5, leaseMs: 2000, deliveryConcurrency: 16 },
      },
      {
        'crash.payload': {
          output: {
            sub: { $path: 'subscription.providerSubscriptionId', required: true },
            seq: { $integer: { $extract: { $path: 'source.eventId' }, pattern: '_(\\d+)$' } },
          },
        },
      },
    );
    hub = new HubProcess(configPath, await freePort(), { STRIPE_WEBHOOK_SECRET: SECRET });
    await hub.start();

    // Events: sub_<k> gets events with increasing sequence numbers evt_<k>_<seq>.
    const perSub = Math.ceil(o.events / o.subscriptions);
    const queues: Array<Array<{ id: string; body: string }>> = [];
    for (let k = 0; k < o.subscriptions; k++) {
      const q: Array<{ id: string; body: string }> = [];
      for (let s = 0; s < perSub && k * perSub + s < o.events; s++) {
        const id = `evt_crash_${k}_${s}`;
        q.push({
          id,
          body: JSON.stringify({ ...FIXTURE, id, data: { ...FIXTURE.data, object: { ...FIXTURE.data.object, id: `sub_crash_${k}` } } }),
        });
      }
      queues.push(q);
    }
    const acked = new Set<string>();
    const send = async (e: { id: string; body: string }) => {
      for (;;) {
        try {
          const header = stripe.webhooks.generateTestHeaderString({ payload: e.body, secret: SECRET });
          const res = await fetch(`${hub!.url}/webhooks/stripe`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'stripe-signature': header },
            body: e.body,
            signal: AbortSignal.timeout(5000),
          });
          await res.arrayBuffer();
          if (res.status === 200 || res.status === 202) {
            acked.add(e.id);
            return;
          }
        } catch {
          // connection refused or reset while the hub is down: retry, as a provider would
        }
        await delay(10 + Math.random() * 20);
      }
    };
    // Each sender owns whole subscriptions, so a subscription's events arrive in order.
    const senders = Array.from({ length: o.senders }, async (_, w) => {
      for (let k = w; k < queues.length; k += o.senders) for (const e of queues[k]!) await send(e);
    });
    const killer = (async () => {
      while (!sendingDone && hub!.kills < o.kills) {
        await delay(150 + Math.random() * 350);
        if (!sendingDone) await restart();
      }
    })();
    const progress = setInterval(
      () => debug('acked', acked.size, 'kills', hub!.kills, 'effects', target.effects.length, 'requests', target.requests.length),
      1000,
    );
    await Promise.all(senders);
    clearInterval(progress);
    sendingDone = true;
    await killer;
    await restarting;
    // Make sure the required number of kills happened even on a fast run.
    while (hub.kills < o.kills) await restart();

    const report: CrashLoopReport = {
      sent: o.events,
      acknowledged: acked.size,
      storedOnce: 0,
      missing: 0,
      duplicatesStored: 0,
      integrity: '',
      kills: hub.kills,
      seconds: 0,
    };
    if (o.routes > 0) {
      const expected = o.events * o.routes;
      const until = Date.now() + 120_000;
      while (target.effects.length < expected && Date.now() < until) await delay(50);
      report.expectedEffects = expected;
      report.effects = target.effects.length;
      report.duplicateEffects = target.effects.length - new Set(target.effects).size;
      report.extraRequests = target.requests.length - target.effects.length;
      let outOfOrder = 0;
      for (const seqs of effectsOrder.values()) for (let i = 1; i < seqs.length; i++) if (seqs[i]! < seqs[i - 1]!) outOfOrder++;
      report.outOfOrder = outOfOrder;
      report.requestsFailedOnPurpose = failedOnPurpose;
    }
    await hub.stop();

    const db = new Database(dbFile, { readonly: true });
    const rows = db
      .prepare(`SELECT source_event_id AS id, COUNT(*) AS n FROM inbox WHERE source = 'stripe' GROUP BY source_event_id`)
      .all() as Array<{ id: string; n: number }>;
    const stored = new Map(rows.map((r) => [r.id, r.n]));
    report.storedOnce = [...acked].filter((id) => stored.get(id) === 1).length;
    report.missing = [...acked].filter((id) => !stored.has(id)).length;
    report.duplicatesStored = rows.filter((r) => r.n > 1).length;
    report.integrity = String(db.pragma('integrity_check', { simple: true }));
    db.close();
    report.seconds = Math.round((Date.now() - started) / 100) / 10;
    return report;
  } finally {
    await hub?.kill();
    await target.close();
  }
}
