import type { ReceivedRequest } from '../helpers/target-server';

/** The outbound mapping the crash tests route with: the subscription and the event's sequence number (from its id). */
export const CRASH_PAYLOAD = {
  output: {
    sub: { $path: 'subscription.providerSubscriptionId', required: true },
    seq: { $integer: { $extract: { $path: 'source.eventId' }, pattern: '_(\\d+)$' } },
  },
};

/**
 * Per-subscription order of first effects at a target: `record` each request the target answers
 * 2xx, before the target counts it (`known`: its idempotency key already had an effect); only
 * requests of `route` are followed. `outOfOrder` counts the effects that came after a later one
 * of the same subscription.
 */
export function effectOrder(route: string) {
  const seqs = new Map<string, number[]>();
  return {
    record(req: ReceivedRequest, known: boolean): void {
      const body = req.body as { sub?: string; seq?: number };
      const key = String(req.headers['idempotency-key']);
      if (known || body.sub === undefined || body.seq === undefined || !key.endsWith(`/${route}`)) return;
      const list = seqs.get(body.sub) ?? [];
      list.push(body.seq);
      seqs.set(body.sub, list);
    },
    outOfOrder(): number {
      let n = 0;
      for (const list of seqs.values()) for (let i = 1; i < list.length; i++) if (list[i]! < list[i - 1]!) n++;
      return n;
    },
  };
}
