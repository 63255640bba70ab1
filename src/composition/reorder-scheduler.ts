import type { Logger } from '../observability/logger';
import type { Runtime } from '../runtime';
import type { Store } from '../store/ports';
import { plannedLocations } from '../domain/locations';
import { fromDraftOrigins, type PurchaseOrderState } from '../stock/purchase-orders';
import { planReorders } from '../stock/reorder-planner';
import type { ConnectorRuntime } from '../connectors/registry';

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
 * `stockLevels` pull; the nightly `runNow` also reads the `stock.erp` connector's `purchaseOrders`
 * (else its `draftPurchaseOrders`) to follow proposals the buyer confirmed, cancelled or deleted.
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
        purchaseOrders: withDrafts ? purchaseOrdersOf(erp, store) : undefined,
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

/** The ERP's view of our purchase orders: its `purchaseOrders` pull (states and receipts), else its draft origins. */
function purchaseOrdersOf(erp: ConnectorRuntime | undefined, store: Store): (() => AsyncIterable<PurchaseOrderState>) | undefined {
  const pulls = erp?.pulls;
  if (pulls?.purchaseOrders)
    return async function* () {
      for await (const raw of pulls.purchaseOrders!()) {
        const o = raw as { origin?: unknown; state?: unknown; date_planned?: unknown; receipt_status?: unknown };
        if (typeof o.origin !== 'string' || typeof o.state !== 'string') continue;
        yield {
          origin: o.origin,
          state: o.state,
          ...(typeof o.date_planned === 'string' ? { datePlanned: o.date_planned } : {}),
          ...(typeof o.receipt_status === 'string' ? { receiptStatus: o.receipt_status } : {}),
        };
      }
    };
  if (pulls?.draftPurchaseOrders) return () => fromDraftOrigins(pulls.draftPurchaseOrders!(), () => store.domain.openProposals());
  return undefined;
}
