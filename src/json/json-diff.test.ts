import fc from 'fast-check';
import { formatDiff, jsonDiff } from './json-diff';

describe('jsonDiff', () => {
  it('finds nothing between equal values, whatever the key order', () => {
    expect(jsonDiff({ a: 1, b: [1, { c: 'x', d: null }] }, { b: [1, { d: null, c: 'x' }], a: 1 })).toEqual([]);
    expect(jsonDiff(null, null)).toEqual([]);
    expect(jsonDiff('x', 'x')).toEqual([]);
    expect(jsonDiff([], [])).toEqual([]);
  });

  it('treats 0 and -0 as equal: JSON cannot tell them apart', () => {
    expect(jsonDiff({ n: 0 }, { n: -0 })).toEqual([]);
    expect(jsonDiff([-0], [0])).toEqual([]);
  });

  it('reports a changed scalar at its pointer', () => {
    expect(jsonDiff({ lines: [{ sku: 'A' }] }, { lines: [{ sku: 'B' }] })).toEqual([
      { pointer: '/lines/0/sku', kind: 'changed', expected: 'A', actual: 'B' },
    ]);
  });

  it('reports a changed type as changed (no coercion)', () => {
    expect(jsonDiff({ n: 1 }, { n: '1' })).toEqual([{ pointer: '/n', kind: 'changed', expected: 1, actual: '1' }]);
    expect(jsonDiff({ n: [] }, { n: {} })).toEqual([{ pointer: '/n', kind: 'changed', expected: [], actual: {} }]);
    expect(jsonDiff({ n: null }, { n: {} })).toEqual([{ pointer: '/n', kind: 'changed', expected: null, actual: {} }]);
  });

  it('reports the whole document as changed at the empty pointer', () => {
    expect(jsonDiff(1, 2)).toEqual([{ pointer: '', kind: 'changed', expected: 1, actual: 2 }]);
  });

  it('reports missing and unexpected keys', () => {
    expect(jsonDiff({ a: 1, b: 2 }, { a: 1, c: 3 })).toEqual([
      { pointer: '/b', kind: 'missing', expected: 2 },
      { pointer: '/c', kind: 'unexpected', actual: 3 },
    ]);
  });

  it('a key holding null is not a missing key', () => {
    expect(jsonDiff({ a: null }, {})).toEqual([{ pointer: '/a', kind: 'missing', expected: null }]);
    expect(jsonDiff({}, { a: null })).toEqual([{ pointer: '/a', kind: 'unexpected', actual: null }]);
  });

  it('reports missing and unexpected array elements by position', () => {
    expect(jsonDiff([1, 2, 3], [1])).toEqual([
      { pointer: '/1', kind: 'missing', expected: 2 },
      { pointer: '/2', kind: 'missing', expected: 3 },
    ]);
    expect(jsonDiff([1], [1, { x: 1 }])).toEqual([{ pointer: '/1', kind: 'unexpected', actual: { x: 1 } }]);
  });

  it('escapes ~ and / in pointers', () => {
    expect(jsonDiff({ 'a/b': { '~c': 1 } }, { 'a/b': { '~c': 2 } })).toEqual([
      { pointer: '/a~1b/~0c', kind: 'changed', expected: 1, actual: 2 },
    ]);
  });

  it('compares __proto__ keys as ordinary own keys', () => {
    const expected = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
    const actual = JSON.parse('{"__proto__": {"x": 2}}') as unknown;
    expect(jsonDiff(expected, actual)).toEqual([{ pointer: '/__proto__/x', kind: 'changed', expected: 1, actual: 2 }]);
    expect(jsonDiff(expected, {})).toEqual([{ pointer: '/__proto__', kind: 'missing', expected: { x: 1 } }]);
    expect(jsonDiff({}, { constructor: 1 })).toEqual([{ pointer: '/constructor', kind: 'unexpected', actual: 1 }]);
  });

  it('reports every difference, not just the first', () => {
    const diffs = jsonDiff({ a: 1, b: { c: [1, 2] }, d: 'x' }, { a: 2, b: { c: [1, 3, 4] }, e: true });
    expect(diffs.map((d) => [d.pointer, d.kind])).toEqual([
      ['/a', 'changed'],
      ['/b/c/1', 'changed'],
      ['/b/c/2', 'unexpected'],
      ['/d', 'missing'],
      ['/e', 'unexpected'],
    ]);
  });

  it('finds no difference between a JSON value and its copy; finds one after any change', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(jsonDiff(v, structuredClone(v))).toEqual([]);
        expect(jsonDiff({ root: v }, { root: v, extra: 1 })).toEqual([{ pointer: '/extra', kind: 'unexpected', actual: 1 }]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('formatDiff', () => {
  it('writes one readable line per difference', () => {
    expect(
      formatDiff([
        { pointer: '/lines/0/sku', kind: 'changed', expected: 'A', actual: 'B' },
        { pointer: '/total', kind: 'missing', expected: 10 },
        { pointer: '/extra', kind: 'unexpected', actual: { a: 1 } },
        { pointer: '', kind: 'changed', expected: 1, actual: undefined },
      ]),
    ).toEqual([
      '/lines/0/sku: expected "A", got "B"',
      '/total: expected 10, but it is missing',
      '/extra: unexpected {"a":1}',
      '/: expected 1, got nothing',
    ]);
  });

  it('formats an empty list as no lines', () => {
    expect(formatDiff([])).toEqual([]);
  });
});
