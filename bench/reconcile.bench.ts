import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStripeSimulator } from '../connectors/stripe/simulator';
import type { DriftKind } from '../src/reconcile/drift';
import { runReconcile } from '../src/composition/run-reconcile';
import { ALL_INJECTED, billingSeeds, hubSide, injectedCounts, type PopulationOptions } from '../src/reconcile/synthetic-population';
import { databaseFile, loadRuntime } from '../src/runtime';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store';
import { seedSubscriptionsInBatches } from './seed-store';
import { startServer } from './processes';

const ROOT = join(__dirname, '..', '..');
const SELF = join(ROOT, 'dist', 'bench', 'reconcile.bench.js');
const API_KEY = 'sk_test_simulator';
/** Billing ↔ hub kinds: the benchmark has no warehouse (see below). */
const KINDS = ALL_INJECTED.filter((k) => !k.startsWith('reservation_'));

/**
 * `npm run bench -- reconcile`: the nightly reconciliation of SUBHUB_BENCH_SUBSCRIPTIONS
 * subscriptions (default 1,000,000; 10,000 under CI=true when unset), held both by the Stripe
 * simulator and by the hub's store, with 1 % drift injected on either side (changes on the
 * billing side the hub never heard of, subscriptions only one side has). Three processes, so
 * the figures are the reconciliation's own on a 2-core machine: this one seeds the store; the
 * Stripe simulator runs in a child (as Stripe would be elsewhere: its page rendering overlaps
 * our comparing); the reconciliation runs as `subhub reconcile --dry-run` would, in a fresh
 * child whose peak RSS is measured (process.resourceUsage().maxRSS). seconds covers loading the
 * config, the pulls (official SDK, 100 per page), the comparison and the hub's own pass.
 * The warehouse side is not part of it: the warehouse simulator sorts every reservation on each
 * page, which the real WMS does not, so it would measure the simulator.
 */
export async function reconcileBench(): Promise<Record<string, unknown>> {
  const fromEnv = process.env.SUBHUB_BENCH_SUBSCRIPTIONS;
  const size = fromEnv ? Number(fromEnv) : process.env.CI ? 10_000 : 1_000_000;
  if (!Number.isInteger(size) || size < 100) throw new Error('SUBHUB_BENCH_SUBSCRIPTIONS is an integer ≥ 100');
  const now = Date.now();
  const population: PopulationOptions = { size, now, every: 100, kinds: KINDS };
  const injected = injectedCounts(population);
  const driftInjected = Object.values(injected).reduce((a, b) => a + b, 0);

  const sim = await startServer([SELF, '--stripe-simulator', String(size), String(now)]);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'subhub-bench-reconcile-'));
    const config = {
      storage: { dataDir: join(dir, 'data') },
      log: { level: 'error' },
      mappings: { paths: [join(ROOT, 'mappings')] },
      connectors: {
        stripe: {
          type: 'stripe',
          webhook: { secrets: [{ env: 'STRIPE_WEBHOOK_SECRET' }] },
          inbound: { mappings: { 'customer.subscription.updated': 'stripe.customer-subscription.to.hub-event' } },
          options: {
            apiKey: { env: 'STRIPE_API_KEY' },
            api: { host: '127.0.0.1', port: Number(new URL(sim.url).port), protocol: 'http' },
            allowHosts: ['127.0.0.1'],
          },
          // The engine's own speed: no request rate unless SUBHUB_BENCH_PULL_RATE sets one (a real Stripe: 100 req/s in live mode).
          pull: { ratePerSec: Number(process.env.SUBHUB_BENCH_PULL_RATE || 100_000) },
        },
      },
      routes: [],
      reconcile: { billing: 'stripe' },
    };
    const configPath = join(dir, 'hub.json');
    writeFileSync(configPath, JSON.stringify(config));

    const seedStarted = Date.now();
    await seedStore(configPath, population);
    console.log(
      `seeded ${size} subscriptions in the simulator and the store (${((Date.now() - seedStarted) / 1000).toFixed(1)} s); ${driftInjected} drifted`,
    );

    const run = await runChild([SELF, '--reconcile', configPath, String(now)], {
      STRIPE_API_KEY: API_KEY,
      STRIPE_WEBHOOK_SECRET: 'whsec_bench',
    });
    const found = run.byKind;
    const missed = (Object.keys(injected) as DriftKind[]).filter((k) => found[k] !== injected[k as keyof typeof injected]);
    console.log(
      `reconciled ${run.billing} billing and ${run.hub} hub subscriptions in ${run.seconds.toFixed(1)} s (engine ${run.engineSeconds.toFixed(1)} s), peak RSS ${run.peakRssMb} MB; drift found ${run.driftFound} of ${driftInjected} injected${missed.length ? ` — MISMATCH in ${missed.map((k) => `${k} ${found[k] ?? 0}/${injected[k as keyof typeof injected]}`).join(', ')}` : ', every kind exact'}`,
    );
    return {
      bench: 'reconcile',
      subscriptions: size,
      seconds: Number(run.seconds.toFixed(1)),
      peak_rss_mb: run.peakRssMb,
      drift_found: run.driftFound,
      drift_injected: driftInjected,
    };
  } finally {
    await sim.stop();
  }
}

/** The hub's side, written in batches (bounded memory) the way the hub records it. */
async function seedStore(configPath: string, p: PopulationOptions): Promise<void> {
  const runtime = loadRuntime({ path: configPath, localPath: false, env: { STRIPE_WEBHOOK_SECRET: 'whsec_bench' } });
  const mapping = runtime.mappings.get('stripe.customer-subscription.to.hub-event');
  const states = function* () {
    for (let i = 0; i < p.size; i++) yield hubSide(p, i, mapping).state;
  };
  await seedSubscriptionsInBatches(databaseFile(runtime.config.storage!.dataDir!), states());
}

interface ChildResult {
  seconds: number;
  engineSeconds: number;
  peakRssMb: number;
  driftFound: number;
  billing: number;
  hub: number;
  byKind: Partial<Record<DriftKind, number>>;
}

/** Runs a child and parses its last stdout line (JSON); its stderr (progress) passes through. */
async function runChild(args: string[], env: Record<string, string>): Promise<ChildResult> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${out}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult;
}

/** Child: the Stripe simulator holding the billing side. */
async function simulatorChild(size: number, now: number): Promise<void> {
  const sim = await startStripeSimulator(0, { apiKey: API_KEY });
  sim.seedSubscriptions(billingSeeds({ size, now, every: 100, kinds: KINDS }));
  process.stderr.write(`stripe simulator listening on ${sim.url}\n`);
  process.once('SIGTERM', () => void sim.close().then(() => process.exit(0)));
}

/** Child: `subhub reconcile --dry-run` in a fresh process. */
async function reconcileChild(configPath: string, now: number): Promise<void> {
  const started = Date.now();
  const runtime = loadRuntime({ path: configPath, localPath: false, env: process.env });
  const store = await openSqliteStore(databaseFile(runtime.config.storage!.dataDir!));
  const report = await runReconcile({
    runtime,
    store,
    now,
    dryRun: true,
    progressEvery: 100_000,
    onProgress: (p) =>
      process.stderr.write(
        `  ${p.phase}: ${p.processed}${p.done ? ' (done)' : ''} at ${(p.elapsedMs / 1000).toFixed(1)} s, rss ${Math.round(process.memoryUsage.rss() / 1048576)} MB\n`,
      ),
  });
  await store.close();
  const result: ChildResult = {
    seconds: (Date.now() - started) / 1000,
    engineSeconds: report.seconds,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    driftFound: report.drift.total,
    billing: report.checked.billingSubscriptions,
    hub: report.checked.hubSubscriptions,
    byKind: Object.fromEntries(Object.entries(report.drift.byKind).map(([k, c]) => [k, c.found])),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  const [mode, a, b] = process.argv.slice(2);
  const run =
    mode === '--stripe-simulator'
      ? simulatorChild(Number(a), Number(b))
      : mode === '--reconcile'
        ? reconcileChild(a!, Number(b))
        : Promise.reject(new Error(`unknown mode ${mode}`));
  run.catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
