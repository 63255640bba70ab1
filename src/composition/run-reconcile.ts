import { join, resolve } from 'node:path';
import type { HubConfig } from '../config/config.types';
import type { Runtime } from '../runtime';
import type { Store } from '../store/ports';
import { reconcile, type ReconcileDeps, type ReconcileReport } from '../reconcile/engine';
import { acquireReconcileLock } from '../store/sqlite/reconcile-lock';

export interface RunReconcileOptions extends Pick<ReconcileDeps, 'dryRun' | 'onProgress' | 'progressEvery' | 'examplesPerKind'> {
  runtime: Runtime;
  /** The hub's store (the running hub's, or a second connection to its SQLite file: WAL allows both). */
  store: Pick<Store, 'append' | 'domain'>;
  now?: number;
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
  const release = acquireReconcileLock(reconcileLockFile(o.runtime.config), now);
  try {
    return await reconcile({
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
  } finally {
    release();
  }
}
