import { join } from 'node:path';
import { readCasesFile, runCase } from '../src/mapping/cases';
import { MappingSet } from '../src/mapping/mapping-set';
import { collectFiles } from '../src/cli/workspace';

// Runs every shipped *.cases.json (the same cases `npx subhub test` runs), one jest test per case.
const root = join(__dirname, '..', 'mappings');
const set = MappingSet.fromPaths([root]);
const casesFiles = collectFiles([root]).filter((f) => f.kind === 'cases');

describe('shipped mappings', () => {
  it('every shipped mapping compiles', () => {
    expect(set.compileAll().map((e) => e.toLine())).toEqual([]);
    expect(set.names().length).toBeGreaterThanOrEqual(10);
  });

  it('every shipped mapping has a cases file', () => {
    const withCases = new Set(casesFiles.map((f) => readCasesFile(f.file).mapping));
    const untested = set.names().filter((n) => !withCases.has(n) && !n.startsWith('_'));
    expect(untested).toEqual([]);
  });
});

for (const { file } of casesFiles) {
  const cf = readCasesFile(file);
  describe(`${cf.mapping} (${file.slice(root.length + 1)})`, () => {
    it.each(cf.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const outcome = await runCase(cf, c, set);
      expect(outcome.problems).toEqual([]);
      expect(outcome.passed).toBe(true);
    });
  });
}
