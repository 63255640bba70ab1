import type { SubscriptionSnapshot } from '../events';
import { compareSnapshots, snapshotFingerprint } from './compare-snapshots';

const base: SubscriptionSnapshot = {
  hubSubscriptionId: 'stripe:sub_1',
  providerSubscriptionId: 'sub_1',
  status: 'active',
  providerStatus: 'active',
  items: [
    { sku: 'COF-ESP-250', quantity: 2 },
    { sku: 'COF-FLT-250', quantity: 1 },
  ],
  interval: { unit: 'month', count: 1 },
  currentPeriodEnd: '2026-04-01T00:00:00.000Z',
  nextRenewalAt: '2026-04-01T00:00:00.000Z',
  entitlement: { deliver: true, blockChanges: false, blockedBy: [] },
};

describe('compareSnapshots', () => {
  it('agrees on what is compared only: item order, instant spelling, pause start and entitlement do not drift', () => {
    const same: SubscriptionSnapshot = {
      ...base,
      items: [...base.items].reverse(),
      currentPeriodEnd: '2026-04-01T00:00:00Z',
      entitlement: { deliver: false, blockChanges: true, blockedBy: ['dunning'] },
    };
    expect(compareSnapshots(base, same)).toBeUndefined();
    const paused = (startsAt: string): SubscriptionSnapshot => ({
      ...base,
      pause: { startsAt, reason: 'customer_request', collection: 'void' },
    });
    expect(compareSnapshots(paused('2026-03-01T00:00:00Z'), paused('2026-03-05T10:00:00Z'))).toBeUndefined();
    expect(snapshotFingerprint(base)).toBe(snapshotFingerprint(same));
  });

  it('names the weightiest difference and lists every one', () => {
    const canceled: SubscriptionSnapshot = {
      ...base,
      status: 'canceled',
      nextRenewalAt: undefined,
      cancel: { atPeriodEnd: false, at: '2026-03-02T00:00:00Z' },
    };
    expect(compareSnapshots(canceled, base)).toEqual({
      kind: 'billing_status_mismatch',
      detail:
        'status: active → canceled; cancel: (none) → now (2026-03-02T00:00:00.000Z); nextRenewalAt: 2026-04-01T00:00:00.000Z → (none)',
    });
    expect(compareSnapshots({ ...base, cancel: { atPeriodEnd: true } }, base)?.kind).toBe('billing_cancel_mismatch');
    expect(compareSnapshots({ ...base, pause: { startsAt: 'x', reason: 'customer_request' } }, base)?.kind).toBe('billing_pause_mismatch');
    expect(compareSnapshots({ ...base, items: [{ sku: 'COF-ESP-250', quantity: 3 }] }, base)).toEqual({
      kind: 'billing_items_mismatch',
      detail: 'items: 2×COF-ESP-250, 1×COF-FLT-250 → 3×COF-ESP-250',
    });
    expect(compareSnapshots({ ...base, nextRenewalAt: '2026-04-08T00:00:00.000Z' }, base)?.kind).toBe('billing_period_mismatch');
    expect(snapshotFingerprint({ ...base, nextRenewalAt: '2026-04-08T00:00:00.000Z' })).not.toBe(snapshotFingerprint(base));
  });
});
