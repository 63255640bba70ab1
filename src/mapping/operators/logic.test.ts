import { compileErrors, runError, valueOf } from '../../../test/helpers/mapping';

describe('truthiness in conditions ($if, $not, $and, $or, filter)', () => {
  it.each<[unknown, boolean]>([
    [true, true],
    [1, true],
    [-1, true],
    ['x', true],
    ['false', true],
    [[], true],
    [{}, true],
    [false, false],
    [0, false],
    ['', false],
    [null, false],
  ])('%j is %s', (v, expected) => {
    expect(valueOf({ $if: { $path: 'c' }, then: 'yes', else: 'no' }, { c: v })).toBe(expected ? 'yes' : 'no');
    expect(valueOf({ $not: { $path: 'c' } }, { c: v })).toBe(!expected);
  });

  it('missing is false', () => {
    expect(valueOf({ $not: { $path: 'c' } }, {})).toBe(true);
  });
});

describe('$if', () => {
  it('without else, a false condition is missing', () => {
    expect(valueOf({ $if: false, then: 1 })).toBeUndefined();
    expect(valueOf({ $if: false, then: 1, default: 2 })).toBe(2);
  });

  it('evaluates only the branch taken', () => {
    // the other branch would fail on this input
    expect(valueOf({ $if: { $path: 'ok' }, then: 'fine', else: { $number: { $path: 'bad' } } }, { ok: true, bad: 'x' })).toBe('fine');
  });

  it('needs then', () => {
    expect(compileErrors({ output: { $if: true, else: 1 } })[0]!.code).toBe('SCHEMA_INVALID');
  });
});

describe('$switch', () => {
  const node = { $switch: { $path: 'status' }, cases: { active: 'A', past_due: 'P', '1': 'one', true: 'T' }, otherwise: 'other' };

  it('chooses a case by the value compared as text', () => {
    expect(valueOf(node, { status: 'active' })).toBe('A');
    expect(valueOf(node, { status: 'past_due' })).toBe('P');
    expect(valueOf(node, { status: 1 })).toBe('one');
    expect(valueOf(node, { status: true })).toBe('T');
  });

  it('falls back to otherwise, also for missing and null', () => {
    expect(valueOf(node, { status: 'canceled' })).toBe('other');
    expect(valueOf(node, {})).toBe('other');
    expect(valueOf(node, { status: null })).toBe('other');
  });

  it('without otherwise, no match is missing', () => {
    expect(valueOf({ $switch: { $path: 's' }, cases: { a: 1 } }, { s: 'b' })).toBeUndefined();
  });

  it('inherited names are not cases', () => {
    for (const status of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(valueOf(node, { status })).toBe('other');
    }
  });

  it('a case named __proto__ (from JSON) matches only that text', () => {
    const cases = JSON.parse('{"__proto__": "P", "x": "X"}') as unknown;
    const n = { $switch: { $path: 's' }, cases, otherwise: 'O' };
    expect(valueOf(n, { s: '__proto__' })).toBe('P');
    expect(valueOf(n, { s: 'x' })).toBe('X');
    expect(valueOf(n, { s: 'y' })).toBe('O');
  });

  it('only the chosen case is evaluated', () => {
    expect(valueOf({ $switch: 'a', cases: { a: 1, b: { $number: 'not a number' } } })).toBe(1);
  });

  it('switching on an object or array is MAPPING_TYPE', () => {
    const e = runError(node, { status: { code: 'x' } });
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.inputPath).toBe('status');
    expect(runError(node, { status: ['active'] }).code).toBe('MAPPING_TYPE');
  });

  it('needs at least one case', () => {
    expect(compileErrors({ output: { $switch: 'a', cases: {} } })[0]!.code).toBe('SCHEMA_INVALID');
  });
});

describe('$eq and $ne', () => {
  it.each<[unknown, unknown, boolean]>([
    [1, 1, true],
    [1, '1', false],
    ['a', 'a', true],
    [null, null, true],
    [{ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }, true],
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
    [[1, 2], [2, 1], false],
    [[], {}, false],
    [0, false, false],
  ])('%j vs %j → %s', (a, b, equal) => {
    expect(valueOf({ $eq: [{ $path: 'a' }, { $path: 'b' }] }, { a, b })).toBe(equal);
    expect(valueOf({ $ne: [{ $path: 'a' }, { $path: 'b' }] }, { a, b })).toBe(!equal);
  });

  it('two missing values are equal; missing and null are not', () => {
    expect(valueOf({ $eq: [{ $path: 'x' }, { $path: 'y' }] }, {})).toBe(true);
    expect(valueOf({ $eq: [{ $path: 'x' }, null] }, {})).toBe(false);
  });

  it('takes exactly two values', () => {
    expect(compileErrors({ output: { $eq: [1] } })[0]!.code).toBe('SCHEMA_INVALID');
    expect(compileErrors({ output: { $eq: [1, 2, 3] } })[0]!.code).toBe('SCHEMA_INVALID');
  });
});

describe('comparisons', () => {
  it.each<[string, unknown, unknown, boolean]>([
    ['$gt', 2, 1, true],
    ['$gt', 1, 1, false],
    ['$gte', 1, 1, true],
    ['$lt', -1, 0, true],
    ['$lte', 0.5, 0.5, true],
    ['$lt', 'a', 'b', true],
    ['$gt', 'b', 'abc', true],
    ['$gte', '2024-01-02', '2024-01-01', true],
    ['$lt', 10, 9, false],
  ])('%s(%j, %j) → %s', (op, a, b, result) => {
    expect(valueOf({ [op]: [{ $path: 'a' }, { $path: 'b' }] }, { a, b })).toBe(result);
  });

  it.each(['$gt', '$gte', '$lt', '$lte'])('%s is false when a side is missing or null', (op) => {
    expect(valueOf({ [op]: [{ $path: 'a' }, 1] }, {})).toBe(false);
    expect(valueOf({ [op]: [1, { $path: 'a' }] }, { a: null })).toBe(false);
  });

  it('comparing a number with a string is MAPPING_TYPE', () => {
    const e = runError({ $gt: [{ $path: 'qty' }, { $path: 'limit' }] }, { qty: 1, limit: '5' });
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.kind).toBe('bad_input');
  });

  it('comparing objects is MAPPING_TYPE', () => {
    expect(runError({ $lt: [{ $path: 'a' }, { $path: 'a' }] }, { a: {} }).code).toBe('MAPPING_TYPE');
  });
});

describe('$in', () => {
  it('finds equal JSON values', () => {
    expect(valueOf({ $in: [{ $path: 's' }, ['active', 'trialing']] }, { s: 'trialing' })).toBe(true);
    expect(valueOf({ $in: [{ $path: 's' }, ['active', 'trialing']] }, { s: 'canceled' })).toBe(false);
    expect(valueOf({ $in: [{ $path: 's' }, { $path: 'list' }] }, { s: { a: 1 }, list: [{ a: 1 }] })).toBe(true);
    expect(valueOf({ $in: [{ $path: 's' }, [1, 2]] }, { s: '1' })).toBe(false);
  });

  it('a missing list is false; a list that is not an array is MAPPING_TYPE', () => {
    expect(valueOf({ $in: ['a', { $path: 'list' }] }, {})).toBe(false);
    const e = runError({ $in: ['a', { $path: 'list' }] }, { list: 'abc' });
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.inputPath).toBe('list');
  });
});

describe('$and, $or, $exists', () => {
  it('$and is true only when every value is truthy, and stops at the first falsy one', () => {
    expect(valueOf({ $and: [1, 'x', true] })).toBe(true);
    expect(valueOf({ $and: [1, 0, { $number: 'boom' }] })).toBe(false);
  });

  it('$or is true when any value is truthy, and stops at the first truthy one', () => {
    expect(valueOf({ $or: [0, '', { $path: 'x' }] }, {})).toBe(false);
    expect(valueOf({ $or: [0, 'x', { $number: 'boom' }] })).toBe(true);
  });

  it('$exists is true for present, non-null values (including falsy ones)', () => {
    const input = { zero: 0, empty: '', f: false, nil: null };
    expect(valueOf([{ $exists: { $path: 'zero' } }, { $exists: { $path: 'empty' } }, { $exists: { $path: 'f' } }], input)).toEqual([
      true,
      true,
      true,
    ]);
    expect(valueOf([{ $exists: { $path: 'nil' } }, { $exists: { $path: 'gone' } }, { $exists: { $path: 'constructor' } }], input)).toEqual([
      false,
      false,
      false,
    ]);
  });
});
