import { LocatedErrors } from '../../errors/located-error';
import { compile, runError, valueOf } from '../../../test/helpers/mapping';

describe('$round', () => {
  it('rounds half-up to 0 digits by default', () => {
    expect(valueOf({ $round: 2.5 })).toBe(3);
    expect(valueOf({ $round: -2.5 })).toBe(-3);
    expect(valueOf({ $round: 2.4 })).toBe(2);
  });

  it('rounds exactly in decimal', () => {
    expect(valueOf({ $round: 1.005, digits: 2 })).toBe(1.01);
    expect(valueOf({ $round: '2.675', digits: 2 })).toBe(2.68);
    expect(valueOf({ $round: 0.125, digits: 2, mode: 'half-even' })).toBe(0.12);
    expect(valueOf({ $round: -0.135, digits: 2, mode: 'half-even' })).toBe(-0.14);
    expect(valueOf({ $round: '3.14159', digits: 3, mode: 'trunc' })).toBe(3.141);
    expect(valueOf({ $round: '-3.14159', digits: 3, mode: 'floor' })).toBe(-3.142);
  });

  it('passes missing through and fails on non-numbers', () => {
    expect(valueOf({ $round: { $path: 'x' } }, {})).toBeUndefined();
    expect(runError({ $round: { $path: 'x' } }, { x: 'ten' }).code).toBe('MAPPING_NUMBER_INVALID');
    expect(runError({ $round: { $path: 'x' } }, { x: { a: 1 } }).code).toBe('MAPPING_TYPE');
  });

  it('rejects out-of-range digits at compile time', () => {
    expect(() => compile({ output: { $round: 1, digits: 13 } })).toThrow(LocatedErrors);
    expect(() => compile({ output: { $round: 1, digits: -1 } })).toThrow(LocatedErrors);
  });
});

describe('$toMinor', () => {
  it.each<[unknown, Record<string, unknown>, number]>([
    [19.99, {}, 1999],
    ['19.99', {}, 1999],
    [1.005, {}, 101],
    [0.1, {}, 10],
    ['0.1e1', {}, 100],
    [1.005, { mode: 'half-even' }, 100],
    [1.009, { mode: 'trunc' }, 100],
    [-1.005, {}, -101],
    [1234, { currency: 'JPY' }, 1234],
    [1234.5, { currency: 'JPY' }, 1235],
    ['1.2345', { currency: 'KWD' }, 1235],
    ['1.2345', { currency: 'kwd' }, 1235],
    [5, { currency: 'EUR' }, 500],
    ['1.23456', { exponent: 4, mode: 'trunc' }, 12345],
    [3, { exponent: 0, currency: 'EUR' }, 3],
  ])('%j with %j → %d', (v, params, minor) => {
    expect(valueOf({ $toMinor: { $path: 'amount' }, ...params }, { amount: v })).toBe(minor);
  });

  it('takes the currency from a node', () => {
    const node = { $toMinor: { $path: 'amount' }, currency: { $path: 'currency' } };
    expect(valueOf(node, { amount: '1500', currency: 'JPY' })).toBe(1500);
    expect(valueOf(node, { amount: '15.5', currency: 'EUR' })).toBe(1550);
    expect(valueOf(node, { amount: '1.5', currency: 'BHD' })).toBe(1500);
    expect(valueOf(node, { amount: '1.5' })).toBe(150);
  });

  it('an unknown currency shape is MAPPING_TYPE naming the currency path', () => {
    const e = runError(
      { $toMinor: { $path: 'amount' }, currency: { $path: 'order.currency' } },
      { amount: 1, order: { currency: 'EURO' } },
    );
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.inputPath).toBe('order.currency');
    expect(runError({ $toMinor: 1, currency: { $path: 'c' } }, { c: {} }).code).toBe('MAPPING_TYPE');
  });

  it('out of the safe integer range is MAPPING_NUMBER_INVALID', () => {
    const e = runError({ $toMinor: { $path: 'amount' } }, { amount: '1e300' });
    expect(e.code).toBe('MAPPING_NUMBER_INVALID');
    expect(e.inputPath).toBe('amount');
  });

  it('non-numeric amounts fail', () => {
    expect(runError({ $toMinor: { $path: 'a' } }, { a: '12,50' }).code).toBe('MAPPING_NUMBER_INVALID');
    expect(runError({ $toMinor: { $path: 'a' } }, { a: true }).code).toBe('MAPPING_TYPE');
  });

  it('passes missing through; default and required apply', () => {
    expect(valueOf({ $toMinor: { $path: 'a' } }, {})).toBeUndefined();
    expect(valueOf({ $toMinor: { $path: 'a' }, default: 0 }, {})).toBe(0);
    expect(runError({ $toMinor: { $path: 'a' }, required: true }, {}).code).toBe('MAPPING_REQUIRED_MISSING');
  });

  it('an exponent above 6 is a schema error', () => {
    expect(() => compile({ output: { $toMinor: 1, exponent: 7 } })).toThrow(LocatedErrors);
  });
});

describe('$fromMinor', () => {
  it.each<[unknown, Record<string, unknown>, unknown]>([
    [1999, {}, 19.99],
    [1990, { as: 'string' }, '19.90'],
    [1990, { as: 'number' }, 19.9],
    [-5, { as: 'string' }, '-0.05'],
    [0, { as: 'string' }, '0.00'],
    ['1999', {}, 19.99],
    [1234, { currency: 'JPY' }, 1234],
    [1234, { currency: 'JPY', as: 'string' }, '1234'],
    [1234, { currency: 'KWD', as: 'string' }, '1.234'],
    [1, { exponent: 6, as: 'string' }, '0.000001'],
  ])('%j with %j → %j', (v, params, out) => {
    expect(valueOf({ $fromMinor: { $path: 'minor' }, ...params }, { minor: v })).toBe(out);
  });

  it('takes the currency from a node', () => {
    expect(
      valueOf({ $fromMinor: { $path: 'amount' }, currency: { $path: 'currency' }, as: 'string' }, { amount: 500, currency: 'jpy' }),
    ).toBe('500');
  });

  it('a fraction of a minor unit is MAPPING_NUMBER_INVALID', () => {
    const e = runError({ $fromMinor: { $path: 'amount_total' } }, { amount_total: 19.5 });
    expect(e.code).toBe('MAPPING_NUMBER_INVALID');
    expect(e.inputPath).toBe('amount_total');
  });

  it('an unsafe integer is MAPPING_NUMBER_INVALID', () => {
    expect(runError({ $fromMinor: { $path: 'a' } }, { a: 2 ** 60 }).code).toBe('MAPPING_NUMBER_INVALID');
  });

  it('a wrong type is MAPPING_TYPE', () => {
    expect(runError({ $fromMinor: { $path: 'a' } }, { a: [1] }).code).toBe('MAPPING_TYPE');
  });

  it('toMinor undoes fromMinor as string', () => {
    const m = compile({
      output: { $toMinor: { $fromMinor: { $path: 'm' }, currency: { $path: 'c' }, as: 'string' }, currency: { $path: 'c' } },
    });
    for (const [minor, c] of [
      [1999, 'EUR'],
      [-7, 'KWD'],
      [123456789, 'JPY'],
    ] as const) {
      expect(m.runSync({ m: minor, c })).toEqual({ dropped: false, output: minor });
    }
  });
});

describe('arithmetic', () => {
  it('adds, subtracts, multiplies and divides left to right', () => {
    expect(valueOf({ $add: [1, 2, 3.5] })).toBe(6.5);
    expect(valueOf({ $subtract: [10, 3, 2] })).toBe(5);
    expect(valueOf({ $multiply: [{ $path: 'qty' }, { $path: 'kit' }] }, { qty: 3, kit: '4' })).toBe(12);
    expect(valueOf({ $divide: [7, 2] })).toBe(3.5);
    expect(valueOf({ $divide: [100, 2, 5] })).toBe(10);
  });

  it.each(['$add', '$subtract', '$multiply', '$divide'])('%s: a missing operand makes the result missing, null makes it null', (op) => {
    expect(valueOf({ [op]: [1, { $path: 'x' }] }, {})).toBeUndefined();
    expect(valueOf({ [op]: [{ $path: 'x' }, 1] }, { x: null })).toBeNull();
    expect(valueOf({ [op]: [1, { $path: 'x' }], default: 0 }, {})).toBe(0);
  });

  it.each(['$add', '$subtract', '$multiply', '$divide'])('%s: a wrong operand names its input path', (op) => {
    const t = runError({ [op]: [1, { $path: 'line.qty' }] }, { line: { qty: {} } });
    expect(t.code).toBe('MAPPING_TYPE');
    expect(t.inputPath).toBe('line.qty');
    const n = runError({ [op]: [1, { $path: 'line.qty' }] }, { line: { qty: 'two' } });
    expect(n.code).toBe('MAPPING_NUMBER_INVALID');
    expect(n.inputPath).toBe('line.qty');
  });

  it('division by zero is MAPPING_NUMBER_INVALID naming the divisor', () => {
    const e = runError({ $divide: [1, { $path: 'count' }] }, { count: 0 });
    expect(e.code).toBe('MAPPING_NUMBER_INVALID');
    expect(e.inputPath).toBe('count');
    expect(runError({ $divide: [1, '0.0'] }).code).toBe('MAPPING_NUMBER_INVALID');
  });

  it.each<[string, unknown[]]>([
    ['$add', [1e308, 1e308]],
    ['$subtract', [-1e308, 1e308]],
    ['$multiply', [1e200, 1e200]],
    ['$divide', [1e308, 1e-10]],
  ])('%s beyond the number range is MAPPING_NUMBER_INVALID, not Infinity', (op, args) => {
    const e = runError({ [op]: [{ $path: 'a' }, { $path: 'b' }] }, { a: args[0], b: args[1] });
    expect(e.code).toBe('MAPPING_NUMBER_INVALID');
    expect(e.kind).toBe('bad_input');
  });

  it('needs at least two operands', () => {
    expect(() => compile({ output: { $add: [1] } })).toThrow(LocatedErrors);
  });
});
