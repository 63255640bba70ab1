import { readFileSync, writeFileSync } from 'node:fs';
import { stripeToTargetConnectors, writeCliHubConfig } from '../helpers/cli-hub';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { startKafka, type KafkaBroker } from '../helpers/kafka';
import { runCli } from '../helpers/cli-hub';
import { startTarget, type ReceivedRequest } from '../helpers/target-server';
import { postgresBacklog, postgresLanded, postgresVerdict, sqliteVerdict, type StorageVerdict } from './crash-oracle';
import { CRASH_PAYLOAD, effectOrder } from './effect-order';
import { HubFleet } from './hub-fleet';
import { subscriptionQueues } from './stripe-events';

const SECRET = 'whsec_crash_loop';
export interface CrashLoopOptions {
  events: number;
  /** Distinct subscriptions the events are spread over (events of one subscription are sent in order). */
  subscriptions: number;
  /** SIGKILLs in all, over all hubs. */
  kills: number;
  senders: number;
  /** Routes to the target (0: ingest only, R1). */
  routes: number;
  /** Fraction of target requests answered 503 before any effect (R3). */
  serverErrorRate: number;
  /** Fraction of successful target answers after which a random hub is killed at once (the 2xx-before-ack window, R2). */
  killAfterAckRate: number;
  /** Where the hubs store (default sqlite): `postgres` runs a private cluster for the run. */
  backend?: 'sqlite' | 'postgres';
  /** Hub processes sharing the store (default 1; sqlite allows only 1: its data folder is locked by its hub). */
  hubs?: number;
  /** `kafka`: webhooks go through a private Kafka broker's inbox topic (6 partitions); needs backend postgres. */
  log?: 'store' | 'kafka';
  /** Kafka: one of the hubs joins only once a third of the events are acknowledged (a rebalance under load). */
  joinMidRun?: boolean;
}

export interface CrashLoopReport {
  backend: 'sqlite' | 'postgres';
  log: 'store' | 'kafka';
  hubs: number;
  /** Hubs running at the end (one more than at the start when one joined mid-run). */
  hubsAtEnd: number;
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
/** How long the hubs get to drain after the last webhook was acknowledged (10,000 × 3 effects on shared cores). */
const DRAIN_LIMIT_MS = 300_000;
const debug = (...a: unknown[]) => {
  if (process.env.CRASH_DEBUG) process.stderr.write(`${a.map(String).join(' ')}\n`);
};

/**
 * The R1/R2/R3 harness: concurrent senders push signed Stripe events at real hub processes (one on
 * SQLite; one or more sharing a PostgreSQL database, the senders spreading events over them and
 * falling over to the next hub as a load balancer would) and retry anything but 2xx (as providers
 * do) while random hubs are SIGKILLed and restarted. Afterwards the database is the oracle: every
 * acknowledged event stored exactly once, the database intact (SQLite's integrity_check; on
 * PostgreSQL the invariants of a drained run, see postgresVerdict); with routes, the target (which
 * dedupes on the idempotency key, like a well-behaved API) must have every effect exactly once
 * and, per subscription, in order.
 */
export async function runCrashLoop(o: CrashLoopOptions): Promise<CrashLoopReport> {
  const started = Date.now();
  const backend = o.backend ?? 'sqlite';
  const hubCount = o.hubs ?? 1;
  if (backend === 'sqlite' && hubCount !== 1) throw new Error('one hub process per SQLite data folder: hubs must be 1 with sqlite');
  let fleet: HubFleet | undefined;
  let pg: PostgresServer | undefined;
  let kafka: KafkaBroker | undefined;
  const log = o.log ?? 'store';
  let sendingDone = false;
  const order = effectOrder('r0');
  let failedOnPurpose = 0;
  const target = await startTarget((req: ReceivedRequest) => {
    if (Math.random() < o.serverErrorRate) {
      failedOnPurpose++;
      return { status: 503 };
    }
    order.record(req, target.effects.includes(String(req.headers['idempotency-key'])));
    if (fleet && fleet.kills < o.kills && Math.random() < o.killAfterAckRate) setImmediate(() => void fleet!.restartRandom());
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
      { 'crash.payload': CRASH_PAYLOAD },
    );
    const env: Record<string, string> = { STRIPE_WEBHOOK_SECRET: SECRET };
    if (backend === 'postgres') {
      pg = await startPostgres();
      usePostgres(configPath);
      env.DATABASE_URL = pg.url;
    }
    if (log === 'kafka') {
      kafka = await startKafka({ partitions: KAFKA_PARTITIONS });
      useKafka(configPath, kafka.brokers);
      // The operator's step before the first hub starts: the topics, created with their partitions.
      const check = await runCli(['kafka', 'check', '--create', '-c', configPath], env);
      if (check.code !== 0) throw new Error(`subhub kafka check --create failed: ${check.stdout}${check.stderr}`);
    }
    const joining = o.joinMidRun ? 1 : 0;
    fleet = await HubFleet.start(hubCount - joining, configPath, env);

    const queues = subscriptionQueues(o.events, o.subscriptions);
    const acked = new Set<string>();
    const hubs = fleet;
    // Each sender owns whole subscriptions, so a subscription's events arrive in order (whichever hub takes each).
    const senders = Array.from({ length: o.senders }, async (_, w) => {
      for (let k = w; k < queues.length; k += o.senders)
        for (const e of queues[k]!) {
          await hubs.send(e, SECRET);
          acked.add(e.id);
        }
    });
    // A hub takes seconds to start on a loaded machine: with several hubs the killer goes on while
    // one restarts, keeping at least one hub up (the senders fall over to it); a single hub restarts before the next kill.
    const killer = (async () => {
      while (!sendingDone && hubs.kills < o.kills) {
        await delay(150 + Math.random() * 350);
        if (sendingDone) break;
        const restart = hubs.restartRandom();
        if (hubs.restarting >= Math.max(1, hubCount - 1)) await restart;
      }
    })();
    const joined = (async () => {
      if (!joining) return;
      while (acked.size < o.events / 3) await delay(20);
      await hubs.join(configPath, env);
    })();
    const progress = setInterval(
      () => debug('acked', acked.size, 'kills', hubs.kills, 'effects', target.effects.length, 'requests', target.requests.length),
      1000,
    );
    await Promise.all(senders);
    await joined;
    clearInterval(progress);
    sendingDone = true;
    await killer;
    await hubs.settled();
    // Make sure the required number of kills happened even on a fast run.
    while (hubs.kills < o.kills) await hubs.restartRandom();

    const report: CrashLoopReport = {
      backend,
      log,
      hubs: hubCount,
      hubsAtEnd: hubs.hubs.length,
      sent: o.events,
      acknowledged: acked.size,
      storedOnce: 0,
      missing: 0,
      duplicatesStored: 0,
      integrity: '',
      kills: hubs.kills,
      seconds: 0,
    };
    if (o.routes > 0) {
      const expected = o.events * o.routes;
      // A bound, not a figure: the backlog left when sending ends is delivered at the fleet's pace.
      const until = Date.now() + DRAIN_LIMIT_MS;
      while (target.effects.length < expected && Date.now() < until) await delay(50);
      report.expectedEffects = expected;
      report.effects = target.effects.length;
      report.duplicateEffects = target.effects.length - new Set(target.effects).size;
      report.extraRequests = target.requests.length - target.effects.length;
      report.outOfOrder = order.outOfOrder();
      report.requestsFailedOnPurpose = failedOnPurpose;
    }
    // PostgreSQL's invariants are those of a drained run: let the hubs finish normalising and delivering.
    if (pg) {
      const until = Date.now() + 120_000;
      // With Kafka, acknowledged webhooks may still wait in the topic: drained once all of them are landed too.
      const unlanded = async () => (log === 'kafka' ? acked.size - (await postgresLanded(pg!.url)) : 0);
      while (((await postgresBacklog(pg.url)) > 0 || (await unlanded()) > 0) && Date.now() < until) await delay(50);
    }
    await hubs.stop();

    const verdict: StorageVerdict = pg ? await postgresVerdict(pg.url, acked, o.routes) : sqliteVerdict(dbFile, acked);
    Object.assign(report, verdict);
    report.seconds = Math.round((Date.now() - started) / 100) / 10;
    return report;
  } finally {
    // Cleanup never hides the failure that got here.
    await fleet?.kill().catch(() => {});
    await target.close().catch(() => {});
    await pg?.stop().catch((e: unknown) => debug('stopping PostgreSQL:', e));
    await kafka?.stop().catch((e: unknown) => debug('stopping Kafka:', e));
  }
}

/** Points a hub.json written by writeCliHubConfig at PostgreSQL (URL from DATABASE_URL), keeping its data folder. */
export function usePostgres(configPath: string, poolSize = 4): void {
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as { storage?: Record<string, unknown> };
  config.storage = { ...config.storage, kind: 'postgres', postgres: { url: { env: 'DATABASE_URL' }, poolSize } };
  writeFileSync(configPath, JSON.stringify(config, null, 2));
}

const KAFKA_PARTITIONS = 6;

/** Points a hub.json at a Kafka event log on `brokers` (6 partitions, replication 1: one broker). */
export function useKafka(configPath: string, brokers: string, extra: Record<string, unknown> = {}): void {
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  config.eventLog = {
    kind: 'kafka',
    kafka: { brokers: [brokers], partitions: KAFKA_PARTITIONS, replicationFactor: 1, sessionTimeoutMs: 6000, ...extra },
  };
  writeFileSync(configPath, JSON.stringify(config, null, 2));
}
