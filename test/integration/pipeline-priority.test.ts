// Ingest priority at the CPU: the real CLI hub lowers its pipeline thread's priority (and only
// that thread's) to pipeline.niceness, read from Linux's /proc for every thread of the process.
import { readdirSync, readFileSync } from 'node:fs';
import { killCliHub, spawnCliHub, writeCliHubConfig, type CliHub } from '../helpers/cli-hub';
import { startTarget } from '../helpers/target-server';

/** The nice value of every thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('pipeline.niceness', () => {
  let cli: CliHub | undefined;
  afterEach(async () => killCliHub(cli));

  test.each([
    [7, 1],
    [0, 0],
  ])('niceness %i: %i thread(s) of the hub run below normal priority, the webhook threads at normal', async (niceness, lowered) => {
    const target = await startTarget();
    try {
      const { configPath } = writeCliHubConfig(target.url, { pipeline: { pollMs: 10, leaseMs: 30_000, niceness } });
      cli = await spawnCliHub(configPath);
      const values = threadNiceness(cli.child.pid!);
      expect(values.filter((v) => v === niceness && v !== 0)).toHaveLength(lowered);
      expect(values.filter((v) => v !== niceness && v !== 0)).toEqual([]);
      expect(values.filter((v) => v === 0).length).toBeGreaterThan(2);
    } finally {
      await target.close();
    }
  });
});
