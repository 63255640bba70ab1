import { NormaliseProgress, stallReason } from './normalise-progress';
import { watchNormalisation, type OverrunEntry } from './normalise-watchdog';

describe('NormaliseProgress (shared memory between the pipeline thread and the main thread)', () => {
  it('a view over the same buffer sees the entry being normalised, and nothing once it ended', () => {
    const writer = new NormaliseProgress(undefined, 1_000);
    const reader = new NormaliseProgress(writer.buffer);
    expect(reader.current()).toBeUndefined();
    expect(reader.lastProgressAt).toBe(1_000);
    writer.begin('01JEXAMPLEINBOXID0000000001', 2_000);
    expect(reader.current()).toEqual({ inboxId: '01JEXAMPLEINBOXID0000000001', startedAt: 2_000 });
    writer.begin('short', 2_500);
    expect(reader.current()).toEqual({ inboxId: 'short', startedAt: 2_500 });
    writer.end(3_000);
    expect(reader.current()).toBeUndefined();
    expect(reader.lastProgressAt).toBe(3_000);
  });
});

describe('stallReason (/readyz)', () => {
  it('names the entry that has been normalising for stallAfterMs or more', () => {
    const p = new NormaliseProgress(undefined, 0);
    p.begin('in_1', 10_000);
    expect(stallReason(p, 1, 10_999, 1_000)).toBeUndefined();
    expect(stallReason(p, 1, 11_000, 1_000)).toMatch(
      /^pipeline stalled: inbox entry in_1 has been normalising for 1000 ms .*subhub inbox dead-letter in_1/,
    );
  });

  it('reports waiting work without progress, and never an idle pipeline', () => {
    const p = new NormaliseProgress(undefined, 5_000);
    expect(stallReason(p, 0, 60_000, 1_000)).toBeUndefined();
    expect(stallReason(p, 3, 5_500, 1_000)).toBeUndefined();
    expect(stallReason(p, 3, 6_000, 1_000)).toBe(
      'pipeline stalled: 3 inbox entries wait and the normaliser made no progress for 1000 ms (threshold pipeline.stallAfterMs 1000 ms)',
    );
    p.beat(6_000);
    expect(stallReason(p, 3, 6_500, 1_000)).toBeUndefined();
  });
});

describe('watchNormalisation', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports an entry once when it runs past the budget, and a later overrun of another entry again', () => {
    let now = 0;
    const p = new NormaliseProgress(undefined, now);
    const overruns: OverrunEntry[] = [];
    const watch = watchNormalisation(
      () => p,
      400,
      (e) => overruns.push(e),
      () => now,
    );
    p.begin('fast', now);
    now = 300;
    jest.advanceTimersByTime(300);
    p.end(now);
    p.begin('slow', now);
    now = 600;
    jest.advanceTimersByTime(300);
    expect(overruns).toEqual([]);
    now = 700;
    jest.advanceTimersByTime(100);
    expect(overruns).toEqual([{ inboxId: 'slow', startedAt: 300, ranMs: 400 }]);
    now = 2_000;
    jest.advanceTimersByTime(1_200);
    expect(overruns).toHaveLength(1);
    p.begin('slow-too', now);
    now = 2_500;
    jest.advanceTimersByTime(500);
    expect(overruns.map((e) => e.inboxId)).toEqual(['slow', 'slow-too']);
    watch.stop();
  });
});
