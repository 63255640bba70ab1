import { spawnSync } from 'node:child_process';

/** Lint findings about prom-client's default Node.js metrics (e.g. gauges named `*_total`): not ours to rename. */
const DEFAULT_METRIC_FINDING = /^subhub_(nodejs|process)_\S+ /;

/**
 * Checks a Prometheus text exposition with Prometheus's own parser and linter (`promtool check
 * metrics`, from Debian's `prometheus` package, which .ci/run installs). `parsed` is false when
 * promtool cannot parse it (exit 1: an invalid exposition); `findings` are its lint findings about
 * the hub's own families (exit 3), without those about prom-client's default metrics. A missing
 * promtool throws with the install hint instead of passing.
 */
export function promtoolCheck(text: string): { parsed: boolean; findings: string[] } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new Error(`promtool is needed to check /metrics (apt-get install prometheus): ${r.error.message}`);
  const lines = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
  if (r.status !== 0 && r.status !== 3) return { parsed: false, findings: lines };
  return { parsed: true, findings: lines.filter((l) => !DEFAULT_METRIC_FINDING.test(l)) };
}
