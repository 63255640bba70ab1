import type { RetryPolicy } from '../config/config.types';

/** The retry schedule as data (config `retry`), with every field filled. */
export type RetrySchedule = Required<RetryPolicy>;

export const DEFAULT_RETRY: RetrySchedule = {
  initialDelayMs: 1000,
  multiplier: 2,
  maxDelayMs: 3_600_000,
  jitter: 0.2,
  maxAttempts: 15,
  maxAgeMs: 259_200_000,
};

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: 'attempts' | 'age' };

/**
 * When to try again after failed attempt number `attempt` (1-based): exponential backoff
 * (initial × multiplier^(attempt-1), capped), randomised by ±jitter; a target's Retry-After
 * replaces the computed delay but is clamped to [initialDelayMs, maxDelayMs]. Gives up when
 * the attempts are used up or the next attempt would come after the first attempt + maxAgeMs.
 * `random` is injectable so schedules are testable.
 */
export function nextRetry(
  schedule: RetrySchedule,
  attempt: number,
  firstAttemptAt: number,
  now: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): RetryDecision {
  if (attempt >= schedule.maxAttempts) return { retry: false, reason: 'attempts' };
  const base = Math.min(schedule.maxDelayMs, schedule.initialDelayMs * schedule.multiplier ** (attempt - 1));
  let delayMs: number;
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) {
    delayMs = Math.min(schedule.maxDelayMs, Math.max(schedule.initialDelayMs, retryAfterMs));
  } else {
    const spread = base * schedule.jitter;
    delayMs = Math.max(0, Math.round(base - spread + 2 * spread * random()));
  }
  if (now + delayMs - firstAttemptAt > schedule.maxAgeMs) return { retry: false, reason: 'age' };
  return { retry: true, delayMs };
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
