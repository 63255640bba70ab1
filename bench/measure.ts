/** Tiny timing helpers for benchmarks: ops/s over a fixed wall-clock budget, median of rounds. */

export interface Measurement {
  opsPerSec: number;
  rounds: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Calls `fn` 64 times; awaits only async functions (awaiting a plain value costs a microtask). */
async function batch(fn: () => unknown, isAsync: boolean): Promise<void> {
  if (isAsync) for (let i = 0; i < 64; i++) await fn();
  else for (let i = 0; i < 64; i++) fn();
}

/** Runs `fn` repeatedly for `budgetMs` per round (after a warm-up), `rounds` times; median ops/s. */
export async function measure(fn: () => unknown, options: { budgetMs: number; rounds: number; async?: boolean }): Promise<Measurement> {
  const isAsync = options.async === true;
  const warmUntil = Date.now() + Math.min(500, options.budgetMs / 2);
  while (Date.now() < warmUntil) await batch(fn, isAsync);
  const rounds: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(options.budgetMs) * 1_000_000n;
    let now = start;
    while (now < deadline) {
      await batch(fn, isAsync);
      n += 64;
      now = process.hrtime.bigint();
    }
    rounds.push(n / (Number(now - start) / 1e9));
  }
  return { opsPerSec: median(rounds), rounds };
}

export const round = (x: number, digits = 1) => Number(x.toFixed(digits));
