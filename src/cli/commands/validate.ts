import { existsSync } from 'node:fs';
import { loadRuntime } from '../../runtime';
import { LocatedError, LocatedErrors } from '../../errors/located-error';
import { readCasesFile } from '../../mapping/cases';
import { MappingSet } from '../../mapping/mapping-set';
import type { CliIO } from '../io';
import { collectFiles, DEFAULT_MAPPINGS, defaultPaths } from '../workspace';

export interface ValidateOptions {
  format: 'text' | 'json';
}

/**
 * Validates config, mapping and cases files: JSON syntax, schemas, compile errors, and references
 * between them. Prints one `file:line:col: message` line per problem; exit code 1 on any.
 */
export function validateCommand(paths: string[], options: ValidateOptions, io: CliIO): number {
  const targets = paths.length > 0 ? paths : defaultPaths(io.cwd);
  const missing = targets.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    io.err(`subhub validate: no such file or folder: ${missing.join(', ')}`);
    return 2;
  }
  const files = collectFiles(targets);
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
      if (kind === 'config') {
        // Everything the hub checks at start: schema, references, its mappings, custom connectors, and
        // each connector's options against its type's own schema and rules (e.g. the SSRF guard).
        try {
          loadRuntime({ path: file, localPath: false, env: {} });
        } catch (e) {
          if (!(e instanceof LocatedErrors)) throw e;
          for (const p of e.errors) {
            if (problems.some((q) => q.toLine() === p.toLine())) continue;
            problems.push(p.location.file ? p : new LocatedError(p.code, p.kind, p.message, { ...p.location, file }, p.hint ? { hint: p.hint } : {}));
          }
        }
      } else if (kind === 'cases') {
        const cf = readCasesFile(file);
        if (set && !set.names().includes(cf.mapping)) {
          problems.push(new LocatedError('MAPPING_UNKNOWN_MAPPING', 'config', `cases for unknown mapping "${cf.mapping}"`, { file, pointer: '' }, { hint: 'name the cases file <mapping>.cases.json or set "mapping"' }));
        }
      }
    } catch (e) {
      collect(e);
    }
  }

  if (options.format === 'json') {
    io.out(JSON.stringify({ ok: problems.length === 0, files: files.length, problems: problems.map((p) => p.toJSON()) }, null, 2));
  } else {
    for (const p of problems) io.out(p.toLine());
    const counts = ['config', 'mapping', 'cases'].map((k) => `${files.filter((f) => f.kind === k).length} ${k}`).join(', ');
    io.err(problems.length === 0 ? `ok: ${counts} file(s) valid` : `${problems.length} problem(s) in ${files.length} file(s) (${counts})`);
  }
  return problems.length === 0 ? 0 : 1;
}
