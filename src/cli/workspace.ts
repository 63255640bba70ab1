import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, isAbsolute } from 'node:path';
import { isCasesFile } from '../mapping/cases';
import { isMappingFile } from '../mapping/mapping-set';

export type FileKind = 'config' | 'mapping' | 'cases';

export const DEFAULT_CONFIG = join('config', 'hub.json');
export const DEFAULT_MAPPINGS = 'mappings';

const SKIP_FOLDERS = new Set(['tables', 'fixtures', 'node_modules', '.git']);

/** Config files are hub.json, local.json and their variants (hub.production.json, local.example.json). */
export function classify(file: string): FileKind | undefined {
  const name = basename(file);
  if (!name.endsWith('.json') || name.endsWith('.schema.json')) return undefined;
  if (isCasesFile(file)) return 'cases';
  if (/^(hub|local)(\.[\w-]+)?\.json$/.test(name)) return 'config';
  return isMappingFile(file) ? 'mapping' : undefined;
}

/** Every config, mapping and cases file under the given paths, sorted, classified. */
export function collectFiles(paths: readonly string[]): Array<{ file: string; kind: FileKind }> {
  const out: Array<{ file: string; kind: FileKind }> = [];
  const visit = (p: string, top: boolean) => {
    if (statSync(p).isDirectory()) {
      if (!top && SKIP_FOLDERS.has(basename(p))) return;
      for (const e of readdirSync(p).sort()) visit(join(p, e), false);
      return;
    }
    const kind = classify(p);
    if (kind) out.push({ file: p, kind });
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
