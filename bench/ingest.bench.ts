import { join } from 'node:path';
import autocannon from 'autocannon';
import { benchHubConfig, BENCH_SECRET } from './hub-config';
import { startServer } from './processes';
import { signedEventFactory } from './signed-events';
import { round } from './measure';

const ROOT = join(__dirname, '..', '..');

/** Runs autocannon against one URL; every request gets a fresh body and headers from `next`. */
export async function load(url: string, seconds: number, next: () => { body: string; headers: Record<string, string> }) {
  return autocannon({
    url,
    method: 'POST',
    connections: 50,
    duration: seconds,
    requests: [
      {
        setupRequest: (req) => {
          const r = next();
          return { ...req, body: r.body, headers: r.headers };
        },
      },
    ],
  });
}

/**
 * `npm run bench -- ingest`: in the same run, autocannon (50 connections) against a bare Express
 * hello-world POST route, then against POST /webhooks/stripe of the real hub (signature check,
 * durable commit with synchronous=FULL, 202). Each server is its own process.
 */
export async function ingestBench(o: { seconds: number }): Promise<Record<string, unknown>> {
  const express = await startServer([join(ROOT, 'dist', 'bench', 'servers', 'express-hello.js'), '0']);
  const body = JSON.stringify({ hello: 'world' });
  const hello = await load(`${express.url}/hello`, o.seconds, () => ({ body, headers: { 'content-type': 'application/json' } }));
  await express.stop();
  console.log(`express hello: ${Math.round(hello.requests.average)} req/s, p99 ${hello.latency.p99} ms, non-2xx ${hello.non2xx}`);

  const hub = await startServer([join(ROOT, 'bin', 'subhub.js'), 'start', '--config', benchHubConfig(ROOT)], {
    STRIPE_WEBHOOK_SECRET: BENCH_SECRET,
    PORT: '0',
    SUBHUB_LOG_LEVEL: 'error',
  });
  const webhook = await load(`${hub.url}/webhooks/stripe`, o.seconds, signedEventFactory(ROOT));
  await hub.stop();
  console.log(
    `webhook (verify + durable commit): ${Math.round(webhook.requests.average)} req/s, p99 ${webhook.latency.p99} ms, non-2xx ${webhook.non2xx}, errors ${webhook.errors}`,
  );
  if (webhook.non2xx > 0 || webhook.errors > 0) throw new Error('the hub answered non-2xx or failed during the benchmark');
  return {
    bench: 'ingest',
    express_hello_rps: Math.round(hello.requests.average),
    webhook_rps: Math.round(webhook.requests.average),
    webhook_p99_ms: webhook.latency.p99,
    ratio: round(webhook.requests.average / hello.requests.average, 3),
  };
}
