import { closest } from './suggest';

describe('closest', () => {
  const operators = ['$path', '$upper', '$lower', '$lookup', '$literal', '$map', '$merge'];

  it('suggests the candidate with the fewest edits', () => {
    expect(closest('$uper', operators)).toBe('$upper');
    expect(closest('$lowr', operators)).toBe('$lower');
    expect(closest('$lokup', operators)).toBe('$lookup');
    expect(closest('$maps', operators)).toBe('$map');
    expect(closest('outpt', ['output', 'filter', 'let'])).toBe('output');
  });

  it('ignores case', () => {
    expect(closest('$PATH', operators)).toBe('$path');
    expect(closest('Output', ['output'])).toBe('output');
  });

  it('an exact match wins', () => {
    expect(closest('$map', operators)).toBe('$map');
  });

  it('takes the first of equally close candidates', () => {
    expect(closest('ab', ['ax', 'xb'])).toBe('ax');
  });

  it('suggests nothing when no candidate is a likely typo', () => {
    expect(closest('$frobnicate', operators)).toBeUndefined();
    expect(closest('zzzzzz', ['output', 'filter'])).toBeUndefined();
    expect(closest('x', [])).toBeUndefined();
  });

  it('allows two edits for short words and a third of the length for long ones', () => {
    expect(closest('abcd', ['abxy'])).toBe('abxy');
    expect(closest('abcd', ['axyz'])).toBeUndefined();
    expect(closest('abcdefghijkl', ['abcdefghixyz'])).toBe('abcdefghixyz');
    expect(closest('abcdefghijkl', ['abcdefghwxyz'])).toBe('abcdefghwxyz');
    expect(closest('abcdefghijkl', ['abcdefgvwxyz'])).toBeUndefined();
  });

  it('ignores candidates whose length differs by more than ten', () => {
    expect(closest('a', ['a'.repeat(12)])).toBeUndefined();
  });
});
