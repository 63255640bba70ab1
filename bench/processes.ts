import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * Starts a node script as a child process and resolves with its URL once it says "listening on".
 * With SUBHUB_BENCH_CPU_PROF=<dir>, a hub (bin/subhub.js) writes a V8 CPU profile of each of its
 * threads there when it exits (summarise with `node dist/bench/profile-summary.js <dir>`).
 */
export async function startServer(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const profileDir = process.env.SUBHUB_BENCH_CPU_PROF;
  const hub = args.some((a) => a.endsWith('subhub.js'));
  const flags = profileDir && hub && !args.includes('--cpu-prof') ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...flags, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${stderr}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    },
  };
}
