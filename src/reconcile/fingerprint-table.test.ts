import { FingerprintTable, hash53 } from './fingerprint-table';

describe('hash53', () => {
  it('is a deterministic non-zero safe integer that tells near-identical ids apart', () => {
    const seen = new Set<number>();
    let bad = 0;
    for (let i = 0; i < 200_000; i++) {
      const h = hash53(`sub_${String(i).padStart(8, '0')}`);
      if (!Number.isSafeInteger(h) || h <= 0) bad++;
      seen.add(h);
    }
    expect(bad).toBe(0);
    expect(seen.size).toBe(200_000);
    expect(hash53('sub_1')).toBe(hash53('sub_1'));
    expect(hash53('')).not.toBe(0);
    expect(hash53('ab')).not.toBe(hash53('ba'));
  });
});

describe('FingerprintTable', () => {
  it('sets, gets, marks and counts unmarked entries, growing as needed', () => {
    const t = new FingerprintTable(4);
    let added = 0;
    for (let i = 0; i < 10_000; i++) if (t.set(hash53(`k${i}`), i % 2)) added++;
    expect(added).toBe(10_000);
    expect(t.set(hash53('k1'), 7)).toBe(false);
    expect(t.size).toBe(10_000);
    expect(t.get(hash53('k1'))).toBe(7);
    expect(t.get(hash53('k2'))).toBe(0);
    expect(t.get(hash53('absent'))).toBeUndefined();
    expect(t.has(hash53('k9999'))).toBe(true);
    expect(t.mark(hash53('absent'))).toBe(false);
    for (let i = 0; i < 10_000; i += 2) t.mark(hash53(`k${i}`));
    expect(t.isMarked(hash53('k0'))).toBe(true);
    expect(t.isMarked(hash53('k1'))).toBe(false);
    expect(t.countUnmarked()).toBe(5_000);
    expect(t.countUnmarked((v) => v === 7)).toBe(1);
  });
});
