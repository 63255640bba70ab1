import { loadavg } from 'node:os';
import { domainYearBench } from './domain-year.bench';
import { e2eBench } from './e2e.bench';
import { ingestBench } from './ingest.bench';
import { mappingBench } from './mapping.bench';
import { round } from './measure';
import { reconcileBench } from './reconcile.bench';
import { renewalDayBench } from './renewal-day.bench';

/**
 * `npm run bench -- <name...>` runs the named benchmarks (all when none is named). Each prints
 * its progress and, last, one JSON line with its figures. SUBHUB_BENCH_BUDGET_MS sets each
 * mapping measurement round (default 2000 ms), SUBHUB_BENCH_SECONDS each HTTP load (default 10 s);
 * CI shortens both, as it only checks that the benchmarks run. SUBHUB_BENCH_SUBSCRIPTIONS sizes
 * the reconciliation (default 1,000,000; 10,000 when CI is set and it is not) and the domain's simulated year
 * (`domain-year`: default 100,000; 5,000 under CI) and the renewal day (`renewal-day`: default 20,000;
 * 1,000 under CI). SUBHUB_BENCH_CPU_PROF=<dir> makes every hub a benchmark starts write a CPU profile
 * of each of its threads there (`node dist/bench/profile-summary.js <dir>` says where the time went).
 *
 * `--backend postgres` (ingest, e2e) needs DATABASE_URL; `--log kafka` (ingest, e2e) implies it and
 * starts a private Apache Kafka broker for the run (Kafka's jars in SUBHUB_KAFKA_LIBS, Java 17,
 * node-rdkafka installed). Neither runs unless asked: the default run needs no server. Every JSON
 * line ends with the machine's load average (1, 5, 15 min) before and after its benchmark: the
 * figures of a shared machine mean little without it.
 */
interface BenchOptions {
  budgetMs: number;
  rounds: number;
  seconds: number;
  /** `--backend sqlite|postgres` (ingest, e2e). */
  backend?: 'sqlite' | 'postgres';
  /** `--log store|kafka` (ingest, e2e). */
  log?: 'store' | 'kafka';
  /** `--hubs N` (e2e, postgres). */
  hubs?: number;
}

const BENCHES: Record<string, (o: BenchOptions) => Promise<Record<string, unknown>>> = {
  mapping: mappingBench,
  ingest: ingestBench,
  e2e: e2eBench,
  reconcile: reconcileBench,
  'domain-year': domainYearBench,
  'renewal-day': renewalDayBench,
};

async function main(args: string[]): Promise<number> {
  const flags: Partial<BenchOptions> = {};
  const argv: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--backend' && (args[i + 1] === 'sqlite' || args[i + 1] === 'postgres'))
      flags.backend = args[++i] as 'sqlite' | 'postgres';
    else if (args[i] === '--log' && (args[i + 1] === 'store' || args[i + 1] === 'kafka')) flags.log = args[++i] as 'store' | 'kafka';
    else if (args[i] === '--hubs' && /^[1-9]\d*$/.test(args[i + 1] ?? '')) flags.hubs = Number(args[++i]);
    else if (args[i]!.startsWith('--')) {
      console.error(`unknown or incomplete option ${args[i]}: --backend sqlite|postgres, --log store|kafka, --hubs N`);
      return 2;
    } else argv.push(args[i]!);
  }
  const names = argv.length > 0 ? argv : Object.keys(BENCHES);
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(BENCHES).join(', ')}`);
    return 2;
  }
  const options = {
    budgetMs: Number(process.env.SUBHUB_BENCH_BUDGET_MS ?? 2000),
    rounds: 3,
    seconds: Number(process.env.SUBHUB_BENCH_SECONDS ?? 10),
    ...flags,
  };
  const load = () => loadavg().map((x) => round(x, 2));
  for (const name of names) {
    const before = load();
    const figures = await BENCHES[name]!(options);
    console.log(JSON.stringify({ ...figures, load_before: before, load_after: load() }));
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
