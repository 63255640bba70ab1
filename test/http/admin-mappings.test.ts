// The mapping playground over the admin API: the loaded mappings, their text and cases, the
// fixtures, trying a mapping (by name or pasted) with located errors, and running cases against an
// edited text. A real hub (shipped mappings plus the test hub's own), real HTTP; nothing is saved.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode, rawRequest, type RawResponse } from '../helpers/http-raw';
import { startTarget } from '../helpers/target-server';
import { startTestHub } from '../helpers/test-hub';

type Hub = Awaited<ReturnType<typeof startTestHub>>;
const ROOT = join(__dirname, '..', '..');
const TOKEN = 'adm_mappings_0123456789abcdef01234';
const NAME = 'stripe.invoice-paid.to.hub-event';
const FILE = join(ROOT, 'mappings', `${NAME}.json`);
const CASES = JSON.parse(readFileSync(join(ROOT, 'mappings', `${NAME}.cases.json`), 'utf8')) as {
  cases: Array<{ name: string; inputFile?: string; expect?: unknown }>;
};
const firstCase = CASES.cases.find((c) => c.inputFile && c.expect !== undefined)!;
const FIRST_INPUT = readFileSync(join(ROOT, 'mappings', firstCase.inputFile!), 'utf8');

interface Problem {
  code: string;
  message: string;
  line: number | null;
  column: number | null;
  where: string;
}

describe('/admin/api mapping playground', () => {
  let hub: Hub;
  let target: Awaited<ReturnType<typeof startTarget>>;
  beforeAll(async () => {
    target = await startTarget();
    hub = await startTestHub({ targetUrl: target.url, env: { SUBHUB_ADMIN_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await hub.stop();
    await target.close();
  });

  const api = (path: string, o: { method?: string; body?: unknown; token?: string } = {}) =>
    rawRequest(`${hub.url}/admin/api${path}`, {
      method: o.method ?? 'GET',
      headers: {
        authorization: `Bearer ${o.token ?? TOKEN}`,
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
    });
  const tryIt = async (body: Record<string, unknown>) => {
    const res = await api('/mappings/try', { method: 'POST', body });
    expect(res.status).toBe(200);
    return res.json<{ ok: boolean; output?: unknown; dropped?: string; errors?: Problem[] }>();
  };
  const expectError = (res: RawResponse, status: number, code: string) =>
    expect({ status: res.status, code: errorCode(res) }).toEqual({ status, code });

  it('lists the loaded mappings with their file, direction and cases', async () => {
    const { mappings } = (await api('/mappings')).json<{
      mappings: Array<{
        name: string;
        file: string;
        direction: string | null;
        usedBy: unknown[];
        cases: { file: string; names: string[] } | null;
      }>;
    }>();
    const paid = mappings.find((m) => m.name === NAME)!;
    expect(paid).toMatchObject({
      file: `mappings/${NAME}.json`,
      direction: 'inbound',
      usedBy: [{ kind: 'inbound', connector: 'stripe', eventType: 'invoice.paid' }],
      cases: { file: `mappings/${NAME}.cases.json`, names: CASES.cases.map((c) => c.name) },
    });
    // The test hub's outbound mapping lives outside the workspace: shown by its full path.
    expect(mappings.find((m) => m.name === 'test.payload')).toMatchObject({
      direction: 'outbound',
      usedBy: [{ kind: 'route', route: 'to-target' }],
      cases: null,
    });
    // A partial that other mappings $use: no direction of its own.
    expect(mappings.find((m) => m.name === 'stripe.customer-ref')).toMatchObject({ direction: null, usedBy: [] });
  });

  it("GET /mappings/:name gives the file's text and its cases; an unknown name is 404", async () => {
    const res = (await api(`/mappings/${NAME}`)).json<{ name: string; source: string; cases: { cases: unknown[] } }>();
    expect(res.source).toBe(readFileSync(FILE, 'utf8'));
    expect(res.cases.cases).toHaveLength(CASES.cases.length);
    expectError(await api('/mappings/no.such.mapping'), 404, 'ADMIN_NOT_FOUND');
  });

  it('GET /fixtures lists the payload files cases use; GET /fixtures/text serves a listed one only', async () => {
    const { fixtures } = (await api('/fixtures')).json<{ fixtures: Array<{ name: string; mappings: string[]; bytes: number }> }>();
    const f = fixtures.find((x) => x.name === join('mappings', firstCase.inputFile!))!;
    expect(f).toEqual({ name: f.name, mappings: expect.arrayContaining([NAME]), bytes: Buffer.byteLength(FIRST_INPUT) });
    expect((await api(`/fixtures/text?name=${encodeURIComponent(f.name)}`)).json()).toEqual({ name: f.name, text: FIRST_INPUT });
    for (const name of ['../package.json', 'config/hub.json', '/etc/passwd', join('mappings', '..', 'package.json')]) {
      expectError(await api(`/fixtures/text?name=${encodeURIComponent(name)}`), 404, 'ADMIN_NOT_FOUND');
    }
  });

  it('try by name: the output the case expects', async () => {
    expect(await tryIt({ mapping: NAME, input: FIRST_INPUT })).toEqual({ ok: true, output: firstCase.expect });
  });

  it('try a pasted mapping: output, a drop, and an enrichment beside the input', async () => {
    const source = JSON.stringify({ filter: { $path: 'keep' }, output: { x: { $path: 'x' }, e: { $path: 'enrichment.y' } } });
    expect(await tryIt({ source, input: '{"keep": true, "x": 1}', enrichment: '{"y": 2}' })).toEqual({ ok: true, output: { x: 1, e: 2 } });
    expect(await tryIt({ source, input: '{"keep": false, "x": 1}' })).toEqual({ ok: true, dropped: 'filter' });
  });

  it('a syntax error in the pasted mapping gives its line and column', async () => {
    const source = '{\n  "output": {\n    "a": 1,\n  }\n}';
    const r = await tryIt({ source, input: '{}' });
    expect(r.ok).toBe(false);
    expect(r.errors![0]).toMatchObject({ code: 'JSON_SYNTAX', where: 'mapping', line: 4, column: 3 });
  });

  it('a schema-invalid mapping gives the line and column of the offending node', async () => {
    const source = '{\n  "output": {\n    "a": { "$path": "x", "required": "yes" }\n  }\n}';
    const r = await tryIt({ source, input: '{}' });
    expect(r.ok).toBe(false);
    expect(r.errors![0]).toMatchObject({ code: 'SCHEMA_INVALID', where: 'mapping', line: 3 });
    expect(r.errors![0]!.column).toBeGreaterThan(1);
  });

  it('a syntax error in the input gives its line and column (where: input)', async () => {
    const r = await tryIt({ mapping: NAME, input: '{\n  "id": }' });
    expect(r).toEqual({
      ok: false,
      errors: [expect.objectContaining({ code: 'MAPPING_INPUT_INVALID', where: 'input', line: 2, column: 9 })],
    });
  });

  it("a run-time mapping error gives the mapping node's location", async () => {
    const source = '{\n  "output": {\n    "a": { "$path": "missing", "required": true }\n  }\n}';
    const r = await tryIt({ source, input: '{}' });
    expect(r.errors).toEqual([expect.objectContaining({ code: 'MAPPING_REQUIRED_MISSING', where: 'mapping', line: 3, column: 10 })]);
  });

  it('bad requests: 400 ADMIN_BAD_BODY; too large: 413; unknown mapping: 404; no token: 401', async () => {
    for (const body of [{ input: '{}' }, { mapping: NAME }, { mapping: NAME, input: {} }, { source: '{}', input: '{}', extra: 1 }, '[1']) {
      expectError(await api('/mappings/try', { method: 'POST', body }), 400, 'ADMIN_BAD_BODY');
    }
    const big = JSON.stringify({ mapping: NAME, input: JSON.stringify({ pad: 'x'.repeat(300 * 1024) }) });
    expectError(await api('/mappings/try', { method: 'POST', body: big }), 413, 'ADMIN_BODY_TOO_LARGE');
    expectError(await api('/mappings/try', { method: 'POST', body: { mapping: 'no.such.mapping', input: '{}' } }), 404, 'ADMIN_NOT_FOUND');
    expectError(await api('/mappings/no.such.mapping/cases', { method: 'POST' }), 404, 'ADMIN_NOT_FOUND');
    for (const [method, path] of [
      ['GET', '/mappings'],
      ['GET', `/mappings/${NAME}`],
      ['GET', '/fixtures'],
      ['POST', '/mappings/try'],
      ['POST', `/mappings/${NAME}/cases`],
    ] as const) {
      expectError(await api(path, { method, token: 'wrong' }), 401, 'ADMIN_UNAUTHORIZED');
    }
  });

  it('a nesting too deep in the input is refused with its position, and the hub keeps serving', async () => {
    const r = await tryIt({ mapping: NAME, input: '['.repeat(200) + ']'.repeat(200) });
    expect(r.errors).toEqual([expect.objectContaining({ code: 'MAPPING_INPUT_INVALID', where: 'input', line: 1 })]);
    expect((await api('/mappings')).status).toBe(200);
  });

  it('runs the cases of a mapping: all pass as shipped; an edited text (not saved) fails some with problems', async () => {
    const shipped = (await api(`/mappings/${NAME}/cases`, { method: 'POST' })).json<{
      ok: boolean;
      failed: number;
      cases: Array<{ name: string; passed: boolean; problems: string[] }>;
    }>();
    expect(shipped).toMatchObject({ ok: true, failed: 0 });
    expect(shipped.cases.map((c) => c.name)).toEqual(CASES.cases.map((c) => c.name));

    const text = readFileSync(FILE, 'utf8');
    const edited = JSON.parse(text) as { output: Record<string, unknown> };
    edited.output.schemaVersion = 99;
    const run = (await api(`/mappings/${NAME}/cases`, { method: 'POST', body: { source: JSON.stringify(edited, null, 2) } })).json<{
      ok: boolean;
      failed: number;
      cases: Array<{ passed: boolean; problems: string[] }>;
    }>();
    expect(run.ok).toBe(true);
    expect(run.failed).toBeGreaterThan(0);
    // The edited output breaks the canonical event schema (schemaVersion is 1), said at the edited text's line.
    expect(run.cases.find((c) => !c.passed)!.problems.join('\n')).toMatch(
      /^<mapping>:\d+:\d+: .*schemaVersion.*\[MAPPING_OUTPUT_INVALID\]$/m,
    );
    // Nothing was saved: the file and the loaded mapping are as shipped.
    expect(readFileSync(FILE, 'utf8')).toBe(text);
    expect((await api(`/mappings/${NAME}/cases`, { method: 'POST' })).json<{ failed: number }>().failed).toBe(0);

    const broken = (await api(`/mappings/${NAME}/cases`, { method: 'POST', body: { source: '{"output": ' } })).json<{
      ok: boolean;
      errors: Problem[];
    }>();
    expect(broken.ok).toBe(false);
    expect(broken.errors[0]).toMatchObject({ code: 'JSON_SYNTAX', where: 'mapping', line: 1, column: 12 });
  });
});
