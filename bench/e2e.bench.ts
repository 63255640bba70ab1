import { join } from 'node:path';
import { benchHubConfig, BENCH_SECRET } from './hub-config';
import { load } from './ingest.bench';
import { round } from './measure';
import { startServer } from './processes';
import { signedEventFactory } from './signed-events';

const ROOT = join(__dirname, '..', '..');
const ROUTES = 3;

/**
 * `npm run bench -- e2e`: signed webhooks into the real hub for N seconds (autocannon), each
 * event routed to 3 routes at a local target process. ingest_rps is the accepted webhooks per
 * second of that load; delivered_per_s is events delivered on all 3 routes per second, from the
 * start of the load until the last delivery arrived.
 */
export async function e2eBench(o: { seconds: number }): Promise<Record<string, unknown>> {
  const target = await startServer([join(ROOT, 'dist', 'bench', 'servers', 'count-target.js'), '0']);
  const hub = await startServer(
    [join(ROOT, 'bin', 'subhub.js'), 'start', '--config', benchHubConfig(ROOT, { url: target.url, routes: ROUTES })],
    {
      STRIPE_WEBHOOK_SECRET: BENCH_SECRET,
      PORT: '0',
      SUBHUB_LOG_LEVEL: 'error',
    },
  );
  try {
    const started = Date.now();
    const result = await load(`${hub.url}/webhooks/stripe`, o.seconds, signedEventFactory(ROOT));
    const ingestSeconds = (Date.now() - started) / 1000;
    const accepted = result['2xx'];
    const expected = accepted * ROUTES;
    let effects = 0;
    const deadline = Date.now() + 300_000;
    while (effects < expected && Date.now() < deadline) {
      effects = ((await (await fetch(`${target.url}/count`)).json()) as { effects: number }).effects;
      if (effects < expected) await new Promise((r) => setTimeout(r, 100));
    }
    if (effects < expected) throw new Error(`only ${effects} of ${expected} deliveries arrived`);
    const allDelivered = (Date.now() - started) / 1000;
    const ingestRps = accepted / ingestSeconds;
    const deliveredPerS = accepted / allDelivered;
    console.log(
      `accepted ${accepted} events in ${ingestSeconds.toFixed(1)} s; all ${expected} deliveries done after ${allDelivered.toFixed(1)} s`,
    );
    return {
      bench: 'e2e',
      ingest_rps: Math.round(ingestRps),
      delivered_per_s: Math.round(deliveredPerS),
      ratio: round(deliveredPerS / ingestRps, 3),
    };
  } finally {
    await hub.stop();
    await target.stop();
  }
}
