import { mappingBench } from './mapping.bench';

/**
 * `npm run bench -- <name...>` runs the named benchmarks (all when none is named). Each prints
 * its progress and, last, one JSON line with its figures. SUBHUB_BENCH_BUDGET_MS shortens or
 * lengthens each measurement round (default 2000 ms; CI only checks that benchmarks run).
 */
const BENCHES: Record<string, (o: { budgetMs: number; rounds: number }) => Promise<Record<string, unknown>>> = {
  mapping: mappingBench,
};

async function main(argv: string[]): Promise<number> {
  const names = argv.length > 0 ? argv : Object.keys(BENCHES);
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(BENCHES).join(', ')}`);
    return 2;
  }
  const budgetMs = Number(process.env.SUBHUB_BENCH_BUDGET_MS ?? 2000);
  for (const name of names) console.log(JSON.stringify(await BENCHES[name]!({ budgetMs, rounds: 3 })));
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
