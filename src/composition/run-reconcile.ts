import { join, resolve } from 'node:path';
import type { HubConfig } from '../config/config.types';
import type { Runtime } from '../runtime';
import type { Store } from '../store/ports';
import { reconcile, type ReconcileDeps, type ReconcileReport } from '../reconcile/engine';
import { acquireReconcileLock, RECONCILE_LOCKED } from '../store/sqlite/reconcile-lock';
import { HubError } from '../errors/hub-error';
import type { Locks } from '../store/locks';

export interface RunReconcileOptions extends Pick<ReconcileDeps, 'dryRun' | 'onProgress' | 'progressEvery' | 'examplesPerKind'> {
  runtime: Runtime;
  /** The hub's store (the running hub's, or a second connection to its SQLite file: WAL allows both). */
  store: Pick<Store, 'append' | 'domain'>;
  now?: number;
  /** The backend's locks (one run across every hub sharing the store); without them, the data folder's lock file. */
  locks?: Locks;
}

/** The lock file of a data folder's reconciliation (beside subhub.db). */
export function reconcileLockFile(config: Readonly<HubConfig>): string {
  return join(resolve(config.storage?.dataDir ?? './data'), 'reconcile.lock');
}

/**
 * One reconciliation under the data folder's reconcile lock (a HubError RECONCILE_LOCKED when
 * another one runs): what the CLI, the hub's schedule and the benchmark call.
 */
export async function runReconcile(o: RunReconcileOptions): Promise<ReconcileReport> {
  const now = o.now ?? Date.now();
  if (o.locks) {
    const run = await o.locks.tryRun('reconcile', () => reconcileOnce(o, now));
    if (!run.ran) throw new HubError(RECONCILE_LOCKED, 'config', 'another reconciliation is running on this store');
    return run.value;
  }
  const release = acquireReconcileLock(reconcileLockFile(o.runtime.config), now);
  try {
    return await reconcileOnce(o, now);
  } finally {
    release();
  }
}

function reconcileOnce(o: RunReconcileOptions, now: number): Promise<ReconcileReport> {
  return reconcile({
    config: o.runtime.config,
    mappings: o.runtime.mappings,
    connectors: o.runtime.connectors,
    domain: o.store.domain,
    inbox: o.store,
    now,
    dryRun: o.dryRun,
    onProgress: o.onProgress,
    progressEvery: o.progressEvery,
    examplesPerKind: o.examplesPerKind,
  });
}
