import { join } from 'node:path';
import { startStripeSimulator, type StripeSimulator } from '../../connectors/stripe/simulator';
import { reconcile } from '../../src/reconcile/engine';
import { billingSeeds, hubSide, type PopulationOptions } from '../../src/reconcile/synthetic-population';
import { databaseFile, loadRuntime } from '../../src/runtime';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { stripeSimConnector } from '../helpers/stripe-sim-connector';
import { tempFiles } from '../helpers/temp-files';

jest.setTimeout(240_000);

const SUBSCRIPTIONS = 100_000;
const RATE = 25;

/**
 * Issue 9.3b: a nightly reconciliation of 100,000 subscriptions against a Stripe that allows
 * 25 requests a second (test mode) and answers 429 beyond, with 429s injected in the middle of
 * the pull as well. The pull stays under the rate, asks a refused page again from its cursor
 * (never starting over) and finishes: every subscription compared, no drift.
 */
describe('a reconciliation that survives the provider rate limit', () => {
  let stripe: StripeSimulator | undefined;
  let store: SqliteStore | undefined;
  afterAll(async () => {
    await store?.close();
    await stripe?.close();
  });

  it(`${SUBSCRIPTIONS} subscriptions through a limiter at ${RATE} req/s, with injected 429s: no abort, no page read twice`, async () => {
    stripe = await startStripeSimulator(0, { rateLimit: { ratePerSec: RATE } });
    const dir = tempFiles({});
    const config = {
      storage: { dataDir: join(dir, 'data') },
      log: { level: 'error' },
      mappings: { paths: [join(__dirname, '..', '..', 'mappings')] },
      connectors: { stripe: { ...stripeSimConnector(stripe.url), pull: { ratePerSec: RATE } } },
      routes: [],
      reconcile: { billing: 'stripe' },
    };
    const runtime = loadRuntime({
      path: join(tempFiles({ 'hub.json': config }), 'hub.json'),
      localPath: false,
      env: { STRIPE_API_KEY: 'sk_test_simulator', STRIPE_WEBHOOK_SECRET: 'whsec_test' },
    });
    store = await openSqliteStore(databaseFile(join(dir, 'data')));
    const now = Date.parse('2026-03-02T03:00:00Z');
    const population: PopulationOptions = { size: SUBSCRIPTIONS, now, every: SUBSCRIPTIONS * 10, kinds: [] };
    stripe.seedSubscriptions(billingSeeds(population));
    const mapping = runtime.mappings.get('stripe.customer-subscription.to.hub-event');
    for (let i = 0; i < SUBSCRIPTIONS; i += 1000) {
      await store.domain.seedSubscriptions(Array.from({ length: 1000 }, (_, k) => hubSide(population, i + k, mapping).state!));
    }

    const sim = stripe;
    const injectedAt = new Set<number>();
    const started = Date.now();
    const report = await reconcile({
      config: runtime.config,
      mappings: runtime.mappings,
      connectors: runtime.connectors,
      domain: store.domain,
      inbox: store,
      now,
      dryRun: true,
      progressEvery: 10_000,
      // Twice in the middle of the billing pull, Stripe refuses the next three requests.
      onProgress: (p) => {
        if (p.phase === 'billing' && !p.done && (p.processed === 30_000 || p.processed === 70_000) && !injectedAt.has(p.processed)) {
          injectedAt.add(p.processed);
          sim.limiter.failNext(3);
        }
      },
    });
    const seconds = (Date.now() - started) / 1000;

    expect(injectedAt.size).toBe(2);
    expect(report.checked.billingSubscriptions).toBe(SUBSCRIPTIONS);
    expect(report.drift.total).toBe(0);
    expect(sim.limiter.limited).toBeGreaterThanOrEqual(6);
    // Resumed from its cursor: 1,000 pages of 100, each served once.
    expect(sim.limiter.served).toBe(SUBSCRIPTIONS / 100);
    // Under the rate: 1,000 requests at 25/s take at least 40 s (less the first token).
    expect(seconds).toBeGreaterThanOrEqual((SUBSCRIPTIONS / 100 - 1) / RATE);
    console.log(`reconciled ${SUBSCRIPTIONS} subscriptions at ${RATE} req/s with ${sim.limiter.limited} 429s in ${seconds.toFixed(1)} s`);
  });
});
