export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * Per-target circuit breaker: opens after `failureThreshold` consecutive failures, stays open
 * for `openMs`, then lets exactly one probe through (half-open); the probe's success closes it,
 * its failure opens it again. Time comes from the caller, so tests need no clock.
 */
export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probing = false;

  constructor(
    readonly failureThreshold: number,
    readonly openMs: number,
  ) {}

  get state(): CircuitState {
    return this.#state;
  }

  /** Whether an attempt may be made now; in half-open, only one at a time. */
  allow(now: number): boolean {
    if (this.#state === 'open' && now - this.#openedAt >= this.openMs) {
      this.#state = 'half_open';
      this.#probing = false;
    }
    if (this.#state === 'closed') return true;
    if (this.#state === 'half_open' && !this.#probing) {
      this.#probing = true;
      return true;
    }
    return false;
  }

  success(): void {
    this.#state = 'closed';
    this.#failures = 0;
    this.#probing = false;
  }

  failure(now: number): void {
    this.#failures++;
    if (this.#state === 'half_open' || this.#failures >= this.failureThreshold) {
      this.#state = 'open';
      this.#openedAt = now;
      this.#probing = false;
    }
  }
}
