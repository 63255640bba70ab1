import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HubEvent } from '../events';
import { applyEvent, type SubscriptionState } from './subscription-projection';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', '..', 'mappings', 'fixtures', name), 'utf8')) as HubEvent;
const at = (e: HubEvent, occurredAt: string, dedupeKey: string, over: Partial<HubEvent> = {}): HubEvent => ({
  ...e,
  ...over,
  occurredAt,
  source: { ...e.source, dedupeKey },
});

describe('subscription projection', () => {
  const created = fixture('hub-subscription-created-coffee.json');
  const renewed = fixture('hub-subscription-renewed-coffee.json');

  it('builds the state from the first event and follows later ones', () => {
    const a = applyEvent(undefined, at(created, '2026-01-01T00:00:00Z', 'k1'));
    expect(a).toMatchObject({ changed: true, state: { version: 1, lastEventType: 'subscription.created' } });
    const b = applyEvent(a.state, at(renewed, '2026-02-01T00:00:00Z', 'k2'));
    expect(b.state).toMatchObject({ version: 2, lastEventType: 'subscription.renewed', snapshot: renewed.subscription });
  });

  it('is idempotent: the same event again changes nothing', () => {
    const a = applyEvent(undefined, at(created, '2026-01-01T00:00:00Z', 'k1')).state;
    const again = applyEvent(a, at(created, '2026-01-01T00:00:00Z', 'k1'));
    expect(again).toMatchObject({ changed: false, state: a });
  });

  it('never rolls back: a late, older event is ignored with the reason', () => {
    const newer = applyEvent(undefined, at(renewed, '2026-02-01T00:00:00Z', 'k2')).state as SubscriptionState;
    const late = applyEvent(newer, at(created, '2026-01-01T00:00:00Z', 'k1'));
    expect(late.changed).toBe(false);
    expect(late.reason).toMatch(/^stale: subscription.created/);
    expect(late.state).toBe(newer);
  });

  it('keeps the dunning stage from dunning events and clears it on dunning.resolved', () => {
    const s = applyEvent(undefined, at(created, '2026-01-01T00:00:00Z', 'k1')).state;
    const warned = applyEvent(
      s,
      at(created, '2026-01-05T00:00:00Z', 'k3', {
        type: 'dunning.stage_changed',
        subscription: undefined,
        dunning: {
          policyId: 'p',
          stage: 'WARNING',
          attempt: 1,
          maxAttempts: 4,
          startedAt: '2026-01-04T00:00:00Z',
          daysSinceEarliestUnpaid: 3,
          unpaidInvoices: 1,
          unpaidBalanceMinor: 2490,
          defaultsInWindow: 0,
        },
      }),
    );
    expect(warned.state?.dunningStage).toBe('WARNING');
    const resolved = applyEvent(warned.state, at(created, '2026-01-06T00:00:00Z', 'k4', { type: 'dunning.resolved' }));
    expect(resolved.state?.dunningStage).toBeUndefined();
  });

  it('remembers a bounded number of applied keys', () => {
    let s: SubscriptionState | undefined;
    for (let i = 0; i < 80; i++)
      s = applyEvent(s, at(renewed, new Date(Date.UTC(2026, 0, 1) + i * 86_400_000).toISOString(), `k${i}`)).state;
    expect(s!.applied).toHaveLength(50);
    expect(s!.version).toBe(80);
  });

  it('a snapshot built from an invoice keeps a scheduled cancellation and never moves the next renewal back', () => {
    const cancelScheduled = {
      ...created.subscription!,
      cancel: { atPeriodEnd: true, at: '2026-03-01T00:00:00.000Z' },
      nextRenewalAt: '2026-03-01T00:00:00.000Z',
      currentPeriodEnd: '2026-03-01T00:00:00.000Z',
    };
    const s1 = applyEvent(undefined, at({ ...created, subscription: cancelScheduled }, '2026-02-01T00:00:00Z', 'k1')).state!;
    const lateInvoice = at(
      {
        ...renewed,
        source: { ...renewed.source, eventType: 'invoice.paid' },
        subscription: {
          ...renewed.subscription!,
          nextRenewalAt: '2026-02-01T00:00:00.000Z',
          currentPeriodEnd: '2026-02-01T00:00:00.000Z',
          cancel: undefined,
        },
      },
      '2026-02-02T00:00:00Z',
      'k2',
    );
    const s2 = applyEvent(s1, lateInvoice).state!;
    expect(s2.snapshot).toMatchObject({
      cancel: { atPeriodEnd: true },
      nextRenewalAt: '2026-03-01T00:00:00.000Z',
      currentPeriodEnd: '2026-03-01T00:00:00.000Z',
    });
    // A subscription event is the full truth: it replaces.
    const updated = at({ ...created, subscription: { ...created.subscription!, cancel: undefined } }, '2026-02-03T00:00:00Z', 'k3');
    expect(applyEvent(s2, updated).state!.snapshot.cancel).toBeUndefined();
  });
});
