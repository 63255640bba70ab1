import { join } from 'node:path';
import { startBenchHubs, type BenchHubs } from './bench-hubs';
import { load } from './ingest.bench';
import { round } from './measure';
import { startServer } from './processes';
import { signedEventFactory } from './signed-events';
import { postgresCpuMs, processCpuMs } from './cpu-time';
import { startBenchKafka } from './servers/kafka';

const ROOT = join(__dirname, '..', '..');
const ROUTES = 3;

/**
 * `npm run bench -- e2e [--backend sqlite|postgres] [--log store|kafka] [--hubs N]`: signed
 * webhooks into the real hub for N seconds (autocannon), each event routed to 3 routes at a local
 * target process. ingest_rps is the accepted webhooks per second of that load; delivered_per_s is
 * events delivered on all 3 routes per second, from the start of the load until the last delivery
 * arrived. With `--backend postgres` the hubs share a fresh database created on the server of
 * DATABASE_URL (and dropped afterwards); with `--hubs N` that many hub processes run, each under
 * its own load of 50 connections. `--log kafka` (implies postgres) starts a private Kafka broker:
 * the hubs produce every webhook to its inbox topic (6 partitions) and, as one consumer group of
 * normalisers, land them in the database before delivering.
 */
export async function e2eBench(o: {
  seconds: number;
  backend?: 'sqlite' | 'postgres';
  log?: 'store' | 'kafka';
  hubs?: number;
}): Promise<Record<string, unknown>> {
  const log = o.log ?? 'store';
  if (log === 'kafka' && o.backend === 'sqlite')
    throw new Error('--log kafka needs --backend postgres: the normalisers land in PostgreSQL');
  const backend = log === 'kafka' ? 'postgres' : (o.backend ?? 'sqlite');
  const n = o.hubs ?? 1;
  if (backend === 'sqlite' && n !== 1) throw new Error('--hubs needs --backend postgres: one hub owns an SQLite data folder');
  const kafka = log === 'kafka' ? await startBenchKafka() : undefined;
  let target: Awaited<ReturnType<typeof startServer>> | undefined;
  let run: BenchHubs | undefined;
  try {
    target = await startServer([join(ROOT, 'dist', 'bench', 'servers', 'count-target.js'), '0']);
    run = await startBenchHubs({
      count: n,
      backend,
      ...(kafka ? { kafka, variant: 'e2e' } : {}),
      target: { url: target.url, routes: ROUTES },
    });
    const { hubs, db } = run;
    const postmaster = db ? await db.postmasterPid() : undefined;
    const dbCpuNow = () => (postmaster === undefined ? undefined : postgresCpuMs(postmaster));
    const cpuBefore = { hubs: hubs.map((h) => processCpuMs(h.child.pid)), db: dbCpuNow(), kafka: processCpuMs(kafka?.pid()) };
    const started = Date.now();
    const next = signedEventFactory(ROOT);
    const results = await Promise.all(hubs.map((hub) => load(`${hub.url}/webhooks/stripe`, o.seconds, next)));
    const ingestSeconds = (Date.now() - started) / 1000;
    const accepted = results.reduce((sum, r) => sum + r['2xx'], 0);
    const expected = accepted * ROUTES;
    let effects = 0;
    const deadline = Date.now() + 300_000;
    while (effects < expected && Date.now() < deadline) {
      effects = ((await (await fetch(`${target.url}/count`)).json()) as { effects: number }).effects;
      if (effects < expected) await new Promise((r) => setTimeout(r, 100));
    }
    if (effects < expected) throw new Error(`only ${effects} of ${expected} deliveries arrived`);
    const allDelivered = (Date.now() - started) / 1000;
    const hubCpu = sumDelta(
      hubs.map((h) => processCpuMs(h.child.pid)),
      cpuBefore.hubs,
    );
    const dbCpu = backend === 'postgres' ? sumDelta([dbCpuNow()], [cpuBefore.db]) : undefined;
    const kafkaCpu = kafka ? sumDelta([processCpuMs(kafka.pid())], [cpuBefore.kafka]) : undefined;
    const ingestRps = accepted / ingestSeconds;
    const deliveredPerS = accepted / allDelivered;
    console.log(
      `accepted ${accepted} events in ${ingestSeconds.toFixed(1)} s; all ${expected} deliveries done after ${allDelivered.toFixed(1)} s`,
    );
    // Where the time goes: CPU per event (its ingest and its 3 deliveries) in the hub processes
    // (SQLite's work included: it runs inside them), in the PostgreSQL server processes and in
    // the Kafka broker's JVM.
    if (hubCpu !== undefined)
      console.log(
        `CPU per event: hub processes ${(hubCpu / accepted).toFixed(2)} ms` +
          (dbCpu !== undefined ? `, PostgreSQL ${(dbCpu / accepted).toFixed(2)} ms` : '') +
          (kafkaCpu !== undefined ? `, Kafka ${(kafkaCpu / accepted).toFixed(2)} ms` : ''),
      );
    return {
      bench: 'e2e',
      backend,
      log,
      hubs: n,
      ingest_rps: Math.round(ingestRps),
      delivered_per_s: Math.round(deliveredPerS),
      ...(hubCpu !== undefined ? { hub_cpu_ms_per_event: round(hubCpu / accepted, 2) } : {}),
      ...(dbCpu !== undefined ? { db_cpu_ms_per_event: round(dbCpu / accepted, 2) } : {}),
      ...(kafkaCpu !== undefined ? { kafka_cpu_ms_per_event: round(kafkaCpu / accepted, 2) } : {}),
      ratio: round(deliveredPerS / ingestRps, 3),
    };
  } finally {
    await run?.stop();
    await target?.stop();
    await kafka?.stop();
  }
}

/** The CPU ms used between two readings, summed; undefined when any reading is missing. */
function sumDelta(after: Array<number | undefined>, before: Array<number | undefined>): number | undefined {
  let sum = 0;
  for (const [i, a] of after.entries()) {
    const b = before[i];
    if (a === undefined || b === undefined) return undefined;
    sum += a - b;
  }
  return sum;
}
