import { playMonth } from '../../demo/run-demo';
import { formatReport } from '../../reconcile/report-format';
import { runReconcile } from '../../reconcile/run-reconcile';
import { loadRuntime } from '../../runtime';
import type { CliIO } from '../io';

/**
 * `subhub demo`: plays the scripted month on its own hub and simulators (free loopback ports, a
 * fresh data folder, a business clock), prints each step's effects and the summary, then runs
 * the nightly reconciliation on the result (dry run), which must find no drift. Exit 0 when it
 * finds none, 1 otherwise.
 */
export async function demoCommand(options: { dataDir?: string }, io: CliIO): Promise<number> {
  const started = Date.now();
  const result = await playMonth((l) => io.out(l), { dataDir: options.dataDir });
  try {
    const { world } = result;
    const runtime = loadRuntime({ path: world.configPath, localPath: false, env: world.env });
    const report = await runReconcile({ runtime, store: world.hub.store, env: world.env, now: world.clock.now(), dryRun: true });
    io.out('');
    io.out('Nightly reconciliation of the demo state (dry run):');
    io.out(formatReport(report));
    io.out('');
    io.out(`demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s; the hub's SQLite file stays in ${world.dataDir}`);
    return report.drift.total === 0 ? 0 : 1;
  } finally {
    await result.world.close();
  }
}
