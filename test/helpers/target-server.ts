import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface TargetReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * A local HTTP target that records every request and answers as `reply` says (per request
 * number, 1-based). `waitFor(n)` resolves when n requests have arrived: tests synchronise on
 * events, not on sleeps. It dedupes on Idempotency-Key like a well-behaved target: `effects`
 * lists each key once, in order of first arrival with a 2xx answer.
 */
export async function startTarget(reply: (req: ReceivedRequest, n: number) => TargetReply = () => ({ status: 200 })) {
  const requests: ReceivedRequest[] = [];
  const effects: string[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const app = express();
  app.use(express.json({ limit: '10mb' }));
  app.all('/{*path}', (req, res) => {
    const r: ReceivedRequest = { method: req.method, path: req.path, headers: req.headers, body: req.body };
    requests.push(r);
    const answer = reply(r, requests.length);
    const key = String(req.headers['idempotency-key'] ?? '');
    if (answer.status >= 200 && answer.status < 300 && key && !effects.includes(key)) effects.push(key);
    res
      .status(answer.status)
      .set(answer.headers ?? {})
      .json(answer.body ?? {});
    for (const w of waiters.filter((x) => requests.length >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    effects,
    waitFor: (n: number) => (requests.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Polls `check` every 10 ms until it holds (or fails after `timeoutMs`): waiting on a condition, not a guess. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
