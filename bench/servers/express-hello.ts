import express from 'express';

/** Baseline for the ingest benchmark: a bare Express 5 hello-world route, same process model as the hub. */
const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.post('/hello', (_req, res) => {
  res.status(202).json({ status: 'accepted' });
});
const server = app.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stderr.write(`listening on http://127.0.0.1:${(server.address() as { port: number }).port}\n`);
});
