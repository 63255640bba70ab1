import { existsSync } from 'node:fs';
import { LocatedErrors } from '../../errors/located-error';
import { readCasesFile, runCase, type CaseOutcome } from '../../mapping/cases';
import { MappingSet } from '../../mapping/mapping-set';
import type { CliIO } from '../io';
import { collectFiles, DEFAULT_MAPPINGS } from '../workspace';

/** Runs every `*.cases.json` under the paths (default ./mappings) and prints a diff per failure. */
export async function testCommand(paths: string[], io: CliIO): Promise<number> {
  const targets = paths.length > 0 ? paths : [DEFAULT_MAPPINGS];
  const missing = targets.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    io.err(`subhub test: no such file or folder: ${missing.join(', ')}`);
    return 2;
  }
  const files = collectFiles(targets);
  const mappingRoots = [
    ...files.filter((f) => f.kind === 'mapping').map((f) => f.file),
    ...(existsSync(DEFAULT_MAPPINGS) ? [DEFAULT_MAPPINGS] : []),
  ];
  const set = MappingSet.fromPaths(mappingRoots);
  const outcomes: CaseOutcome[] = [];
  let broken = 0;
  for (const { file } of files.filter((f) => f.kind === 'cases')) {
    let cf;
    try {
      cf = readCasesFile(file);
    } catch (e) {
      if (!(e instanceof LocatedErrors)) throw e;
      for (const x of e.errors) io.out(x.toLine());
      broken++;
      continue;
    }
    io.out(`${file} (mapping ${cf.mapping})`);
    for (const c of cf.cases) {
      const o = await runCase(cf, c, set);
      outcomes.push(o);
      io.out(`  ${o.passed ? '✓' : '✗'} ${o.name}`);
      for (const line of o.problems) io.out(`      ${line}`);
    }
  }
  const failed = outcomes.filter((o) => !o.passed).length;
  const passed = outcomes.length - failed;
  io.err(`mapping cases: ${passed} ok, ${failed} failing${broken > 0 ? `, ${broken} unreadable cases file(s)` : ''}`);
  if (outcomes.length === 0 && broken === 0) {
    io.err('subhub test: no *.cases.json files found');
    return 1;
  }
  return failed > 0 || broken > 0 ? 1 : 0;
}
