import { odooConnector } from '../../connectors/odoo';
import { startOdooSimulator } from '../../connectors/odoo/simulator';
import { shopifyConnector } from '../../connectors/shopify';
import { startShopifySimulator } from '../../connectors/shopify/simulator';
import { stripeConnector } from '../../connectors/stripe';
import { startStripeSimulator } from '../../connectors/stripe/simulator';
import { warehouseConnector } from '../../connectors/warehouse';
import { startWarehouseSimulator } from '../../connectors/warehouse/simulator';
import type { Pull } from '../../src/sdk';

const collect = async (pull: Pull, params?: Record<string, string>) => {
  const out: unknown[] = [];
  for await (const r of pull(params)) out.push(r);
  return out;
};
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/**
 * Issue 9.3b: every simulator enforces a configurable request rate and answers beyond it the
 * way its provider does; every connector's pull waits, asks the refused page again (Retry-After
 * honoured) and carries on from where it was.
 */
describe('simulators answer too many requests like their provider', () => {
  it('Stripe: 429 with its error object; Odoo and the warehouse: 429 with Retry-After; Shopify: THROTTLED', async () => {
    const limit = { rateLimit: { ratePerSec: 0.5, burst: 1 } };
    const [stripe, odoo, warehouse, shopify] = await Promise.all([
      startStripeSimulator(0, limit),
      startOdooSimulator(0, limit),
      startWarehouseSimulator(0, limit),
      startShopifySimulator(0, limit),
    ]);
    closers.push(stripe.close, odoo.close, warehouse.close, shopify.close);
    const twice = async (url: string, init?: RequestInit) => {
      await fetch(url, init);
      return fetch(url, init);
    };
    const s = await twice(`${stripe.url}/v1/subscriptions`, { headers: { authorization: 'Bearer sk_test_simulator' } });
    expect(s.status).toBe(429);
    expect(await s.json()).toEqual({ error: { type: 'invalid_request_error', message: expect.stringContaining('rate limit') } });
    for (const url of [`${odoo.url}/jsonrpc`, `${warehouse.url}/stock`]) {
      const r = await twice(url, {
        method: url.endsWith('jsonrpc') ? 'POST' : 'GET',
        headers: { 'content-type': 'application/json' },
        body: url.endsWith('jsonrpc') ? '{}' : undefined,
      });
      expect([r.status, r.headers.get('retry-after')]).toEqual([429, '2']);
    }
    const q = await twice(`${shopify.url}/admin/api/2025-10/graphql.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-access-token': 'shpat_simulator' },
      body: JSON.stringify({ query: '{ shop { name } }' }),
    });
    expect(q.status).toBe(200);
    expect(await q.json()).toMatchObject({
      errors: [{ extensions: { code: 'THROTTLED' } }],
      extensions: { cost: { throttleStatus: { restoreRate: 100 } } },
    });
    // Identity answers are never limited: a restarted hub finds its simulators by them.
    expect(await (await fetch(`${warehouse.url}/_sim/identity`)).json()).toMatchObject({ simulator: 'warehouse', pid: process.pid });
  });
});

describe('pulls survive 429s and resume where they were', () => {
  const fast = { pull: { ratePerSec: 1000, maxDelayMs: 50 } };

  it('Stripe subscriptions: a refused page is asked again from its cursor', async () => {
    const sim = await startStripeSimulator();
    closers.push(sim.close);
    sim.seedSubscriptions(
      Array.from({ length: 250 }, (_, i) => ({
        id: `sub_${String(i).padStart(4, '0')}`,
        customer: 'cus_1',
        status: 'active',
        items: [],
        currentPeriodStart: 0,
        currentPeriodEnd: 1,
      })),
    );
    const pulls = stripeConnector.createPulls!(
      {
        apiKey: { env: 'K' },
        api: { host: '127.0.0.1', port: Number(new URL(sim.url).port), protocol: 'http' },
        allowHosts: ['127.0.0.1'],
      },
      { resolveSecret: () => 'sk_test_simulator', ...fast },
    );
    sim.limiter.failNext(2);
    const subs = await collect(pulls.subscriptions!);
    expect(subs).toHaveLength(250);
    expect([sim.limiter.limited, sim.limiter.served]).toEqual([2, 3]);
  });

  it('warehouse reservations: Retry-After honoured, the cursor kept', async () => {
    const sim = await startWarehouseSimulator();
    closers.push(sim.close);
    for (let i = 0; i < 250; i++)
      sim.reservations.set(`r${i}`, { reference: `r${i}`, warehouse: 'W', status: 'reserved', lines: [], version: 1, updatedAt: '' });
    const pulls = warehouseConnector.createPulls!(
      { baseUrl: sim.url, allowHosts: ['127.0.0.1'] },
      { resolveSecret: () => undefined, pull: { ratePerSec: 1000, maxDelayMs: 5000 } },
    );
    const started = Date.now();
    sim.limiter.failNext(1);
    expect(await collect(pulls.reservations!)).toHaveLength(250);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // Retry-After: 1
    expect([sim.limiter.limited, sim.limiter.served]).toEqual([1, 3]);
  });

  it('Odoo draft purchase orders and Shopify inventory levels', async () => {
    const odoo = await startOdooSimulator();
    const shopify = await startShopifySimulator();
    closers.push(odoo.close, shopify.close);
    const orders = odoo.models.get('purchase.order')!;
    for (let i = 1; i <= 450; i++) orders.set(i, { id: i, name: `P${i}`, origin: `o${i}`, partner_id: 1, state: 'draft' });
    const odooPulls = odooConnector.createPulls!(
      { baseUrl: odoo.url, db: 'subscriptions', login: 'hub-bot', apiKey: { env: 'K' }, allowHosts: ['127.0.0.1'] },
      { resolveSecret: () => 'odoo-api-key', ...fast },
    );
    await collect(odooPulls.openSaleOrders!); // logs in
    odoo.limiter.failNext(2);
    expect(await collect(odooPulls.draftPurchaseOrders!)).toHaveLength(450);
    expect(odoo.limiter.limited).toBe(2);

    const shopifyPulls = shopifyConnector.createPulls!(
      { shop: 'pulls.myshopify.com', accessToken: { env: 'T' }, endpoint: shopify.url, allowHosts: ['127.0.0.1'] },
      { resolveSecret: () => 'shpat_simulator', ...fast },
    );
    shopify.quantities.set('gid://shopify/InventoryItem/1|gid://shopify/Location/7|available', 5);
    shopify.limiter.failNext(2);
    expect(
      await collect(shopifyPulls.inventoryLevels!, {
        inventoryItemId: 'gid://shopify/InventoryItem/1',
        locationId: 'gid://shopify/Location/7',
        names: 'available',
      }),
    ).toEqual([{ name: 'available', quantity: 5 }]);
    expect(shopify.limiter.limited).toBe(2);
  });
});
