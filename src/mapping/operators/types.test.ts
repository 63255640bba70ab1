import { LocatedErrors } from '../../errors/located-error';
import { compile, runError, valueOf } from '../../../test/helpers/mapping';

describe.each(['$string', '$number', '$integer', '$boolean'])('%s with missing input', (op) => {
  it('passes missing and null through', () => {
    expect(valueOf({ [op]: { $path: 'x' } }, {})).toBeUndefined();
    expect(valueOf({ [op]: { $path: 'x' } }, { x: null })).toBeNull();
  });

  it('uses default and required', () => {
    expect(valueOf({ [op]: { $path: 'x' }, default: 'd' }, {})).toBe('d');
    const e = runError({ [op]: { $path: 'x' }, required: true }, { x: null });
    expect(e.code).toBe('MAPPING_REQUIRED_MISSING');
    expect(e.kind).toBe('bad_input');
    expect(e.location.pointer).toBe('/output/v');
    expect(e.inputPath).toBe('x');
  });
});

describe('$string', () => {
  it('writes out numbers and booleans', () => {
    expect(valueOf({ $string: 'a' })).toBe('a');
    expect(valueOf({ $string: 1.5 })).toBe('1.5');
    expect(valueOf({ $string: -3 })).toBe('-3');
    expect(valueOf({ $string: true })).toBe('true');
    expect(valueOf({ $string: { $path: 'n' } }, { n: 1e21 })).toBe('1e+21');
  });

  it.each([[{}], [[1]], [{ a: 1 }]])('%j is MAPPING_TYPE naming the input path', (v) => {
    const e = runError({ $string: { $path: 'data.v' } }, { data: { v } });
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.kind).toBe('bad_input');
    expect(e.inputPath).toBe('data.v');
    expect(e.location.pointer).toBe('/output/v');
  });

  it('a non-finite number (from code, not JSON) is MAPPING_TYPE', () => {
    expect(runError({ $string: { $path: 'n' } }, { n: Infinity }).code).toBe('MAPPING_TYPE');
  });
});

describe('$number', () => {
  it.each<[unknown, number]>([
    [5, 5],
    [-0.25, -0.25],
    ['42', 42],
    [' 1e3 ', 1000],
    ['.5', 0.5],
    ['-2', -2],
    ['+7.5', 7.5],
  ])('%j → %d', (v, n) => {
    expect(valueOf({ $number: { $path: 'v' } }, { v })).toBe(n);
  });

  it.each(['abc', '', '0x10', 'Infinity', 'NaN', '1,5', '1e999', '12abc'])('%j is MAPPING_NUMBER_INVALID', (v) => {
    const e = runError({ $number: { $path: 'price.amount' } }, { price: { amount: v } });
    expect(e.code).toBe('MAPPING_NUMBER_INVALID');
    expect(e.inputPath).toBe('price.amount');
  });

  it.each([[true], [[1]], [{}]])('%j is MAPPING_TYPE', (v) => {
    expect(runError({ $number: { $path: 'v' } }, { v }).code).toBe('MAPPING_TYPE');
  });

  it('a non-finite number (from code, not JSON) is MAPPING_NUMBER_INVALID', () => {
    expect(runError({ $number: { $path: 'v' } }, { v: NaN }).code).toBe('MAPPING_NUMBER_INVALID');
    expect(runError({ $number: { $path: 'v' } }, { v: -Infinity }).code).toBe('MAPPING_NUMBER_INVALID');
  });
});

describe('$integer', () => {
  it('keeps integers and parses integer strings', () => {
    expect(valueOf({ $integer: 12 })).toBe(12);
    expect(valueOf({ $integer: '-12' })).toBe(-12);
    expect(valueOf({ $integer: '3.0' })).toBe(3);
  });

  it('a fraction without "round" is MAPPING_NUMBER_INVALID', () => {
    const e = runError({ $integer: { $path: 'qty' } }, { qty: 2.5 });
    expect(e.code).toBe('MAPPING_NUMBER_INVALID');
    expect(e.inputPath).toBe('qty');
  });

  it.each<[unknown, string, number]>([
    [2.5, 'half-up', 3],
    [2.5, 'half-even', 2],
    [3.5, 'half-even', 4],
    [-2.5, 'half-up', -3],
    [-2.5, 'floor', -3],
    [-2.5, 'ceil', -2],
    [2.7, 'trunc', 2],
    ['2.5', 'half-down', 2],
  ])('%j rounded %s → %d', (v, round, n) => {
    expect(valueOf({ $integer: { $path: 'v' }, round }, { v })).toBe(n);
  });

  it('beyond the safe integer range is MAPPING_NUMBER_INVALID', () => {
    expect(runError({ $integer: { $path: 'v' } }, { v: 1e300 }).code).toBe('MAPPING_NUMBER_INVALID');
    expect(runError({ $integer: { $path: 'v' } }, { v: 2 ** 53 }).code).toBe('MAPPING_NUMBER_INVALID');
    expect(valueOf({ $integer: { $path: 'v' } }, { v: 2 ** 53 - 1 })).toBe(2 ** 53 - 1);
  });

  it('a wrong type is MAPPING_TYPE', () => {
    expect(runError({ $integer: { $path: 'v' } }, { v: [] }).code).toBe('MAPPING_TYPE');
  });

  it('an unknown rounding mode is a schema error', () => {
    expect(() => compile({ output: { $integer: 1, round: 'nearest' } })).toThrow(LocatedErrors);
  });
});

describe('$boolean', () => {
  it.each<[unknown, boolean]>([
    [true, true],
    [false, false],
    [1, true],
    [0, false],
    ['true', true],
    ['YES', true],
    [' on ', true],
    ['y', true],
    ['1', true],
    ['False', false],
    ['no', false],
    ['OFF', false],
    ['n', false],
    ['0', false],
  ])('%j → %s', (v, b) => {
    expect(valueOf({ $boolean: { $path: 'v' } }, { v })).toBe(b);
  });

  it.each([['maybe'], [2], [-1], [''], [[]], [{}]])('%j is MAPPING_TYPE', (v) => {
    const e = runError({ $boolean: { $path: 'flags.active' } }, { flags: { active: v } });
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.inputPath).toBe('flags.active');
  });
});
