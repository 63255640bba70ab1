import type { Logger } from '../observability/logger';
import type { DomainStore } from '../domain/ports';
import { DomainService, type DomainSettings } from '../domain/domain-service';
import { writeUnit } from '../domain/unit-write';
import type { Locks } from '../store/locks';

export interface RetryScheduler {
  /** Requests every retry due now (business time); resolves with how many were requested. One check at a time. */
  check(): Promise<number>;
  stop(): void;
}

/**
 * The hub's own payment retries (docs/dunning.md §4.8): every `everyMs` (and whenever the pipeline
 * waits for background work) the open dunning cycles are read and each customer with a retry due
 * is written through the domain's unit write (`DomainService.retriesDue`): the record notes the
 * request and a `payment.retry_requested` event goes to the outbox in the same transaction, so a
 * retry survives a restart (the record says it is due), is requested once (the record and the
 * event's dedupe key), and a cycle that recovered meanwhile has nothing left to retry. With several
 * hubs on one store, one of them checks at a time (`locks`).
 */
export function retryScheduler(d: {
  domain: DomainStore;
  settings: DomainSettings;
  logger: Logger;
  clock: () => number;
  everyMs: number;
  locks?: Locks;
}): RetryScheduler {
  const service = new DomainService(d.settings);
  let running: Promise<number> | undefined;
  let stopped = false;
  const once = async (): Promise<number> => {
    const now = d.clock();
    const due = (await d.domain.openDunning()).filter((r) => r.retry && !r.retry.requestedAt && Date.parse(r.retry.at) <= now);
    let requested = 0;
    for (const customerId of new Set(due.map((r) => r.customerId))) {
      const changes = await writeUnit(
        d.domain,
        customerId,
        (view) => service.retriesDue(view.dunningOfCustomer(customerId), view, now),
        now,
      );
      requested += changes?.decisions.length ?? 0;
    }
    if (requested > 0) d.logger.info('payment retries requested', { requested });
    return requested;
  };
  const check = (): Promise<number> => {
    if (stopped || !d.settings.policy) return Promise.resolve(0);
    running ??= (async () => {
      try {
        if (!d.locks) return await once();
        const run = await d.locks.tryRun('payment-retries', once);
        return run.ran ? run.value : 0;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(
    () =>
      void check().catch((e: unknown) =>
        d.logger.warn('payment retry check failed: tried again at the next check', { error: e instanceof Error ? e.message : String(e) }),
      ),
    d.everyMs,
  );
  timer.unref();
  return {
    check,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
