import fc from 'fast-check';
import { escapePointerSegment, joinPointer, pointerToSegments } from './pointer';

describe('JSON pointers (RFC 6901)', () => {
  it('escapes ~ as ~0 and / as ~1', () => {
    expect(escapePointerSegment('a/b~c')).toBe('a~1b~0c');
    expect(escapePointerSegment('~1')).toBe('~01');
    expect(escapePointerSegment(3)).toBe('3');
    expect(escapePointerSegment('')).toBe('');
  });

  it('joins segments onto a base', () => {
    expect(joinPointer('', 'output', 'lines', 0, 'sku')).toBe('/output/lines/0/sku');
    expect(joinPointer('/output', '$path')).toBe('/output/$path');
    expect(joinPointer('/a')).toBe('/a');
    expect(joinPointer('', '')).toBe('/');
  });

  it('splits a pointer into unescaped segments', () => {
    expect(pointerToSegments('')).toEqual([]);
    expect(pointerToSegments('/')).toEqual(['']);
    expect(pointerToSegments('/a~1b/~0c/0')).toEqual(['a/b', '~c', '0']);
    expect(pointerToSegments('/~01')).toEqual(['~1']);
  });

  it('round-trips any segments', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('~', '/', '~0', '~1', '/~', '__proto__'))), (segments) => {
        expect(pointerToSegments(joinPointer('', ...segments))).toEqual(segments);
      }),
      { numRuns: 500 },
    );
  });
});
