import { createHmac } from 'node:crypto';

/** One webhook as a provider holds it: the event id and its JSON body (signed afresh at each attempt). */
export interface ProviderEvent {
  id: string;
  body: string;
}

export interface SenderOptions {
  url: string;
  secret: string;
  /** Concurrent connections at most (Stripe keeps a bounded pool per endpoint). */
  connections: number;
  /** Per attempt: longer and the attempt counts as timed out and is retried. */
  timeoutMs: number;
  /** Backoff before retry k (1-based): initialBackoffMs × 2^(k-1), capped at maxBackoffMs, ±20 % jitter. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Attempts per event before the sender gives up (the run then fails its check). */
  maxAttempts: number;
}

export interface SenderReport {
  /** Latency of every 2xx attempt, ms, sorted. */
  ackMs: number[];
  attempts: number;
  /** Attempts answered with anything but 2xx. */
  refused: number;
  /** Attempts aborted at timeoutMs or failed on the network. */
  timedOut: number;
  /** Events never acknowledged within maxAttempts. */
  gaveUp: string[];
  /** From the first request until the last event was acknowledged (or given up). */
  seconds: number;
}

/**
 * Sends `events` like a billing provider delivering a backlog: `connections` workers take the
 * next event from the queue in the order given; an attempt that is not answered 2xx within
 * timeoutMs goes back to the queue after a backoff (the worker moves on meanwhile), as Stripe
 * retries failed deliveries. Each attempt carries a fresh `Stripe-Signature` (t=now).
 */
export async function sendLikeProvider(events: readonly ProviderEvent[], o: SenderOptions): Promise<SenderReport> {
  const queue: Array<{ e: ProviderEvent; attempt: number }> = events.map((e) => ({ e, attempt: 0 }));
  const report: SenderReport = { ackMs: [], attempts: 0, refused: 0, timedOut: 0, gaveUp: [], seconds: 0 };
  let waiting = 0;
  let head = 0;
  const started = Date.now();
  const sign = (body: string) => {
    const t = Math.floor(Date.now() / 1000);
    return `t=${t},v1=${createHmac('sha256', o.secret).update(`${t}.${body}`).digest('hex')}`;
  };
  const retryLater = (item: { e: ProviderEvent; attempt: number }) => {
    if (item.attempt >= o.maxAttempts) {
      report.gaveUp.push(item.e.id);
      return;
    }
    const base = Math.min(o.maxBackoffMs, o.initialBackoffMs * 2 ** (item.attempt - 1));
    waiting++;
    setTimeout(
      () => {
        waiting--;
        queue.push(item);
      },
      base * (0.8 + Math.random() * 0.4),
    );
  };
  const worker = async () => {
    for (;;) {
      const item = queue[head];
      if (!item) {
        if (waiting === 0) return;
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      queue[head++] = undefined as never;
      item.attempt++;
      report.attempts++;
      const t0 = performance.now();
      try {
        const res = await fetch(o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': sign(item.e.body) },
          body: item.e.body,
          signal: AbortSignal.timeout(o.timeoutMs),
        });
        await res.arrayBuffer();
        if (res.ok) report.ackMs.push(performance.now() - t0);
        else {
          report.refused++;
          retryLater(item);
        }
      } catch {
        report.timedOut++;
        retryLater(item);
      }
    }
  };
  await Promise.all(Array.from({ length: o.connections }, worker));
  report.seconds = (Date.now() - started) / 1000;
  report.ackMs.sort((a, b) => a - b);
  return report;
}

/** The q-quantile (0..1) of sorted values; 0 when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Loosens the order of each subscription's events as a provider's parallel deliveries do: every
 * event gets a position key of its index plus a random offset of up to `window` places, and the
 * list is sorted by it. Events of one subscription stay near each other but may swap.
 */
export function shuffleWithinWindow<T>(items: readonly T[], window: number, random: () => number = Math.random): T[] {
  return items
    .map((x, i) => ({ x, k: i + random() * window }))
    .sort((a, b) => a.k - b.k)
    .map((p) => p.x);
}
