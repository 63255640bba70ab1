/**
 * Generates TypeScript types from the JSON Schemas that are the single source of truth:
 * src/events/hub-event.schema.json → src/events/hub-event.types.ts and
 * config/hub.schema.json → src/config/config.types.ts.
 *
 *   node <compiled>/scripts/gen-types.js           rewrite the types file
 *   node <compiled>/scripts/gen-types.js --check   exit 1 if the types file on disk is stale
 *
 * ts-node is not a dependency, so compile first, e.g. from the repository root:
 *   npx tsc --ignoreConfig --outDir /tmp/gen-out --module node20 --target ES2022 --esModuleInterop --strict \
 *     --skipLibCheck --types node --rootDir . scripts/gen-types.ts
 *   NODE_PATH=$PWD/node_modules node /tmp/gen-out/scripts/gen-types.js
 * The test suite (src/events/hub-event.schema.test.ts) fails when the checked-in types file is stale.
 * Paths are resolved against the nearest ancestor of this file holding a package.json, else the working directory,
 * so the script works from the source tree, from dist/ and from a scratch output directory.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { JSONSchema, Options } from 'json-schema-to-typescript';

export interface TypesTarget {
  schema: string;
  types: string;
  /** Name of the root type. */
  name: string;
}

export const TARGETS: readonly TypesTarget[] = [
  { schema: 'src/events/hub-event.schema.json', types: 'src/events/hub-event.types.ts', name: 'HubEvent' },
  { schema: 'config/hub.schema.json', types: 'src/config/config.types.ts', name: 'HubConfig' },
];

/** Repository root: nearest ancestor of this file with a package.json; falls back to the working directory. */
export function findRepoRoot(start: string = __dirname): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/**
 * Rewrites `{ $ref, description }` as `{ description, allOf: [{ $ref }] }`.
 *
 * Why: the generator merges a description sitting next to a `$ref` into the referenced definition, so the first
 * use site's description replaces the definition's own one and a second use site with another text yields a
 * duplicate type (`Currency1`). Wrapped in allOf, the use-site description documents the property and the
 * definition keeps its own. Validation is unaffected: the schema file itself is not changed.
 */
function liftRefDescriptions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(liftRefDescriptions);
  if (node === null || typeof node !== 'object') return node;
  const entries = Object.entries(node).map(([key, value]) => [key, liftRefDescriptions(value)] as const);
  const copy: Record<string, unknown> = Object.fromEntries(entries);
  if (typeof copy.$ref === 'string' && typeof copy.description === 'string') {
    const { $ref, ...rest } = copy;
    return { ...rest, allOf: [{ $ref }] };
  }
  return copy;
}

/** Returns the text of the generated types file for a target's schema as it is on disk. */
export async function generateTypes(target: TypesTarget, root: string = findRepoRoot()): Promise<string> {
  const schema = JSON.parse(readFileSync(join(root, target.schema), 'utf8')) as JSONSchema;
  const options: Partial<Options> = {
    bannerComment: `/* Generated from ${target.schema} by scripts/gen-types.ts. Do not edit. */`,
    additionalProperties: false,
    format: true,
    style: { singleQuote: true, printWidth: 120 },
  };
  return compileInChildProcess(liftRefDescriptions(schema) as JSONSchema, target.name, options);
}

/** The event types file (kept for the event schema's own staleness test). */
export function generateEventTypes(root: string = findRepoRoot()): Promise<string> {
  return generateTypes(TARGETS[0]!, root);
}

/**
 * Runs json-schema-to-typescript's compile() in a child Node process.
 *
 * Why: it formats with prettier 3, whose CommonJS entry loads itself through a dynamic import() at require time;
 * jest's module VM rejects that unless run with --experimental-vm-modules. A child process gives the CLI and the
 * test suite the same code path, hence the same output. Input goes over stdin, the generated text comes back on stdout.
 */
function compileInChildProcess(schema: JSONSchema, name: string, options: Partial<Options>): Promise<string> {
  const child = spawn(process.execPath, ['-e', CHILD_SCRIPT, require.resolve('json-schema-to-typescript')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.end(JSON.stringify({ schema, name, options }));
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(Buffer.concat(stdout).toString('utf8'));
      else reject(new Error(`json-schema-to-typescript failed (exit ${code}): ${Buffer.concat(stderr).toString('utf8')}`));
    });
  });
}

/** Child side of compileInChildProcess; argv[1] is the resolved path of json-schema-to-typescript. */
const CHILD_SCRIPT = `
const { compile } = require(process.argv[1]);
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const { schema, name, options } = JSON.parse(input);
  compile(schema, name, options).then(
    (text) => process.stdout.write(text),
    (error) => {
      console.error(error && error.stack ? error.stack : String(error));
      process.exitCode = 1;
    },
  );
});
`;

async function main(argv: readonly string[]): Promise<number> {
  const root = findRepoRoot();
  let stale = 0;
  for (const t of TARGETS) {
    const file = join(root, t.types);
    const generated = await generateTypes(t, root);
    if (argv.includes('--check')) {
      const onDisk = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      if (onDisk !== generated) {
        console.error(`${t.types} is stale: run npm run gen`);
        stale++;
      } else console.log(`${t.types} is up to date`);
    } else {
      writeFileSync(file, generated);
      console.log(`wrote ${t.types}`);
    }
  }
  return stale > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
