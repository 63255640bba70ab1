import { rmSync } from 'node:fs';
import { compileMapping, type CompiledMapping } from '../compile-mapping';
import type { LookupTable } from '../tables';
import { outputOf, problemsOf, runSyncError } from '../../../test/helpers/mapping';
import { tempFiles } from '../../../test/helpers/temp-files';

let dir: string;

beforeAll(() => {
  dir = tempFiles({
    'prices.json': JSON.stringify({ price_a: 'SKU-A', price_b: { sku: 'SKU-B', kit: 2 }, n: null }),
    'skus.csv': 'price,sku,name\nprice_a,SKU-A,Alpha\nprice_b, SKU-B ,Beta\n\n42,SKU-42,Answer\n',
    'semi.csv': 'price;sku\np1;S1\n',
    'gaps.csv': 'price,sku,name\np1,,One\np2,S2,\n',
    'proto.csv': 'key,__proto__\na,b\n',
    'ctor.csv': 'key,constructor\na,b\n',
    'dupes.csv': 'key,v\na,1\na,2\n',
    'array.json': '[1, 2]',
    'broken.json': '{"a": ',
    'protokey.json': '{"__proto__": {"polluted": true}, "constructor": "C"}',
  });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Compiles with table files relative to the fixture folder. */
const compile = (value: unknown, tableCache?: Map<string, LookupTable>): CompiledMapping =>
  compileMapping({ name: 'm', value, baseDir: dir }, tableCache ? { tableCache } : {});

/** The value of `node` with `tables` declared. */
const valueOf = (tables: unknown, node: unknown, input: unknown): unknown =>
  (outputOf(compile({ tables, output: { v: node } }), input) as { v?: unknown }).v;

/** The run-time error of `node` with `tables` declared. */
const runError = (tables: unknown, node: unknown, input: unknown) => runSyncError(compile({ tables, output: { v: node } }), input);

/** The compile problems of a mapping that must not compile. */
const compileErrors = (value: unknown) => problemsOf(() => compile(value));

const inline = { t: { data: { a: 'A', b: { sku: 'B', qty: 2 }, '1': 'one', true: 'yes', z: null } } };

describe('$lookup with inline data', () => {
  it('looks keys up; numbers and booleans as text', () => {
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't' }, { k: 'a' })).toBe('A');
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't' }, { k: 1 })).toBe('one');
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't' }, { k: true })).toBe('yes');
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't' }, { k: 'b' })).toEqual({ sku: 'B', qty: 2 });
  });

  it('"field" picks from object values; a missing field is missing', () => {
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't', field: 'sku' }, { k: 'b' })).toBe('B');
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't', field: 'nope' }, { k: 'b' })).toBeUndefined();
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't', field: 'length' }, { k: 'a' })).toBeUndefined();
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't', field: 'constructor' }, { k: 'b' })).toBeUndefined();
  });

  it('an unknown key or a missing key value is missing; default applies', () => {
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't' }, { k: 'nope' })).toBeUndefined();
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't' }, {})).toBeUndefined();
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't', default: 'UNKNOWN' }, { k: 'nope' })).toBe('UNKNOWN');
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't', required: true, default: 'D' }, { k: 'nope' })).toBe('D');
  });

  it('a required key not in the table is MAPPING_LOOKUP_MISSING naming the input path', () => {
    const e = runError(inline, { $lookup: { $path: 'price.id' }, table: 't', required: true }, { price: { id: 'zzz' } });
    expect(e.code).toBe('MAPPING_LOOKUP_MISSING');
    expect(e.kind).toBe('bad_input');
    expect(e.inputPath).toBe('price.id');
    expect(runError(inline, { $lookup: { $path: 'k' }, table: 't', field: 'nope', required: true }, { k: 'b' }).code).toBe(
      'MAPPING_LOOKUP_MISSING',
    );
  });

  it('a required lookup whose entry is null is MAPPING_LOOKUP_MISSING; a default replaces a null entry', () => {
    expect(runError(inline, { $lookup: { $path: 'k' }, table: 't', required: true }, { k: 'z' }).code).toBe('MAPPING_LOOKUP_MISSING');
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't', default: 'D' }, { k: 'z' })).toBe('D');
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't' }, { k: 'z' })).toBeNull();
  });

  it('a required lookup whose key is missing is MAPPING_REQUIRED_MISSING naming the key path', () => {
    for (const input of [{}, { price: { id: null } }]) {
      const e = runError(inline, { $lookup: { $path: 'price.id' }, table: 't', required: true }, input);
      expect(e.code).toBe('MAPPING_REQUIRED_MISSING');
      expect(e.inputPath).toBe('price.id');
    }
  });

  it('inside $map the error names the element', () => {
    const node = { $map: { $path: 'items' }, to: { $lookup: { $path: 'price.id' }, table: 't', required: true } };
    const e = runError(inline, node, { items: [{ price: { id: 'a' } }, { price: { id: 'x' } }] });
    expect(e.code).toBe('MAPPING_LOOKUP_MISSING');
    expect(e.inputPath).toBe('items[1].price.id');
  });

  it('hands out copies: changing an output does not change the table', () => {
    const m = compile({ tables: inline, output: { $lookup: { $path: 'k' }, table: 't' } });
    const first = m.runSync({ k: 'b' });
    if (first.dropped) throw new Error('dropped');
    (first.output as Record<string, unknown>).sku = 'CHANGED';
    expect(m.runSync({ k: 'b' })).toEqual({ dropped: false, output: { sku: 'B', qty: 2 } });
  });

  it('an object key is MAPPING_TYPE', () => {
    expect(runError(inline, { $lookup: { $path: 'k' }, table: 't' }, { k: { a: 1 } }).code).toBe('MAPPING_TYPE');
    expect(runError(inline, { $lookup: { $path: 'k' }, table: 't' }, { k: ['a'] }).code).toBe('MAPPING_TYPE');
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])('the key %j is missing, not Object.prototype', (k) => {
    expect(valueOf(inline, { $lookup: { $path: 'k' }, table: 't' }, { k })).toBeUndefined();
    expect(runError(inline, { $lookup: { $path: 'k' }, table: 't', required: true }, { k }).code).toBe('MAPPING_LOOKUP_MISSING');
  });

  it('a table declaring __proto__ (from JSON) holds it as an ordinary key', () => {
    const tables = JSON.parse('{"t": {"data": {"__proto__": "P", "x": "X"}}}') as unknown;
    expect(valueOf(tables, { $lookup: { $path: 'k' }, table: 't' }, { k: '__proto__' })).toBe('P');
    expect(valueOf(tables, { $lookup: { $path: 'k' }, table: 't' }, { k: 'constructor' })).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('an unknown table is MAPPING_UNKNOWN_TABLE at the table parameter, naming the known tables', () => {
    const [e, ...rest] = compileErrors({ tables: inline, output: { sku: { $lookup: { $path: 'k' }, table: 'prices' } } });
    expect(rest).toEqual([]);
    expect(e!.code).toBe('MAPPING_UNKNOWN_TABLE');
    expect(e!.location.pointer).toBe('/output/sku/table');
    expect(e!.hint).toContain('t');
    expect(compileErrors({ output: { $lookup: 'a', table: 'constructor' } })[0]!.code).toBe('MAPPING_UNKNOWN_TABLE');
  });

  it('"table" is required', () => {
    expect(compileErrors({ output: { $lookup: 'a' } })[0]!.code).toBe('SCHEMA_INVALID');
  });
});

describe('$lookup with a JSON file', () => {
  const tables = { prices: { file: 'prices.json' } };

  it('reads key → value from the file, relative to baseDir', () => {
    expect(valueOf(tables, { $lookup: { $path: 'id' }, table: 'prices' }, { id: 'price_a' })).toBe('SKU-A');
    expect(valueOf(tables, { $lookup: { $path: 'id' }, table: 'prices', field: 'kit' }, { id: 'price_b' })).toBe(2);
    expect(valueOf(tables, { $lookup: { $path: 'id' }, table: 'prices' }, { id: 'n' })).toBeNull();
  });

  it('a file with __proto__ and constructor keys holds them as ordinary keys', () => {
    const t = { p: { file: 'protokey.json' } };
    expect(valueOf(t, { $lookup: { $path: 'k' }, table: 'p' }, { k: '__proto__' })).toEqual({ polluted: true });
    expect(valueOf(t, { $lookup: { $path: 'k' }, table: 'p' }, { k: 'constructor' })).toBe('C');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['missing.json', 'a file that does not exist'],
    ['array.json', 'a file that holds an array'],
    ['broken.json', 'a file that is not JSON'],
  ])('%s (%s) is MAPPING_TABLE_LOAD at the table', (file) => {
    const [e] = compileErrors({ tables: { x: { file } }, output: 1 });
    expect(e!.code).toBe('MAPPING_TABLE_LOAD');
    expect(e!.location.pointer).toBe('/tables/x');
  });

  it('a file that is neither .json nor .csv is a schema error', () => {
    expect(compileErrors({ tables: { x: { file: 'prices.txt' } }, output: 1 })[0]!.code).toBe('SCHEMA_INVALID');
  });

  it('a table with both data and file is a schema error', () => {
    expect(compileErrors({ tables: { x: { file: 'prices.json', data: {} } }, output: 1 })[0]!.code).toBe('SCHEMA_INVALID');
  });

  it('shares loaded files through the table cache', () => {
    const cache = new Map<string, LookupTable>();
    compile({ tables, output: 1 }, cache);
    expect(cache.size).toBe(1);
    const [cached] = [...cache.values()];
    compile({ tables, output: 1 }, cache);
    expect(cache.size).toBe(1);
    expect([...cache.values()][0]).toBe(cached);
  });
});

describe('$lookup with a CSV file', () => {
  it('returns the whole row by default, trimmed, skipping empty lines', () => {
    const tables = { skus: { file: 'skus.csv', key: 'price' } };
    expect(valueOf(tables, { $lookup: { $path: 'id' }, table: 'skus' }, { id: 'price_b' })).toEqual({
      price: 'price_b',
      sku: 'SKU-B',
      name: 'Beta',
    });
    expect(valueOf(tables, { $lookup: { $path: 'id' }, table: 'skus' }, { id: 42 })).toEqual({
      price: '42',
      sku: 'SKU-42',
      name: 'Answer',
    });
  });

  it('"value" names the column to return', () => {
    const tables = { skus: { file: 'skus.csv', key: 'price', value: 'sku' } };
    expect(valueOf(tables, { $lookup: { $path: 'id' }, table: 'skus' }, { id: 'price_a' })).toBe('SKU-A');
  });

  it('"field" picks a column of the row', () => {
    const tables = { skus: { file: 'skus.csv', key: 'price' } };
    expect(valueOf(tables, { $lookup: { $path: 'id' }, table: 'skus', field: 'name' }, { id: 'price_a' })).toBe('Alpha');
  });

  it('an empty cell is no value: left out of the row, missing as "value"', () => {
    const rows = { g: { file: 'gaps.csv', key: 'price' } };
    expect(valueOf(rows, { $lookup: 'p1', table: 'g' }, {})).toEqual({ price: 'p1', name: 'One' });
    expect(valueOf(rows, { $lookup: 'p1', table: 'g', field: 'sku' }, {})).toBeUndefined();
    expect(runError(rows, { $lookup: 'p1', table: 'g', field: 'sku', required: true }, {}).code).toBe('MAPPING_LOOKUP_MISSING');
    const skus = { g: { file: 'gaps.csv', key: 'price', value: 'sku' } };
    expect(valueOf(skus, { $lookup: 'p1', table: 'g', default: 'NONE' }, {})).toBe('NONE');
    expect(runError(skus, { $lookup: 'p1', table: 'g', required: true }, {}).code).toBe('MAPPING_LOOKUP_MISSING');
    expect(valueOf(skus, { $lookup: 'p2', table: 'g' }, {})).toBe('S2');
  });

  it('reads another delimiter', () => {
    const tables = { s: { file: 'semi.csv', key: 'price', value: 'sku', delimiter: ';' } };
    expect(valueOf(tables, { $lookup: 'p1', table: 's' }, {})).toBe('S1');
  });

  it.each([
    ['proto.csv', 'key', 'a __proto__ column'],
    ['ctor.csv', 'key', 'a constructor column'],
    ['dupes.csv', 'key', 'a repeated key'],
    ['skus.csv', 'nope', 'a key column that does not exist'],
  ])('%s with key %s (%s) is MAPPING_TABLE_LOAD', (file, key) => {
    const [e] = compileErrors({ tables: { x: { file, key } }, output: 1 });
    expect(e!.code).toBe('MAPPING_TABLE_LOAD');
    expect(e!.location.pointer).toBe('/tables/x');
  });

  it('a CSV without "key" or with an unknown "value" column is MAPPING_TABLE_LOAD', () => {
    expect(compileErrors({ tables: { x: { file: 'skus.csv' } }, output: 1 })[0]!.code).toBe('MAPPING_TABLE_LOAD');
    expect(compileErrors({ tables: { x: { file: 'skus.csv', key: 'price', value: 'nope' } }, output: 1 })[0]!.code).toBe(
      'MAPPING_TABLE_LOAD',
    );
  });

  it('the __proto__ column never reaches a prototype', () => {
    compileErrors({ tables: { x: { file: 'proto.csv', key: 'key' } }, output: 1 });
    expect(({} as Record<string, unknown>).b).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('reports every broken table of a mapping at once', () => {
    const errors = compileErrors({ tables: { a: { file: 'missing.csv', key: 'k' }, b: { file: 'dupes.csv', key: 'key' } }, output: 1 });
    expect(errors.map((e) => [e.code, e.location.pointer])).toEqual([
      ['MAPPING_TABLE_LOAD', '/tables/a'],
      ['MAPPING_TABLE_LOAD', '/tables/b'],
    ]);
  });
});
