import { runCrashLoop } from './crash-loop';

// R1–R3 on PostgreSQL (issue 11): three real hub processes share one database (a private
// cluster), the senders spread webhooks over them, and random hubs are SIGKILLed and restarted.
// `npm test` runs small variants; `npm run test:reliability` (SUBHUB_RELIABILITY=full) the full
// sizes: 10,000 webhooks and 20+ kills for R1, 10,000 events × 3 routes for R2/R3.
const full = process.env.SUBHUB_RELIABILITY === 'full';
jest.setTimeout(full ? 1_800_000 : 180_000);

describe('crash loops against three hub processes on one PostgreSQL database (SIGKILL)', () => {
  it('R1: every acknowledged webhook is stored exactly once across kills of any hub; the drained database is consistent', async () => {
    const events = full ? 10_000 : 600;
    const kills = full ? 24 : 6;
    const r = await runCrashLoop({
      backend: 'postgres',
      hubs: 3,
      events,
      subscriptions: events / 10,
      kills,
      senders: full ? 32 : 8,
      routes: 0,
      serverErrorRate: 0,
      killAfterAckRate: 0,
    });
    console.log(JSON.stringify({ test: 'R1-pg', ...r }));
    expect(r.acknowledged).toBe(events);
    expect(r.storedOnce).toBe(events);
    expect(r.missing).toBe(0);
    expect(r.duplicatesStored).toBe(0);
    expect(r.integrity).toBe('ok');
    expect(r.kills).toBeGreaterThanOrEqual(kills);
  });

  it('R2/R3: every effect exactly once at an idempotent target, in order per subscription, under 30 % 5xx and kills after 2xx', async () => {
    const events = full ? 10_000 : 300;
    const kills = full ? 24 : 6;
    const r = await runCrashLoop({
      backend: 'postgres',
      hubs: 3,
      events,
      subscriptions: events / 10,
      kills,
      senders: full ? 16 : 6,
      routes: 3,
      serverErrorRate: 0.3,
      killAfterAckRate: 0.002,
    });
    console.log(JSON.stringify({ test: 'R2/R3-pg', ...r }));
    expect(r.storedOnce).toBe(events);
    expect(r.effects).toBe(r.expectedEffects);
    expect(r.duplicateEffects).toBe(0);
    expect(r.outOfOrder).toBe(0);
    expect(r.integrity).toBe('ok');
    expect(r.kills).toBeGreaterThanOrEqual(kills);
    // Redeliveries are bounded: those answered 503 on purpose, plus at most one per in-flight call per kill.
    expect(r.extraRequests!).toBeLessThanOrEqual(Math.ceil(r.requestsFailedOnPurpose! + r.kills * 16 * 3));
  });
});
