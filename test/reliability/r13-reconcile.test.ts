import { startStripeSimulator, type StripeSimulator } from '../../connectors/stripe/simulator';
import { stripeSimConnector } from '../helpers/stripe-sim-connector';
import { startWarehouseSimulator, type WarehouseSimulator } from '../../connectors/warehouse/simulator';
import { main } from '../../src/cli/main';
import type { ReconcileReport } from '../../src/reconcile/engine';
import {
  billingSeeds,
  hubSide,
  injectedCounts,
  REPAIRABLE_INJECTED,
  type PopulationOptions,
} from '../../src/reconcile/synthetic-population';
import { captureIO } from '../helpers/capture-io';
import { eventually } from '../helpers/target-server';
import { testDatabase, type TestDatabase } from '../helpers/postgres';
import { STRIPE_SECRET, startTestHub } from '../helpers/test-hub';

jest.setTimeout(180_000);

const BASE_ENV = { STRIPE_API_KEY: 'sk_test_simulator', STRIPE_WEBHOOK_SECRET: STRIPE_SECRET };

/**
 * R13: 10,000 subscriptions, 1 % silent drift injected across the systems (billing changes the
 * hub never heard of, subscriptions it never recorded, reservations deleted, altered or left
 * behind at the warehouse). `subhub reconcile` against the running hub finds every one, by
 * kind, and repairs it by emitting events; once the pipeline has processed them, a second run
 * finds nothing and emits nothing. On both storage backends: the embedded SQLite file with 10,000
 * subscriptions, and PostgreSQL (`storage.kind: "postgres"`) with 2,000.
 */
describe.each([
  { backend: 'sqlite', SUBSCRIPTIONS: 10_000 },
  { backend: 'postgres', SUBSCRIPTIONS: 2_000 },
])('R13 on $backend: nightly reconciliation repairs silent drift; a second run changes nothing', ({ backend, SUBSCRIPTIONS }) => {
  let stripe: StripeSimulator;
  let warehouse: WarehouseSimulator;
  let hub: Awaited<ReturnType<typeof startTestHub>>;
  let db: TestDatabase | undefined;
  let env: Record<string, string> = BASE_ENV;

  afterAll(async () => {
    await hub?.stop();
    await stripe?.close();
    await warehouse?.close();
    await db?.drop();
  });

  it(`${SUBSCRIPTIONS} subscriptions, 1 % drift: all detected and repaired, then zero`, async () => {
    stripe = await startStripeSimulator();
    warehouse = await startWarehouseSimulator();
    if (backend === 'postgres') {
      db = await testDatabase();
      env = { ...BASE_ENV, DATABASE_URL: db.url };
    }
    hub = await startTestHub({
      targetUrl: warehouse.url,
      env,
      config: {
        ...(db ? { storage: { kind: 'postgres', postgres: { url: { env: 'DATABASE_URL' }, poolSize: 4 } } } : {}),
        connectors: {
          stripe: stripeSimConnector(stripe.url),
          warehouse: {
            type: 'warehouse',
            options: { baseUrl: warehouse.url, allowHosts: ['127.0.0.1'] },
            delivery: { timeoutMs: 5000, ratePerSec: 10_000, burst: 10_000, circuitFailureThreshold: 1000 },
          },
        },
        routes: [
          {
            name: 'shipment-reservation',
            on: ['stock.demand_changed'],
            to: 'warehouse',
            action: 'reserve',
            mapping: 'hub.subscription-demand.to.warehouse-reservation',
          },
        ],
        reconcile: { billing: 'stripe', warehouse: 'warehouse' },
      },
    });

    // Billing, hub and warehouse first agree; then 1 % drifts, silently (no webhook announces it).
    const population: PopulationOptions = { size: SUBSCRIPTIONS, now: Date.now(), every: 100, kinds: REPAIRABLE_INJECTED };
    stripe.seedSubscriptions(billingSeeds(population));
    const mapping = hub.mappings.get('stripe.customer-subscription.to.hub-event');
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const h = hubSide(population, i, mapping);
      if (h.state) await hub.store.domain.seedSubscriptions([h.state]);
      if (h.demand) await hub.store.domain.seedDemand([h.demand]);
      for (const r of h.reservations) warehouse.reservations.set(r.reference, { ...r });
    }
    const injected = injectedCounts(population);
    expect(Object.values(injected).reduce((a, b) => a + b, 0)).toBe(SUBSCRIPTIONS / 100);

    const first = await reconcileCli(hub.configPath, env);
    expect(first.code).toBe(0);
    const found = Object.fromEntries(Object.entries(first.report.drift.byKind).map(([k, c]) => [k, c.found]));
    expect(found).toEqual(injected);
    expect(first.report.drift).toMatchObject({ total: SUBSCRIPTIONS / 100, repaired: SUBSCRIPTIONS / 100, unrepaired: 0 });
    expect(first.report.checked.billingSubscriptions).toBe(SUBSCRIPTIONS);
    // The hub runs meanwhile: by the time its subscriptions are paged, some repairs have been processed.
    expect(first.report.checked.hubSubscriptions).toBeGreaterThanOrEqual(SUBSCRIPTIONS - injected.billing_missing_in_hub!);

    // The running hub processes the repairs like any webhook: projection, demand, reservations.
    hub.pipeline.notify();
    await eventually(async () => {
      const c = await hub.store.counts();
      return c.inboxPending === 0 && c.deliveriesPending === 0;
    }, 120_000);
    expect((await hub.store.counts()).deadLettersOpen).toBe(0);

    const requestsBefore = warehouse.requests.length;
    const second = await reconcileCli(hub.configPath, env);
    expect(second.report.drift).toEqual({ total: 0, repaired: 0, unrepaired: 0, byKind: {} });
    expect(second.report.emitted).toEqual({ inbox: 0, hubEvents: 0 });
    expect(second.code).toBe(0);
    expect(warehouse.requests.slice(requestsBefore).filter((r) => r.method !== 'GET')).toEqual([]);
    console.log(
      JSON.stringify({
        test: 'R13',
        backend,
        subscriptions: SUBSCRIPTIONS,
        injected,
        first: first.report.seconds,
        second: second.report.seconds,
      }),
    );
  });
});

async function reconcileCli(configPath: string, env: Record<string, string>): Promise<{ code: number; report: ReconcileReport }> {
  const io = captureIO();
  io.env = env;
  const code = await main(['reconcile', '--config', configPath, '--json'], io);
  if (code !== 0 && code !== 1) throw new Error(`subhub reconcile exited ${code}: ${io.stderr()}`);
  return { code, report: JSON.parse(io.stdout()) as ReconcileReport };
}
