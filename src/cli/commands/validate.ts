import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { activeCounts, loadRuntime } from '../../runtime';
import { LocatedError, LocatedErrors } from '../../errors/located-error';
import { readCasesFile } from '../../mapping/cases';
import { MappingSet } from '../../mapping/mapping-set';
import type { CliIO } from '../io';
import { collectFiles, DEFAULT_CONFIG, DEFAULT_MAPPINGS, defaultPaths, type FileKind, type KindSource } from '../workspace';

export interface ValidateOptions {
  format: 'text' | 'json';
  /** Files to check as overlays (whatever their name), on top of `config`. */
  overlay?: string[];
  /** The base config an overlay is checked on (default: hub.json beside the overlay, else config/hub.json). */
  config?: string;
}

/**
 * Validates config, mapping and cases files: JSON syntax, schemas, compile errors, and references
 * between them. A file's kind comes from its "$schema", else its keys, else its name (a note on
 * stderr says which). A base config file is checked as the hub would load it: the file, the
 * local.json beside it and the environment overrides (the effective config); an overlay
 * (local*.json, or --overlay) is checked merged on its base. Prints one `file:line:col: message`
 * line per problem; exit code 1 on any.
 */
export function validateCommand(paths: string[], options: ValidateOptions, io: CliIO): number {
  const overlays = options.overlay ?? [];
  const targets = paths.length > 0 || overlays.length > 0 ? paths : defaultPaths(io.cwd);
  const missing = [...targets, ...overlays, ...(options.config ? [options.config] : [])].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    io.err(`subhub validate: no such file or folder: ${missing.join(', ')}`);
    return 2;
  }
  const files: Array<{ file: string; kind: FileKind; by: KindSource | '--overlay' }> = [
    ...collectFiles(targets).filter((f) => !overlays.includes(f.file)),
    ...overlays.map((file) => ({ file, kind: 'overlay' as const, by: '--overlay' as const })),
  ];
  const summaries: string[] = [];
  const problems: LocatedError[] = [];
  const collect = (e: unknown) => {
    if (e instanceof LocatedErrors) problems.push(...e.errors);
    else if (e instanceof LocatedError) problems.push(e);
    else throw e;
  };

  // Mappings given on the command line, plus the default folder so that $use and routes resolve.
  const mappingRoots = files.filter((f) => f.kind === 'mapping').map((f) => f.file);
  const extra = existsSync(DEFAULT_MAPPINGS) && !targets.includes(DEFAULT_MAPPINGS) ? [DEFAULT_MAPPINGS] : [];
  let set: MappingSet | undefined;
  try {
    set = MappingSet.fromPaths([...new Set([...mappingRoots, ...extra])]);
  } catch (e) {
    collect(e);
  }
  const checkedMappings = new Set(mappingRoots);
  if (set) {
    for (const name of set.names()) {
      if (!checkedMappings.has(set.fileOf(name)!)) continue;
      try {
        set.get(name);
      } catch (e) {
        if (e instanceof LocatedErrors) problems.push(...e.errors.filter((x) => !problems.includes(x)));
        else collect(e);
      }
    }
  }

  for (const { file, kind } of files) {
    try {
      if (kind === 'config' || kind === 'overlay') {
        // Everything the hub checks at start, on the effective config: schema, references, its
        // mappings, custom connectors, and each connector's options against its type's own schema
        // and rules (e.g. the SSRF guard).
        const layers = kind === 'config' ? { path: file } : { path: baseOf(file, options.config), localPath: file };
        try {
          const runtime = loadRuntime({ ...layers, env: io.env });
          const a = activeCounts(runtime);
          const from = [...runtime.sources.files, ...runtime.sources.envOverrides.map((e) => `env ${e}`)].join(' + ');
          summaries.push(`${from}: ${a.routes} routes, ${a.mappings} mappings, ${a.connectors} connectors active`);
        } catch (e) {
          if (!(e instanceof LocatedErrors)) throw e;
          for (const p of e.errors) {
            if (problems.some((q) => q.toLine() === p.toLine())) continue;
            problems.push(
              p.location.file ? p : new LocatedError(p.code, p.kind, p.message, { ...p.location, file }, p.hint ? { hint: p.hint } : {}),
            );
          }
        }
      } else if (kind === 'cases') {
        const cf = readCasesFile(file);
        if (set && !set.names().includes(cf.mapping)) {
          problems.push(
            new LocatedError(
              'MAPPING_UNKNOWN_MAPPING',
              'config',
              `cases for unknown mapping "${cf.mapping}"`,
              { file, pointer: '' },
              { hint: 'name the cases file <mapping>.cases.json or set "mapping"' },
            ),
          );
        }
      }
    } catch (e) {
      collect(e);
    }
  }

  if (options.format === 'json') {
    const kinds = files.map((f) => ({ file: f.file, kind: f.kind, by: f.by }));
    io.out(
      JSON.stringify(
        { ok: problems.length === 0, files: files.length, kinds, effective: summaries, problems: problems.map((p) => p.toJSON()) },
        null,
        2,
      ),
    );
  } else {
    for (const f of files)
      if (f.by === 'content' || f.by === 'name')
        io.err(
          `${f.file}: checked as ${f.kind === 'overlay' ? 'an overlay' : `a ${f.kind}`} file, ${f.by === 'content' ? 'told by its keys' : 'guessed from its name'} (set "$schema" to say which)`,
        );
    for (const p of problems) io.out(p.toLine());
    for (const line of summaries) io.err(line);
    const shown = files.some((f) => f.kind === 'overlay') ? ['config', 'overlay', 'mapping', 'cases'] : ['config', 'mapping', 'cases'];
    const counts = shown.map((k) => `${files.filter((f) => f.kind === k).length} ${k}`).join(', ');
    io.err(problems.length === 0 ? `ok: ${counts} file(s) valid` : `${problems.length} problem(s) in ${files.length} file(s) (${counts})`);
  }
  return problems.length === 0 ? 0 : 1;
}

/** The base config an overlay is merged on: --config, else hub.json beside the overlay, else config/hub.json. */
function baseOf(overlay: string, config: string | undefined): string {
  if (config) return config;
  const beside = join(dirname(overlay), 'hub.json');
  return existsSync(beside) ? beside : DEFAULT_CONFIG;
}
