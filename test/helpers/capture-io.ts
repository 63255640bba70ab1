import type { CliIO } from '../../src/cli/io';

/** A CliIO that records what a command prints; `stdin` is what it reads. */
export function captureIO(stdin = ''): CliIO & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => out.push(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => err.push(t.endsWith('\n') ? t : `${t}\n`),
    readStdin: async () => stdin,
    cwd: process.cwd(),
    env: {},
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}
