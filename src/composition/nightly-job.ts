import type { Logger } from '../observability/logger';
import { runReconcile } from './run-reconcile';
import { scheduleReconcile, type ScheduledReconcile } from '../reconcile/schedule';
import { isHubError } from '../errors/hub-error';
import type { Runtime } from '../runtime';
import type { ReorderScheduler } from './reorder-scheduler';
import type { Store } from '../store/ports';
import { DomainService, type DomainSettings } from '../domain/domain-service';
import type { DomainStore, PruneCounts } from '../domain/ports';
import { writeUnit } from '../domain/unit-write';
import { applyRetention } from '../domain/retention';
import type { Locks } from '../store/locks';

export interface NightlyDeps {
  runtime: Runtime;
  store: Store;
  settings: DomainSettings;
  logger: Logger;
  planner: ReorderScheduler;
  clock: () => number;
  /** The store's locks: with several hubs on one store, the job runs on one of them. */
  locks?: Locks;
}

/**
 * The nightly job, in this order: the dunning review (stages move on with time alone), raw-body
 * retention, a reorder check of every SKU with a rule, the reconciliation, then the domain's
 * retention (`retention`). Returns a summary for the log.
 */
export async function runNightly(
  d: NightlyDeps,
): Promise<{ dunningChanged: number; drift: number; repaired: number; rawBodiesPruned: number; pruned: PruneCounts }> {
  const now = d.clock();
  const review = await reviewDunning(d.store.domain, d.settings, now);
  // Before the reconciliation, which may be skipped (another run holds its lock).
  const rawBodiesPruned = await pruneRawBodies(d.store, d.runtime.config.storage?.rawBodyRetentionDays, Date.now());
  await d.planner.runNow();
  const report = await runReconcile({ runtime: d.runtime, store: d.store, now, locks: d.locks });
  const pruned = await applyRetention(d.store.domain, d.runtime.config.retention, now);
  return { dunningChanged: review, drift: report.drift.total, repaired: report.drift.repaired, rawBodiesPruned, pruned };
}

/**
 * The dunning review, one customer at a time: each customer's open cycles are decided again on
 * the unit as committed, and the changes commit only if no event of that customer committed
 * meanwhile (else it is reviewed again on fresh state). Returns how many cycles changed.
 */
export async function reviewDunning(store: DomainStore, settings: DomainSettings, now: number): Promise<number> {
  const service = new DomainService(settings);
  const customers = [...new Set((await store.openDunning()).map((x) => x.customerId))];
  let changed = 0;
  for (const customerId of customers) {
    const c = await writeUnit(store, customerId, (view) => service.reviewDunning(view.dunningOfCustomer(customerId), view, now), now);
    changed += c?.dunning.length ?? 0;
  }
  return changed;
}

/**
 * Retention of raw webhook bodies (`storage.rawBodyRetentionDays`, 0 keeps them): blanks the
 * bodies of processed inbox entries received more than that many days before `now` (wall time:
 * retention is about the data on disk, not business time). Returns how many were blanked.
 */
export function pruneRawBodies(store: Store, days: number | undefined, now: number): Promise<number> {
  if (!days || days <= 0) return Promise.resolve(0);
  return store.privacy.pruneRawBodies(now - days * 86_400_000, now);
}

/** Runs `runNightly` on `reconcile.schedule` (node-cron) unless `reconcile.enabled` is false. */
export function scheduleNightly(d: NightlyDeps): ScheduledReconcile | undefined {
  return scheduleReconcile(
    d.runtime.config,
    async () => {
      if (!d.locks) return d.logger.info('nightly job finished', await runNightly(d));
      // One run per store: the hub that takes the lock runs it; the others skip this night's run.
      const run = await d.locks.tryRun('nightly', () => runNightly(d));
      if (run.ran) d.logger.info('nightly job finished', run.value);
      else d.logger.info('nightly job skipped: another hub on this store runs it');
    },
    (e) => {
      if (isHubError(e) && e.code === 'RECONCILE_LOCKED') d.logger.info('nightly reconciliation skipped', { reason: e.message });
      else
        d.logger.error('nightly job failed', {
          error: e instanceof Error ? e.message : String(e),
          code: isHubError(e) ? e.code : undefined,
        });
    },
    (level, message) => d.logger[level](message),
  );
}
