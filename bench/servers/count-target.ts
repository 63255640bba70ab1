import { createServer } from 'node:http';

/**
 * A minimal delivery target for the e2e benchmark: answers 200 to every request and counts the
 * distinct idempotency keys it saw; GET /count returns {requests, effects}.
 */
const keys = new Set<string>();
let requests = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ requests, effects: keys.size }));
    return;
  }
  requests++;
  const key = req.headers['idempotency-key'];
  if (typeof key === 'string') keys.add(key);
  req.resume();
  req.on('end', () => {
    res.statusCode = 200;
    res.end('{}');
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stderr.write(`listening on http://127.0.0.1:${(server.address() as { port: number }).port}\n`);
});
