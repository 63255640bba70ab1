import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, isAbsolute } from 'node:path';
import { isCasesFile } from '../mapping/cases';
import { isMappingFile } from '../mapping/mapping-set';

/** A config file is a base (hub.json: every layer starts from one) or an overlay merged on top (local.json). */
export type FileKind = 'config' | 'overlay' | 'mapping' | 'cases';

/** How a file's kind was found: its "$schema", its top-level keys, or (neither said) its name. */
export type KindSource = '$schema' | 'content' | 'name';

export const DEFAULT_CONFIG = join('config', 'hub.json');
export const DEFAULT_MAPPINGS = 'mappings';

const SKIP_FOLDERS = new Set(['tables', 'fixtures', 'node_modules', '.git']);

/** Overlay files by name: local.json and its variants (local.example.json). */
const OVERLAY_NAME = /^local(\.[\w-]+)?\.json$/;

/** By name alone: config files are hub.json, local.json and their variants (hub.production.json, local.example.json). */
export function classify(file: string): FileKind | undefined {
  const name = basename(file);
  if (!name.endsWith('.json') || name.endsWith('.schema.json')) return undefined;
  if (isCasesFile(file)) return 'cases';
  if (OVERLAY_NAME.test(name)) return 'overlay';
  if (/^hub(\.[\w-]+)?\.json$/.test(name)) return 'config';
  return isMappingFile(file) ? 'mapping' : undefined;
}

/** Top-level keys only a hub config has (hub.schema.json's properties, less "$schema"). */
const CONFIG_KEYS = new Set([
  'server',
  'storage',
  'log',
  'mappings',
  'connectors',
  'connectorPaths',
  'routes',
  'retry',
  'pipeline',
  'admin',
  'stock',
  'dunning',
  'reconcile',
  '$remove',
]);

/**
 * The kind of a .json file (not *.schema.json): from its "$schema" (hub.schema.json, mapping.schema.json,
 * cases.schema.json), else from its top-level keys ("cases" → cases, "output" → mapping, hub config
 * keys → config), else from its name (classify). A config file is an overlay when it is named
 * local.json or local.<variant>.json; `subhub validate --overlay <file>` says so for any name.
 */
export function detectKind(file: string): { kind: FileKind; by: KindSource } | undefined {
  const byName = classify(file);
  if (byName === undefined) return undefined;
  const asConfig = (by: KindSource) => ({ kind: OVERLAY_NAME.test(basename(file)) ? ('overlay' as const) : ('config' as const), by });
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return { kind: byName, by: 'name' }; // unreadable or not JSON: validation reports why
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { kind: byName, by: 'name' };
  const d = doc as Record<string, unknown>;
  const schema = typeof d.$schema === 'string' ? basename(d.$schema) : '';
  if (schema === 'hub.schema.json') return asConfig('$schema');
  if (schema === 'mapping.schema.json') return { kind: 'mapping', by: '$schema' };
  if (schema === 'cases.schema.json') return { kind: 'cases', by: '$schema' };
  if (Array.isArray(d.cases)) return { kind: 'cases', by: 'content' };
  if ('output' in d) return { kind: 'mapping', by: 'content' };
  if (Object.keys(d).some((k) => CONFIG_KEYS.has(k))) return asConfig('content');
  return { kind: byName, by: 'name' };
}

/** Every config, overlay, mapping and cases file under the given paths, sorted, with its kind and how it was found. */
export function collectFiles(paths: readonly string[]): Array<{ file: string; kind: FileKind; by: KindSource }> {
  const out: Array<{ file: string; kind: FileKind; by: KindSource }> = [];
  const visit = (p: string, top: boolean) => {
    if (statSync(p).isDirectory()) {
      if (!top && SKIP_FOLDERS.has(basename(p))) return;
      for (const e of readdirSync(p).sort()) visit(join(p, e), false);
      return;
    }
    const found = detectKind(p);
    if (found) out.push({ file: p, ...found });
  };
  for (const p of paths) visit(p, true);
  return out;
}

/** The paths a command looks at when given none: the config file and the mappings folder, if present. */
export function defaultPaths(cwd: string): string[] {
  return [DEFAULT_CONFIG, DEFAULT_MAPPINGS].filter((p) => existsSync(join(cwd, p)));
}

/** Shows a path relative to the working directory when it lies below it. */
export function display(file: string, cwd: string): string {
  if (!isAbsolute(file)) return file;
  const r = relative(cwd, file);
  return r.startsWith('..') ? file : r;
}
