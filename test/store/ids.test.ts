import { ulid } from '../../src/util/ids';

const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Decodes the 10-character time prefix back to epoch milliseconds. */
function timeOf(id: string): number {
  return [...id.slice(0, 10)].reduce((t, c) => t * 32 + ALPHABET.indexOf(c), 0);
}

describe('ulid', () => {
  it('is 26 characters of Crockford base32 (no I, L, O, U)', () => {
    for (const now of [0, 1, Date.now(), 1_700_000_000_000, 2 ** 48 - 1]) {
      const id = ulid(now);
      expect(id).toMatch(CROCKFORD);
    }
    expect(ulid()).toMatch(CROCKFORD);
  });

  it('encodes the time in the first 10 characters', () => {
    expect(ulid(0).slice(0, 10)).toBe('0000000000');
    expect(ulid(2 ** 48 - 1).slice(0, 10)).toBe('7ZZZZZZZZZ');
    for (const now of [1, 31, 32, 1_700_000_000_000, 1_234_567_890_123]) expect(timeOf(ulid(now))).toBe(now);
    const before = Date.now();
    const id = ulid();
    expect(timeOf(id)).toBeGreaterThanOrEqual(before);
    expect(timeOf(id)).toBeLessThanOrEqual(Date.now());
  });

  it('is strictly increasing for 10,000 calls within the same millisecond', () => {
    const now = 1_700_000_000_123;
    const ids = Array.from({ length: 10_000 }, () => ulid(now));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(10_000);
    expect(new Set(ids.map((id) => id.slice(0, 10))).size).toBe(1);
  });

  it('sorts by time: ids of later milliseconds sort after earlier ones', () => {
    const times = Array.from({ length: 1000 }, (_, i) => 1_600_000_000_000 + ((i * 7919) % 1000) * 86_400_013);
    const ids = times.map((t) => ({ t, id: ulid(t) }));
    const byId = [...ids].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((x) => x.t);
    const byTime = [...times].sort((a, b) => a - b);
    expect(byId).toEqual(byTime);
    // Adjacent milliseconds too, whatever the random part.
    for (let i = 0; i < 100; i++) expect(ulid(1_700_000_000_000 + i) < ulid(1_700_000_000_001 + i)).toBe(true);
  });

  it('gives different ids in different milliseconds and for a fresh millisecond', () => {
    const a = ulid(1_700_000_000_000);
    const b = ulid(1_700_000_000_001);
    const c = ulid(1_700_000_000_000);
    expect(new Set([a, b, c]).size).toBe(3);
  });
});
