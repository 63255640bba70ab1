import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot, generateTypes, TARGETS } from '../scripts/gen-types';
import { SCHEMA_FILES, schemaText } from '../scripts/gen-schemas';

// Generated files are checked in (editors and readers use them); these tests fail when they are
// stale. Regenerate with `npm run gen`.
const root = findRepoRoot();

describe('generated files are up to date (npm run gen)', () => {
  it.each(TARGETS.map((t) => [t.types, t] as const))('%s', async (_name, target) => {
    const onDisk = readFileSync(join(root, target.types), 'utf8');
    expect(await generateTypes(target, root)).toBe(onDisk);
  });

  it.each(SCHEMA_FILES.map((f) => [f.path, f] as const))('%s', (_name, f) => {
    expect(schemaText(f.build)).toBe(readFileSync(join(root, f.path), 'utf8'));
  });
});
