import { loadConfig } from '../../config/load-config';
import { isHubError } from '../../errors/hub-error';
import { LocatedError, LocatedErrors } from '../../errors/located-error';
import { reconcileLockFile, runReconcile } from '../../composition/run-reconcile';
import { RECONCILE_LOCKED } from '../../store/sqlite/reconcile-lock';
import { formatProgress, formatReport } from '../../reconcile/report-format';
import { loadRuntime, type Runtime } from '../../runtime';
import { withSimulatorCredentials } from '../../simulators/start-simulators';
import { createStore, type OpenedStore } from '../../store/create-store';
import type { CliIO } from '../io';

export interface ReconcileCommandOptions {
  config: string;
  dryRun?: boolean;
  json?: boolean;
  examples?: string;
}

/** Exit codes of `subhub reconcile` (also in its --help). */
export const RECONCILE_EXIT = { ok: 0, driftLeft: 1, usage: 2, locked: 3, failed: 4 } as const;

/** Progress lines at most this often on stderr (a short run prints none). */
const PROGRESS_EVERY_MS = 2000;

/**
 * `subhub reconcile [--dry-run] [--json]`: compares the billing provider, the hub, the
 * warehouse and the ERP and repairs drift by emitting corrective events into the inbox (a
 * running hub picks them up on its next poll; a stopped one when it starts). Works while the hub
 * runs (a second connection to its SQLite file); two reconciliations never overlap.
 * Exit: 0 no drift or all of it repaired; 1 drift left (a dry run, or kinds only an operator
 * can settle); 2 bad usage; 3 another reconciliation holds the lock; 4 config, pull or store failure.
 * Credentials resolve as for `subhub start --with-simulators` (withSimulatorCredentials).
 */
export async function reconcileCommand(o: ReconcileCommandOptions, io: CliIO): Promise<number> {
  const examples = o.examples === undefined ? 10 : Number(o.examples);
  if (!Number.isInteger(examples) || examples < 0 || examples > 1000) {
    io.err('subhub reconcile: --examples is an integer from 0 to 1000');
    return RECONCILE_EXIT.usage;
  }
  let runtime: Runtime;
  try {
    // Next to `npm start` (the config points at local simulators) unset simulator credentials
    // resolve to the simulators' values, exactly as the hub's do; real endpoints get nothing.
    const credentials = withSimulatorCredentials(loadConfig({ path: o.config, env: io.env }).config, io.env);
    runtime = loadRuntime({ path: o.config, env: credentials.env });
    if (credentials.defaulted.length > 0)
      io.err(`using the simulators' credentials for ${credentials.defaulted.join(', ')} (unset; the config points at local simulators)`);
  } catch (e) {
    if (e instanceof LocatedErrors) for (const x of e.errors) io.err(x.toLine());
    else if (e instanceof LocatedError) io.err(e.toLine());
    else io.err(`subhub reconcile: ${e instanceof Error ? e.message : String(e)}`);
    return RECONCILE_EXIT.failed;
  }
  let opened: OpenedStore;
  try {
    opened = await createStore(runtime.config, io.env);
  } catch (e) {
    if (!isHubError(e)) throw e;
    io.err(`subhub reconcile: ${e.code}: ${e.message}`);
    return RECONCILE_EXIT.failed;
  }
  const store = opened.store;
  let lastProgress = Date.now();
  try {
    const report = await runReconcile({
      runtime,
      store,
      locks: opened.sharedLocks,
      dryRun: o.dryRun === true,
      examplesPerKind: examples,
      progressEvery: 1,
      onProgress: (p) => {
        const now = Date.now();
        if (!p.done && now - lastProgress < PROGRESS_EVERY_MS) return;
        if (p.done && p.elapsedMs < PROGRESS_EVERY_MS) return;
        lastProgress = now;
        io.err(formatProgress(p));
      },
    });
    if (o.json) io.out(JSON.stringify(report, null, 2));
    else io.out(formatReport(report));
    return report.drift.unrepaired > 0 ? RECONCILE_EXIT.driftLeft : RECONCILE_EXIT.ok;
  } catch (e) {
    if (isHubError(e) && e.code === RECONCILE_LOCKED) {
      io.err(`subhub reconcile: ${e.message} (lock ${reconcileLockFile(runtime.config)}); ${e.hint ?? ''}`.trim());
      return RECONCILE_EXIT.locked;
    }
    if (isHubError(e)) {
      io.err(`subhub reconcile: ${e.message} [${e.code}]${e.hint ? `; hint: ${e.hint}` : ''}`);
      return RECONCILE_EXIT.failed;
    }
    throw e;
  } finally {
    await opened.close();
  }
}
