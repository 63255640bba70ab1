import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { HubError } from '../../errors/hub-error';
import { LocatedErrors } from '../../errors/located-error';
import type { CompiledMapping } from '../compile-mapping';
import { MappingError } from '../mapping-error';
import { MappingSet } from '../mapping-set';
import { compile, compileErrors, runAsyncError, runSyncError, thrownBy } from '../../../test/helpers/mapping';
import { tempFiles } from '../../../test/helpers/temp-files';

describe('$use with resolveMapping', () => {
  const address = compile({ output: { line1: { $path: 'street' }, city: { $upper: { $path: 'city' } } } }, {}, 'address');
  const dropper = compile({ output: { $drop: 'not ours' } }, {}, 'dropper');
  const strict = compile({ output: { $number: { $path: 'n' } } }, {}, 'strict');
  const usable: Record<string, CompiledMapping> = { address, dropper, strict };
  const resolveMapping = (name: string) => (Object.prototype.hasOwnProperty.call(usable, name) ? usable[name] : undefined);

  it('applies another mapping to @ by default, and to "input" when given', () => {
    const m = compile(
      { output: { billing: { $use: 'address', input: { $path: 'billing' } }, self: { $use: 'address' } } },
      { resolveMapping },
    );
    expect(m.runSync({ billing: { street: 'Main 1', city: 'Utrecht' }, street: 'Side 2', city: 'Delft' })).toEqual({
      dropped: false,
      output: { billing: { line1: 'Main 1', city: 'UTRECHT' }, self: { line1: 'Side 2', city: 'DELFT' } },
    });
  });

  it('missing or null input gives missing output; the used mapping does not run', () => {
    const m = compile(
      { output: { a: { $use: 'strict', input: { $path: 'nope' } }, b: { $use: 'strict', input: { $path: 'nil' } }, c: 1 } },
      { resolveMapping },
    );
    expect(m.runSync({ nil: null })).toEqual({ dropped: false, output: { b: null, c: 1 } });
    const d = compile({ output: { $use: 'address', input: { $path: 'nope' }, default: 'none' } }, { resolveMapping });
    expect(d.runSync({})).toEqual({ dropped: false, output: 'none' });
  });

  it('applies per element inside $map', () => {
    const m = compile({ output: { $map: { $path: 'addresses' }, to: { $use: 'address' } } }, { resolveMapping });
    expect(m.runSync({ addresses: [{ city: 'a' }, { city: 'b' }] })).toEqual({ dropped: false, output: [{ city: 'A' }, { city: 'B' }] });
  });

  it('a drop in the used mapping drops the event', () => {
    const m = compile({ output: { x: { $use: 'dropper' } } }, { resolveMapping });
    expect(m.runSync({})).toEqual({ dropped: true, reason: 'not ours' });
  });

  it('an error in the used mapping names that mapping, and the element when inside $map', () => {
    const m = compile({ output: { $map: { $path: 'rows' }, to: { $use: 'strict' } } }, { resolveMapping });
    const e = runSyncError(m, { rows: [{ n: 1 }, { n: 'x' }] });
    expect(e.code).toBe('MAPPING_NUMBER_INVALID');
    expect(e.mapping).toBe('strict');
    expect(e.kind).toBe('bad_input');
    expect(e.inputPath).toBe('rows[1].n');
  });

  it('an unknown mapping is MAPPING_UNKNOWN_MAPPING at the name', () => {
    const [e] = compileErrors({ output: { a: { $use: 'nope' } } }, { resolveMapping });
    expect(e!.code).toBe('MAPPING_UNKNOWN_MAPPING');
    expect(e!.location.pointer).toBe('/output/a/$use');
    expect(compileErrors({ output: { $use: 'address' } })[0]!.code).toBe('MAPPING_UNKNOWN_MAPPING');
  });

  it('a resolver answering "cycle" is MAPPING_CYCLE', () => {
    const [e] = compileErrors({ output: { $use: 'x' } }, { resolveMapping: () => 'cycle' });
    expect(e!.code).toBe('MAPPING_CYCLE');
    expect(e!.location.pointer).toBe('/output/$use');
  });

  it('a mapping with $jsonata cannot be composed', () => {
    const slow = compile({ output: { $jsonata: '1 + 1' } }, {}, 'slow');
    expect(slow.isAsync).toBe(true);
    const [e] = compileErrors({ output: { $use: 'slow' } }, { resolveMapping: (n) => (n === 'slow' ? slow : undefined) });
    expect(e!.code).toBe('MAPPING_JSONATA_PLACEMENT');
  });
});

describe('$use with a MappingSet', () => {
  let dir: string;

  beforeAll(() => {
    dir = tempFiles({
      'cycle/ping.json': { output: { next: { $use: 'pong' } } },
      'cycle/pong.json': { output: { next: { $use: 'ping' } } },
      'cycle/self.json': { output: { $use: 'self' } },
      'ok/order.json': {
        name: 'order',
        tables: { skus: { file: 'tables/skus.json' } },
        output: { lines: { $map: { $path: 'items' }, to: { $use: 'line' } } },
      },
      'ok/line.json': {
        output: { sku: { $lookup: { $path: 'price' }, table: 'skus', required: true }, qty: { $path: 'qty' } },
        tables: { skus: { file: 'tables/skus.json' } },
      },
      'ok/tables/skus.json': { p1: 'SKU-1' },
      'ok/order.cases.json': { cases: [] },
      'ok/broken.json': '{"output": ',
      'dupe/a.json': { output: 1 },
      'dupe/sub/a.json': { output: 2 },
    });
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('compiles mappings that use each other, with tables relative to each file', () => {
    const set = MappingSet.fromPaths([join(dir, 'ok')]);
    expect(set.names().sort()).toEqual(['broken', 'line', 'order']);
    expect(set.get('order').runSync({ items: [{ price: 'p1', qty: 2 }] })).toEqual({
      dropped: false,
      output: { lines: [{ sku: 'SKU-1', qty: 2 }] },
    });
    expect(set.get('order')).toBe(set.get('order'));
  });

  it('a broken file is reported with its code, and only that file fails', () => {
    const set = MappingSet.fromPaths([join(dir, 'ok')]);
    const problems = set.compileAll();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.code === 'JSON_SYNTAX' && p.location.file === join(dir, 'ok', 'broken.json'))).toBe(true);
  });

  it('mappings that use each other are MAPPING_CYCLE', () => {
    const set = MappingSet.fromPaths([join(dir, 'cycle')]);
    const problems = set.compileAll();
    const cycles = problems.filter((p) => p.code === 'MAPPING_CYCLE');
    expect(cycles.length).toBeGreaterThan(0);
    expect(cycles.every((c) => c.location.pointer === '/output/next/$use' || c.location.pointer === '/output/$use')).toBe(true);
    expect(() => set.get('ping')).toThrow(LocatedErrors);
    expect(() => set.get('pong')).toThrow(LocatedErrors);
  });

  it('a mapping that uses itself is MAPPING_CYCLE', () => {
    const set = MappingSet.fromPaths([join(dir, 'cycle')]);
    const err = thrownBy(() => set.get('self'), LocatedErrors);
    expect(err.errors.map((e) => e.code)).toEqual(['MAPPING_CYCLE']);
    expect(err.errors[0]!.location.file).toBe(join(dir, 'cycle', 'self.json'));
  });

  it('an unknown name is MAPPING_UNKNOWN_MAPPING', () => {
    const set = MappingSet.fromPaths([join(dir, 'ok')]);
    expect(() => set.get('nope')).toThrow(expect.objectContaining({ code: 'MAPPING_UNKNOWN_MAPPING' }));
  });

  it('two files with one name are reported', () => {
    expect(() => MappingSet.fromPaths([join(dir, 'dupe')])).toThrow(expect.objectContaining({ code: 'MAPPING_NAME_MISMATCH' }));
  });
});

describe('$jsonata', () => {
  it('evaluates over the whole input, via run()', async () => {
    const m = compile({ output: { total: { $jsonata: '$sum(items.(qty * price))' }, id: { $path: 'id' } } });
    expect(m.isAsync).toBe(true);
    await expect(
      m.run({
        id: 1,
        items: [
          { qty: 2, price: 3 },
          { qty: 1, price: 4 },
        ],
      }),
    ).resolves.toEqual({ dropped: false, output: { total: 10, id: 1 } });
  });

  it('gives plain JSON arrays, not JSONata sequences', async () => {
    const m = compile({ output: { $jsonata: 'items.sku' } });
    const r = await m.run({ items: [{ sku: 'a' }, { sku: 'b' }] });
    expect(r).toEqual({ dropped: false, output: ['a', 'b'] });
    if (r.dropped) throw new Error('dropped');
    expect(Object.keys(r.output as object)).toEqual(['0', '1']);
  });

  it('does not mutate the input', async () => {
    const make = () => ({ items: [{ x: 2 }, { x: 1 }], a: { p: 1 }, b: { q: 2 } });
    const input = make();
    const freeze = (v: unknown): void => {
      if (v !== null && typeof v === 'object') {
        Object.freeze(v);
        Object.values(v).forEach(freeze);
      }
    };
    freeze(input);
    const m = compile({
      output: {
        s: { $jsonata: '$sort(items.x)' },
        o: { $jsonata: 'items^(x)' },
        m: { $jsonata: '$merge([a, b])' },
        t: { $jsonata: 'a ~> |$|{"z": 1}|' },
      },
    });
    await expect(m.run(input)).resolves.toEqual({
      dropped: false,
      output: { s: [1, 2], o: [{ x: 1 }, { x: 2 }], m: { p: 1, q: 2 }, t: { p: 1, z: 1 } },
    });
    expect(input).toEqual(make());
  });

  it('can feed a let variable', async () => {
    const m = compile({ let: { n: { $jsonata: '$count(items)' } }, output: { count: { $path: '$n' } } });
    await expect(m.run({ items: [1, 2, 3] })).resolves.toEqual({ dropped: false, output: { count: 3 } });
  });

  it('runSync refuses a mapping with $jsonata', () => {
    const m = compile({ output: { $jsonata: '1' } });
    expect(() => m.runSync({})).toThrow(HubError);
    expect(() => m.runSync({})).toThrow(expect.objectContaining({ code: 'MAPPING_JSONATA_PLACEMENT' }));
  });

  it.each([
    ['$map', { $map: { $path: 'a' }, to: { $jsonata: '1' } }, '/output/to/$jsonata'],
    ['$filter', { $filter: { $path: 'a' }, where: { $jsonata: 'true' } }, '/output/where/$jsonata'],
    ['$sum', { $sum: { $path: 'a' }, of: { $jsonata: '1' } }, '/output/of/$jsonata'],
  ])('inside %s is MAPPING_JSONATA_PLACEMENT', (_op, node, pointer) => {
    const [e] = compileErrors({ output: node });
    expect(e!.code).toBe('MAPPING_JSONATA_PLACEMENT');
    expect(e!.location.pointer).toBe(pointer);
  });

  it('a syntax error is MAPPING_JSONATA_COMPILE at the expression', () => {
    const [e] = compileErrors({ output: { x: { $jsonata: 'items[' } } });
    expect(e!.code).toBe('MAPPING_JSONATA_COMPILE');
    expect(e!.location.pointer).toBe('/output/x/$jsonata');
  });

  it('an expression running past timeoutMs is MAPPING_JSONATA_TIMEOUT', async () => {
    const m = compile({ output: { $jsonata: '$count([1..3000].([1..3000]))', timeoutMs: 50 } });
    const e = await runAsyncError(m, {});
    expect(e.code).toBe('MAPPING_JSONATA_TIMEOUT');
    expect(e.kind).toBe('bad_input');
    expect(e.mapping).toBe('m');
    expect(e.location.pointer).toBe('/output');
  });

  it('a range beyond the sequence limit is MAPPING_JSONATA_EVAL', async () => {
    const e = await runAsyncError(compile({ output: { $jsonata: '$sum([1..10000000])', timeoutMs: 50 } }), {});
    expect(e.code).toBe('MAPPING_JSONATA_EVAL');
    expect(e.kind).toBe('bad_input');
  });

  it('a failing expression is MAPPING_JSONATA_EVAL', async () => {
    expect((await runAsyncError(compile({ output: { $jsonata: '$error("no")' } }), {})).code).toBe('MAPPING_JSONATA_EVAL');
    expect((await runAsyncError(compile({ output: { $jsonata: '($f := function($n){ 1 + $f($n + 1) }; $f(0))' } }), {})).code).toBe(
      'MAPPING_JSONATA_EVAL',
    );
    expect((await runAsyncError(compile({ output: { $jsonata: 'function($x){$x}' } }), {})).code).toBe('MAPPING_JSONATA_EVAL');
  });

  it('cannot reach prototypes or call functions of the input', async () => {
    const m = compile({
      output: { a: { $jsonata: 'constructor' }, b: { $jsonata: 'x.__proto__' }, c: { $jsonata: '$type(x.constructor)' } },
    });
    await expect(m.run({ x: {} })).resolves.toEqual({ dropped: false, output: {} });
    const call = compile({ output: { $jsonata: 'constructor.constructor("return process")()' } });
    await expect(call.run({})).rejects.toBeInstanceOf(MappingError);
  });

  it('timeoutMs outside 1..10000 is a schema error', () => {
    expect(compileErrors({ output: { $jsonata: '1', timeoutMs: 0 } })[0]!.code).toBe('SCHEMA_INVALID');
    expect(compileErrors({ output: { $jsonata: '1', timeoutMs: 10_001 } })[0]!.code).toBe('SCHEMA_INVALID');
  });
});
