import { readAhead } from './read-ahead';

async function* counting(n: number, log: string[], failAt?: number): AsyncGenerator<number> {
  try {
    for (let i = 0; i < n; i++) {
      if (i === failAt) throw new Error(`page ${i} failed`);
      await new Promise((r) => setImmediate(r));
      log.push(`read ${i}`);
      yield i;
    }
  } finally {
    log.push('closed');
  }
}

describe('readAhead', () => {
  it('yields every item once, in order, in batches, reading ahead while the caller works', async () => {
    const log: string[] = [];
    const batches: number[][] = [];
    for await (const b of readAhead(counting(23, log), 5, 10)) {
      batches.push(b);
      log.push(`batch ${b[0]}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(batches.flat()).toEqual([...Array(23).keys()]);
    expect(batches.map((b) => b.length)).toEqual([5, 5, 5, 5, 3]);
    // While the caller held the first batch, the source kept reading (up to the bound).
    const firstBatch = log.indexOf('batch 0');
    expect(log.indexOf('read 9')).toBeGreaterThan(firstBatch);
    expect(log.indexOf('read 9')).toBeLessThan(log.indexOf('batch 5'));
    expect(log.at(-1)).toBe('batch 20');
    expect(log).toContain('closed');
  });

  it("throws the source's error, and closes the source when the caller stops early", async () => {
    const batches: number[][] = [];
    await expect(
      (async () => {
        for await (const b of readAhead(counting(50, [], 12), 5)) batches.push(b);
      })(),
    ).rejects.toThrow('page 12 failed');
    expect(batches.flat().length).toBeLessThanOrEqual(12);
    const log: string[] = [];
    for await (const b of readAhead(counting(1000, log), 5, 10)) if (b[0] === 10) break;
    expect(log.at(-1)).toBe('closed');
    expect(log.filter((l) => l.startsWith('read')).length).toBeLessThan(40);
  });
});
