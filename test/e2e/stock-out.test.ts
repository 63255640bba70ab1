/**
 * A renewal the warehouse cannot fill (a strict WMS answers 409 insufficient_stock), under each
 * stock.stockOut policy, over real HTTP with the demo's simulators.
 */
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { CUSTOMERS, monthContext } from '../../src/demo/month';
import { startDemoWorld, type DemoWorld } from '../../src/demo/world';
import { periodOf } from '../../connectors/stripe/simulator-objects';

jest.setTimeout(30_000);
const FILTER_EVERY_TWO_WEEKS = 'price_1QZxA2LkdIwHu7ixFlt250Bw';

async function bigOrder(policy: 'skip_cycle' | 'retry_later' | 'pause'): Promise<{ world: DemoWorld; subId: string }> {
  const world = await startDemoWorld({
    strictStock: true,
    stock: { 'COF-FLT-250': 30 },
    configure: (c) => (c.stock = { ...c.stock, stockOut: policy }),
  });
  const ctx = monthContext(world);
  world.clock.at(1);
  const sub = await ctx.stripe.subscriptions.create({ customer: CUSTOMERS.finn, items: [{ price: FILTER_EVERY_TWO_WEEKS, quantity: 40 }] });
  await world.settle();
  return { world, subId: sub.id };
}

describe('stock-out at renewal', () => {
  let world: DemoWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('skip_cycle: Stripe pauses collection until the end of the skipped cycle, the delivery is released, a reorder follows', async () => {
    const r = await bigOrder('skip_cycle');
    world = r.world;
    const sub = world.stripe.subscription(r.subId)!;
    const periodEnd = periodOf(sub).end;
    expect(sub.pause_collection).toEqual({ behavior: 'void', resumes_at: periodEnd + 14 * 86_400 });
    const hubId = `stripe:${r.subId}`;
    const period = new Date(periodEnd * 1000).toISOString().slice(0, 10);
    expect(await world.hub.store.domain.demand(hubId, period)).toMatchObject({
      status: 'released',
      lines: [],
      reason: expect.stringContaining('paused'),
    });
    expect(await world.hub.store.domain.openProposals()).toEqual([expect.objectContaining({ sku: 'COF-FLT-250', quantity: 72 })]);
    expect([...world.warehouse.reservations.values()].filter((x) => x.status === 'reserved')).toEqual([]);
    expect(await world.hub.store.counts()).toEqual({
      inboxPending: 0,
      inboxDeferred: 0,
      outboxPending: 0,
      deliveriesPending: 0,
      deadLettersOpen: 0,
    });
  });

  it('pause: Stripe pauses collection with no end date', async () => {
    const r = await bigOrder('pause');
    world = r.world;
    expect(world.stripe.subscription(r.subId)!.pause_collection).toEqual({ behavior: 'void', resumes_at: null });
    expect(await world.hub.store.counts()).toMatchObject({ deliveriesPending: 0, deadLettersOpen: 0 });
  });

  it('retry_later: the reservation waits a day (the inventory schedule) instead of dead-lettering', async () => {
    const before = Date.now();
    const r = await bigOrder('retry_later');
    world = r.world;
    const db = (world.hub.store as SqliteStore).db;
    const waiting = db
      .prepare(`SELECT route, attempts, next_attempt_at, last_error FROM deliveries WHERE status = 'pending'`)
      .all() as Array<{ route: string; attempts: number; next_attempt_at: number; last_error: string }>;
    expect(waiting).toEqual([
      expect.objectContaining({
        route: 'shipment-reservation',
        attempts: 1,
        last_error: expect.stringContaining('stock-out policy retry_later: again in 1 day(s)'),
      }),
    ]);
    expect(waiting[0]!.next_attempt_at).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(world.stripe.subscription(r.subId)!.pause_collection).toBeNull();
    expect(await world.hub.store.counts()).toMatchObject({ deadLettersOpen: 0 });
  });
});
