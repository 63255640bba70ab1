import type { Logger } from '../observability/logger';
import type { Runtime } from '../runtime';
import type { Store } from '../store/ports';
import { plannedLocations } from './locations';
import { planReorders } from './reorder-planner';

export interface ReorderScheduler {
  poke(): void;
  /** Plans every SKU with a rule now (the nightly job, tests). */
  runNow(): Promise<void>;
  /** Resolves when no run is pending or in flight. */
  idle(): Promise<void>;
}

/**
 * Runs the reorder planner a little after demand changed (`stock.checkMs`), for the SKUs whose
 * demand changed (at every location of `stock.locationsFile`), one run at a time. Stock levels come from the `stock.warehouse` connector's
 * `stockLevels` pull; the nightly `runNow` also reads the `stock.erp` connector's `draftPurchaseOrders`
 * to close proposals the buyer confirmed.
 * A failed run (the warehouse is down) keeps its SKUs for the next one.
 */
export function reorderScheduler(
  runtime: Runtime,
  store: Store,
  logger: Logger,
  takeDirty: () => string[],
  clock: () => number = Date.now,
): ReorderScheduler {
  const stock = runtime.config.stock ?? {};
  const warehouse = stock.warehouse ? runtime.connectors.get(stock.warehouse) : undefined;
  const erp = stock.erp ? runtime.connectors.get(stock.erp) : undefined;
  const locations = plannedLocations(stock);
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let failed = false;
  const enabled = warehouse?.pulls.stockLevels !== undefined && Object.keys(stock.rules ?? {}).length > 0;

  /** `withDrafts`: also close proposals confirmed in the ERP (a pull of its drafts: the nightly run only, not every demand change). */
  const run = async (withDrafts = false): Promise<void> => {
    timer = undefined;
    if (running || pending.size === 0) return;
    const skus = [...pending];
    pending.clear();
    running = planReorders(
      {
        domain: store.domain,
        stock,
        locations,
        stockLevels: () => warehouse!.pulls.stockLevels!(),
        draftOrigins:
          withDrafts && erp?.pulls.draftPurchaseOrders
            ? async function* () {
                for await (const o of erp.pulls.draftPurchaseOrders!()) {
                  const origin = (o as { origin?: unknown }).origin;
                  if (typeof origin === 'string') yield origin;
                }
              }
            : undefined,
      },
      skus,
      clock(),
    ).then(
      (made) => {
        for (const p of made)
          logger.info('reorder proposed', { sku: p.sku, quantity: p.quantity, reason: p.reason, subscriptions: p.trail.length });
      },
      (e: unknown) => {
        for (const s of skus) pending.add(s);
        failed = true;
        logger.warn('reorder planning failed: retried on the next demand change or the nightly job', {
          error: e instanceof Error ? e.message : String(e),
        });
      },
    );
    await running;
    running = undefined;
    // SKUs that changed while this run went are planned next; after a failure, only on the next poke.
    if (pending.size > 0 && !failed) schedule();
    failed = false;
  };
  const schedule = () => {
    timer ??= setTimeout(() => void run(), stock.checkMs ?? 1000);
    timer.unref();
  };
  return {
    poke() {
      const dirty = takeDirty();
      if (!enabled) return;
      for (const s of dirty) if (stock.rules?.[s]) pending.add(s);
      if (pending.size > 0) schedule();
    },
    async idle() {
      while (running || timer) {
        if (timer) {
          clearTimeout(timer);
          await run();
        } else await running;
      }
    },
    async runNow() {
      await running;
      for (const s of Object.keys(stock.rules ?? {})) pending.add(s);
      if (enabled) await run(true);
    },
  };
}
