/**
 * Group commit (src/store/group-commit.ts): concurrent submissions share one `commit` call, so
 * fsync-per-commit storage keeps its throughput. Counted here on the commit function itself.
 */
import { GroupCommit } from '../../src/store/group-commit';

/** A commit function that records each batch and answers `item * 10` per item. */
function recorder(fail?: (batch: number[]) => boolean) {
  const batches: number[][] = [];
  const commit = jest.fn((items: number[]) => {
    batches.push([...items]);
    if (fail?.(items)) throw new Error(`commit failed for batch of ${items.length}`);
    return items.map((i) => i * 10);
  });
  return { batches, commit };
}

describe('GroupCommit', () => {
  it('commits 1,000 concurrent submissions in far fewer transactions, each caller getting its own result', async () => {
    const { batches, commit } = recorder();
    const gc = new GroupCommit(commit);
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const results = await Promise.all(items.map((i) => gc.submit(i)));
    expect(results).toEqual(items.map((i) => i * 10));
    expect(commit.mock.calls.length).toBeLessThanOrEqual(2);
    expect(batches.map((b) => b.length)).toEqual([500, 500]);
    expect(batches.flat()).toEqual(items);
  });

  it('with a large enough cap, 1,000 submissions in one tick are one commit', async () => {
    const { batches, commit } = recorder();
    const gc = new GroupCommit(commit, 5000);
    await Promise.all(Array.from({ length: 1000 }, (_, i) => gc.submit(i)));
    expect(commit).toHaveBeenCalledTimes(1);
    expect(batches[0]).toHaveLength(1000);
  });

  it('coalesces submissions within one tick (microtasks included) and starts a new batch after it', async () => {
    const { batches, commit } = recorder();
    const gc = new GroupCommit(commit);
    const first = [gc.submit(1), gc.submit(2)];
    await Promise.resolve();
    await Promise.resolve();
    first.push(gc.submit(3));
    // Nothing is committed synchronously below the cap.
    expect(commit).not.toHaveBeenCalled();
    expect(await Promise.all(first)).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);

    expect(await Promise.all([gc.submit(4), gc.submit(5)])).toEqual([40, 50]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('a failing commit rejects every promise of that batch, and the next batch commits normally', async () => {
    const { batches, commit } = recorder((items) => items.includes(13));
    const gc = new GroupCommit(commit);
    const settled = await Promise.allSettled([11, 12, 13, 14].map((i) => gc.submit(i)));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    for (const s of settled) expect((s as PromiseRejectedResult).reason).toEqual(new Error('commit failed for batch of 4'));
    // One shared error object: the same failure for every caller.
    expect(new Set(settled.map((s) => (s as PromiseRejectedResult).reason)).size).toBe(1);

    expect(await Promise.all([gc.submit(21), gc.submit(22)])).toEqual([210, 220]);
    expect(batches).toEqual([
      [11, 12, 13, 14],
      [21, 22],
    ]);
  });

  it('a failing batch does not take down a neighbouring batch split by the cap', async () => {
    const { batches, commit } = recorder((items) => items.includes(2));
    const gc = new GroupCommit(commit, 3);
    const settled = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => gc.submit(i)));
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : 'rejected'))).toEqual(['rejected', 'rejected', 'rejected', 40, 50]);
  });

  it('honours the batch size cap', async () => {
    const { batches, commit } = recorder();
    const gc = new GroupCommit(commit, 3);
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(await Promise.all(items.map((i) => gc.submit(i)))).toEqual(items.map((i) => i * 10));
    expect(batches.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(3);
    expect(batches.flat()).toEqual(items);
  });

  it('a cap of 1 commits each submission on its own', async () => {
    const { batches, commit } = recorder();
    const gc = new GroupCommit(commit, 1);
    expect(await Promise.all([gc.submit(1), gc.submit(2), gc.submit(3)])).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1], [2], [3]]);
  });
});
