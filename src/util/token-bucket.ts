/**
 * A token bucket: `ratePerSec` tokens refill continuously up to `burst`. `take(now)` returns 0
 * when a token was taken, else the milliseconds until one will be available (nothing taken).
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#last = now;
  }

  take(now: number): number {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSec);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) / this.ratePerSec) * 1000);
  }

  get available(): number {
    return this.#tokens;
  }
}
