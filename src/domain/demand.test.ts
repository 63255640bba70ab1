import type { SubscriptionSnapshot } from '../events';
import { deliveryDemand, horizonDemand, renewalShips } from './demand';

const sub = (over: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot => ({
  hubSubscriptionId: 'stripe:sub_1',
  providerSubscriptionId: 'sub_1',
  status: 'active',
  providerStatus: 'active',
  items: [
    { sku: 'COFFEE-1KG', quantity: 2 },
    { sku: 'KIT-DESCALE', quantity: 1 },
  ],
  interval: { unit: 'month', count: 1 },
  nextRenewalAt: '2026-12-10T00:00:00.000Z',
  entitlement: { deliver: true, blockChanges: false, blockedBy: [] },
  ...over,
});
const bom = new Map([
  [
    'KIT-DESCALE',
    [
      { sku: 'DESCALER-250ML', qtyPer: 2 },
      { sku: 'CLOTH', qtyPer: 1 },
    ],
  ],
]);

describe('subscription demand', () => {
  it('explodes kits through the BoM and sums per SKU; the kit itself gets no demand', () => {
    const d = deliveryDemand(
      sub({
        items: [
          { sku: 'COFFEE-1KG', quantity: 2 },
          { sku: 'KIT-DESCALE', quantity: 3 },
          { sku: 'COFFEE-1KG', quantity: 1 },
        ],
      }),
      bom,
    );
    expect(Object.fromEntries(d)).toEqual({ 'COFFEE-1KG': 3, 'DESCALER-250ML': 6, CLOTH: 3 });
  });

  it("prefers the components recorded on the event over today's BoM", () => {
    const d = deliveryDemand(
      sub({ items: [{ sku: 'KIT-DESCALE', quantity: 1, kitComponents: [{ sku: 'DESCALER-500ML', qtyPer: 1 }] }] }),
      bom,
    );
    expect(Object.fromEntries(d)).toEqual({ 'DESCALER-500ML': 1 });
  });

  it('ships active and trialing subscriptions; past_due per the dunning stage; never paused, cancel-scheduled or canceled ones', () => {
    expect(renewalShips(sub())).toBe(true);
    expect(renewalShips(sub({ status: 'trialing' }))).toBe(true);
    expect(renewalShips(sub({ status: 'past_due' }), true)).toBe(true);
    expect(renewalShips(sub({ status: 'past_due' }), false)).toBe(false);
    expect(renewalShips(sub({ pause: { startsAt: '2026-12-01T00:00:00Z', reason: 'customer_request' } }))).toBe(false);
    expect(renewalShips(sub({ cancel: { atPeriodEnd: true } }))).toBe(false);
    expect(renewalShips(sub({ status: 'canceled' }))).toBe(false);
    expect(renewalShips(sub({ entitlement: { deliver: false, blockChanges: true, blockedBy: ['payment'] } }))).toBe(false);
  });

  it('counts only renewals inside (today, horizon end] that ship', () => {
    const today = new Date('2026-12-01T00:00:00Z');
    const end = new Date('2026-12-22T00:00:00Z');
    const d = horizonDemand(
      [
        { snapshot: sub() },
        { snapshot: sub({ hubSubscriptionId: 'b', nextRenewalAt: '2027-01-05T00:00:00Z' }) },
        { snapshot: sub({ hubSubscriptionId: 'c', status: 'past_due' }), dunningDeliver: false },
        { snapshot: sub({ hubSubscriptionId: 'd', nextRenewalAt: '2026-12-01T00:00:00Z' }) },
        { snapshot: sub({ hubSubscriptionId: 'e', items: [{ sku: 'COFFEE-1KG', quantity: 5 }] }) },
      ],
      today,
      end,
      bom,
    );
    expect(Object.fromEntries(d)).toEqual({ 'COFFEE-1KG': 7, 'DESCALER-250ML': 2, CLOTH: 1 });
  });
});
