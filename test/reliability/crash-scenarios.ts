import { runCrashLoop, type CrashLoopOptions } from './crash-loop';

/** Where the hubs store and how many share it; `full` picks the plan's sizes (SUBHUB_RELIABILITY=full). */
type Setup = Pick<CrashLoopOptions, 'backend' | 'hubs' | 'log' | 'joinMidRun'> & { full: boolean; kills: number };

/**
 * R1: every acknowledged webhook is stored exactly once across SIGKILLs, and the store is intact.
 * 10,000 webhooks over 32 senders at full size, 600 over 8 otherwise. Logs the report as one JSON line.
 */
export async function expectR1(label: string, s: Setup): Promise<void> {
  const events = s.full ? 10_000 : 600;
  const r = await runCrashLoop({
    backend: s.backend,
    hubs: s.hubs,
    ...(s.log ? { log: s.log } : {}),
    ...(s.joinMidRun ? { joinMidRun: true } : {}),
    events,
    subscriptions: events / 10,
    kills: s.kills,
    senders: s.full ? 32 : 8,
    routes: 0,
    serverErrorRate: 0,
    killAfterAckRate: 0,
  });
  console.log(JSON.stringify({ test: label, ...r }));
  expect(r.acknowledged).toBe(events);
  expect(r.storedOnce).toBe(events);
  expect(r.missing).toBe(0);
  expect(r.duplicatesStored).toBe(0);
  expect(r.integrity).toBe('ok');
  expect(r.kills).toBeGreaterThanOrEqual(s.kills);
}

/**
 * R2/R3: every effect exactly once at an idempotent target and in order per subscription, under
 * 30 % target 503s and kills right after a 2xx. 10,000 events × 3 routes at full size, 300 otherwise.
 */
export async function expectR23(label: string, s: Setup): Promise<void> {
  const events = s.full ? 10_000 : 300;
  const r = await runCrashLoop({
    backend: s.backend,
    hubs: s.hubs,
    ...(s.log ? { log: s.log } : {}),
    ...(s.joinMidRun ? { joinMidRun: true } : {}),
    events,
    subscriptions: events / 10,
    kills: s.kills,
    senders: s.full ? 16 : 6,
    routes: 3,
    serverErrorRate: 0.3,
    killAfterAckRate: 0.002,
  });
  console.log(JSON.stringify({ test: label, ...r }));
  expect(r.storedOnce).toBe(events);
  expect(r.effects).toBe(r.expectedEffects);
  expect(r.duplicateEffects).toBe(0);
  expect(r.outOfOrder).toBe(0);
  expect(r.integrity).toBe('ok');
  expect(r.kills).toBeGreaterThanOrEqual(s.kills);
  expect(r.hubsAtEnd).toBe(s.hubs ?? 1);
  // Redeliveries are bounded: those answered 503 on purpose, plus at most one per in-flight call per kill.
  expect(r.extraRequests!).toBeLessThanOrEqual(Math.ceil(r.requestsFailedOnPurpose! + r.kills * 16 * 3));
}
