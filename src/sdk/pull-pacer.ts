import { TokenBucket } from '../util/token-bucket';
import type { ErrorCode } from '../errors/codes';
import { DeliveryError } from './delivery-error';

/**
 * How a connector's pulls treat the provider (config `connectors.<id>.pull`): at most
 * `ratePerSec` page requests a second (the merchant's other apps share the account's limit),
 * and a page that is refused (429 with or without Retry-After, THROTTLED, 5xx, a timeout) is
 * asked again, with backoff, up to `maxRetries` times in a row before the pull fails.
 */
export interface PullPolicy {
  /** Page requests per second (default 25: Stripe's test-mode read limit). */
  ratePerSec?: number;
  /** Retries of one page before the pull gives up (default 10). */
  maxRetries?: number;
  /** Longest wait between two tries of a page, in ms, Retry-After included (default 60,000). */
  maxDelayMs?: number;
}

export const DEFAULT_PULL_POLICY: Required<PullPolicy> = { ratePerSec: 25, maxRetries: 10, maxDelayMs: 60_000 };

export interface PullPacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

/**
 * What a page is asked again after: the provider is there but busy (429, THROTTLED), failing
 * for now (5xx) or slow. A system that cannot be reached at all fails the pull at once (the
 * HTTP layer has already retried a reset connection): the run reports it rather than waiting.
 */
const RETRIED = new Set(['DELIVERY_RATE_LIMITED', 'DELIVERY_SERVER_ERROR', 'DELIVERY_TIMEOUT']);

const REAL_CLOCK: PullPacerClock = { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), random: Math.random };

/**
 * Paces one connector's page requests. `page(fetch)` waits for the rate limit, runs `fetch`
 * (one request for one page, at the cursor the caller holds), and on a refusal (RETRIED)
 * waits (Retry-After when given, else exponential backoff from 500 ms with ±20 % jitter) and
 * runs it again: the pull resumes at the page it was on, never starting over. Permanent errors,
 * and a page still failing after maxRetries, are thrown (the message counts the tries).
 */
export class PullPacer {
  readonly policy: Required<PullPolicy>;
  readonly #bucket: TokenBucket;
  readonly #clock: PullPacerClock;
  /** Retries made so far (all pages), for reports and tests. */
  retries = 0;

  constructor(policy: PullPolicy = {}, clock: PullPacerClock = REAL_CLOCK) {
    this.policy = { ...DEFAULT_PULL_POLICY, ...policy };
    this.#clock = clock;
    // A burst of one: requests are spread evenly, never bunched after a quiet spell.
    this.#bucket = new TokenBucket(this.policy.ratePerSec, 1, clock.now());
  }

  async page<T>(fetch: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      for (let wait = this.#bucket.take(this.#clock.now()); wait > 0; wait = this.#bucket.take(this.#clock.now()))
        await this.#clock.sleep(wait);
      try {
        return await fetch();
      } catch (e) {
        if (!(e instanceof DeliveryError) || !RETRIED.has(e.code)) throw e;
        if (attempt >= this.policy.maxRetries)
          throw new DeliveryError(e.code as ErrorCode, `${e.message} (still failing after ${attempt + 1} tries of one page)`, {
            status: e.status,
            cause: e,
          });
        this.retries++;
        await this.#clock.sleep(this.#delay(attempt, e.retryAfterMs));
      }
    }
  }

  #delay(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) return Math.min(this.policy.maxDelayMs, Math.max(0, retryAfterMs));
    const base = Math.min(this.policy.maxDelayMs, 500 * 2 ** attempt);
    return Math.round(base * (0.8 + 0.4 * this.#clock.random()));
  }
}
