import { DEFAULT_RETRY, nextRetry, parseRetryAfter, type RetrySchedule } from './retry-policy';

const schedule: RetrySchedule = { initialDelayMs: 1000, multiplier: 2, maxDelayMs: 60_000, jitter: 0, maxAttempts: 6, maxAgeMs: 3_600_000 };
const T0 = 1_800_000_000_000;

describe('nextRetry (R4, on a fake clock)', () => {
  it('grows exponentially from the initial delay and stops at the cap', () => {
    const delays = [1, 2, 3, 4, 5].map((attempt) => nextRetry({ ...schedule, maxDelayMs: 5000 }, attempt, T0, T0));
    expect(delays).toEqual([1000, 2000, 4000, 5000, 5000].map((delayMs) => ({ retry: true, delayMs })));
  });

  it('spreads delays by ±jitter, deterministically for a given random source', () => {
    const s = { ...schedule, jitter: 0.2 };
    expect(nextRetry(s, 1, T0, T0, undefined, () => 0)).toEqual({ retry: true, delayMs: 800 });
    expect(nextRetry(s, 1, T0, T0, undefined, () => 1)).toEqual({ retry: true, delayMs: 1200 });
    expect(nextRetry(s, 1, T0, T0, undefined, () => 0.5)).toEqual({ retry: true, delayMs: 1000 });
  });

  it('gives up when the attempts are used up', () => {
    expect(nextRetry(schedule, 5, T0, T0)).toMatchObject({ retry: true });
    expect(nextRetry(schedule, 6, T0, T0)).toEqual({ retry: false, reason: 'attempts' });
  });

  it('gives up when the next attempt would come after the first attempt + maxAgeMs', () => {
    const s = { ...schedule, maxAgeMs: 10_000 };
    expect(nextRetry(s, 3, T0, T0 + 5_000)).toEqual({ retry: true, delayMs: 4000 });
    expect(nextRetry(s, 3, T0, T0 + 7_000)).toEqual({ retry: false, reason: 'age' });
  });

  it('honours a 429 Retry-After, clamped to [initialDelayMs, maxDelayMs]', () => {
    expect(nextRetry(schedule, 1, T0, T0, 30_000)).toEqual({ retry: true, delayMs: 30_000 });
    expect(nextRetry(schedule, 1, T0, T0, 0)).toEqual({ retry: true, delayMs: 1000 });
    expect(nextRetry(schedule, 1, T0, T0, 86_400_000)).toEqual({ retry: true, delayMs: 60_000 });
  });

  it('has sensible defaults: 15 attempts over at most 3 days', () => {
    expect(DEFAULT_RETRY).toMatchObject({ maxAttempts: 15, maxAgeMs: 259_200_000, jitter: 0.2 });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates; ignores anything else', () => {
    expect(parseRetryAfter('120', T0)).toBe(120_000);
    expect(parseRetryAfter(new Date(T0 + 5000).toUTCString(), T0)).toBe(5000);
    expect(parseRetryAfter(new Date(T0 - 5000).toUTCString(), T0)).toBe(0);
    expect(parseRetryAfter('soon', T0)).toBeUndefined();
    expect(parseRetryAfter(undefined, T0)).toBeUndefined();
    expect(parseRetryAfter(' ', T0)).toBeUndefined();
  });
});
