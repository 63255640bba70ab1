import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempFiles } from './helpers/temp-files';

// The layer and cycle rules live in .dependency-cruiser.cjs; `npm run check:layers` runs the same
// check. This test keeps them in `npm test`, and proves on a small fixture that the rules bite.
const ROOT = join(__dirname, '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const CLI = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: { name: string }[];
}

/** Runs dependency-cruiser with the project's rules in `cwd` and returns the violations. */
function violations(cwd: string, paths: string[]): Violation[] {
  let out: string;
  try {
    out = execFileSync(process.execPath, [CLI, ...paths, '--config', CONFIG, '--output-type', 'json'], {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    // The CLI exits non-zero when it finds errors; the report is still on stdout.
    out = (e as { stdout?: string }).stdout ?? '';
    if (out === '') throw e;
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

function describeViolation(v: Violation): string {
  const via = v.cycle ? ` (cycle: ${[v.from, ...v.cycle.map((c) => c.name)].join(' → ')})` : '';
  return `${v.rule.name}: ${v.from} → ${v.to}${via}`;
}

describe('layers', () => {
  it('src/ has no folder-level cycle and no forbidden edge; connectors import only src/sdk', () => {
    expect(violations(ROOT, ['src', 'connectors']).map(describeViolation)).toEqual([]);
  }, 60_000);

  it('the rules catch a folder cycle, the domain reaching into the store, and a connector bypassing the SDK', () => {
    const dir = tempFiles({
      'tsconfig.json': { compilerOptions: { module: 'node20', strict: true }, include: ['src', 'connectors'] },
      'src/store/ports.ts': "import type { Rule } from '../domain/rules';\nexport type Store = { rule: Rule };\n",
      'src/domain/rules.ts': "import type { Store } from '../store/ports';\nexport type Rule = { store: Store };\n",
      'src/pipeline/step.ts': "import type { Rule } from '../domain/rules';\nexport type Step = Rule;\n",
      'src/domain/settings.ts': "import type { Step } from '../pipeline/step';\nexport type Settings = Step;\n",
      'src/config/secrets.ts': 'export type SecretRef = { env: string };\n',
      'src/sdk/index.ts': "export type { SecretRef } from '../config/secrets';\n",
      'connectors/x/index.ts': "import type { Rule } from '../../src/domain/rules';\nexport type X = Rule;\n",
    });
    try {
      const found = violations(dir, ['src', 'connectors']);
      const rules = new Set(found.map((v) => v.rule.name));
      expect([...rules].sort()).toEqual(
        ['connectors-only-sdk', 'domain-not-above-ports', 'no-folder-cycle', 'sdk-self-contained', 'store-not-above-ports'].sort(),
      );
      expect(found.map(describeViolation)).toEqual(
        expect.arrayContaining([
          'store-not-above-ports: src/store/ports.ts → src/domain/rules.ts',
          'domain-not-above-ports: src/domain/rules.ts → src/store/ports.ts',
          'domain-not-above-ports: src/domain/settings.ts → src/pipeline/step.ts',
          'sdk-self-contained: src/sdk/index.ts → src/config/secrets.ts',
          'connectors-only-sdk: connectors/x/index.ts → src/domain/rules.ts',
        ]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
