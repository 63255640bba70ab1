import { randomBytes } from 'node:crypto';
import { playMonth } from '../../demo/run-demo';
import { formatReport } from '../../reconcile/report-format';
import { runReconcile } from '../../composition/run-reconcile';
import { loadRuntime } from '../../runtime';
import type { CliIO } from '../io';

/**
 * `subhub demo`: plays the scripted month on its own hub and simulators (free loopback ports, a
 * fresh data folder, a business clock), prints each step's effects and the summary, then runs
 * the nightly reconciliation on the result (dry run), which must find no drift. Exit 0 when it
 * finds none, 1 otherwise. With `keep`, the hub and simulators stay up until SIGINT/SIGTERM (for
 * `subhub reconcile --config <its hub.json>` from another terminal) and the admin API switched on
 * with a fresh random token, printed with the console's address and a working example (a throwaway
 * demo hub on loopback).
 */
export async function demoCommand(options: { dataDir?: string; keep?: boolean }, io: CliIO): Promise<number> {
  const started = Date.now();
  const adminToken = options.keep ? randomBytes(24).toString('base64url') : undefined;
  const result = await playMonth((l) => io.out(l), { dataDir: options.dataDir, adminToken });
  try {
    const { world } = result;
    const runtime = loadRuntime({ path: world.configPath, localPath: false, env: world.env });
    const report = await runReconcile({ runtime, store: world.hub.store, now: world.clock.now(), dryRun: true });
    io.out('');
    io.out('Nightly reconciliation of the demo state (dry run):');
    io.out(formatReport(report));
    io.out('');
    io.out(`demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s; the hub's SQLite file stays in ${world.dataDir}`);
    const code = report.drift.total === 0 ? 0 : 1;
    if (options.keep) {
      io.out(`the hub and simulators keep running (Ctrl-C stops them)`);
      io.out(`the console: ${world.hub.url}/console/ (log in with your name and the admin token ${adminToken})`);
      io.out(`or try:`);
      io.out(`  npx subhub reconcile --config ${world.configPath}`);
      io.out(`  curl -H 'Authorization: Bearer ${adminToken}' ${world.hub.url}/admin/api/decisions`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
    return code;
  } finally {
    await result.world.close();
  }
}
