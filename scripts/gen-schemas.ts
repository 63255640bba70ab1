/**
 * Writes the JSON Schemas that are generated from code, for editors (`"$schema"` in mapping and
 * cases files): mappings/mapping.schema.json and mappings/cases.schema.json, from the operator
 * definitions. With --check, exits 1 when a file on disk is stale.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCasesSchema, buildMappingSchema } from '../src/mapping/mapping-schema';
import { findRepoRoot } from './gen-types';

export const SCHEMA_FILES: ReadonlyArray<{ path: string; build: () => unknown }> = [
  { path: 'mappings/mapping.schema.json', build: buildMappingSchema },
  { path: 'mappings/cases.schema.json', build: buildCasesSchema },
];

export function schemaText(build: () => unknown): string {
  return `${JSON.stringify(build(), null, 2)}\n`;
}

function main(argv: readonly string[]): number {
  const root = findRepoRoot();
  let stale = 0;
  for (const f of SCHEMA_FILES) {
    const file = join(root, f.path);
    const text = schemaText(f.build);
    if (argv.includes('--check')) {
      if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
        console.error(`${f.path} is stale: run npm run gen`);
        stale++;
      } else console.log(`${f.path} is up to date`);
    } else {
      writeFileSync(file, text);
      console.log(`wrote ${f.path}`);
    }
  }
  return stale > 0 ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
