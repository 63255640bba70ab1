import { tempSqliteFile } from '../../test/helpers/temp-sqlite';
import type { DemandRecord } from '../domain/ports';
import { validateHubEvent } from '../events';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/sqlite-store';
import type { PurchaseOrderState } from './purchase-orders';
import { planReorders, type PlannerDeps } from './reorder-planner';

const NOW = Date.parse('2026-12-08T09:00:00Z');
const demand = (
  sub: string,
  period: string,
  quantity: number,
  status: DemandRecord['status'] = 'reserved',
  location?: string,
): DemandRecord => ({
  subscriptionId: sub,
  customerId: `c-${sub}`,
  period,
  ...(location ? { location } : {}),
  status,
  lines: status === 'reserved' ? [{ sku: 'COF-FLT-250', quantity }] : [],
  revision: 1,
  eventId: 'e',
  reason: 'test',
});

async function* rows<T>(items: T[]) {
  yield* items;
}

describe('reorder planner (docs/stock-demand.md §5) over the SQLite domain store', () => {
  let store: SqliteStore;
  let tmp: ReturnType<typeof tempSqliteFile>;
  beforeEach(async () => {
    tmp = tempSqliteFile();
    store = await openSqliteStore(tmp.file);
  });
  afterEach(async () => {
    await store.close();
    tmp.remove();
  });

  const deps = (over: Partial<PlannerDeps> = {}): PlannerDeps => ({
    domain: store.domain,
    stock: { location: 'AMS1', reviewDays: 7, rules: { 'COF-FLT-250': { min: 20, max: 60, multiple: 12, leadTimeDays: 10 } } },
    // 30 on hand; 20 reserved at the warehouse, 14 of them by the hub → 6 outgoing to others.
    stockLevels: () => rows([{ warehouse: 'NL-AMS-01', sku: 'COF-FLT-250', onHand: 30, reserved: 20 }]),
    ...over,
  });

  it('forecast = on hand − outgoing of others − hub demand within lead + review days; below min → up to max in multiples, with inputs and trail', async () => {
    await store.domain.seedDemand([
      demand('stripe:sub_a', '2026-12-15', 2),
      demand('stripe:sub_b', '2026-12-22', 12),
      demand('stripe:sub_c', '2027-01-30', 99), // beyond the 17-day horizon: not in the forecast
      demand('stripe:sub_d', '2026-12-20', 5, 'released'), // paused or held: not counted
    ]);
    // The hub reserved 2 + 12 + 99 after today; the warehouse says 20 in total → others hold max(0, 20 − 113) = 0.
    const made = await planReorders(deps(), 'all', NOW);
    // F = 30 − 0 − 14 − 0 = 16 < 20 → 60 − 16 = 44 → 48.
    expect(made).toEqual([
      expect.objectContaining({ sku: 'COF-FLT-250', quantity: 48, status: 'open', trail: ['stripe:sub_a', 'stripe:sub_b'] }),
    ]);
    const [event] = store.db.prepare(`SELECT body FROM outbox`).pluck().all() as string[];
    const parsed = JSON.parse(event!);
    expect(validateHubEvent(parsed)).toEqual({ ok: true });
    expect(parsed.reorder).toMatchObject({
      neededBy: '2026-12-18',
      inputs: { onHand: 30, outgoing: 0, subscriptionDemand: 14, forecast: 16, min: 20, max: 60, multiple: 12 },
    });
  });

  it('counts units others reserved at the warehouse, proposes nothing at or above min, and at most one open proposal per SKU', async () => {
    await store.domain.seedDemand([demand('stripe:sub_a', '2026-12-15', 2)]);
    // Reserved 20, of which the hub's 2 → 18 outgoing: F = 30 − 18 − 2 = 10 < 20 → 50 → 60.
    expect((await planReorders(deps(), ['COF-FLT-250'], NOW)).map((p) => p.quantity)).toEqual([60]);
    expect(await planReorders(deps(), ['COF-FLT-250'], NOW)).toEqual([]);
    expect(await store.domain.openProposals()).toHaveLength(1);
    const plenty = () => rows([{ sku: 'COF-FLT-250', onHand: 500, reserved: 0 }]);
    const other = await openSqliteStore(tempSqliteFile().file);
    try {
      expect(await planReorders({ ...deps({ stockLevels: plenty }), domain: other.domain }, 'all', NOW)).toEqual([]);
    } finally {
      await other.close();
    }
  });

  const ORIGIN = 'subhub:reorder:COF-FLT-250:AMS1:2026-12-08';
  const orders =
    (...o: PurchaseOrderState[]) =>
    () =>
      rows(o);

  it('closes a proposal once the buyer confirmed its order; its units then count as incoming until they are due', async () => {
    await store.domain.seedDemand([demand('stripe:sub_a', '2026-12-15', 2)]);
    await planReorders(deps(), 'all', NOW);
    // Still a draft the next day: stays open.
    await planReorders(deps({ purchaseOrders: orders({ origin: ORIGIN, state: 'draft' }) }), 'all', NOW + 2 * 86_400_000);
    expect(await store.domain.openProposals()).toHaveLength(1);
    // Confirmed: closed, and its 60 units are incoming until 2026-12-18: F = 30 + 60 − 18 − 2 = 70, no new proposal.
    expect(
      await planReorders(deps({ purchaseOrders: orders({ origin: ORIGIN, state: 'purchase' }) }), 'all', NOW + 3 * 86_400_000),
    ).toEqual([]);
    expect((await store.domain.decisions({ kind: 'reorder' })).map((d) => d.outcome)).toEqual([
      'proposed 60 for AMS1',
      'confirmed for AMS1',
    ]);
    expect(await store.domain.incoming('2026-12-11')).toEqual([{ sku: 'COF-FLT-250', location: 'AMS1', quantity: 60 }]);
    // Past its need-by date the stock is on hand (or late): no longer counted as incoming; the shortfall is proposed again.
    expect(await store.domain.incoming('2026-12-18')).toEqual([]);
    expect(await planReorders(deps(), 'all', Date.parse('2026-12-19T09:00:00Z'))).toHaveLength(1);
  });

  it('a draft the buyer deleted (or cancelled) closes the proposal as cancelled: nothing incoming, and the planner proposes again', async () => {
    await store.domain.seedDemand([demand('stripe:sub_a', '2026-12-15', 2)]);
    await planReorders(deps(), 'all', NOW);
    // The same day the order may still be on its way to the ERP: an absent order is not taken as deleted yet.
    expect(await planReorders(deps({ purchaseOrders: orders() }), 'all', NOW + 3_600_000)).toEqual([]);
    expect(await store.domain.openProposals()).toHaveLength(1);
    const made = await planReorders(deps({ purchaseOrders: orders() }), 'all', NOW + 2 * 86_400_000);
    expect(made).toEqual([expect.objectContaining({ sku: 'COF-FLT-250', location: 'AMS1', quantity: 60 })]);
    expect(await store.domain.incoming('2026-12-11')).toEqual([]);
    expect((await store.domain.decisions({ kind: 'reorder' })).map((d) => [d.outcome, d.rule])).toContainEqual([
      'cancelled for AMS1',
      expect.stringContaining('deleted by the buyer'),
    ]);
    // A cancelled order is the same.
    const again = await planReorders(
      deps({ purchaseOrders: orders({ origin: 'subhub:reorder:COF-FLT-250:AMS1:2026-12-10', state: 'cancel' }) }),
      'all',
      NOW + 4 * 86_400_000,
    );
    expect(again).toHaveLength(1);
  });

  it("reads confirmed orders' receipts where the ERP has them: the planned date bounds the incoming units, a done receipt ends them", async () => {
    await store.domain.seedDemand([demand('stripe:sub_a', '2026-12-15', 2)]);
    await planReorders(deps(), 'all', NOW);
    await planReorders(
      deps({ purchaseOrders: orders({ origin: ORIGIN, state: 'purchase', datePlanned: '2026-12-14 00:00:00', receiptStatus: 'pending' }) }),
      'all',
      NOW + 2 * 86_400_000,
    );
    expect(await store.domain.incoming('2026-12-13')).toEqual([{ sku: 'COF-FLT-250', location: 'AMS1', quantity: 60 }]);
    // The ERP's planned date, not the lead time (2026-12-18), ends the incoming units.
    expect(await store.domain.incoming('2026-12-14')).toEqual([]);
    // Received in full before its date: on hand at the warehouse now (30 + 60), no longer incoming, so not counted twice.
    const received = () => rows([{ warehouse: 'NL-AMS-01', sku: 'COF-FLT-250', onHand: 90, reserved: 20 }]);
    expect(
      await planReorders(
        deps({
          stockLevels: received,
          purchaseOrders: orders({ origin: ORIGIN, state: 'purchase', datePlanned: '2026-12-14 00:00:00', receiptStatus: 'full' }),
        }),
        'all',
        NOW + 3 * 86_400_000,
      ),
    ).toEqual([]);
    expect(await store.domain.incoming('2026-12-11')).toEqual([]);
    expect(await store.domain.proposalsInTransit()).toEqual([]);
    expect((await store.domain.decisions({ kind: 'reorder' })).map((d) => d.outcome)).toEqual([
      'proposed 60 for AMS1',
      'confirmed for AMS1',
      'received for AMS1',
    ]);
  });

  it('reads warehouse numbers defensively: numeric strings count, fractions round down, junk counts as zero', async () => {
    await store.domain.seedDemand([demand('stripe:sub_a', '2026-12-15', 2)]);
    const levels = () =>
      rows([{ sku: 'COF-FLT-250', onHand: '25', reserved: 2.7 }, { sku: 'COF-FLT-250', onHand: 'lots', reserved: null }, { onHand: 99 }]);
    // on hand 25, reserved 2 (all the hub's) → F = 25 − 0 − 2 = 23 ≥ 20: nothing to order.
    expect(await planReorders(deps({ stockLevels: levels }), 'all', NOW)).toEqual([]);
  });

  describe('per (SKU, location)', () => {
    const locations = [
      { code: 'AMS1', warehouse: 'NL-AMS-01' },
      { code: 'DUS1', warehouse: 'DE-DUS-02' },
    ];
    // Plenty in Düsseldorf, little in Amsterdam: summed, 30 + 200 would hide Amsterdam's shortage.
    const twoWarehouses = () =>
      rows([
        { warehouse: 'NL-AMS-01', sku: 'COF-FLT-250', onHand: 30, reserved: 14 },
        { warehouse: 'DE-DUS-02', sku: 'COF-FLT-250', onHand: 200, reserved: 3 },
        { warehouse: 'XX-OTHER', sku: 'COF-FLT-250', onHand: 1000, reserved: 0 },
      ]);

    it('plans each location from its own warehouse and its own subscriptions: stock in one location does not hide a shortage in the other', async () => {
      await store.domain.seedDemand([
        demand('stripe:sub_a', '2026-12-15', 2, 'reserved', 'AMS1'),
        demand('stripe:sub_b', '2026-12-22', 12, 'reserved', 'AMS1'),
        demand('stripe:sub_de', '2026-12-16', 3, 'reserved', 'DUS1'),
      ]);
      const made = await planReorders(deps({ locations, stockLevels: twoWarehouses }), 'all', NOW);
      // AMS1: F = 30 − (14 − 14) − 14 = 16 < 20 → 44 → 48, trail only Amsterdam's subscriptions. DUS1: F = 200 − 0 − 3 = 197: nothing.
      expect(made).toEqual([
        expect.objectContaining({ sku: 'COF-FLT-250', location: 'AMS1', quantity: 48, trail: ['stripe:sub_a', 'stripe:sub_b'] }),
      ]);
      const [event] = store.db.prepare(`SELECT body FROM outbox`).pluck().all() as string[];
      expect(JSON.parse(event!).reorder).toMatchObject({
        location: 'AMS1',
        inputs: { onHand: 30, outgoing: 0, subscriptionDemand: 14, forecast: 16 },
      });
    });

    it("keeps one open proposal per (SKU, location), and applies a rule's per-location override", async () => {
      const stock = {
        location: 'AMS1',
        reviewDays: 7,
        rules: { 'COF-FLT-250': { min: 20, max: 60, multiple: 12, leadTimeDays: 10, locations: { DUS1: { min: 250, max: 300 } } } },
      };
      const made = await planReorders(deps({ locations, stock, stockLevels: twoWarehouses }), 'all', NOW);
      // AMS1: F = 30 − 14 = 16 < 20 → 48. DUS1 with its own min 250: F = 200 − 3 = 197 < 250 → 300 − 197 = 103 → 108.
      expect(made.map((p) => [p.location, p.quantity])).toEqual([
        ['AMS1', 48],
        ['DUS1', 108],
      ]);
      expect(await planReorders(deps({ locations, stock, stockLevels: twoWarehouses }), 'all', NOW + 3_600_000)).toEqual([]);
      expect((await store.domain.openProposals()).map((p) => p.location).sort()).toEqual(['AMS1', 'DUS1']);
    });

    it('counts demand recorded before locations at the default location', async () => {
      await store.domain.seedDemand([demand('stripe:sub_old', '2026-12-15', 15)]);
      const made = await planReorders(deps({ locations, stockLevels: twoWarehouses }), 'all', NOW);
      // AMS1: F = 30 − 0 − 15 = 15 < 20 → 45 → 48; Düsseldorf untouched.
      expect(made.map((p) => [p.location, p.quantity])).toEqual([['AMS1', 48]]);
    });
  });
});
