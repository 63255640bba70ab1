import { formatSegments, parsePath, PathSyntaxError, step, walk, type ParsedPath } from './path';
import { thrownBy } from '../../test/helpers/mapping';

/** The column a syntax error reports, or a failure when the path parses. */
const syntaxErrorColumn = (text: string): number => thrownBy(() => parsePath(text), PathSyntaxError).column;

const read = (path: string, value: unknown): unknown => walk(value, parsePath(path).segments);

describe('parsePath grammar', () => {
  it.each<[string, ParsedPath]>([
    ['a', { base: { kind: 'cur' }, segments: [{ kind: 'key', key: 'a' }], hasWildcard: false }],
    [
      'a.b.c',
      {
        base: { kind: 'cur' },
        segments: [
          { kind: 'key', key: 'a' },
          { kind: 'key', key: 'b' },
          { kind: 'key', key: 'c' },
        ],
        hasWildcard: false,
      },
    ],
    ['_under_score', { base: { kind: 'cur' }, segments: [{ kind: 'key', key: '_under_score' }], hasWildcard: false }],
    ['order-ref', { base: { kind: 'cur' }, segments: [{ kind: 'key', key: 'order-ref' }], hasWildcard: false }],
    [
      'a[0]',
      {
        base: { kind: 'cur' },
        segments: [
          { kind: 'key', key: 'a' },
          { kind: 'index', index: 0 },
        ],
        hasWildcard: false,
      },
    ],
    [
      'a[-1]',
      {
        base: { kind: 'cur' },
        segments: [
          { kind: 'key', key: 'a' },
          { kind: 'index', index: -1 },
        ],
        hasWildcard: false,
      },
    ],
    ['[2]', { base: { kind: 'cur' }, segments: [{ kind: 'index', index: 2 }], hasWildcard: false }],
    [
      'a[*].b',
      { base: { kind: 'cur' }, segments: [{ kind: 'key', key: 'a' }, { kind: 'wild' }, { kind: 'key', key: 'b' }], hasWildcard: true },
    ],
    ['a.*', { base: { kind: 'cur' }, segments: [{ kind: 'key', key: 'a' }, { kind: 'wild' }], hasWildcard: true }],
    ['*', { base: { kind: 'cur' }, segments: [{ kind: 'wild' }], hasWildcard: true }],
    ['[*]', { base: { kind: 'cur' }, segments: [{ kind: 'wild' }], hasWildcard: true }],
    ['a[*][*]', { base: { kind: 'cur' }, segments: [{ kind: 'key', key: 'a' }, { kind: 'wild' }, { kind: 'wild' }], hasWildcard: true }],
    [
      'a["x-y z"]',
      {
        base: { kind: 'cur' },
        segments: [
          { kind: 'key', key: 'a' },
          { kind: 'key', key: 'x-y z' },
        ],
        hasWildcard: false,
      },
    ],
    [
      "a['single']",
      {
        base: { kind: 'cur' },
        segments: [
          { kind: 'key', key: 'a' },
          { kind: 'key', key: 'single' },
        ],
        hasWildcard: false,
      },
    ],
    [
      'a["q\\"uote"]',
      {
        base: { kind: 'cur' },
        segments: [
          { kind: 'key', key: 'a' },
          { kind: 'key', key: 'q"uote' },
        ],
        hasWildcard: false,
      },
    ],
    [
      'a["a.b"]',
      {
        base: { kind: 'cur' },
        segments: [
          { kind: 'key', key: 'a' },
          { kind: 'key', key: 'a.b' },
        ],
        hasWildcard: false,
      },
    ],
    [
      'a[""]',
      {
        base: { kind: 'cur' },
        segments: [
          { kind: 'key', key: 'a' },
          { kind: 'key', key: '' },
        ],
        hasWildcard: false,
      },
    ],
    ['$', { base: { kind: 'root' }, segments: [], hasWildcard: false }],
    [
      '$.data.id',
      {
        base: { kind: 'root' },
        segments: [
          { kind: 'key', key: 'data' },
          { kind: 'key', key: 'id' },
        ],
        hasWildcard: false,
      },
    ],
    ['$[0]', { base: { kind: 'root' }, segments: [{ kind: 'index', index: 0 }], hasWildcard: false }],
    ['$sub', { base: { kind: 'var', name: 'sub' }, segments: [], hasWildcard: false }],
    [
      '$sub.items[0]',
      {
        base: { kind: 'var', name: 'sub' },
        segments: [
          { kind: 'key', key: 'items' },
          { kind: 'index', index: 0 },
        ],
        hasWildcard: false,
      },
    ],
    ['@', { base: { kind: 'cur' }, segments: [], hasWildcard: false }],
    ['@.sku', { base: { kind: 'cur' }, segments: [{ kind: 'key', key: 'sku' }], hasWildcard: false }],
    ['@[1]', { base: { kind: 'cur' }, segments: [{ kind: 'index', index: 1 }], hasWildcard: false }],
    [
      'a.__proto__',
      {
        base: { kind: 'cur' },
        segments: [
          { kind: 'key', key: 'a' },
          { kind: 'key', key: '__proto__' },
        ],
        hasWildcard: false,
      },
    ],
  ])('parses %s', (text, expected) => {
    expect(parsePath(text)).toEqual(expected);
  });

  it.each<[string, number]>([
    ['', 1],
    ['.a', 1],
    ['1a', 1],
    ['a..b', 3],
    ['a.', 3],
    ['a.1', 3],
    ['a.[0]', 3],
    ['$.[0]', 3],
    ['a b', 2],
    ['@a', 2],
    ['$$', 2],
    ['$.', 3],
    ['@.', 3],
    ['a[', 3],
    ['a[x]', 3],
    ['a[ 0 ]', 3],
    ['a[1', 4],
    ['a[1.5]', 4],
    ['a["x', 5],
    ['a[99999999999999999999]', 23],
  ])('rejects %j with the column of the problem (%d)', (text, column) => {
    expect(syntaxErrorColumn(text)).toBe(column);
  });

  it('names the column and the path in the message', () => {
    expect(() => parsePath('data..id')).toThrow('at column 6 of "data..id"');
  });

  it('renders segments back into path syntax that parses to the same segments', () => {
    const segments = parsePath('a["q r"][0][*].b["x.y"]').segments;
    const text = formatSegments(segments);
    expect(text).toBe('a["q r"][0][*].b["x.y"]');
    expect(parsePath(text).segments).toEqual(segments);
  });
});

describe('step', () => {
  it('reads own keys of objects and elements of arrays', () => {
    expect(step({ a: 1 }, { kind: 'key', key: 'a' })).toBe(1);
    expect(step([10, 20], { kind: 'index', index: 1 })).toBe(20);
    expect(step([10, 20], { kind: 'index', index: -2 })).toBe(10);
  });

  it('gives undefined for missing keys, out-of-range indexes and scalars', () => {
    expect(step({ a: 1 }, { kind: 'key', key: 'b' })).toBeUndefined();
    expect(step([10], { kind: 'index', index: 1 })).toBeUndefined();
    expect(step([10], { kind: 'index', index: -2 })).toBeUndefined();
    expect(step({ 0: 'x' }, { kind: 'index', index: 0 })).toBeUndefined();
    expect(step('abc', { kind: 'index', index: 0 })).toBeUndefined();
    expect(step(null, { kind: 'key', key: 'a' })).toBeUndefined();
    expect(step(5, { kind: 'key', key: 'a' })).toBeUndefined();
  });
});

describe('walk', () => {
  const data = {
    lines: [{ tags: [{ v: 1 }, { v: 2 }] }, { tags: [{ v: 3 }] }, { tags: 'none' }, null, {}],
    meta: { x: 1, y: 2 },
  };

  it('follows keys and indexes, including negative ones', () => {
    expect(read('lines[0].tags[1].v', data)).toBe(2);
    expect(read('lines[-1]', data)).toEqual({});
    expect(read('lines[-5].tags[0].v', data)).toBe(1);
    expect(read('lines[-6]', data)).toBeUndefined();
    expect(read('lines[9]', data)).toBeUndefined();
  });

  it('fans out over an array with [*], leaving out elements without the key', () => {
    expect(read('lines[*].tags', data)).toEqual([[{ v: 1 }, { v: 2 }], [{ v: 3 }], 'none']);
  });

  it('keeps null elements of a plain wildcard', () => {
    expect(read('lines[*]', data)).toEqual(data.lines);
  });

  it('flattens one level per nested wildcard', () => {
    expect(read('lines[*].tags[*].v', data)).toEqual([1, 2, 3]);
    expect(read('lines[*].tags[*]', data)).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }]);
    expect(read('a[*].b[*].c', { a: [{ b: [{ c: [1, 2] }] }, { b: [{ c: [3] }] }] })).toEqual([[1, 2], [3]]);
  });

  it('fans out over object values with .*', () => {
    expect(read('meta.*', data)).toEqual([1, 2]);
  });

  it('gives undefined for a wildcard over a scalar or a missing value', () => {
    expect(read('meta.x[*]', data)).toBeUndefined();
    expect(read('nope[*]', data)).toBeUndefined();
    expect(read('s.*', { s: 'text' })).toBeUndefined();
  });

  it('gives an empty array for a wildcard over an empty array', () => {
    expect(read('a[*].b', { a: [] })).toEqual([]);
  });
});

describe('only own properties are read', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'])(
    '%s on a plain object is undefined',
    (key) => {
      expect(read(key, {})).toBeUndefined();
      expect(read(`a.${key}`, { a: {} })).toBeUndefined();
      expect(read(`a["${key}"]`, { a: {} })).toBeUndefined();
    },
  );

  it('constructor.prototype reads nothing', () => {
    expect(read('constructor.prototype', {})).toBeUndefined();
    expect(read('a.constructor.prototype.polluted', { a: {} })).toBeUndefined();
  });

  it('arrays have elements, not keys: length, map and constructor are undefined', () => {
    expect(read('a.length', { a: [1, 2] })).toBeUndefined();
    expect(read('a.map', { a: [1, 2] })).toBeUndefined();
    expect(read('a.constructor', { a: [1, 2] })).toBeUndefined();
    expect(read('a["0"]', { a: ['x'] })).toBeUndefined();
  });

  it('strings have no keys or elements', () => {
    expect(read('s.length', { s: 'abc' })).toBeUndefined();
    expect(read('s[0]', { s: 'abc' })).toBeUndefined();
  });

  it('reads __proto__ when the input really holds it as an own key', () => {
    const input = JSON.parse('{"__proto__": {"x": 1}, "constructor": "c"}') as unknown;
    expect(read('__proto__.x', input)).toBe(1);
    expect(read('constructor', input)).toBe('c');
  });

  it('a wildcard over an object sees only own values', () => {
    const withProto = Object.create({ inherited: 1 }) as Record<string, unknown>;
    withProto.own = 2;
    expect(read('*', withProto)).toEqual([2]);
    expect(read('inherited', withProto)).toBeUndefined();
  });
});
