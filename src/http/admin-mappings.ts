import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Request, Response, Router } from 'express';
import type { HubConfig } from '../config/config.types';
import { LocatedErrors } from '../errors/located-error';
import { readCasesFile, runCase, type CasesFile } from '../mapping/cases';
import type { MappingSet } from '../mapping/mapping-set';
import { compileForTry, runForTry, TryFailed } from '../mapping/try-mapping';
import { adminJsonBody, badBody } from './admin-body';

/** What the mapping playground reads: the hub's loaded mappings and the config that uses them. */
export interface MappingWorkspace {
  set: MappingSet;
  config: Readonly<HubConfig>;
  /** The hub's working directory: file paths are shown relative to it, and mapping paths resolve from it. */
  root: string;
}

export interface AdminMappingsDeps {
  mappings?: MappingWorkspace;
}

/** Largest fixture file whose text is served (the playground's input limit). */
const FIXTURE_MAX_BYTES = 256 * 1024;
const TRY_FIELDS = new Set(['mapping', 'source', 'input', 'enrichment']);

/** Where config uses a mapping: inbound (a connector's event type) or a route. */
type MappingUse = { kind: 'inbound'; connector: string; eventType: string } | { kind: 'route'; route: string };

/**
 * The mapping playground under /admin/api (behind the token check). Nothing is written to disk.
 * - `GET /mappings` → `{ mappings: [{ name, file, direction, usedBy, description, outputSchema, cases }] }`
 * - `GET /mappings/:name` → `{ name, file, source, cases }` (the file's text; cases as in its cases file)
 * - `GET /fixtures` → `{ fixtures: [{ name, mappings, bytes }] }`: the payload files cases use (no text:
 *   the list stays small however many there are)
 * - `GET /fixtures/text?name=` → `{ name, text }`: one of those files (only a listed one, at most 256 KB)
 * - `POST /mappings/try` `{ mapping? | source?, input, enrichment? }` → `{ ok: true, output }`,
 *   `{ ok: true, dropped }` or `{ ok: false, errors: [{ code, message, line, column, where, … }] }`
 * - `POST /mappings/:name/cases` `{ source? }` → `{ ok: true, passed, failed, cases: [{ name, passed, problems }] }`
 *   (or `{ ok: false, errors }` when the edited source does not compile)
 * The engine is the hub's own (compiled closures, no eval; bounded by its depth, regex and
 * JSONata limits); bodies are at most 256 KB.
 */
export function adminMappingRoutes(router: Router, deps: AdminMappingsDeps): void {
  const off = (res: Response) =>
    void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'the mapping playground is not available here' } });

  router.get('/mappings', (_req, res) => {
    const ws = deps.mappings;
    if (!ws) return off(res);
    const usage = usageOf(ws.config);
    res.json({
      mappings: ws.set.names().map((name) => {
        const file = ws.set.fileOf(name)!;
        const compiled = safe(() => ws.set.get(name));
        const uses = usage.get(name) ?? [];
        const kinds = new Set(uses.map((u) => u.kind));
        return {
          name,
          file: shown(ws.root, file),
          // Unused by config: a partial that other mappings `$use`, or a spare.
          direction: kinds.size === 0 ? null : kinds.size === 2 ? 'both' : kinds.has('inbound') ? 'inbound' : 'outbound',
          usedBy: uses,
          description: compiled?.description ?? null,
          outputSchema: compiled?.outputSchema ?? null,
          cases: casesSummary(ws.root, file),
        };
      }),
    });
  });

  router.get('/fixtures', (_req, res) => {
    const ws = deps.mappings;
    if (!ws) return off(res);
    res.json({ fixtures: fixturesOf(ws).map(({ name, mappings, bytes }) => ({ name, mappings, bytes })) });
  });

  // Only a file the list names is read (looked up by name: no path from the request reaches the disk).
  router.get('/fixtures/text', (req, res) => {
    const ws = deps.mappings;
    if (!ws) return off(res);
    const f = fixturesOf(ws).find((x) => x.name === req.query.name);
    if (!f) return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'no such fixture (see GET /fixtures)' } });
    if (f.bytes > FIXTURE_MAX_BYTES)
      return void res
        .status(413)
        .json({ error: { code: 'ADMIN_BODY_TOO_LARGE', message: `the fixture is larger than ${FIXTURE_MAX_BYTES} bytes` } });
    const text = safe(() => readFileSync(f.abs, 'utf8'));
    if (text === undefined)
      return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'the fixture could not be read' } });
    res.json({ name: f.name, text });
  });

  router.post('/mappings/try', adminJsonBody(), async (req: Request, res: Response) => {
    const ws = deps.mappings;
    if (!ws) return off(res);
    const body = req.body as Record<string, unknown> | undefined;
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      return badBody(res, 'send { "mapping": name } or { "source": text }, with "input": text and optional "enrichment": text');
    const unknown = Object.keys(body).filter((k) => !TRY_FIELDS.has(k));
    if (unknown.length) return badBody(res, `unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
    const { mapping, source, input, enrichment } = body;
    if (mapping !== undefined && typeof mapping !== 'string') return badBody(res, '"mapping" is a mapping name');
    if (source !== undefined && typeof source !== 'string') return badBody(res, '"source" is the mapping\'s JSON text (a string)');
    if (mapping === undefined && source === undefined) return badBody(res, 'give "mapping" (a name) or "source" (a mapping\'s JSON text)');
    if (typeof input !== 'string') return badBody(res, '"input" is the payload\'s JSON text (a string)');
    if (enrichment !== undefined && typeof enrichment !== 'string') return badBody(res, '"enrichment" is JSON text (a string)');
    if (mapping !== undefined && source === undefined && !ws.set.fileOf(mapping)) return noMapping(res, mapping);
    try {
      const { mapping: compiled } = compileForTry(ws.set, mapping, source, firstMappingsDir(ws));
      res.json(await runForTry(compiled, input, enrichment));
    } catch (e) {
      if (e instanceof TryFailed) return void res.json({ ok: false, errors: e.problems });
      throw e;
    }
  });

  router.get('/mappings/:name', (req, res) => {
    const ws = deps.mappings;
    if (!ws) return off(res);
    const name = String(req.params.name);
    const file = ws.set.fileOf(name);
    if (!file) return noMapping(res, name);
    res.json({ name, file: shown(ws.root, file), source: readFileSync(file, 'utf8'), cases: casesDetail(ws.root, file) });
  });

  router.post('/mappings/:name/cases', adminJsonBody(), async (req: Request, res: Response) => {
    const ws = deps.mappings;
    if (!ws) return off(res);
    const name = String(req.params.name);
    const file = ws.set.fileOf(name);
    if (!file) return noMapping(res, name);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).some((k) => k !== 'source'))
      return badBody(res, 'send no body, or { "source": the edited mapping\'s JSON text }');
    if (body.source !== undefined && typeof body.source !== 'string')
      return badBody(res, '"source" is the mapping\'s JSON text (a string)');
    const casesFile = casesPathOf(file);
    if (!existsSync(casesFile))
      return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: `mapping ${name} has no cases file` } });
    let cf: CasesFile;
    try {
      cf = readCasesFile(casesFile);
    } catch (e) {
      if (!(e instanceof LocatedErrors)) throw e;
      return void res.json({ ok: false, errors: e.errors.map((x) => ({ ...x.toJSON(), where: 'cases' })) });
    }
    let set = ws.set;
    try {
      if (body.source !== undefined) set = compileForTry(ws.set, name, body.source).set;
    } catch (e) {
      if (e instanceof TryFailed) return void res.json({ ok: false, errors: e.problems });
      throw e;
    }
    const cases = [];
    for (const c of cf.cases) {
      const o = await runCase(cf, c, set);
      cases.push({ name: o.name, passed: o.passed, problems: o.problems });
    }
    const passed = cases.filter((c) => c.passed).length;
    res.json({ ok: true, file: shown(ws.root, casesFile), passed, failed: cases.length - passed, cases });
  });
}

function noMapping(res: Response, name: string): void {
  res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: `no mapping named ${JSON.stringify(name)}` } });
}

/** Config's uses of each mapping. */
function usageOf(config: Readonly<HubConfig>): Map<string, MappingUse[]> {
  const out = new Map<string, MappingUse[]>();
  const add = (name: string, use: MappingUse) => out.set(name, [...(out.get(name) ?? []), use]);
  for (const [connector, c] of Object.entries(config.connectors ?? {}))
    for (const [eventType, name] of Object.entries(c.inbound?.mappings ?? {})) add(name, { kind: 'inbound', connector, eventType });
  for (const r of config.routes ?? []) if (r.enabled !== false) add(r.mapping, { kind: 'route', route: r.name ?? `${r.to}.${r.action}` });
  return out;
}

/** A mapping's cases file: `<name>.cases.json` beside it (the shipped convention). */
function casesPathOf(mappingFile: string): string {
  return mappingFile.replace(/\.json$/, '.cases.json');
}

function casesSummary(root: string, mappingFile: string): { file: string; names: string[]; error?: string } | null {
  const d = casesDetail(root, mappingFile);
  return d && { file: d.file, names: d.cases.map((c) => c.name), ...(d.error ? { error: d.error } : {}) };
}

function casesDetail(root: string, mappingFile: string): { file: string; cases: CasesFile['cases']; error?: string } | null {
  const file = casesPathOf(mappingFile);
  if (!existsSync(file)) return null;
  try {
    return { file: shown(root, file), cases: readCasesFile(file).cases };
  } catch (e) {
    return { file: shown(root, file), cases: [], error: e instanceof Error ? e.message : String(e) };
  }
}

/** The payload files (inputFile, enrichmentFile) the cases of the loaded mappings use, by shown name. */
function fixturesOf(ws: MappingWorkspace): Array<{ abs: string; name: string; mappings: string[]; bytes: number }> {
  const users = new Map<string, Set<string>>();
  for (const name of ws.set.names()) {
    const casesFile = casesPathOf(ws.set.fileOf(name)!);
    if (!existsSync(casesFile)) continue;
    const cf = safe(() => readCasesFile(casesFile));
    for (const c of cf?.cases ?? []) {
      for (const f of [c.inputFile, c.enrichmentFile]) {
        if (f === undefined) continue;
        const abs = resolve(dirname(casesFile), f);
        users.set(abs, (users.get(abs) ?? new Set()).add(name));
      }
    }
  }
  return [...users.entries()]
    .map(([abs, names]) => ({ abs, name: shown(ws.root, abs), mappings: [...names].sort(), bytes: safe(() => statSync(abs).size) }))
    .filter((f): f is typeof f & { bytes: number } => f.bytes !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Where a pasted mapping with no file reads its table files: the first mappings folder. */
function firstMappingsDir(ws: MappingWorkspace): string {
  return resolve(ws.root, ws.config.mappings?.paths?.[0] ?? 'mappings');
}

/** A path relative to the workspace when it lies below it. */
function shown(root: string, file: string): string {
  const r = relative(root, isAbsolute(file) ? file : join(root, file));
  return r.startsWith('..') || isAbsolute(r) ? file : r;
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
