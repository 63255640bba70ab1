/**
 * PostgreSQL restarted under load (issue 11): three real hub processes on one private cluster,
 * senders pushing webhooks through them, and the test takes the server away twice while they run,
 * once with a fast shutdown (`halt()`) and once with SIGKILL (`kill()`, then crash recovery on
 * `restart()`). While it is down no hub may acknowledge anything (it could not have stored it):
 * every webhook sent and answered inside the outage gets 503 with Retry-After. Afterwards the hubs
 * recover by themselves (same processes, never restarted): every acknowledged event stored once,
 * normalised and delivered once, in order per subscription, and /readyz answers 200 again.
 */
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { eventually, type startTarget } from '../helpers/target-server';
import { postgresBacklog, postgresVerdict } from './crash-oracle';
import { usePostgres } from './crash-loop';
import { HubFleet, type SendAttempt } from './hub-fleet';
import type { HubProcess } from './hub-process';
import { orderedTarget, outageAnswers, outageConfig, sendAll } from './outage-setup';

jest.setTimeout(180_000);

const SECRET = 'whsec_pg_restart';
const EVENTS = 400;
const SENDERS = 8;
const LEASE_MS = 2000;

/** An outage as the test caused it: the server was down strictly after `downAt` and strictly before `upAt` (epoch ms). */
interface Outage {
  how: 'halt' | 'kill';
  downAt: number;
  upAt: number;
}

describe('PostgreSQL stopped and killed under three hubs', () => {
  let pg: PostgresServer | undefined;
  let fleet: HubFleet | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  afterEach(async () => {
    // A hub that died by itself is a finding: show what it wrote last.
    for (const hub of fleet?.hubs ?? []) if (hub.running && !hub.alive) console.error(`hub ${hub.url} died:\n${hub.output}`);
    await fleet?.kill();
    await target?.close();
    await pg?.stop();
  });

  it('answers 503 with Retry-After while it is down, never 2xx; loses nothing acknowledged; the same hubs recover', async () => {
    const started = Date.now();
    const setup = await orderedTarget();
    const { order } = setup;
    target = setup.target;
    const configPath = outageConfig(target.url, LEASE_MS);
    usePostgres(configPath);
    pg = await startPostgres();
    const server = pg;
    fleet = await HubFleet.start(3, configPath, { STRIPE_WEBHOOK_SECRET: SECRET, DATABASE_URL: pg.url });
    const hubs = fleet;
    const pids = hubs.hubs.map((h) => h.pid);

    const attempts: SendAttempt[] = [];
    const acked = new Set<string>();
    const senders = sendAll(hubs, { events: EVENTS, senders: SENDERS, prefix: 'pgrestart', secret: SECRET }, attempts, acked);

    // Each outage lasts until every hub says it is not ready (store unavailable) and the hubs have
    // answered 30 webhooks sent after it began: long enough to judge them. The crash also outlasts
    // the pipeline's leases and the listener's longest reconnect backoff (5 s): after it, every
    // claim made before it has run out and each hub's LISTEN connection has given up a few times.
    const outages: Outage[] = [];
    const unready = new Map<Outage['how'], unknown[]>();
    const takeDown = async (how: Outage['how'], ackedBefore: number, lastsMs: number) => {
      await eventually(() => acked.size >= ackedBefore, 60_000);
      await (how === 'halt' ? server.halt() : server.kill());
      const downAt = Date.now();
      const readiness = await Promise.all(hubs.hubs.map((h) => notReady(h)));
      unready.set(how, readiness);
      await eventually(
        () => Date.now() - downAt >= lastsMs && attempts.filter((a) => a.sentAt > downAt && a.status !== 0).length >= 30,
        30_000,
      );
      const upAt = Date.now();
      outages.push({ how, downAt, upAt });
      await server.restart();
    };
    await takeDown('halt', EVENTS / 4, 0);
    await takeDown('kill', EVENTS / 2, 6000);
    await senders;

    // Everything acknowledged is normalised and delivered by the same processes, which are ready again.
    await eventually(async () => (await postgresBacklog(server.url)) === 0 && target!.effects.length >= EVENTS, 60_000);
    for (const hub of hubs.hubs)
      await eventually(async () => (await fetch(`${hub.url}/readyz`, { signal: AbortSignal.timeout(5000) })).status === 200, 30_000);
    expect(hubs.hubs.map((h) => h.pid)).toEqual(pids);
    expect(hubs.hubs.map((h) => [h.alive, h.starts, h.kills])).toEqual(hubs.hubs.map(() => [true, 1, 0]));

    const during = outages.map((o) => ({ ...o, ...outageAnswers(attempts, o.downAt, o.upAt) }));
    await hubs.stop();
    const verdict = await postgresVerdict(server.url, acked, 1);
    const report = {
      test: 'pg-restart',
      hubs: 3,
      sent: EVENTS,
      acknowledged: acked.size,
      ...verdict,
      effects: target.effects.length,
      duplicateEffects: target.effects.length - new Set(target.effects).size,
      outOfOrder: order.outOfOrder(),
      outages: during.map((o) => ({
        how: o.how,
        ...o.report,
      })),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    console.log(JSON.stringify(report));

    for (const readiness of unready.values())
      expect(readiness).toEqual(
        hubs.hubs.map(() => ({
          status: 503,
          body: expect.objectContaining({ checks: expect.objectContaining({ store: 'unavailable' }) }),
        })),
      );
    for (const o of during) {
      expect(o.during.length).toBeGreaterThanOrEqual(20);
      // No acknowledgement while the database is down: each answer is a 503 telling the sender when to come back.
      expect(o.during.filter((a) => a.status !== 503 || a.retryAfter === undefined)).toEqual([]);
    }
    expect(acked.size).toBe(EVENTS);
    expect(verdict).toEqual({ storedOnce: EVENTS, missing: 0, duplicatesStored: 0, integrity: 'ok' });
    expect(report.effects).toBe(EVENTS);
    expect(report.duplicateEffects).toBe(0);
    expect(report.outOfOrder).toBe(0);
  });
});

/**
 * Polls the hub's /readyz until it answers something other than 200 and returns that answer. A
 * hub that died meanwhile fails the test with what it wrote last.
 */
async function notReady(hub: HubProcess): Promise<{ status: number; body: unknown }> {
  let last: { status: number; body: unknown } | undefined;
  await eventually(async () => {
    if (!hub.alive) throw new Error(`hub ${hub.url} died while PostgreSQL was down:\n${hub.output}`);
    let res: Response;
    try {
      res = await fetch(`${hub.url}/readyz`, { signal: AbortSignal.timeout(5000) });
    } catch {
      return false; // asked again; a hub that died is reported above on the next round
    }
    last = { status: res.status, body: await res.json() };
    return res.status !== 200;
  }, 30_000);
  return last!;
}
