import { timingSafeEqual } from 'node:crypto';
import { constantTimeEqual } from './constant-time';

describe('constantTimeEqual', () => {
  test('equal buffers → true, one differing bit → false', () => {
    const a = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const b = Buffer.from(a);
    expect(constantTimeEqual(a, b)).toBe(true);
    b[15] ^= 0x01;
    expect(constantTimeEqual(a, b)).toBe(false);
  });

  test('different lengths → false without throwing (timingSafeEqual itself throws RangeError)', () => {
    const a = Buffer.alloc(32, 7);
    const b = Buffer.alloc(31, 7);
    expect(() => timingSafeEqual(a, b)).toThrow(expect.objectContaining({ code: 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH' }));
    expect(constantTimeEqual(a, b)).toBe(false);
    expect(constantTimeEqual(b, a)).toBe(false);
    expect(constantTimeEqual(Buffer.alloc(0), a)).toBe(false);
  });

  test('two empty buffers are equal', () => {
    expect(constantTimeEqual(Buffer.alloc(0), Buffer.alloc(0))).toBe(true);
  });
});
