import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionContext, ConnectorDeps } from '../../src/sdk';
import { MappingSet } from '../../src/mapping/mapping-set';
import { shopifyConnector } from './index';
import { startShopifySimulator, type ShopifySimulator } from './simulator';

const ctx = (key = 'k', timeoutMs = 5000): ActionContext => ({ idempotencyKey: key, attempt: 1, timeoutMs });
const deps: ConnectorDeps = { resolveSecret: () => 'shpat_simulator' };
let n = 0;

describe('Shopify connector against its GraphQL simulator (through @shopify/shopify-api)', () => {
  let sim: ShopifySimulator;
  beforeEach(async () => {
    sim = await startShopifySimulator(0, { restoreRate: 100 });
  });
  afterEach(() => sim.close());
  // Each test gets its own shop name: the library's fetch redirect is per shop.
  const options = () => ({
    shop: `test-${n++}.myshopify.com`,
    accessToken: { env: 'SHOPIFY_ADMIN_TOKEN' },
    endpoint: sim.url,
    allowHosts: ['127.0.0.1'],
  });

  const move = (key: string, qty = 2) => ({
    idempotencyKey: key,
    input: {
      reason: 'reservation_created',
      referenceDocumentUri: 'gid://subhub/SubscriptionPeriod/sub_1-2026-01-24',
      changes: [
        {
          inventoryItemId: 'gid://shopify/InventoryItem/1',
          quantity: qty,
          from: { locationId: 'gid://shopify/Location/7', name: 'available', changeFromQuantity: null },
          to: {
            locationId: 'gid://shopify/Location/7',
            name: 'reserved',
            ledgerDocumentUri: 'gid://subhub/Reservation/sub_1-2026-01-24',
            changeFromQuantity: null,
          },
        },
      ],
    },
  });

  it('moves available → reserved once per idempotency key', async () => {
    const a = shopifyConnector.createActions!(options(), deps);
    await a.moveInventoryQuantities!(move('key-1'), ctx());
    await a.moveInventoryQuantities!(move('key-1'), ctx());
    expect(sim.applied).toBe(1);
    expect(sim.quantities.get('gid://shopify/InventoryItem/1|gid://shopify/Location/7|reserved')).toBe(2);
    expect(sim.quantities.get('gid://shopify/InventoryItem/1|gid://shopify/Location/7|available')).toBe(-2);
  });

  it('the shipped mapping produces input Shopify accepts', async () => {
    const set = MappingSet.fromPaths([join(__dirname, '..', '..', 'mappings')]);
    const event = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'mappings', 'fixtures', 'hub-subscription-renewed-coffee.json'), 'utf8'),
    );
    const r = await set.get('hub.subscription-demand.to.shopify-inventory-adjustment').run(event);
    expect(r.dropped).toBe(false);
    const a = shopifyConnector.createActions!(options(), deps);
    await a.moveInventoryQuantities!((r as { output: unknown }).output, ctx());
    expect(sim.applied).toBe(1);
  });

  it('user errors (a stale compare-and-swap, a missing ledger document) are permanent refusals', async () => {
    const a = shopifyConnector.createActions!(options(), deps);
    const stale = move('key-2');
    (stale.input.changes[0]!.from as { changeFromQuantity: number | null }).changeFromQuantity = 5;
    await expect(a.moveInventoryQuantities!(stale, ctx())).rejects.toMatchObject({
      code: 'DELIVERY_REJECTED',
      message: expect.stringContaining('CHANGE_FROM_QUANTITY_STALE'),
    });
    const noLedger = move('key-3');
    delete (noLedger.input.changes[0]!.to as { ledgerDocumentUri?: string }).ledgerDocumentUri;
    await expect(a.moveInventoryQuantities!(noLedger, ctx())).rejects.toMatchObject({ code: 'DELIVERY_REJECTED' });
  });

  it('honours the cost-based throttle: THROTTLED becomes a rate-limited retry with the time the bucket needs', async () => {
    const a = shopifyConnector.createActions!(options(), deps);
    await a.tagCustomer!({ customerId: 'gid://shopify/Customer/42', tags: ['subhub:blacklist'] }, ctx());
    sim.drain();
    const err = await a.tagCustomer!({ customerId: 'gid://shopify/Customer/42', tags: ['x'] }, ctx('k', 10)).catch(
      (e: { code: string; retryAfterMs?: number }) => e,
    );
    expect(err).toMatchObject({ code: 'DELIVERY_RATE_LIMITED' });
    expect((err as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect((err as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(200);
    // With time to wait, the client waits for the bucket (resynced from the answer) instead of failing.
    await a.tagCustomer!({ customerId: 'gid://shopify/Customer/42', tags: ['y'] }, ctx('k', 5000));
    expect(sim.tags.get('gid://shopify/Customer/42')!.has('y')).toBe(true);
  });

  it('a burst larger than the cost bucket drains at the restore rate: no call is THROTTLED (issue 10.7)', async () => {
    await sim.close();
    sim = await startShopifySimulator(0, { maximumAvailable: 50, restoreRate: 200 });
    const a = shopifyConnector.createActions!(options(), deps);
    // 40 mutations × 10 points = 400 points against a bucket of 50 refilling 200/s: about 1.75 s.
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        a.tagCustomer!({ customerId: `gid://shopify/Customer/${i}`, tags: ['burst'] }, ctx(`k${i}`, 10_000)),
      ),
    );
    const refused = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason as { code: string; message: string });
    expect(refused.map((e) => `${e.code}: ${e.message}`)).toEqual([]);
    expect(sim.tags.size).toBe(40);
  });

  it('tags and untags customers (blacklist and goodwill marks)', async () => {
    const a = shopifyConnector.createActions!(options(), deps);
    await a.tagCustomer!({ customerId: 'gid://shopify/Customer/42', tags: ['subhub:blacklist', 'subhub:goodwill'] }, ctx());
    await a.untagCustomer!({ customerId: 'gid://shopify/Customer/42', tags: ['subhub:goodwill'] }, ctx());
    expect([...sim.tags.get('gid://shopify/Customer/42')!]).toEqual(['subhub:blacklist']);
  });

  it('reads inventory levels; a wrong token is refused; a missing token is a config error', async () => {
    const a = shopifyConnector.createActions!(options(), deps);
    await a.moveInventoryQuantities!(move('key-4', 3), ctx());
    const levels: unknown[] = [];
    for await (const q of shopifyConnector.createPulls!(options(), deps).inventoryLevels!({
      inventoryItemId: 'gid://shopify/InventoryItem/1',
      locationId: 'gid://shopify/Location/7',
      names: 'reserved',
    }))
      levels.push(q);
    expect(levels).toEqual([{ name: 'reserved', quantity: 3 }]);
    const wrong = shopifyConnector.createActions!(options(), { resolveSecret: () => 'shpat_wrong' });
    await expect(wrong.tagCustomer!({ customerId: 'c', tags: ['t'] }, ctx())).rejects.toMatchObject({ code: 'DELIVERY_REJECTED' });
    await expect(
      shopifyConnector.createActions!(options(), { resolveSecret: () => undefined }).tagCustomer!({ customerId: 'c', tags: ['t'] }, ctx()),
    ).rejects.toMatchObject({
      code: 'CONFIG_SECRET_MISSING',
    });
  });
});
