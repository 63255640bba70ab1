import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 `.cpuprofile` read here. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  /** Wall time the profile covers, ms. */
  wallMs: number;
  /** Sampled time not idle, ms. */
  busyMs: number;
  /** Self time per group (package, source folder, GC, native), ms, largest first. */
  groups: Array<[string, number]>;
  /** Self time per function (name and place), ms, largest first. */
  functions: Array<[string, number]>;
}

/**
 * Where a frame's time is counted: V8's own pseudo-frames by name, node's internals, a package
 * under node_modules, or the folder of our compiled source (dist/src/pipeline, …).
 */
export function groupOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/dist\/((?:src|connectors|bench)\/[^/]+)/.exec(url);
  return ours ? ours[1]! : url.replace(/^file:\/\//, '');
}

/** Self time per group and per function of one profile (each sample counts its time delta). */
export function summarise(file: string, profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let idle = 0;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id);
    if (!frame) return;
    total += us;
    if (frame.functionName === '(idle)') {
      idle += us;
      return;
    }
    const group = groupOf(frame.url, frame.functionName);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const place = frame.url ? `${frame.url.replace(/^.*\/(dist|node_modules)\//, '')}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'} ${place}`.trim();
    functions.set(key, (functions.get(key) ?? 0) + us);
  });
  const ms = (m: Map<string, number>) => [...m].map(([k, v]): [string, number] => [k, v / 1000]).sort((a, b) => b[1] - a[1]);
  return {
    file,
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: (total - idle) / 1000,
    groups: ms(groups),
    functions: ms(functions),
  };
}

/**
 * `node dist/bench/profile-summary.js <dir> [top]`: for each `.cpuprofile` in dir (one per hub
 * thread, written under SUBHUB_BENCH_CPU_PROF), the busy share of its wall time and the `top`
 * (default 15) groups and functions by self time.
 */
function main(args: string[]): void {
  const dir = args[0];
  if (!dir) throw new Error('usage: profile-summary <dir> [top]');
  const top = Number(args[1] ?? 15);
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.cpuprofile'))
    .sort()) {
    const s = summarise(f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile);
    const pct = (v: number) => `${((100 * v) / s.busyMs).toFixed(1)}%`;
    console.log(`\n${f}: busy ${s.busyMs.toFixed(0)} ms of ${s.wallMs.toFixed(0)} ms wall`);
    console.log('  by group:');
    for (const [g, v] of s.groups.slice(0, top)) console.log(`    ${pct(v).padStart(6)}  ${v.toFixed(0).padStart(7)} ms  ${g}`);
    console.log('  by function:');
    for (const [g, v] of s.functions.slice(0, top)) console.log(`    ${pct(v).padStart(6)}  ${v.toFixed(0).padStart(7)} ms  ${g}`);
  }
}

if (require.main === module) main(process.argv.slice(2));
