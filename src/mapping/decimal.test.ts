import fc from 'fast-check';
import { currencyExponent, fromMinorUnits, parseDecimal, roundDecimal, toMinorUnits, type RoundingMode } from './decimal';

describe('parseDecimal', () => {
  it.each<[number | string, bigint, number]>([
    [1.005, 1005n, 3],
    ['1.005', 1005n, 3],
    ['-0.10', -10n, 2],
    ['+7', 7n, 0],
    ['.5', 5n, 1],
    ['5.', 5n, 0],
    ['1e3', 1n, -3],
    ['1.5E-2', 15n, 3],
    [1e21, 1n, -21],
    [1e-7, 1n, 7],
    ['  42  ', 42n, 0],
    ['007', 7n, 0],
  ])('%j → mantissa %s, scale %d', (value, mantissa, scale) => {
    expect(parseDecimal(value)).toEqual({ mantissa, scale });
  });

  it.each<number | string>(['', '-', '.', 'abc', '1e', '1.2.3', '0x10', 'Infinity', NaN, Infinity, -Infinity])(
    '%j is not numeric',
    (value) => {
      expect(parseDecimal(value)).toBeUndefined();
    },
  );
});

describe('roundDecimal', () => {
  const modes: RoundingMode[] = ['half-up', 'half-even', 'half-down', 'floor', 'ceil', 'trunc'];
  // value → expected result per mode, in the order of `modes`
  const table: Array<[number | string, number[]]> = [
    [2.5, [3, 2, 2, 2, 3, 2]],
    [3.5, [4, 4, 3, 3, 4, 3]],
    [-2.5, [-3, -2, -2, -3, -2, -2]],
    [-3.5, [-4, -4, -3, -4, -3, -3]],
    [2.4, [2, 2, 2, 2, 3, 2]],
    [2.6, [3, 3, 3, 2, 3, 2]],
    [-2.6, [-3, -3, -3, -3, -2, -2]],
    [0.5, [1, 0, 0, 0, 1, 0]],
    [-0.5, [-1, 0, 0, -1, 0, 0]],
    [7, [7, 7, 7, 7, 7, 7]],
  ];
  for (const [value, expected] of table) {
    modes.forEach((mode, i) => {
      it(`${value} with ${mode} → ${expected[i]}`, () => {
        // toBe(0) would reject -0; a rounding to zero compares numerically
        expect(roundDecimal(value, 0, mode)! + 0).toBe(expected[i]! + 0);
      });
    });
  }

  it('rounds exactly in decimal, not in binary', () => {
    expect(roundDecimal(1.005, 2, 'half-up')).toBe(1.01);
    expect(roundDecimal(1.015, 2, 'half-even')).toBe(1.02);
    expect(roundDecimal(1.025, 2, 'half-even')).toBe(1.02);
    expect(roundDecimal(0.125, 2, 'half-even')).toBe(0.12);
    expect(roundDecimal(0.135, 2, 'half-even')).toBe(0.14);
    expect(roundDecimal('2.675', 2, 'half-up')).toBe(2.68);
    expect(roundDecimal(-1.005, 2, 'half-up')).toBe(-1.01);
  });

  it('adds no digits that were not there', () => {
    expect(roundDecimal(1.5, 4, 'half-up')).toBe(1.5);
    expect(roundDecimal('1e3', 2, 'half-up')).toBe(1000);
  });

  it('gives undefined for non-numeric text', () => {
    expect(roundDecimal('abc', 2, 'half-up')).toBeUndefined();
  });
});

describe('toMinorUnits', () => {
  it.each<[number | string, number, RoundingMode, number]>([
    [1.005, 2, 'half-up', 101],
    [1.005, 2, 'half-even', 100],
    [1.015, 2, 'half-even', 102],
    [19.99, 2, 'half-up', 1999],
    [0.1, 2, 'half-up', 10],
    ['0.1', 2, 'half-up', 10],
    ['1e2', 2, 'half-up', 10000],
    ['1.5e-1', 2, 'half-up', 15],
    ['2.5e-2', 2, 'half-up', 3],
    ['2.5e-2', 2, 'half-even', 2],
    [-19.995, 2, 'half-up', -2000],
    [-19.995, 2, 'trunc', -1999],
    [-19.991, 2, 'floor', -2000],
    [19.991, 2, 'ceil', 2000],
    [1234, 0, 'half-up', 1234],
    [1234.5, 0, 'half-up', 1235],
    ['1.2345', 3, 'half-up', 1235],
    [1.2344, 3, 'half-up', 1234],
    [0, 2, 'half-up', 0],
  ])('%j with exponent %d (%s) → %d', (value, exponent, mode, minor) => {
    expect(toMinorUnits(value, exponent, mode)).toBe(minor);
  });

  it('gives undefined for non-numeric text', () => {
    expect(toMinorUnits('12,50', 2, 'half-up')).toBeUndefined();
  });
});

describe('fromMinorUnits', () => {
  it.each<[bigint, number, string]>([
    [1999n, 2, '19.99'],
    [1990n, 2, '19.90'],
    [5n, 2, '0.05'],
    [-5n, 2, '-0.05'],
    [-1999n, 2, '-19.99'],
    [0n, 2, '0.00'],
    [0n, 0, '0'],
    [1234n, 0, '1234'],
    [1234n, 3, '1.234'],
    [1n, 6, '0.000001'],
    [9007199254740993n, 2, '90071992547409.93'],
  ])('%s with exponent %d → %s', (minor, exponent, text) => {
    expect(fromMinorUnits(minor, exponent)).toBe(text);
  });

  it('round-trips: toMinorUnits(fromMinorUnits(m, e), e) === m for safe integers', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.integer({ min: 0, max: 6 }), (m, e) => {
        const text = fromMinorUnits(BigInt(m), e);
        expect(toMinorUnits(text, e, 'half-up')).toBe(m);
        expect(toMinorUnits(text, e, 'trunc')).toBe(m);
      }),
      { numRuns: 500 },
    );
  });

  it('gives text with exactly `exponent` decimal places', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 1, max: 6 }), (m, e) => {
        const text = fromMinorUnits(m, e);
        expect(text).toMatch(new RegExp(`^-?\\d+\\.\\d{${e}}$`));
        expect(text.startsWith('-')).toBe(m < 0n);
      }),
      { numRuns: 300 },
    );
  });
});

describe('currencyExponent', () => {
  it.each<[string, number | undefined]>([
    ['EUR', 2],
    ['usd', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['KWD', 3],
    ['bhd', 3],
    ['XYZ', 2],
    ['EURO', undefined],
    ['EU', undefined],
    ['E1R', undefined],
    ['', undefined],
  ])('%s → %s', (code, exponent) => {
    expect(currencyExponent(code)).toBe(exponent);
  });

  it('does not read inherited keys', () => {
    expect(currencyExponent('__proto__')).toBeUndefined();
    expect(currencyExponent('constructor')).toBeUndefined();
  });
});
