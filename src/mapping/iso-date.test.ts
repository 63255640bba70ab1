import fc from 'fast-check';
import { isoFromMillis } from './iso-date';

describe('isoFromMillis', () => {
  it('equals Date.prototype.toISOString across the whole Date range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(isoFromMillis(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    0, -1, 951_782_400_000, 1_709_164_800_000, -62_167_219_200_000, 253_402_300_799_999, 253_402_300_800_000, -62_167_219_200_001, 1.5,
    -0.5,
  ])('matches toISOString at edge %p (epoch, leap days, year 0 and 9999 bounds, fractions)', (ms) => {
    expect(isoFromMillis(ms)).toBe(new Date(ms).toISOString());
  });
});
