import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of processes on this machine, from /proc (Linux), for "where the time goes" in the
 * benchmarks: what a hub process and what the database server spent per event. Elsewhere (no
 * /proc) every figure is undefined and the benchmarks print none.
 */
let ticksPerSecond: number | undefined;

function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** utime, stime, cutime, cstime (fields 14–17 of /proc/<pid>/stat), in ms; undefined when gone. */
function stat(pid: number): { comm: string; self: number; children: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm is in parentheses and may contain spaces: the fields after it start at the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text
    .slice(close + 2)
    .split(' ')
    .map(Number);
  const ms = 1000 / clockTicks();
  // f[0] is field 3 (state): utime is field 14, i.e. f[11].
  return { comm, self: (f[11]! + f[12]!) * ms, children: (f[13]! + f[14]!) * ms };
}

/** CPU ms one process has used so far (its own threads: a hub's pipeline thread included). */
export function processCpuMs(pid: number | undefined): number | undefined {
  return pid === undefined ? undefined : stat(pid)?.self;
}

/** The parent process id of `pid` (/proc/<pid>/stat field 4); undefined when gone. */
export function parentOf(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * CPU ms one PostgreSQL server has used so far: its postmaster, every process it started, and
 * what its exited children used (a backend that ended meanwhile). `postmaster` is the parent of
 * any of its backends (`parentOf(SELECT pg_backend_pid())`, read while that session is open);
 * undefined when the server does not run here.
 */
export function postgresCpuMs(postmaster: number): number | undefined {
  const main = stat(postmaster);
  if (main?.comm !== 'postgres') return undefined;
  let total = main.self + main.children;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (parentOf(Number(pid)) !== postmaster) continue;
    total += stat(Number(pid))?.self ?? 0;
  }
  return total;
}
