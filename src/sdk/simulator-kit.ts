import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { TokenBucket } from '../util/token-bucket';

/** A simulator's request rate limit: `ratePerSec` refilling up to `burst` (default: one second's worth). */
export interface SimulatorRateLimit {
  ratePerSec: number;
  burst?: number;
}

/** What every simulator answers at `GET /_sim/identity`: a restarted hub recognises its simulators by it. */
export interface SimulatorIdentity {
  simulator: string;
  /** Random per simulator start: the same value means the same running simulator (and state). */
  instance: string;
  pid: number;
  startedAt: string;
}

export interface SimulatorLimiter {
  /** Answers the next `n` requests "too many requests" (tests of pulls that must survive them). */
  failNext(n: number): void;
  /** Requests answered "too many requests" so far. */
  readonly limited: number;
  /** Requests let through so far (`/_sim/*` not counted). */
  readonly served: number;
}

/**
 * The part every simulator shares, mounted first with one `app.use`: `GET /_sim/identity`, and
 * a request rate limit (none unless `rateLimit` is given) that answers like the provider does
 * through `tooMany(res, retryAfterSec)` (Stripe: 429 and its error object; Shopify: THROTTLED;
 * a REST API: 429 with Retry-After). `/_sim/*` controls are never limited.
 */
export function simulatorKit(
  kind: string,
  options: { rateLimit?: SimulatorRateLimit },
  tooMany: (res: Response, retryAfterSec: number) => void,
): { handler: RequestHandler; limiter: SimulatorLimiter; identity: SimulatorIdentity } {
  const identity: SimulatorIdentity = { simulator: kind, instance: randomUUID(), pid: process.pid, startedAt: new Date().toISOString() };
  const r = options.rateLimit;
  const bucket = r ? new TokenBucket(r.ratePerSec, r.burst ?? Math.max(1, Math.ceil(r.ratePerSec)), Date.now()) : undefined;
  const state = { failNext: 0, limited: 0, served: 0 };
  const handler = (req: Request, res: Response, next: NextFunction) => {
    if (req.path === '/_sim/identity' && req.method === 'GET') return void res.json(identity);
    if (req.path.startsWith('/_sim/')) return next();
    if (state.failNext > 0) {
      state.failNext--;
      state.limited++;
      return tooMany(res, 1);
    }
    const waitMs = bucket?.take(Date.now()) ?? 0;
    if (waitMs > 0) {
      state.limited++;
      return tooMany(res, Math.max(1, Math.ceil(waitMs / 1000)));
    }
    state.served++;
    next();
  };
  const limiter: SimulatorLimiter = {
    failNext: (n) => void (state.failNext += n),
    get limited() {
      return state.limited;
    },
    get served() {
      return state.served;
    },
  };
  return { handler, limiter, identity };
}

/** A REST API's "too many requests": 429, Retry-After in seconds, and a JSON error body. */
export function restTooMany(res: Response, retryAfterSec: number): void {
  res
    .status(429)
    .set('retry-after', String(retryAfterSec))
    .json({ error: { code: 'rate_limited', message: `too many requests; retry after ${retryAfterSec} s` } });
}

/**
 * The webhooks a simulator posts, sent as a provider sends them: a POST retried after each of
 * `delaysMs` on a non-2xx answer or a network error, counted on `record` (attempts, last status;
 * 0: no answer). `headers` is called per attempt (a signature dated when it is sent). `settled()`
 * waits until none is in flight, also the ones posted meanwhile.
 */
export class WebhookOutbox {
  readonly #inFlight = new Set<Promise<void>>();

  post(
    url: string,
    body: string,
    headers: () => Record<string, string>,
    delaysMs: readonly number[],
    record: { attempts: number; status: number },
  ): void {
    const run = async (): Promise<void> => {
      for (let i = 0; i <= delaysMs.length; i++) {
        record.attempts++;
        try {
          const r = await fetch(url, { method: 'POST', headers: headers(), body });
          record.status = r.status;
          await r.arrayBuffer();
          if (r.ok) return;
        } catch {
          record.status = 0;
        }
        if (i < delaysMs.length) await new Promise((resolve) => setTimeout(resolve, delaysMs[i]));
      }
    };
    const p: Promise<void> = run().finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }
}
