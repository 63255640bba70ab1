import fc from 'fast-check';
import { forecast, horizonDays, quantityToOrder, type ReorderRule } from './reorder';

describe('reorder proposals (docs/stock-demand.md §5)', () => {
  it('Odoo docs worked example: min 10, max 40, multiple 6, forecast 8 → order 36', () => {
    expect(quantityToOrder(8, { type: 'up-to-max', min: 10, max: 40, multiple: 6 })).toBe(36);
  });

  it('subscription worked example: COFFEE-1KG, F = 120 + 60 − 15 − 140 − 20 = 5 → order 216', () => {
    const f = forecast({ onHand: 120, incoming: 60, outgoing: 15, inProgress: 0, subscriptionDemand: 140, otherDemand: 20 });
    expect(f).toBe(5);
    expect(quantityToOrder(f, { type: 'up-to-max', min: 50, max: 200, multiple: 24 })).toBe(216);
  });

  it('orders nothing at or above min, and the exact amount with multiple 0 or 1', () => {
    expect(quantityToOrder(10, { type: 'up-to-max', min: 10, max: 40, multiple: 6 })).toBe(0);
    expect(quantityToOrder(8, { type: 'up-to-max', min: 10, max: 40, multiple: 0 })).toBe(32);
    expect(quantityToOrder(8, { type: 'up-to-max', min: 10, max: 40, multiple: 1 })).toBe(32);
    expect(quantityToOrder(-5, { type: 'up-to-max', min: 10, max: 0, multiple: 1 })).toBe(15); // max below min: up to min
  });

  it('ERPNext fixed lot: at or below the level, order max(lot, level − projected)', () => {
    expect(quantityToOrder(20, { type: 'fixed-lot', reorderLevel: 20, lot: 50 })).toBe(50);
    expect(quantityToOrder(-40, { type: 'fixed-lot', reorderLevel: 20, lot: 50 })).toBe(60);
    expect(quantityToOrder(21, { type: 'fixed-lot', reorderLevel: 20, lot: 50 })).toBe(0);
  });

  it('horizon = lead time + review days', () => {
    expect(horizonDays(14, 7)).toBe(21);
  });

  it('properties of up-to-max: an order restores at least max(min, max), overshoots by less than the multiple, and is a multiple', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 48 }),
        (f, min, max, multiple) => {
          const rule: ReorderRule = { type: 'up-to-max', min, max, multiple };
          const q = quantityToOrder(f, rule);
          const target = Math.max(min, max);
          if (f >= min) return q === 0;
          return f + q >= target && f + q < target + Math.max(multiple, 1) && (multiple <= 1 || q % multiple === 0);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
