import { join } from 'node:path';
import autocannon from 'autocannon';
import type { KafkaBroker } from '../test/helpers/kafka';
import { startBenchHubs } from './bench-hubs';
import { startServer } from './processes';
import { signedEventFactory } from './signed-events';
import { round } from './measure';
import { startBenchKafka } from './servers/kafka';
import { processCpuMs } from './cpu-time';

const ROOT = join(__dirname, '..', '..');

/** Runs autocannon against one URL; every request gets a fresh body and headers from `next`. */
export async function load(url: string, seconds: number, next: () => { body: string; headers: Record<string, string> }) {
  return autocannon({
    url,
    method: 'POST',
    connections: 50,
    duration: seconds,
    requests: [
      {
        setupRequest: (req) => {
          const r = next();
          return { ...req, body: r.body, headers: r.headers };
        },
      },
    ],
  });
}

export interface IngestOptions {
  seconds: number;
  /** `--backend sqlite|postgres` (default sqlite; postgres needs DATABASE_URL). */
  backend?: 'sqlite' | 'postgres';
  /** `--log store|kafka` (default store); kafka implies postgres. */
  log?: 'store' | 'kafka';
}

/**
 * The order of the Kafka rounds: ABBA, so that a steady drift (the broker still warming up, the
 * topic's data growing, the machine's other load) weighs on acks=all and acks=1 alike.
 */
const ACK_ROUNDS = ['all', '1', '1', 'all'] as const;

/**
 * `npm run bench -- ingest [--backend sqlite|postgres] [--log store|kafka]`: in the same run,
 * autocannon (50 connections) against a bare Express hello-world POST route, then against POST
 * /webhooks/stripe of the real hub (signature check, durable write, 202). Each server is its own
 * process. The durable write is a commit with synchronous=FULL (sqlite), a commit on the server of
 * DATABASE_URL (postgres, a fresh database), or with `--log kafka` a produce to a private broker's
 * topic answered after its delivery report. Kafka measures both producer settings, after a
 * warm-up load 4 rounds in the order all, 1, 1, all (each on a fresh topic and database):
 * ack_all_rps (acks=all with idempotence, the product's) against ack_one_rps (acks=1 without),
 * each the mean of its 2 rounds, and ack_ratio (all / one); with the CPU per accepted webhook of
 * the hub process and of the broker for each setting. The hub's CPU includes what it normalised
 * meanwhile (its pipeline runs beside the webhooks, as in production). On this one-broker cluster
 * (replication factor 1) acks=all waits for the same single replica as acks=1: what differs is
 * idempotence (sequence numbers, at most 5 requests in flight), not replication.
 */
export async function ingestBench(o: IngestOptions): Promise<Record<string, unknown>> {
  const log = o.log ?? 'store';
  if (log === 'kafka' && o.backend === 'sqlite')
    throw new Error('--log kafka needs --backend postgres: the normalisers land in PostgreSQL');
  const backend = log === 'kafka' ? 'postgres' : (o.backend ?? 'sqlite');
  const express = await startServer([join(ROOT, 'dist', 'bench', 'servers', 'express-hello.js'), '0']);
  const body = JSON.stringify({ hello: 'world' });
  const hello = await load(`${express.url}/hello`, o.seconds, () => ({ body, headers: { 'content-type': 'application/json' } }));
  await express.stop();
  console.log(`express hello: ${Math.round(hello.requests.average)} req/s, p99 ${hello.latency.p99} ms, non-2xx ${hello.non2xx}`);
  const base = { bench: 'ingest', backend, log, express_hello_rps: Math.round(hello.requests.average) };

  if (log === 'store') {
    const webhook = await webhookLoad(o.seconds, { backend });
    return {
      ...base,
      webhook_rps: Math.round(webhook.rps),
      webhook_p99_ms: webhook.p99,
      ratio: round(webhook.rps / hello.requests.average, 3),
      ...(webhook.hubCpuMs !== undefined ? { hub_cpu_ms_per_webhook: round(webhook.hubCpuMs, 2) } : {}),
    };
  }
  const kafka = await startBenchKafka();
  try {
    // A fresh broker JVM serves its first seconds far slower (JIT, page cache): a warm-up load, not counted.
    await webhookLoad(o.seconds, { backend, kafka, acks: 'all', variant: 'warm-up' });
    const rounds: Array<{ acks: 'all' | '1'; rps: number; p99: number; hubCpuMs?: number; kafkaCpuMs?: number }> = [];
    for (const [i, acks] of ACK_ROUNDS.entries())
      rounds.push({
        acks,
        ...(await webhookLoad(o.seconds, { backend, kafka, acks, variant: `r${i}-acks-${acks === '1' ? 'one' : 'all'}` })),
      });
    const of = (acks: 'all' | '1') => rounds.filter((r) => r.acks === acks);
    const mean = (acks: 'all' | '1', key: 'rps' | 'hubCpuMs' | 'kafkaCpuMs' = 'rps') =>
      of(acks).reduce((s, r) => s + (r[key] ?? NaN), 0) / of(acks).length;
    // CPU per accepted webhook, hub and broker: steadier than req/s on a shared machine (another
    // tenant's load slows both settings' rounds, but adds no CPU to these processes).
    const cpu = (acks: 'all' | '1') => {
      const hub = mean(acks, 'hubCpuMs');
      const broker = mean(acks, 'kafkaCpuMs');
      return Number.isNaN(hub) || Number.isNaN(broker) ? {} : { hub: round(hub, 2), kafka: round(broker, 2) };
    };
    const worstP99 = (acks: 'all' | '1') => Math.max(...of(acks).map((r) => r.p99));
    const all = mean('all');
    const one = mean('1');
    console.log(`acks=all (idempotent): ${Math.round(all)} req/s; acks=1: ${Math.round(one)} req/s; all/one ${(all / one).toFixed(3)}`);
    return {
      ...base,
      webhook_rps: Math.round(all),
      webhook_p99_ms: worstP99('all'),
      ratio: round(all / hello.requests.average, 3),
      ack_all_rps: Math.round(all),
      ack_one_rps: Math.round(one),
      ack_all_p99_ms: worstP99('all'),
      ack_one_p99_ms: worstP99('1'),
      ack_ratio: round(all / one, 3),
      ...(cpu('all').hub !== undefined
        ? {
            ack_all_cpu_ms_per_webhook: cpu('all'),
            ack_one_cpu_ms_per_webhook: cpu('1'),
          }
        : {}),
      // Each round in the order run: "acks:req/s".
      ack_rounds: rounds.map((r) => `${r.acks}:${Math.round(r.rps)}`),
    };
  } finally {
    await kafka.stop();
  }
}

/** One hub on a fresh store (and topic), under the webhook load; fails on any non-2xx answer. */
async function webhookLoad(
  seconds: number,
  o: { backend: 'sqlite' | 'postgres'; kafka?: KafkaBroker; acks?: 'all' | '1'; variant?: string },
): Promise<{ rps: number; p99: number; hubCpuMs?: number; kafkaCpuMs?: number }> {
  const run = await startBenchHubs({ count: 1, ...o });
  const hubPid = run.hubs[0]!.child.pid;
  let webhook;
  let cpu: { hub?: number; kafka?: number };
  try {
    const before = { hub: processCpuMs(hubPid), kafka: processCpuMs(o.kafka?.pid()) };
    webhook = await load(`${run.hubs[0]!.url}/webhooks/stripe`, seconds, signedEventFactory(ROOT));
    const delta = (after: number | undefined, b: number | undefined) =>
      after === undefined || b === undefined || webhook!['2xx'] === 0 ? undefined : (after - b) / webhook!['2xx'];
    cpu = { hub: delta(processCpuMs(hubPid), before.hub), kafka: delta(processCpuMs(o.kafka?.pid()), before.kafka) };
  } finally {
    await run.stop();
  }
  const what = o.kafka ? `produce, acks=${o.acks ?? 'all'}` : o.backend === 'postgres' ? 'PostgreSQL commit' : 'durable commit';
  console.log(
    `webhook (verify + ${what}): ${Math.round(webhook.requests.average)} req/s, p99 ${webhook.latency.p99} ms, non-2xx ${webhook.non2xx}, errors ${webhook.errors}` +
      (cpu.hub !== undefined ? `; CPU per webhook: hub ${cpu.hub.toFixed(2)} ms` : '') +
      (cpu.kafka !== undefined ? `, Kafka ${cpu.kafka.toFixed(2)} ms` : ''),
  );
  if (webhook.non2xx > 0 || webhook.errors > 0) throw new Error('the hub answered non-2xx or failed during the benchmark');
  return {
    rps: webhook.requests.average,
    p99: webhook.latency.p99,
    ...(cpu.hub !== undefined ? { hubCpuMs: cpu.hub } : {}),
    ...(cpu.kafka !== undefined ? { kafkaCpuMs: cpu.kafka } : {}),
  };
}
