import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { kindOf } from '../errors/codes';
import { LocatedError, LocatedErrors } from '../errors/located-error';
import { parseLocatedJson, type LocatedJson } from '../json/located-json';
import { compileMapping, type CompiledMapping } from './compile-mapping';
import type { LookupTable } from './tables';

/** Folders inside a mappings folder that hold data, not mappings. */
const DATA_FOLDERS = new Set(['tables', 'fixtures', 'node_modules']);

/** True for a file that holds a mapping: `*.json`, but not cases, schemas or data. */
export function isMappingFile(path: string): boolean {
  const name = basename(path);
  return name.endsWith('.json') && !name.endsWith('.cases.json') && !name.endsWith('.schema.json');
}

export function mappingNameOf(path: string): string {
  return basename(path).replace(/\.json$/, '');
}

/** Every mapping file below the given folders (or the files themselves), sorted for stable output. */
export function findMappingFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (p: string, top: boolean) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      if (!top && DATA_FOLDERS.has(basename(p))) return;
      for (const e of readdirSync(p).sort()) visit(join(p, e), false);
    } else if (isMappingFile(p)) out.push(p);
  };
  for (const p of paths) visit(p, true);
  return out;
}

/**
 * All mappings of a deployment, by name. Mappings compile on first use, so `$use` resolves to
 * mappings in any order and cycles are reported (MAPPING_CYCLE) instead of overflowing the stack.
 */
export class MappingSet {
  readonly #files = new Map<string, string>();
  readonly #compiled = new Map<string, CompiledMapping>();
  readonly #failed = new Map<string, LocatedErrors>();
  readonly #compiling = new Set<string>();
  readonly #tableCache = new Map<string, LookupTable>();
  /** Mappings compiled from a document in memory instead of their file (withDocument). */
  readonly #documents = new Map<string, { doc: LocatedJson; baseDir: string }>();

  /**
   * Registers mapping files; a name given twice is an error naming both files, unless
   * `preferFirst` (e.g. a file named on the command line shadows one in ./mappings).
   */
  static fromPaths(paths: readonly string[], options: { preferFirst?: boolean } = {}): MappingSet {
    const set = new MappingSet();
    const dupes: LocatedError[] = [];
    for (const f of findMappingFiles(paths)) {
      const name = mappingNameOf(f);
      const prev = set.#files.get(name);
      if (prev && (options.preferFirst || resolve(prev) === resolve(f))) continue;
      if (prev) {
        dupes.push(
          new LocatedError(
            'MAPPING_NAME_MISMATCH',
            kindOf('MAPPING_NAME_MISMATCH'),
            `mapping name "${name}" is also used by ${prev}`,
            { file: f, pointer: '' },
            { hint: 'mapping names are file names and must be unique' },
          ),
        );
      } else set.#files.set(name, f);
    }
    if (dupes.length > 0) throw new LocatedErrors(dupes);
    return set;
  }

  /**
   * This set with `name` compiled from `doc` (an edited text, never written to disk) instead of
   * its file; `name` need not have a file. A new set that compiles afresh, so mappings that
   * `$use` it see the edit; loaded table files are shared. `baseDir` is where the document's
   * table files are read from (default: its file's folder).
   */
  withDocument(name: string, doc: LocatedJson, baseDir?: string): MappingSet {
    const set = new MappingSet();
    for (const [n, f] of this.#files) set.#files.set(n, f);
    for (const [n, d] of this.#documents) set.#documents.set(n, d);
    for (const [k, t] of this.#tableCache) set.#tableCache.set(k, t);
    const file = this.#files.get(name);
    set.#documents.set(name, { doc, baseDir: baseDir ?? (file ? dirname(file) : process.cwd()) });
    return set;
  }

  names(): string[] {
    return [...this.#files.keys()];
  }

  fileOf(name: string): string | undefined {
    return this.#files.get(name);
  }

  /** The compiled mapping; throws LocatedErrors when it (or a mapping it uses) does not compile. */
  get(name: string): CompiledMapping {
    const done = this.#compiled.get(name);
    if (done) return done;
    const failed = this.#failed.get(name);
    if (failed) throw failed;
    const file = this.#files.get(name);
    const edited = this.#documents.get(name);
    if (!file && !edited)
      throw new LocatedErrors([
        new LocatedError('MAPPING_UNKNOWN_MAPPING', kindOf('MAPPING_UNKNOWN_MAPPING'), `no mapping named "${name}"`, { pointer: '' }),
      ]);
    this.#compiling.add(name);
    try {
      const doc = edited?.doc ?? readLocated(file!);
      const compiled = compileMapping(
        { name, value: doc.value, doc, baseDir: edited?.baseDir ?? dirname(file!) },
        { tableCache: this.#tableCache, resolveMapping: (other) => this.#resolve(other) },
      );
      this.#compiled.set(name, compiled);
      return compiled;
    } catch (e) {
      if (e instanceof LocatedErrors) this.#failed.set(name, e);
      throw e;
    } finally {
      this.#compiling.delete(name);
    }
  }

  /** Compiles every mapping; returns all problems of all files (empty when every mapping is fine). */
  compileAll(): LocatedError[] {
    const problems: LocatedError[] = [];
    for (const name of this.names()) {
      try {
        this.get(name);
      } catch (e) {
        if (!(e instanceof LocatedErrors)) throw e;
        for (const err of e.errors) if (!problems.includes(err)) problems.push(err);
      }
    }
    return problems;
  }

  #resolve(name: string): CompiledMapping | undefined | 'cycle' | 'broken' {
    if (this.#compiling.has(name)) return 'cycle';
    if (!this.#files.has(name) && !this.#documents.has(name)) return undefined;
    try {
      return this.get(name);
    } catch (e) {
      if (e instanceof LocatedErrors) return e.errors.some((x) => x.code === 'MAPPING_CYCLE') ? 'cycle' : 'broken';
      throw e;
    }
  }
}

/** Reads and parses a JSON file with positions; I/O and syntax problems become LocatedErrors. */
export function readLocated(file: string): LocatedJson {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LocatedErrors([
      new LocatedError('FILE_READ', kindOf('FILE_READ'), `cannot read file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        file,
        pointer: '',
      }),
    ]);
  }
  return parseLocatedJson(text, file);
}
