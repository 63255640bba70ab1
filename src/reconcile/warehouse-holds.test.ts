import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startWarehouseSimulator, type WarehouseSimulator } from '../../connectors/warehouse/simulator';
import { warehouseConnector } from '../../connectors/warehouse';
import { tempSqliteFile } from '../../test/helpers/temp-sqlite';
import type { DemandRecord } from '../domain/ports';
import type { SubscriptionState } from '../domain/subscription-projection';
import type { HubEvent } from '../events';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/sqlite-store';
import { DriftTally } from './drift';
import type { PassContext } from './pass-context';
import { warehousePass } from './warehouse-pass';

const created = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'mappings', 'fixtures', 'hub-subscription-created-coffee.json'), 'utf8'),
) as HubEvent;
const NOW = Date.parse('2026-12-29T10:00:00Z');
const state = (id: string, tenantId: string): SubscriptionState => ({
  hubSubscriptionId: id,
  hubCustomerId: `customer-${id}`,
  tenantId,
  snapshot: { ...created.subscription!, hubSubscriptionId: id, providerSubscriptionId: id.replace('stripe:', '') },
  occurredAt: created.occurredAt,
  lastEventType: created.type,
  applied: [],
  version: 1,
});
const record = (subscriptionId: string, period: string, status: DemandRecord['status'], reason: string): DemandRecord => ({
  subscriptionId,
  customerId: `customer-${subscriptionId}`,
  period,
  status,
  lines: status === 'reserved' ? [{ sku: 'COF-FLT-250', quantity: 1 }] : [],
  revision: 2,
  eventId: 'e',
  reason,
});

describe('reconcile: holds against what the warehouse still has reserved', () => {
  let sim: WarehouseSimulator;
  let store: SqliteStore;
  let tmp: ReturnType<typeof tempSqliteFile>;
  beforeEach(async () => {
    sim = await startWarehouseSimulator(0);
    tmp = tempSqliteFile();
    store = await openSqliteStore(tmp.file);
  });
  afterEach(async () => {
    await sim.close();
    await store.close();
    tmp.remove();
  });

  it("finds today's held box still reserved (and repairs it to that subscription's warehouse); a box that shipped is settled", async () => {
    store.domain.seedSubscriptions([
      state('stripe:sub_eva', 'lenses-de'),
      state('stripe:sub_dirk', 'default'),
      state('stripe:sub_finn', 'default'),
    ]);
    store.domain.seedDemand([
      record('stripe:sub_eva', '2026-12-29', 'released', 'the customer is blacklisted: shipments held until cleared'),
      record('stripe:sub_dirk', '2026-12-29', 'reserved', 'active: the delivery ships'),
      record('stripe:sub_finn', '2026-12-30', 'reserved', 'active: the delivery ships'),
    ]);
    const box = (sub: string, period: string, status: string) =>
      sim.reservations.set(`subhub:${sub}:${period}`, {
        reference: `subhub:${sub}:${period}`,
        warehouse: 'NL-AMS-01',
        status: status as 'reserved',
        lines: [{ sku: 'COF-FLT-250', quantity: 1 }],
        version: 1,
        updatedAt: '',
      });
    box('stripe:sub_eva', '2026-12-29', 'reserved');
    // Dirk's box of today already left this morning: nothing to compare any more.
    box('stripe:sub_dirk', '2026-12-29', 'shipped');
    box('stripe:sub_finn', '2026-12-30', 'reserved');

    const pulls = warehouseConnector.createPulls!({ baseUrl: sim.url, allowHosts: ['127.0.0.1'] }, {
      resolveSecret: () => undefined,
    } as never);
    const run = async (dryRun: boolean) => {
      const ctx: PassContext = {
        domain: store.domain,
        inbox: store,
        now: NOW,
        today: '2026-12-29',
        dryRun,
        tally: new DriftTally(),
        tenantId: 'default',
        emitted: { inbox: 0, hubEvents: 0 },
        progress: () => undefined,
      };
      await warehousePass(ctx, pulls.reservations!);
      return ctx;
    };
    const dry = await run(true);
    expect(dry.tally.byKind()).toEqual({
      reservation_not_released: {
        found: 1,
        repaired: 0,
        examples: [
          expect.objectContaining({ subject: 'subhub:stripe:sub_eva:2026-12-29', detail: expect.stringContaining('blacklisted') }),
        ],
      },
    });
    const real = await run(false);
    expect(real.emitted.hubEvents).toBe(1);
    const [body] = store.db.prepare(`SELECT body FROM outbox`).pluck().all() as string[];
    expect(JSON.parse(body!)).toMatchObject({
      type: 'stock.demand_changed',
      tenantId: 'lenses-de',
      demand: { period: '2026-12-29', status: 'released' },
    });
  });
});
