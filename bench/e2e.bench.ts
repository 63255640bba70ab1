import { join } from 'node:path';
import { Client } from 'pg';
import { benchHubConfig, BENCH_SECRET } from './hub-config';
import { load } from './ingest.bench';
import { round } from './measure';
import { startServer } from './processes';
import { signedEventFactory } from './signed-events';
import { parentOf, postgresCpuMs, processCpuMs } from './cpu-time';

const ROOT = join(__dirname, '..', '..');
const ROUTES = 3;

/**
 * `npm run bench -- e2e [--backend sqlite|postgres] [--hubs N]`: signed webhooks into the real
 * hub for N seconds (autocannon), each event routed to 3 routes at a local target process.
 * ingest_rps is the accepted webhooks per second of that load; delivered_per_s is events
 * delivered on all 3 routes per second, from the start of the load until the last delivery
 * arrived. With `--backend postgres` the hubs share a fresh database created on the server of
 * DATABASE_URL (and dropped afterwards); with `--hubs N` that many hub processes run, each under
 * its own load of 50 connections.
 */
export async function e2eBench(o: { seconds: number; backend?: 'sqlite' | 'postgres'; hubs?: number }): Promise<Record<string, unknown>> {
  const backend = o.backend ?? 'sqlite';
  const n = o.hubs ?? 1;
  if (backend === 'sqlite' && n !== 1) throw new Error('--hubs needs --backend postgres: one hub owns an SQLite data folder');
  const db = backend === 'postgres' ? await benchDatabase() : undefined;
  const target = await startServer([join(ROOT, 'dist', 'bench', 'servers', 'count-target.js'), '0']);
  const config = benchHubConfig(ROOT, { url: target.url, routes: ROUTES }, backend);
  const hubs: Array<Awaited<ReturnType<typeof startServer>>> = [];
  try {
    for (let i = 0; i < n; i++)
      hubs.push(
        await startServer([join(ROOT, 'bin', 'subhub.js'), 'start', '--config', config], {
          STRIPE_WEBHOOK_SECRET: BENCH_SECRET,
          PORT: '0',
          SUBHUB_LOG_LEVEL: 'error',
          ...(db ? { DATABASE_URL: db.url } : {}),
        }),
      );
    const postmaster = db ? await db.postmasterPid() : undefined;
    const dbCpuNow = () => (postmaster === undefined ? undefined : postgresCpuMs(postmaster));
    const cpuBefore = { hubs: hubs.map((h) => processCpuMs(h.child.pid)), db: dbCpuNow() };
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
    const ingestRps = accepted / ingestSeconds;
    const deliveredPerS = accepted / allDelivered;
    console.log(
      `accepted ${accepted} events in ${ingestSeconds.toFixed(1)} s; all ${expected} deliveries done after ${allDelivered.toFixed(1)} s`,
    );
    // Where the time goes: CPU per event (its ingest and its 3 deliveries) in the hub processes
    // (SQLite's work included: it runs inside them) and in the PostgreSQL server processes.
    if (hubCpu !== undefined)
      console.log(
        `CPU per event: hub processes ${(hubCpu / accepted).toFixed(2)} ms` +
          (dbCpu !== undefined ? `, PostgreSQL ${(dbCpu / accepted).toFixed(2)} ms` : ''),
      );
    return {
      bench: 'e2e',
      backend,
      hubs: n,
      ingest_rps: Math.round(ingestRps),
      delivered_per_s: Math.round(deliveredPerS),
      ...(hubCpu !== undefined ? { hub_cpu_ms_per_event: round(hubCpu / accepted, 2) } : {}),
      ...(dbCpu !== undefined ? { db_cpu_ms_per_event: round(dbCpu / accepted, 2) } : {}),
      ratio: round(deliveredPerS / ingestRps, 3),
    };
  } finally {
    for (const hub of hubs) await hub.stop();
    await target.stop();
    await db?.drop();
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

/** A fresh database on the server of DATABASE_URL, dropped after the run. */
async function benchDatabase(): Promise<{ url: string; postmasterPid(): Promise<number | undefined>; drop(): Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('--backend postgres needs DATABASE_URL (a server where the benchmark may create a database)');
  const name = `subhub_bench_${Date.now()}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    postmasterPid: async () => {
      const c = new Client({ connectionString: base });
      await c.connect();
      try {
        return parentOf(Number((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
      } finally {
        await c.end();
      }
    },
    drop: async () => {
      const c = new Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
