import { join } from 'node:path';
import { compile, compileErrors, runError, valueOf } from '../../test/helpers/mapping';
import { tempFiles } from '../../test/helpers/temp-files';
import { parseLocatedJson } from '../json/located-json';
import { readCasesFile, runCase } from './cases';
import { compileMapping } from './compile-mapping';
import { MappingSet } from './mapping-set';

// Each test pins a bug found in review, so it cannot come back.

describe('regular expressions', () => {
  it.each(['(a|a)*b', '(a+)+$', '(x\\w+)*', '(?:ab|cd)+', '^(?:gid://shopify/\\w+/)?(\\d+)$', '(a|b)?c'])(
    '%s compiles (matching is linear-time)',
    (p) => {
      expect(() => compile({ output: { $test: { $path: 's' }, pattern: p } })).not.toThrow();
    },
  );
  it('a back-reference is MAPPING_UNSUPPORTED_REGEX', () => {
    expect(compileErrors({ output: { $test: { $path: 's' }, pattern: '(a)\\1*' } })[0]!.code).toBe('MAPPING_UNSUPPORTED_REGEX');
  });
});

describe('limits and edge values', () => {
  it('a mapping value nested deeper than files may be is MAPPING_TOO_DEEP, not a stack overflow', () => {
    let node: unknown = { $path: 'a' };
    for (let i = 0; i < 5000; i++) node = { $upper: node };
    expect(compileErrors({ output: node })[0]!.code).toBe('MAPPING_TOO_DEEP');
  });

  it('$distinct treats objects with the same content (any key order) as equal', () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({ a: i % 10, b: 'x' }));
    items.push(JSON.parse('{"b": "x", "a": 3}'));
    expect((valueOf({ $distinct: { $path: 'items' } }, { items }) as unknown[]).length).toBe(10);
  });

  it('$round keeps tiny numeric strings, and $integer judges the exact decimal', () => {
    expect(valueOf({ $round: '1e-500', digits: 2 })).toBe(0);
    expect(valueOf({ $integer: '1.0000000000000000001', round: 'ceil' })).toBe(2);
    expect(runError({ $integer: '1.0000000000000000001' }).code).toBe('MAPPING_NUMBER_INVALID');
  });

  it('arithmetic that overflows is MAPPING_NUMBER_INVALID, not Infinity', () => {
    expect(runError({ $add: [1e308, 1e308] }).code).toBe('MAPPING_NUMBER_INVALID');
    expect(runError({ $sum: { $path: 'n' } }, { n: [1e308, 1e308] }).code).toBe('MAPPING_NUMBER_INVALID');
  });
});

describe('tables', () => {
  it('a table file outside the mapping folder is refused', () => {
    const dir = tempFiles({ 'secret.json': { k: 'v' }, 'maps/m.json': { tables: { t: { file: '../secret.json' } }, output: 1 } });
    const set = MappingSet.fromPaths([join(dir, 'maps')]);
    expect(set.compileAll().map((e) => e.code)).toEqual(['MAPPING_TABLE_LOAD']);
  });

  it('an empty CSV cell is missing, so a required lookup of it fails', () => {
    const dir = tempFiles({ 't.csv': 'sku,item\nA,1\nB,\n' });
    const m = compileMapping({
      name: 'm',
      value: {
        tables: { t: { file: 't.csv', key: 'sku', value: 'item' } },
        output: { v: { $lookup: { $path: 'k' }, table: 't', required: true } },
      },
      baseDir: dir,
    });
    expect(m.runSync({ k: 'A' })).toEqual({ dropped: false, output: { v: '1' } });
    expect(() => m.runSync({ k: 'B' })).toThrow(expect.objectContaining({ code: 'MAPPING_LOOKUP_MISSING' }));
  });

  it('lookups hand out copies: changing an output never changes the table', () => {
    const m = compile({
      tables: { bom: { data: { KIT: [{ sku: 'A', qtyPer: 1 }] } } },
      output: { c: { $lookup: { $path: 'sku' }, table: 'bom' } },
    });
    const first = m.runSync({ sku: 'KIT' }) as { output: { c: Array<{ qtyPer: number }> } };
    first.output.c[0]!.qtyPer = 99;
    expect(m.runSync({ sku: 'KIT' })).toEqual({ dropped: false, output: { c: [{ sku: 'A', qtyPer: 1 }] } });
  });
});

describe('composition', () => {
  it('the user of a cyclic mapping is told about the cycle', () => {
    const dir = tempFiles({ 'a.json': { output: { $use: 'b' } }, 'b.json': { output: { $use: 'a' } } });
    const codes = MappingSet.fromPaths([dir])
      .compileAll()
      .map((e) => e.code);
    expect(new Set(codes)).toEqual(new Set(['MAPPING_CYCLE']));
  });

  it('$use of a missing input is missing; the used mapping does not run', () => {
    const dir = tempFiles({
      'addr.json': { output: { street: { $concat: [{ $path: 'line1' }, ' '] } } },
      'm.json': { output: { a: { $use: 'addr', input: { $path: 'address' } } } },
    });
    expect(MappingSet.fromPaths([dir]).get('m').runSync({})).toEqual({ dropped: false, output: {} });
  });
});

describe('error locations', () => {
  it('an error inside $map through the element variable names the element', () => {
    const e = runError({ $map: { $path: 'items' }, as: 'it', to: { $number: { $path: '$it.v' } } }, { items: [{ v: 1 }, { v: 'x' }] });
    expect(e.inputPath).toBe('items[1].v');
  });

  it('object keys that look like numbers are located as keys', () => {
    const doc = parseLocatedJson('{\n  "output": {\n    "0": { "$path": "a..b" }\n  }\n}', 'm.json');
    try {
      compileMapping({ name: 'm', value: doc.value, doc });
      throw new Error('expected a compile error');
    } catch (e) {
      expect((e as { errors: Array<{ location: object }> }).errors[0]!.location).toMatchObject({
        line: 3,
        col: 21,
        pointer: '/output/0/$path',
      });
    }
  });

  it('a bad table name is reported once, at the key', () => {
    const errs = compileErrors({ tables: { 'my-table': { data: {} } }, output: 1 });
    expect(errs.map((e) => e.location.pointer)).toEqual(['/tables/my-table']);
  });

  it('lone carriage returns end lines', () => {
    try {
      parseLocatedJson('{\r"a": 1,\r"b": [}\r}', 'x.json');
      throw new Error('expected a syntax error');
    } catch (e) {
      expect((e as { errors: Array<{ code: string; location: { line: number } }> }).errors[0]).toMatchObject({
        code: 'JSON_SYNTAX',
        location: { line: 3 },
      });
    }
  });
});

describe('cases', () => {
  it('an expected error code does not pass when the mapping does not compile', async () => {
    const dir = tempFiles({
      'm.json': { output: { $lookup: 1, table: 'nope' } },
      'm.cases.json': { cases: [{ name: 'x', input: {}, expectError: 'MAPPING_UNKNOWN_TABLE' }] },
    });
    const cf = readCasesFile(join(dir, 'm.cases.json'));
    const outcome = await runCase(cf, cf.cases[0]!, MappingSet.fromPaths([dir]));
    expect(outcome.passed).toBe(false);
    expect(outcome.problems[0]).toBe('the mapping does not compile:');
  });
});
