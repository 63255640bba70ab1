import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP target that holds every answer until the test calls `release()` (then answers
 * 200, as do all later requests). `waitFor(n)` resolves once n requests have arrived, so a
 * test knows a delivery is in flight without sleeping. `answered` counts responses sent.
 */
export async function startHeldTarget() {
  const requests: Array<{ path: string; headers: IncomingMessage['headers']; body: string }> = [];
  const held: ServerResponse[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  let releasedAll = false;
  let answered = 0;
  const answer = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}', () => answered++);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (releasedAll) answer(res);
      else held.push(res);
      for (const w of waiters.filter((x) => requests.length >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    get answered() {
      return answered;
    },
    waitFor: (n: number) => (requests.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
    /** Answers the held requests (200) and every later one at once. */
    release() {
      releasedAll = true;
      for (const res of held.splice(0)) answer(res);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held.splice(0)) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
