import { join } from 'node:path';
import { stripeSimConnector } from '../../test/helpers/stripe-sim-connector';
import { startStripeSimulator, type StripeSimulator } from '../../connectors/stripe/simulator';
import { startWarehouseSimulator, type WarehouseSimulator } from '../../connectors/warehouse/simulator';
import { captureIO } from '../../test/helpers/capture-io';
import { tempFiles } from '../../test/helpers/temp-files';
import { main } from '../cli/main';
import { databaseFile, loadRuntime } from '../runtime';
import { openSqliteStore } from '../store/sqlite/sqlite-store';
import type { ReconcileReport } from './engine';
import { acquireReconcileLock } from '../store/sqlite/reconcile-lock';
import { reconcileLockFile } from '../composition/run-reconcile';
import { billingSeeds, hubSide, type InjectedDrift, type PopulationOptions } from './synthetic-population';

const SHIPPED_MAPPINGS = join(__dirname, '..', '..', 'mappings');
const ENV = { STRIPE_API_KEY: 'sk_test_simulator', STRIPE_WEBHOOK_SECRET: 'whsec_test' };

describe('subhub reconcile', () => {
  let stripe: StripeSimulator;
  let warehouse: WarehouseSimulator;
  let configPath: string;

  /** A hub config and data folder in agreement with the simulators, but for the given drift (one in ten). */
  const setUp = async (kinds: InjectedDrift[]) => {
    stripe = await startStripeSimulator();
    warehouse = await startWarehouseSimulator();
    const dir = tempFiles({});
    const config = {
      storage: { dataDir: join(dir, 'data') },
      log: { level: 'error' },
      mappings: { paths: [SHIPPED_MAPPINGS] },
      connectors: {
        stripe: stripeSimConnector(stripe.url, ['customer.subscription.updated']),
        warehouse: { type: 'warehouse', options: { baseUrl: warehouse.url, allowHosts: ['127.0.0.1'] } },
      },
      routes: [],
      reconcile: { billing: 'stripe', warehouse: 'warehouse' },
    };
    configPath = join(tempFiles({ 'hub.json': config }), 'hub.json');
    const runtime = loadRuntime({ path: configPath, localPath: false, env: ENV });
    const store = await openSqliteStore(databaseFile(join(dir, 'data')));
    const p: PopulationOptions = { size: 40, now: Date.now(), every: 10, kinds };
    stripe.seedSubscriptions(billingSeeds(p));
    for (let i = 0; i < p.size; i++) {
      const h = hubSide(p, i, runtime.mappings.get('stripe.customer-subscription.to.hub-event'));
      if (h.state) await store.domain.seedSubscriptions([h.state]);
      if (h.demand) await store.domain.seedDemand([h.demand]);
      for (const r of h.reservations) warehouse.reservations.set(r.reference, { ...r });
    }
    await store.close();
    return runtime;
  };
  const run = async (...args: string[]) => {
    const io = captureIO();
    io.env = ENV;
    const code = await main(['reconcile', '--config', configPath, ...args], io);
    return { code, out: io.stdout(), err: io.stderr() };
  };

  afterEach(async () => {
    await stripe?.close();
    await warehouse?.close();
  });

  it('exits 0 and says "no drift" when the systems agree', async () => {
    await setUp([]);
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^reconcile \S+: billing stripe, warehouse warehouse, erp \(skipped\); [\d.]+ s$/m);
    expect(r.out).toContain('checked: 40 billing subscriptions, 40 hub subscriptions, 40 demand records');
    expect(r.out).toMatch(/^no drift$/m);
    expect(r.err).toBe('');
  });

  it('--dry-run reports drift by kind, emits nothing and exits 1; a real run repairs it and exits 0', async () => {
    await setUp(['billing_status_mismatch', 'reservation_missing']);
    const dry = await run('--dry-run');
    expect(dry.code).toBe(1);
    expect(dry.out).toContain('(dry run: nothing emitted)');
    expect(dry.out).toMatch(/^billing_status_mismatch\s+2\s+0\s+replays the provider subscription into the hub$/m);
    expect(dry.out).toMatch(/^reservation_missing\s+2\s+0\s+re-sends the recorded demand$/m);
    expect(dry.out).toMatch(/^total\s+4\s+0\s+0 provider event\(s\) and 0 hub event\(s\) newly emitted$/m);
    expect(dry.out).toMatch(/^ {2}billing_status_mismatch sub_\d+: status: active → canceled/m);

    const real = await run('--json');
    expect(real.code).toBe(0);
    const report = JSON.parse(real.out) as ReconcileReport;
    expect(report.drift).toMatchObject({ total: 4, repaired: 4, unrepaired: 0 });
    expect(report.emitted).toEqual({ inbox: 2, hubEvents: 2 });
  });

  it('exits 1 when drift is left that only an operator can settle', async () => {
    await setUp(['hub_missing_in_billing']);
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^hub_missing_in_billing\s+4\s+0\s+none: an operator decides/m);
  });

  it('exits 3 with a clear message while another reconciliation holds the lock', async () => {
    const runtime = await setUp([]);
    const release = acquireReconcileLock(reconcileLockFile(runtime.config));
    try {
      const r = await run();
      expect(r.code).toBe(3);
      expect(r.err).toMatch(
        new RegExp(
          `another reconciliation is running on this data folder \\(pid ${process.pid} on .+\\) \\(lock .+reconcile\\.lock\\); wait for it to finish`,
        ),
      );
      expect(r.out).toBe('');
    } finally {
      release();
    }
    expect((await run()).code).toBe(0);
  });

  it('exits 4 naming the connector when a pull fails, and on a config problem', async () => {
    await setUp([]);
    await stripe.close();
    const r = await run();
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/^subhub reconcile: stripe: the "subscriptions" pull failed: .+ \[DELIVERY_NETWORK\]$/m);
    const missing = await main(['reconcile', '--config', join(tempFiles({}), 'nope.json')], captureIO());
    expect(missing).toBe(4);
  });

  it('exits 2 on bad usage', async () => {
    await setUp([]);
    expect((await run('--examples', 'lots')).code).toBe(2);
    expect((await run('--frobnicate')).code).toBe(2);
  });
});
