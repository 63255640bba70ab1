import { compile, compileErrors, runError, runSyncError, valueOf } from '../../../test/helpers/mapping';

const order = {
  id: 'in_1',
  items: [
    { sku: 'A', qty: 2, price: { id: 'price_a', unit: 5 } },
    { sku: 'B', qty: 1, price: { id: 'price_b', unit: 10 } },
    { sku: 'C', qty: 3, price: { id: { nested: true }, unit: 1 } },
  ],
};

describe('$map', () => {
  it('builds one result per element, with @, as, index and $', () => {
    const node = {
      $map: { $path: 'items' },
      as: 'line',
      index: 'i',
      to: { sku: { $path: 'sku' }, same: { $path: '$line.sku' }, pos: { $path: '$i' }, order: { $path: '$.id' } },
    };
    expect(valueOf(node, order)).toEqual([
      { sku: 'A', same: 'A', pos: 0, order: 'in_1' },
      { sku: 'B', same: 'B', pos: 1, order: 'in_1' },
      { sku: 'C', same: 'C', pos: 2, order: 'in_1' },
    ]);
  });

  it('leaves out missing results but keeps null', () => {
    expect(valueOf({ $map: { $path: 'a' }, to: { $path: 'x' } }, { a: [{ x: 1 }, {}, { x: null }] })).toEqual([1, null]);
  });

  it('passes a missing or null array through', () => {
    expect(valueOf({ $map: { $path: 'a' }, to: 1 }, {})).toBeUndefined();
    expect(valueOf({ $map: { $path: 'a' }, to: 1 }, { a: null })).toBeNull();
    expect(valueOf({ $map: { $path: 'a' }, to: 1 }, { a: [] })).toEqual([]);
  });

  it('nests, with each level seeing its own element and the outer variable', () => {
    const input = {
      orders: [
        { id: 'o1', lines: [{ sku: 'A' }, { sku: 'B' }] },
        { id: 'o2', lines: [{ sku: 'C' }] },
      ],
    };
    const node = {
      $map: { $path: 'orders' },
      as: 'o',
      to: { $map: { $path: 'lines' }, to: { $concat: [{ $path: '$o.id' }, ':', { $path: 'sku' }] } },
    };
    expect(valueOf(node, input)).toEqual([['o1:A', 'o1:B'], ['o2:C']]);
  });

  it('a non-array is MAPPING_TYPE naming the input path', () => {
    const e = runError({ $map: { $path: 'data.items' }, to: 1 }, { data: { items: { 0: 'x' } } });
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.inputPath).toBe('data.items');
  });

  it('an error inside names the element: items[2].price.id', () => {
    const e = runError({ $map: { $path: 'items' }, to: { price: { $upper: { $path: 'price.id' } } } }, order);
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.kind).toBe('bad_input');
    expect(e.mapping).toBe('m');
    expect(e.inputPath).toBe('items[2].price.id');
    expect(e.location.pointer).toBe('/output/v/to/price');
  });

  it('an error inside nested $maps names every level', () => {
    const input = { data: { items: [{ sub: [{ v: 1 }] }, { sub: [{ v: 1 }, { v: 'q' }] }] } };
    const e = runError({ $map: { $path: 'data.items' }, to: { $map: { $path: 'sub' }, to: { $number: { $path: 'v' } } } }, input);
    expect(e.code).toBe('MAPPING_NUMBER_INVALID');
    expect(e.inputPath).toBe('data.items[1].sub[1].v');
  });

  it('a required value missing inside names the element', () => {
    const e = runError({ $map: { $path: 'items' }, to: { $path: 'coupon', required: true } }, { items: [{ coupon: 'x' }, {}] });
    expect(e.code).toBe('MAPPING_REQUIRED_MISSING');
    expect(e.inputPath).toBe('items[1].coupon');
  });

  it('an error about the element itself names the element', () => {
    const e = runError({ $map: { $path: 'tags' }, to: { $upper: { $path: '@' } } }, { tags: ['a', {}] });
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.inputPath).toBe('tags[1]');
  });

  it('a root path inside keeps its own input path', () => {
    const e = runError({ $map: { $path: 'items' }, to: { $number: { $path: '$.id' } } }, order);
    expect(e.code).toBe('MAPPING_NUMBER_INVALID');
    expect(e.inputPath).toBe('$.id');
  });

  it('restores @ after the iteration', () => {
    expect(valueOf([{ $map: { $path: 'a' }, to: { $path: '@' } }, { $path: 'id' }], { a: [1], id: 'root' })).toEqual([[1], 'root']);
  });

  it('an array of more than 100,000 elements is MAPPING_LIMIT', () => {
    const e = runError({ $map: { $path: 'big' }, to: { $path: '@' } }, { big: new Array(100_001).fill(0) });
    expect(e.code).toBe('MAPPING_LIMIT');
    expect(e.kind).toBe('bad_input');
    expect(e.inputPath).toBe('big');
  });

  it('an array of exactly 100,000 elements is mapped', () => {
    const out = valueOf({ $map: { $path: 'big' }, to: { $path: '@' } }, { big: new Array(100_000).fill(1) }) as unknown[];
    expect(out).toHaveLength(100_000);
  });

  it('needs "to"; "as" must be an identifier', () => {
    expect(compileErrors({ output: { $map: { $path: 'a' } } })[0]!.code).toBe('SCHEMA_INVALID');
    expect(compileErrors({ output: { $map: { $path: 'a' }, to: 1, as: 'not-valid' } })[0]!.code).toBe('SCHEMA_INVALID');
  });
});

describe('$filter', () => {
  it('keeps the elements for which "where" is truthy', () => {
    expect(valueOf({ $filter: { $path: 'items' }, where: { $gt: [{ $path: 'qty' }, 1] } }, order)).toEqual([
      order.items[0],
      order.items[2],
    ]);
    expect(valueOf({ $filter: { $path: 'n' }, as: 'x', where: { $path: '$x' } }, { n: [0, 1, '', 'a', null, false, true] })).toEqual([
      1,
      'a',
      true,
    ]);
  });

  it('passes missing through; fails on non-arrays; limited to 100,000 elements', () => {
    expect(valueOf({ $filter: { $path: 'a' }, where: true }, {})).toBeUndefined();
    expect(runError({ $filter: { $path: 'a' }, where: true }, { a: 'x' }).code).toBe('MAPPING_TYPE');
    expect(runError({ $filter: { $path: 'a' }, where: true }, { a: new Array(100_001).fill(1) }).code).toBe('MAPPING_LIMIT');
  });

  it('an error inside names the element', () => {
    const e = runError({ $filter: { $path: 'items' }, where: { $gt: [{ $path: 'price.unit' }, 'x'] } }, order);
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.inputPath).toBe('items[0].price.unit');
  });
});

describe('$sum', () => {
  it('adds an array of numbers; empty is 0', () => {
    expect(valueOf({ $sum: { $path: 'n' } }, { n: [1, 2.5, -1] })).toBe(2.5);
    expect(valueOf({ $sum: { $path: 'n' } }, { n: [] })).toBe(0);
    expect(valueOf({ $sum: { $path: 'n' } }, { n: [1, null] })).toBe(1);
  });

  it('adds "of" per element', () => {
    expect(valueOf({ $sum: { $path: 'items' }, of: { $multiply: [{ $path: 'qty' }, { $path: 'price.unit' }] } }, order)).toBe(23);
    expect(valueOf({ $sum: { $path: 'items[*].qty' } }, order)).toBe(6);
  });

  it('parses numeric strings, as $number does', () => {
    expect(valueOf({ $sum: { $path: 'n' } }, { n: [1, '2', ' 0.5 '] })).toBe(3.5);
  });

  it('a non-number names the element', () => {
    const e = runError({ $sum: { $path: 'items' }, of: { $path: 'qty' } }, { items: [{ qty: 1 }, { qty: 'two' }] });
    expect(e.code).toBe('MAPPING_NUMBER_INVALID');
    expect(e.inputPath).toBe('items[1].qty');
    const t = runError({ $sum: { $path: 'items' }, of: { $path: 'qty' } }, { items: [{ qty: 1 }, { qty: { n: 2 } }] });
    expect(t.code).toBe('MAPPING_TYPE');
    expect(t.inputPath).toBe('items[1].qty');
    expect(runError({ $sum: { $path: 'n' } }, { n: [1, true] }).code).toBe('MAPPING_TYPE');
  });

  it('a sum beyond the number range is MAPPING_NUMBER_INVALID', () => {
    expect(runError({ $sum: { $path: 'n' } }, { n: [1e308, 1e308] }).code).toBe('MAPPING_NUMBER_INVALID');
    expect(runError({ $sum: { $path: 'n' }, of: { $path: '@' } }, { n: [-1e308, -1e308] }).code).toBe('MAPPING_NUMBER_INVALID');
  });

  it('passes missing through; fails on non-arrays; limited to 100,000 elements with or without "of"', () => {
    expect(valueOf({ $sum: { $path: 'n' } }, {})).toBeUndefined();
    expect(runError({ $sum: { $path: 'n' } }, { n: 5 }).code).toBe('MAPPING_TYPE');
    const big = { n: new Array(100_001).fill(1) };
    expect(runError({ $sum: { $path: 'n' }, of: { $path: '@' } }, big).code).toBe('MAPPING_LIMIT');
    const e = runError({ $sum: { $path: 'n' } }, big);
    expect(e.code).toBe('MAPPING_LIMIT');
    expect(e.inputPath).toBe('n');
    expect(valueOf({ $sum: { $path: 'n' } }, { n: new Array(100_000).fill(1) })).toBe(100_000);
  });
});

describe('$count, $flatten, $distinct', () => {
  it('$count counts elements', () => {
    expect(valueOf({ $count: { $path: 'items' } }, order)).toBe(3);
    expect(valueOf({ $count: { $path: 'none' } }, {})).toBeUndefined();
    expect(valueOf({ $count: { $path: 'none' }, default: 0 }, {})).toBe(0);
    expect(runError({ $count: { $path: 's' } }, { s: 'abc' }).code).toBe('MAPPING_TYPE');
  });

  it('$flatten flattens one level', () => {
    expect(valueOf({ $flatten: { $path: 'a' } }, { a: [[1, [2]], 3, []] })).toEqual([1, [2], 3]);
    expect(runError({ $flatten: { $path: 'a' } }, { a: {} }).code).toBe('MAPPING_TYPE');
  });

  it.each([
    ['$flatten', { $flatten: { $path: 'big' } }],
    ['$distinct', { $distinct: { $path: 'big' } }],
    ['$join', { $join: { $path: 'big' } }],
  ])('%s on more than 100,000 elements is MAPPING_LIMIT', (_op, node) => {
    const e = runError(node, { big: new Array(100_001).fill(1) });
    expect(e.code).toBe('MAPPING_LIMIT');
    expect(e.inputPath).toBe('big');
  });

  it('$flatten that would give more than 100,000 elements is MAPPING_LIMIT', () => {
    const chunk = new Array(50_001).fill(0);
    expect(runError({ $flatten: { $path: 'a' } }, { a: [chunk, chunk] }).code).toBe('MAPPING_LIMIT');
  });

  it('$distinct drops repeated equal elements in first-seen order', () => {
    expect(valueOf({ $distinct: { $path: 'a' } }, { a: [1, '1', 1, { a: 1 }, { a: 1 }, [1], [1], null, null, 'x'] })).toEqual([
      1,
      '1',
      { a: 1 },
      [1],
      null,
      'x',
    ]);
    expect(
      valueOf(
        { $distinct: { $path: 'a' } },
        {
          a: [
            { a: 1, b: 2 },
            { b: 2, a: 1 },
          ],
        },
      ),
    ).toEqual([{ a: 1, b: 2 }]);
    expect(runError({ $distinct: { $path: 'a' } }, { a: 'aab' }).code).toBe('MAPPING_TYPE');
  });
});

describe('$merge', () => {
  it('shallow-merges left to right, skipping missing and null', () => {
    expect(
      valueOf(
        { $merge: [{ $path: 'a' }, { $path: 'b' }, { $path: 'none' }, null, { c: 3 }] },
        { a: { x: 1, y: 1 }, b: { y: 2, n: { deep: 1 } } },
      ),
    ).toEqual({
      x: 1,
      y: 2,
      n: { deep: 1 },
      c: 3,
    });
  });

  it('does not change its inputs', () => {
    const input = { a: { x: 1 }, b: { y: 2 } };
    valueOf({ $merge: [{ $path: 'a' }, { $path: 'b' }] }, input);
    expect(input).toEqual({ a: { x: 1 }, b: { y: 2 } });
  });

  it.each([[[1]], ['str'], [5]])('merging %j is MAPPING_TYPE naming the input path', (v) => {
    const e = runError({ $merge: [{ a: 1 }, { $path: 'extra' }] }, { extra: v });
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.inputPath).toBe('extra');
  });
});

describe('deep input', () => {
  it('comparing inputs nested too deeply for the stack is MAPPING_LIMIT, not a crash', () => {
    const deep = (): unknown => {
      let v: unknown = 1;
      for (let i = 0; i < 200_000; i++) v = { a: v };
      return v;
    };
    const m = compile({ output: { $eq: [{ $path: 'x' }, { $path: 'y' }] } });
    const err = runSyncError(m, { x: deep(), y: deep() });
    expect(err.code).toBe('MAPPING_LIMIT');
    expect(err.kind).toBe('bad_input');
  });

  it('a path reads deep input without recursion', () => {
    let v: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) v = [v];
    const path = '[0]'.repeat(10_000);
    expect(valueOf({ $path: `@${path}` }, v)).toBe('bottom');
  });
});
