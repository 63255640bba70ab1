import { once } from 'node:events';
import { createServer } from 'node:net';

/** A free TCP port on loopback (the hub restarts on the same port after each kill). */
export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}
