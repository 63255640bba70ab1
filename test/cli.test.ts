import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../src/cli/main';
import { captureIO } from './helpers/capture-io';
import { tempFiles } from './helpers/temp-files';

const BIN = join(__dirname, '..', 'bin', 'subhub.js');

const upperMapping = { output: { id: { $path: 'id', required: true }, name: { $upper: { $path: 'name' } } } };

describe('subhub validate', () => {
  it('prints file:line:col for an unknown key and exits 1', async () => {
    const dir = tempFiles({ 'm.json': '{\n  "output": {\n    "id": { "$path": "id", "requird": true }\n  }\n}\n' });
    const io = captureIO();
    expect(await main(['validate', join(dir, 'm.json')], io)).toBe(1);
    expect(io.stdout()).toMatch(
      new RegExp(
        `^${join(dir, 'm.json')}:3:28: unknown key "requird" \\(at /output/id/requird\\); hint: did you mean "required"\\? \\[SCHEMA_INVALID\\]$`,
        'm',
      ),
    );
  });

  it('prints file:line:col for a JSON syntax error and exits 1', async () => {
    const dir = tempFiles({ 'm.json': '{\n  "output": { "a": 1, }\n}\n' });
    const io = captureIO();
    expect(await main(['validate', join(dir, 'm.json')], io)).toBe(1);
    expect(io.stdout()).toMatch(/m\.json:2:\d+: invalid JSON: .*\[JSON_SYNTAX\]/);
  });

  it('reports an unknown operator with a suggestion, and problems of several files at once', async () => {
    const dir = tempFiles({ 'a.json': { output: { $uppr: 'x' } }, 'b.json': { output: { $path: 'a..b' } }, 'c.json': upperMapping });
    const io = captureIO();
    expect(await main(['validate', dir], io)).toBe(1);
    const lines = io.stdout().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/a\.json:3:5: unknown operator "\$uppr".*did you mean "\$upper"\?.*\[MAPPING_UNKNOWN_OPERATOR\]/);
    expect(lines[1]).toMatch(/b\.json:3:\d+: .*\[MAPPING_BAD_PATH\]/);
  });

  it('--format json lists problems as objects', async () => {
    const dir = tempFiles({ 'm.json': { output: { $upper: 1, extra: true } } });
    const io = captureIO();
    expect(await main(['validate', '--format', 'json', dir], io)).toBe(1);
    const report = JSON.parse(io.stdout());
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ code: 'SCHEMA_INVALID', pointer: '/output/extra', line: 4, col: 5 });
  });

  it('exits 0 and says so when everything is valid', async () => {
    const dir = tempFiles({ 'm.json': upperMapping, 'm.cases.json': { cases: [{ name: 'x', input: { id: 1 }, expect: { id: 1 } }] } });
    const io = captureIO();
    expect(await main(['validate', dir], io)).toBe(0);
    expect(io.stderr()).toContain('ok: 0 config, 1 mapping, 1 cases file(s) valid');
  });

  it('flags cases files that point at no mapping, and a missing path', async () => {
    const dir = tempFiles({ 'orphan.cases.json': { cases: [{ name: 'x', input: {}, expect: {} }] } });
    const io = captureIO();
    expect(await main(['validate', dir], io)).toBe(1);
    expect(io.stdout()).toContain('[MAPPING_UNKNOWN_MAPPING]');
    expect(await main(['validate', join(dir, 'nope.json')], captureIO())).toBe(2);
  });
});

describe('subhub map', () => {
  it('prints the mapped output of a file input', async () => {
    const dir = tempFiles({ 'm.json': upperMapping, 'in.json': { id: 7, name: 'ana' } });
    const io = captureIO();
    expect(await main(['map', join(dir, 'm.json'), join(dir, 'in.json')], io)).toBe(0);
    expect(JSON.parse(io.stdout())).toEqual({ id: 7, name: 'ANA' });
  });

  it('reads stdin with "-" and reports a run-time error precisely (exit 1)', async () => {
    const dir = tempFiles({ 'm.json': upperMapping });
    const io = captureIO('{"name": "x"}');
    expect(await main(['map', join(dir, 'm.json'), '-'], io)).toBe(1);
    expect(io.stderr()).toMatch(
      /m\.json:3:11: mapping m at \/output\/id: \$path: required value is missing \(input id\) \[MAPPING_REQUIRED_MISSING\]/,
    );
  });

  it('rejects malformed input JSON with its position, and prints drops as JSON', async () => {
    const dir = tempFiles({ 'm.json': upperMapping, 'f.json': { filter: { $path: 'keep' }, output: { a: 1 } } });
    const bad = captureIO('{"id": 1,,}');
    expect(await main(['map', join(dir, 'm.json')], bad)).toBe(1);
    expect(bad.stderr()).toMatch(/<stdin>:1:\d+: invalid JSON.*\[MAPPING_INPUT_INVALID\]/);
    const dropped = captureIO('{"keep": false}');
    expect(await main(['map', join(dir, 'f.json')], dropped)).toBe(0);
    expect(JSON.parse(dropped.stdout())).toEqual({ dropped: true, reason: 'filter' });
  });
});

describe('subhub test', () => {
  it('passes on matching cases and shows a diff per failing case (exit 1)', async () => {
    const dir = tempFiles({
      'm.json': upperMapping,
      'm.cases.json': {
        cases: [
          { name: 'upper-cases the name', input: { id: 1, name: 'ab' }, expect: { id: 1, name: 'AB' } },
          { name: 'wrong expectation', input: { id: 1, name: 'ab' }, expect: { id: 2, name: 'AB' } },
          { name: 'missing id', input: {}, expectError: 'MAPPING_REQUIRED_MISSING' },
        ],
      },
    });
    const io = captureIO();
    expect(await main(['test', dir], io)).toBe(1);
    expect(io.stdout()).toContain('✓ upper-cases the name');
    expect(io.stdout()).toContain('✗ wrong expectation');
    expect(io.stdout()).toContain('/id: expected 2, got 1');
    expect(io.stdout()).toContain('✓ missing id');
    expect(io.stderr()).toContain('mapping cases: 2 ok, 1 failing');
  });

  it('fails when there are no cases at all', async () => {
    const io = captureIO();
    expect(await main(['test', tempFiles({ 'm.json': upperMapping })], io)).toBe(1);
  });
});

describe('subhub schema', () => {
  it.each(['config', 'mapping', 'event', 'cases'])('prints the %s schema as JSON', async (name) => {
    const io = captureIO();
    expect(await main(['schema', name], io)).toBe(0);
    expect(JSON.parse(io.stdout()).$id).toMatch(/^urn:subhub:schema:/);
  });

  it('rejects an unknown schema name (exit 2)', async () => {
    const io = captureIO();
    expect(await main(['schema', 'nope'], io)).toBe(2);
    expect(io.stderr()).toContain('choose one of config, mapping, event, cases');
  });

  it('an unknown command exits 2 with help', async () => {
    const io = captureIO();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.stderr()).toContain("unknown command 'frobnicate'");
  });
});

describe('subhub validate: connector options', () => {
  it("reports connector options that break the connector type's rules (SSRF guard) against the config file", async () => {
    const dir = tempFiles({ 'hub.json': { connectors: { wms: { type: 'warehouse', options: { baseUrl: 'http://169.254.169.254/' } } } } });
    const io = captureIO();
    expect(await main(['validate', join(dir, 'hub.json')], io)).toBe(1);
    expect(io.stdout()).toContain('(at /connectors/wms/options/baseUrl)');
    expect(io.stdout()).toContain('[CONFIG_OUTBOUND_BLOCKED]');
  });
});

describe('subhub simulate', () => {
  it('refuses an unknown simulator or port (exit 2)', async () => {
    const io = captureIO();
    expect(await main(['simulate', 'erp-of-the-future'], io)).toBe(2);
    expect(io.stderr()).toContain('available: warehouse, odoo, shopify, stripe');
    expect(await main(['simulate', 'warehouse', '--port', 'eighty'], captureIO())).toBe(2);
  });
});

describe('the installed bin (npx subhub)', () => {
  it('validate prints path:line:col and exits 1 for a bad mapping', () => {
    const dir = tempFiles({ 'm.json': '{"output": {"$path": "a", "bogus": 1}}' });
    const r = spawnSync(process.execPath, [BIN, 'validate', join(dir, 'm.json')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/m\.json:1:\d+: unknown key "bogus"/);
  });
});
