import { startMollieSimulator, type MollieSimulator } from '../../connectors/mollie/simulator';
import type { Obj } from '../../connectors/mollie/simulator-objects';
import { startStripeSimulator, type StripeSimulator } from '../../connectors/stripe/simulator';
import { stripeSimConnector } from '../../test/helpers/stripe-sim-connector';
import { eventually } from '../../test/helpers/target-server';
import { startTestHub } from '../../test/helpers/test-hub';
import { applyEvent } from '../domain/subscription-projection';
import type { HubEvent } from '../events';
import { loadRuntime, type Runtime } from '../runtime';
import type { SqliteStore } from '../store/sqlite/sqlite-store';
import { reconcile, type ReconcileDeps, type ReconcileReport } from './engine';
import { formatReport } from './report-format';
import { billingSeeds, hubSide, type PopulationOptions } from './synthetic-population';

const ENV = { STRIPE_API_KEY: 'sk_test_simulator', MOLLIE_API_KEY: 'test_reconcile', MOLLIE_WEBHOOK_SECRET: 'mollie-secret' };
const STRIPE_SIZE = 20;
// The engine's tests, not the pacing's: fast pulls, one retry.
const PULL = { ratePerSec: 10_000, maxRetries: 1, maxDelayMs: 10 };

interface World {
  stripe: StripeSimulator;
  mollie: MollieSimulator;
  hub: Awaited<ReturnType<typeof startTestHub>>;
  runtime: Runtime;
  /** Mollie's subscriptions, in creation order. */
  subs: Obj[];
  deps(extra?: Partial<ReconcileDeps>): ReconcileDeps;
  /** The running hub processes what is in its inbox (repairs included) to the end. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A running hub with Stripe and Mollie side by side (as config/hub.json has them), each at its
 * simulator: Stripe with a population the hub agrees with, Mollie with `mollie` subscriptions of one
 * customer (2 × COF-ESP-250 each), of which the hub holds the first `inHub`, made the way the
 * pipeline makes them: the fetched subscription through the inbound mapping and the projection.
 */
async function world(mollieCount: number, inHub: number, reconcileConfig: Record<string, unknown> = {}): Promise<World> {
  const stripe = await startStripeSimulator();
  const mollie = await startMollieSimulator();
  const hub = await startTestHub({
    targetUrl: 'http://127.0.0.1:9',
    env: ENV,
    config: {
      connectors: {
        stripe: { ...stripeSimConnector(stripe.url), pull: PULL },
        mollie: {
          type: 'mollie',
          webhook: { secrets: [{ env: 'MOLLIE_WEBHOOK_SECRET' }], allowUnsigned: true },
          inbound: {
            mappings: {
              payment: 'mollie.payment.to.hub-event',
              subscription: 'mollie.subscription.to.hub-event',
              mandate: 'mollie.mandate.to.hub-event',
            },
          },
          options: { apiKey: { env: 'MOLLIE_API_KEY' }, apiEndpoint: mollie.apiEndpoint, allowHosts: ['127.0.0.1'] },
          pull: PULL,
        },
      },
      routes: [],
      reconcile: { billing: ['stripe', 'mollie'], ...reconcileConfig },
    },
  });
  const runtime = loadRuntime({ path: hub.configPath, localPath: false, env: ENV });

  const population: PopulationOptions = { size: STRIPE_SIZE, now: Date.now(), every: 1000, kinds: [] };
  stripe.seedSubscriptions(billingSeeds(population));
  const stripeMapping = hub.mappings.get('stripe.customer-subscription.to.hub-event');
  for (let i = 0; i < STRIPE_SIZE; i++) await hub.store.domain.seedSubscriptions([hubSide(population, i, stripeMapping).state!]);

  mollie.seedSubscriptions(mollieCount);
  const subs = [...mollie.objects.values()].filter((o) => o.resource === 'subscription');
  const mollieMapping = hub.mappings.get('mollie.subscription.to.hub-event');
  for (const [i, s] of subs.entries()) {
    s.metadata = { sku: 'COF-ESP-250', quantity: 2 };
    if (i >= inHub) continue;
    const mapped = mollieMapping.runSync({ id: s.id, enrichment: { subscription: s } });
    if (mapped.dropped) throw new Error(`the seed ${s.id} does not map: ${mapped.reason}`);
    const event = { ...(mapped.output as HubEvent), id: `seed-${s.id}`, receivedAt: new Date().toISOString() };
    await hub.store.domain.seedSubscriptions([applyEvent(undefined, event).state!]);
  }

  return {
    stripe,
    mollie,
    hub,
    runtime,
    subs,
    deps: (extra = {}) => ({
      config: runtime.config,
      mappings: runtime.mappings,
      connectors: runtime.connectors,
      domain: hub.store.domain,
      inbox: hub.store,
      now: Date.now(),
      ...extra,
    }),
    drain: async () => {
      hub.pipeline.notify();
      await eventually(async () => (await hub.store.counts()).inboxPending === 0, 20_000);
    },
    close: async () => {
      await hub.stop();
      await stripe.close();
      await mollie.close();
    },
  };
}

const foundByKind = (r: ReconcileReport) => Object.fromEntries(Object.entries(r.drift.byKind).map(([k, c]) => [k, c.found]));
const mollieTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

describe('reconcile: Mollie beside Stripe', () => {
  let w: World | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  it('repairs a subscription the hub lacks and one canceled at Mollie through the pipeline; an equal one and every Stripe subscription are no drift', async () => {
    // The hub holds the first two of three; the second is then canceled at Mollie, silently.
    w = await world(3, 2);
    const [equal, canceled, missing] = w.subs as [Obj, Obj, Obj];
    Object.assign(canceled, { status: 'canceled', canceledAt: mollieTime(Date.now() + 1000), nextPaymentDate: null });

    const r = await reconcile(w.deps());
    expect(r.systems.billing).toEqual(['stripe', 'mollie']);
    expect(formatReport(r)).toMatch(/^reconcile \S+: billing stripe \+ mollie, warehouse \(skipped\), erp \(skipped\); /);
    // Every Stripe subscription agrees, and the hub's Stripe subscriptions are not Mollie's business.
    expect(foundByKind(r)).toEqual({ billing_missing_in_hub: 1, billing_status_mismatch: 1 });
    expect(r.checked).toMatchObject({ billingSubscriptions: STRIPE_SIZE + 3, hubSubscriptions: STRIPE_SIZE + 2 });
    expect(r.drift).toMatchObject({ total: 2, repaired: 2, unrepaired: 0 });
    expect(r.emitted.inbox).toBe(2);
    const status = r.drift.byKind.billing_status_mismatch!.examples[0]!;
    expect(status).toMatchObject({ subject: canceled.id, detail: expect.stringContaining('status: active → canceled') });
    const lacking = r.drift.byKind.billing_missing_in_hub!.examples[0]!;
    expect(lacking.subject).toBe(missing.id);
    expect(r.drift.byKind).not.toHaveProperty('hub_missing_in_billing');

    // The repair is Mollie's own notification of the subscription, under the type the mollie scheme gives `sub_…`.
    const entry = await w.hub.store.findEvent('mollie', lacking.repair!);
    expect(entry?.inbox).toMatchObject({ eventType: 'subscription' });
    expect(lacking.repair).toMatch(new RegExp(`^reconcile:${missing.id}:\\d{4}-\\d{2}-\\d{2}:[0-9a-z]+$`));

    await w.drain();
    expect((await w.hub.store.counts()).deadLettersOpen).toBe(0);
    // The pipeline fetched the subscription again (fetch on notify) and stored what it fetched with the entry.
    const enrichment = (w.hub.store as SqliteStore).db
      .prepare('SELECT enrichment FROM inbox WHERE id = ?')
      .pluck()
      .get(entry!.inbox.id) as string;
    expect(JSON.parse(enrichment)).toMatchObject({ subscription: { id: missing.id, status: 'active' }, mandate: { resource: 'mandate' } });
    const states = await w.hub.store.domain.subscriptionsByProviderId([missing.id, canceled.id, equal.id]);
    expect(states.get(missing.id)?.snapshot).toMatchObject({
      hubSubscriptionId: `mollie:${missing.id}`,
      status: 'active',
      items: [{ sku: 'COF-ESP-250', quantity: 2 }],
    });
    expect(states.get(canceled.id)?.snapshot).toMatchObject({ status: 'canceled', cancel: { atPeriodEnd: false } });

    // The repairs mapped to exactly the truth compared: nothing is left, nothing new is emitted.
    const again = await reconcile(w.deps());
    expect(again.drift).toEqual({ total: 0, repaired: 0, unrepaired: 0, byKind: {} });
    expect(again.checked).toMatchObject({ billingSubscriptions: STRIPE_SIZE + 3, hubSubscriptions: STRIPE_SIZE + 3 });
  });

  it('a completed Mollie subscription the hub lacks is repaired as expired; a hub Mollie subscription Mollie does not list is reported against mollie only', async () => {
    w = await world(2, 1);
    const [listed, completed] = w.subs as [Obj, Obj];
    Object.assign(completed, { status: 'completed', times: 3, timesRemaining: 0, nextPaymentDate: null });
    // The hub holds a Mollie subscription Mollie never had (and the Stripe ones, which Mollie does not list either).
    const ghost = { ...listed, id: 'sub_ghost', metadata: { sku: 'COF-ESP-250' } };
    const mapped = w.hub.mappings.get('mollie.subscription.to.hub-event').runSync({ id: ghost.id, enrichment: { subscription: ghost } });
    if (mapped.dropped) throw new Error(`the ghost does not map: ${mapped.reason}`);
    const event = { ...(mapped.output as HubEvent), id: 'seed-ghost', receivedAt: new Date().toISOString() };
    await w.hub.store.domain.seedSubscriptions([applyEvent(undefined, event).state!]);

    const r = await reconcile(w.deps());
    expect(foundByKind(r)).toEqual({ billing_missing_in_hub: 1, hub_missing_in_billing: 1 });
    expect(r.drift.byKind.hub_missing_in_billing!.examples[0]).toMatchObject({
      subject: 'sub_ghost',
      detail: 'the hub has mollie:sub_ghost (active); mollie does not list it',
    });
    await w.drain();
    const state = (await w.hub.store.domain.subscriptionsByProviderId([completed.id])).get(completed.id);
    expect(state).toMatchObject({ lastEventType: 'subscription.expired', snapshot: { status: 'expired' } });
    expect(foundByKind(await reconcile(w.deps({ dryRun: true })))).toEqual({ hub_missing_in_billing: 1 });
  });

  it('a single billing connector id still works; two connectors giving the same hub id prefix, or an unknown one, are config errors', async () => {
    w = await world(1, 1);
    const only = await reconcile(w.deps({ config: { ...w.runtime.config, reconcile: { billing: 'mollie' } } }));
    expect(only.systems.billing).toEqual(['mollie']);
    expect(only.checked).toMatchObject({ billingSubscriptions: 1, hubSubscriptions: 1 });
    expect(only.drift.total).toBe(0);

    const connectors = new Map(w.runtime.connectors);
    connectors.set('mollie-be', { ...w.runtime.connectors.get('mollie')!, id: 'mollie-be' });
    const c = w.runtime.config;
    const twoAccounts: typeof c = {
      ...c,
      connectors: { ...c.connectors, 'mollie-be': c.connectors!.mollie! },
      reconcile: { billing: ['mollie', 'mollie-be'] as [string, string] },
    };
    await expect(reconcile(w.deps({ connectors, config: twoAccounts }))).rejects.toMatchObject({
      code: 'CONFIG_UNKNOWN_REF',
      message: expect.stringContaining('connectors "mollie" and "mollie-be" both give hub subscription ids "mollie:…"'),
    });
    await expect(reconcile(w.deps({ config: { ...w.runtime.config, reconcile: { billing: ['stripe', 'nope'] } } }))).rejects.toMatchObject({
      code: 'CONFIG_UNKNOWN_REF',
      message: expect.stringContaining('reconcile.billing names connector "nope"'),
    });
  });
  it('a change at Mollie under an unchanged status (items) is reported unrepaired: a replay of (subscription, status) would be ignored as applied', async () => {
    w = await world(1, 1);
    const [changed] = w.subs as [Obj];
    changed.metadata = { sku: 'COF-ESP-250', quantity: 3 };
    const r = await reconcile(w.deps());
    expect(foundByKind(r)).toEqual({ billing_items_mismatch: 1 });
    expect(r.drift).toMatchObject({ total: 1, repaired: 0, unrepaired: 1 });
    expect(r.drift.byKind.billing_items_mismatch!.examples[0]).toMatchObject({
      subject: changed.id,
      detail: expect.stringMatching(/^items: 2×COF-ESP-250 → 3×COF-ESP-250; not repaired: the hub holds this Mollie status already/),
    });
    expect(r.emitted.inbox).toBe(0);
    expect((await w.hub.store.counts()).inboxPending).toBe(0);
  });

  it("past_due in the hub for a subscription Mollie keeps active is the hub's own dunning, not drift", async () => {
    w = await world(2, 2);
    const [dunned, ended] = w.subs as [Obj, Obj];
    const states = await w.hub.store.domain.subscriptionsByProviderId([dunned.id, ended.id]);
    for (const s of states.values()) s.snapshot = { ...s.snapshot, status: 'past_due' };
    await w.hub.store.domain.seedSubscriptions([...states.values()]);
    // …but not when Mollie has ended it meanwhile.
    Object.assign(ended, { status: 'canceled', canceledAt: mollieTime(Date.now() + 1000), nextPaymentDate: null });
    const r = await reconcile(w.deps({ dryRun: true }));
    expect(foundByKind(r)).toEqual({ billing_status_mismatch: 1 });
    expect(r.drift.byKind.billing_status_mismatch!.examples[0]).toMatchObject({
      subject: ended.id,
      detail: expect.stringContaining('past_due → canceled'),
    });
  });
});
