import { join } from 'node:path';
import { stripeSimConnector } from '../../test/helpers/stripe-sim-connector';
import { startOdooSimulator, type OdooSimulator } from '../../connectors/odoo/simulator';
import { startStripeSimulator, type StripeSimulator } from '../../connectors/stripe/simulator';
import { startWarehouseSimulator, type WarehouseSimulator } from '../../connectors/warehouse/simulator';
import { tempFiles } from '../../test/helpers/temp-files';
import { isHubError } from '../errors/hub-error';
import { databaseFile, loadRuntime, type Runtime } from '../runtime';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/sqlite-store';
import { reconcile, type ReconcileDeps, type ReconcileProgress } from './engine';
import { ALL_INJECTED, billingSeeds, hubSide, injectedCounts, subscriptionIdAt, type PopulationOptions } from './synthetic-population';

const SHIPPED_MAPPINGS = join(__dirname, '..', '..', 'mappings');
const NOW = Date.parse('2026-03-02T03:00:00Z');
const ENV = { STRIPE_API_KEY: 'sk_test_simulator', STRIPE_WEBHOOK_SECRET: 'whsec_test', ODOO_API_KEY: 'odoo-api-key' };

interface World {
  stripe: StripeSimulator;
  warehouse: WarehouseSimulator;
  odoo?: OdooSimulator;
  runtime: Runtime;
  store: SqliteStore;
  population: PopulationOptions;
  deps(extra?: Partial<ReconcileDeps>): ReconcileDeps;
  close(): Promise<void>;
}

/** Simulators and a hub store holding the same synthetic population, with drift injected. */
async function world(
  population: Omit<PopulationOptions, 'now'>,
  o: { erp?: boolean; reconcile?: Record<string, unknown> } = {},
): Promise<World> {
  const stripe = await startStripeSimulator();
  const warehouse = await startWarehouseSimulator();
  const odoo = o.erp ? await startOdooSimulator() : undefined;
  const dir = tempFiles({});
  // The engine's tests, not the pacing's (test/reliability/rate-limited-reconcile.test.ts): fast pulls, one retry.
  const pull = { ratePerSec: 10_000, maxRetries: 1, maxDelayMs: 10 };
  const config = {
    storage: { dataDir: join(dir, 'data') },
    log: { level: 'error' },
    mappings: { paths: [SHIPPED_MAPPINGS] },
    connectors: {
      stripe: { ...stripeSimConnector(stripe.url), pull },
      warehouse: { type: 'warehouse', options: { baseUrl: warehouse.url, allowHosts: ['127.0.0.1'] }, pull },
      ...(odoo
        ? {
            odoo: {
              type: 'odoo',
              pull,
              options: {
                baseUrl: odoo.url,
                db: 'subscriptions',
                login: 'hub-bot',
                apiKey: { env: 'ODOO_API_KEY' },
                allowHosts: ['127.0.0.1'],
              },
            },
          }
        : {}),
    },
    routes: [],
    reconcile: { billing: 'stripe', warehouse: 'warehouse', ...(odoo ? { erp: 'odoo' } : {}), ...o.reconcile },
  };
  const files = tempFiles({ 'hub.json': config });
  const runtime = loadRuntime({ path: join(files, 'hub.json'), localPath: false, env: ENV });
  const store = await openSqliteStore(databaseFile(join(dir, 'data')));
  const p: PopulationOptions = { ...population, now: NOW };
  stripe.seedSubscriptions(billingSeeds(p));
  const mapping = runtime.mappings.get('stripe.customer-subscription.to.hub-event');
  for (let i = 0; i < p.size; i++) {
    const h = hubSide(p, i, mapping);
    if (h.state) await store.domain.seedSubscriptions([h.state]);
    if (h.demand) await store.domain.seedDemand([h.demand]);
    for (const r of h.reservations) warehouse.reservations.set(r.reference, { ...r });
  }
  return {
    stripe,
    warehouse,
    odoo,
    runtime,
    store,
    population: p,
    deps: (extra = {}) => ({
      config: runtime.config,
      mappings: runtime.mappings,
      connectors: runtime.connectors,
      domain: store.domain,
      inbox: store,
      now: NOW,
      ...extra,
    }),
    close: async () => {
      await store.close();
      await stripe.close();
      await warehouse.close();
      await odoo?.close();
    },
  };
}

const foundByKind = (r: Awaited<ReturnType<typeof reconcile>>) =>
  Object.fromEntries(Object.entries(r.drift.byKind).map(([k, c]) => [k, c.found]));

describe('reconcile: billing, hub and warehouse', () => {
  let w: World;
  afterEach(() => w?.close());

  it('finds every injected drift by kind; a dry run emits and records nothing', async () => {
    w = await world({ size: 1000, every: 10, kinds: ALL_INJECTED });
    const progress: ReconcileProgress[] = [];
    const r = await reconcile(w.deps({ dryRun: true, progressEvery: 200, onProgress: (p) => progress.push(p) }));
    expect(foundByKind(r)).toEqual(injectedCounts(w.population));
    expect(r.drift).toMatchObject({ total: 100, repaired: 0, unrepaired: 100 });
    expect(r.checked.billingSubscriptions).toBe(1000 - injectedCounts(w.population).hub_missing_in_billing!);
    expect(r.emitted).toEqual({ inbox: 0, hubEvents: 0 });
    expect(await w.store.counts()).toMatchObject({ inboxPending: 0 });
    expect(await w.store.domain.decisions({ kind: 'reconcile' })).toEqual([]);
    expect(r.drift.byKind.billing_status_mismatch!.examples[0]).toMatchObject({
      subject: expect.stringMatching(/^sub_/),
      detail: expect.stringContaining('status: active → canceled'),
    });
    expect(r.drift.byKind.reservation_orphan!.examples[0]!.subject).toMatch(/^subhub:stripe:sub_\d+:\d{4}-\d{2}-\d{2}$/);
    expect(progress.filter((p) => p.done).map((p) => p.phase)).toEqual(['warehouse', 'billing', 'hub']);
    expect(progress.some((p) => p.phase === 'billing' && !p.done)).toBe(true);
  });

  it('repairs by emitting: provider events into the inbox, demand as hub events; the same day again emits nothing new', async () => {
    w = await world({ size: 600, every: 10, kinds: ALL_INJECTED });
    const injected = injectedCounts(w.population);
    const billingRepairs = [
      'billing_status_mismatch',
      'billing_items_mismatch',
      'billing_period_mismatch',
      'billing_cancel_mismatch',
      'billing_pause_mismatch',
      'billing_missing_in_hub',
    ] as const;
    const r = await reconcile(w.deps());
    expect(foundByKind(r)).toEqual(injected);
    expect(r.drift.unrepaired).toBe(injected.hub_missing_in_billing);
    expect(r.emitted.inbox).toBe(billingRepairs.reduce((n, k) => n + injected[k]!, 0));
    expect(r.emitted.hubEvents).toBe(injected.reservation_missing! + injected.reservation_mismatch! + injected.reservation_orphan!);

    const canceled = r.drift.byKind.billing_status_mismatch!.examples[0]!;
    expect(canceled.repair).toMatch(new RegExp(`^reconcile:${canceled.subject}:2026-03-02:[0-9a-z]+$`));
    const status = await w.store.findEvent('stripe', canceled.repair!);
    expect(status?.inbox).toMatchObject({ eventType: 'customer.subscription.deleted', status: 'received' });
    const missing = r.drift.byKind.billing_missing_in_hub!.examples[0]!;
    expect((await w.store.findEvent('stripe', missing.repair!))?.inbox.eventType).toBe('customer.subscription.created');
    const resent = r.drift.byKind.reservation_missing!.examples[0]!;
    expect(resent.repair).toMatch(/^hub:reconcile:demand:stripe:sub_\d+:\d{4}-\d{2}-\d{2}:2026-03-02$/);
    // Repairs are queued in the outbox with the run; the pipeline's relay moves them to the inbox.
    await w.store.relayOutbox(1000);
    expect((await w.store.findEvent('hub', resent.repair!))?.inbox.eventType).toBe('stock.demand_changed');
    expect(await w.store.domain.decisions({ kind: 'reconcile' })).toEqual([
      expect.objectContaining({
        subject: 'reconcile',
        outcome: expect.stringMatching(/^60 drift, 54 repaired \(billing_missing_in_hub 6, billing_status_mismatch 6, /),
      }),
    ]);

    // Nothing was processed yet, so the drift is still there; its repairs are already in the inbox.
    const again = await reconcile(w.deps());
    expect(foundByKind(again)).toEqual(injected);
    expect(again.emitted).toEqual({ inbox: 0, hubEvents: 0 });
  });

  it('a repair event maps to exactly the truth it was compared with', async () => {
    w = await world({ size: 100, every: 10, kinds: ['billing_items_mismatch'] });
    const r = await reconcile(w.deps());
    const d = r.drift.byKind.billing_items_mismatch!.examples[0]!;
    const row = await w.store.findEvent('stripe', d.repair!);
    const body = JSON.parse(w.store.db.prepare('SELECT body FROM inbox WHERE id = ?').pluck().get(row!.inbox.id) as string);
    const mapped = w.runtime.mappings.get('stripe.customer-subscription.to.hub-event').runSync(body);
    expect(mapped.dropped).toBe(false);
    const event = (mapped as { output: { type: string; subscription: { items: Array<{ quantity: number }> } } }).output;
    expect(event.type).toBe('subscription.changed');
    const i = Number(d.subject.slice(4));
    expect(event.subscription.items[0]!.quantity).toBe(1 + (i % 3) + 1);
  });

  it('reports a subscription whose price no mapping knows as billing_unmappable, and repairs nothing for it', async () => {
    w = await world({ size: 20, every: 1000, kinds: [] });
    w.stripe.subscription(subscriptionIdAt(3))!.items = {
      object: 'list',
      data: [{ id: 'si_x', object: 'subscription_item', price: { id: 'price_unknown', object: 'price' }, quantity: 1 }],
      has_more: false,
    };
    const r = await reconcile(w.deps());
    expect(foundByKind(r)).toEqual({ billing_unmappable: 1 });
    expect(r.drift.byKind.billing_unmappable!.examples[0]!.detail).toMatch(/MAPPING_LOOKUP_MISSING/);
    expect(r.emitted).toEqual({ inbox: 0, hubEvents: 0 });
  });

  it('finds no drift when everything agrees', async () => {
    w = await world({ size: 300, every: 1000, kinds: [] });
    const r = await reconcile(w.deps());
    expect(r.drift).toEqual({ total: 0, repaired: 0, unrepaired: 0, byKind: {} });
    expect(r.checked).toMatchObject({ billingSubscriptions: 300, hubSubscriptions: 300, demandRecords: 300 });
    expect(r.checked.reservations).toBeGreaterThan(200);
  });

  it('notices past reservations the warehouse lost (a restarted warehouse) within reconcile.lookbackDays, and re-sends them (issue 10.8)', async () => {
    w = await world({ size: 30, every: 1000, kinds: [] });
    const past = (id: number, period: string) => ({
      subscriptionId: `stripe:${subscriptionIdAt(id)}`,
      customerId: `stripe:cus_${String(id).padStart(8, '0')}`,
      period,
      status: 'reserved' as const,
      lines: [{ sku: 'COF-ESP-250', quantity: 1 }],
      revision: 1,
      eventId: 'seed',
      reason: 'active: the delivery ships',
    });
    // Yesterday's and a delivery two days ago were reserved and pushed; the warehouse lost the first,
    // (today's box is compared like future ones: reservation_missing, see warehouse-holds.test.ts),
    // still has (or shipped) the second; one of twelve days ago is outside the window.
    await w.store.domain.seedDemand([past(1, '2026-03-01'), past(2, '2026-02-28'), past(3, '2026-02-18')]);
    const kept = `subhub:stripe:${subscriptionIdAt(2)}:2026-02-28`;
    w.warehouse.reservations.set(kept, {
      reference: kept,
      warehouse: 'NL-AMS-01',
      status: 'reserved',
      lines: [],
      version: 1,
      updatedAt: '',
    });
    const r = await reconcile(w.deps());
    expect(foundByKind(r)).toEqual({ reservation_lost: 1 });
    const lost = r.drift.byKind.reservation_lost!.examples[0]!;
    expect(lost).toMatchObject({
      subject: `subhub:stripe:${subscriptionIdAt(1)}:2026-03-01`,
      detail: expect.stringContaining('the warehouse no longer has it'),
    });
    await w.store.relayOutbox(1000);
    expect((await w.store.findEvent('hub', lost.repair!))?.inbox.eventType).toBe('stock.demand_changed');
    // A longer window finds the older one too.
    const wider = await reconcile(
      w.deps({ dryRun: true, config: { ...w.runtime.config, reconcile: { ...w.runtime.config.reconcile, lookbackDays: 30 } } }),
    );
    expect(foundByKind(wider)).toEqual({ reservation_lost: 2 });
  });

  it('fails naming the connector and the pull when a pull fails; a config naming no connector is a config error', async () => {
    w = await world({ size: 10, every: 1000, kinds: [] });
    await w.stripe.close();
    const e = await reconcile(w.deps()).catch((x: unknown) => x);
    expect(isHubError(e) && e.code).toBe('DELIVERY_NETWORK');
    expect((e as Error).message).toMatch(/^stripe: the "subscriptions" pull failed: /);
    const config = { ...w.runtime.config, reconcile: { billing: 'nope' } };
    await expect(reconcile(w.deps({ config }))).rejects.toMatchObject({
      code: 'CONFIG_UNKNOWN_REF',
      message: expect.stringContaining('reconcile.billing names connector "nope"'),
    });
  });
});

describe('reconcile: ERP purchase proposals', () => {
  let w: World;
  afterEach(() => w?.close());

  it('reports open proposals without a draft purchase order and drafts of ours without a proposal', async () => {
    w = await world({ size: 5, every: 1000, kinds: [] }, { erp: true });
    const propose = (sku: string, at: string) =>
      w.store.domain.addProposal(
        { id: `p-${sku}`, sku, location: 'AMS1', quantity: 12, status: 'open', proposedAt: at, reason: 'test', trail: [] },
        {
          id: `e-${sku}`,
          type: 'stock.reorder_proposed',
          schemaVersion: 1,
          occurredAt: at,
          receivedAt: at,
          effectiveAt: at,
          actionType: 'effective',
          source: { provider: 'hub', eventId: `reorder:${sku}`, eventType: 'reorder', dedupeKey: `hub:reorder:${sku}` },
          tenantId: 'default',
          reorder: {
            sku,
            location: 'AMS1',
            quantity: 12,
            proposedAt: at,
            reason: 'test',
            inputs: { onHand: 0, incoming: 0, subscriptionDemand: 1, min: 1, max: 12, multiple: 12, forecast: 0 },
            trail: [],
          },
        },
        NOW,
      );
    await propose('COF-ESP-250', '2026-03-01T03:00:00.000Z'); // its draft is in the ERP
    await propose('COF-FLT-250', '2026-03-01T03:00:00.000Z'); // no draft: drift
    await propose('LENS-CASE', '2026-03-02T02:50:00.000Z'); // no draft yet, but only 10 minutes old
    const orders = w.odoo!.models.get('purchase.order')!;
    orders.set(1, { id: 1, name: 'P00001', origin: 'subhub:reorder:COF-ESP-250:AMS1:2026-03-01', state: 'draft' });
    orders.set(2, { id: 2, name: 'P00002', origin: 'subhub:reorder:RBT-BLADE:AMS1:2026-02-20', state: 'draft' });
    orders.set(3, { id: 3, name: 'P00003', origin: 'manual', state: 'draft' });
    const r = await reconcile(w.deps());
    expect(foundByKind(r)).toEqual({ erp_proposal_missing: 1, erp_proposal_orphan: 1 });
    expect(r.drift.byKind.erp_proposal_missing!.examples[0]!.subject).toBe('subhub:reorder:COF-FLT-250:AMS1:2026-03-01');
    expect(r.drift.byKind.erp_proposal_orphan!.examples[0]!.subject).toBe('subhub:reorder:RBT-BLADE:AMS1:2026-02-20');
    expect(r.checked).toMatchObject({ openProposals: 3, draftPurchaseOrders: 3 });
    expect(r.drift.unrepaired).toBe(2);
  });
});
