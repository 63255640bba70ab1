import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHub, type RunningHub } from '../../src/hub';
import type { ActionContext } from '../../src/sdk';
import { fixtureText } from '../../test/helpers/fixtures';
import { eventually } from '../../test/helpers/target-server';
import { STRIPE_SECRET } from '../../test/helpers/test-hub';
import { tempFiles } from '../../test/helpers/temp-files';
import Stripe from 'stripe';
import { warehouseConnector } from './index';
import { startWarehouseSimulator, type WarehouseSimulator } from './simulator';

const ctx = (key: string): ActionContext => ({ idempotencyKey: key, attempt: 1, timeoutMs: 2000 });
const reservation = (reference: string, qty = 2, status = 'reserved') => ({
  reference,
  warehouse: 'NL-AMS-01',
  status,
  lines: status === 'reserved' ? [{ sku: 'COF-ESP-1KG', quantity: qty }] : [],
});

describe('warehouse connector against its simulator (real HTTP)', () => {
  let sim: WarehouseSimulator;
  beforeEach(async () => {
    sim = await startWarehouseSimulator(0, { token: 'wms-token' });
  });
  afterEach(() => sim.close());

  const connector = (extra: Record<string, unknown> = {}) => {
    const options = { baseUrl: sim.url, allowHosts: ['127.0.0.1'], auth: { bearer: { env: 'WMS_TOKEN' } }, ...extra };
    const deps = { resolveSecret: (ref: { env?: string }) => (ref.env === 'WMS_TOKEN' ? 'wms-token' : undefined) };
    return {
      actions: warehouseConnector.createActions!(options, deps as never),
      pulls: warehouseConnector.createPulls!(options, deps as never),
    };
  };

  it('reserve puts the desired state by reference, idempotently', async () => {
    const { actions } = connector();
    expect(await actions.reserve!(reservation('subhub:sub_1:2026-01-24'), ctx('k1'))).toMatchObject({ status: 201 });
    // The same delivery again (a retry after a lost answer): same key, no second change.
    expect(await actions.reserve!(reservation('subhub:sub_1:2026-01-24'), ctx('k1'))).toMatchObject({ status: 201 });
    expect(sim.reservations.get('subhub:sub_1:2026-01-24')?.version).toBe(1);
    // A later event for the same period replaces the lines; a release empties them.
    await actions.reserve!(reservation('subhub:sub_1:2026-01-24', 3), ctx('k2'));
    expect(sim.reservations.get('subhub:sub_1:2026-01-24')).toMatchObject({ version: 2, lines: [{ sku: 'COF-ESP-1KG', quantity: 3 }] });
    await actions.reserve!(reservation('subhub:sub_1:2026-01-24', 0, 'released'), ctx('k3'));
    expect(sim.reservations.get('subhub:sub_1:2026-01-24')).toMatchObject({ status: 'released', lines: [] });
  });

  it('pulls stream every reservation and stock level across pages', async () => {
    const { actions, pulls } = connector();
    for (let i = 0; i < 230; i++) await actions.reserve!(reservation(`r-${String(i).padStart(3, '0')}`), ctx(`k${i}`));
    sim.setStock('NL-AMS-01', 'COF-ESP-1KG', 1000);
    sim.setStock('DE-DUS-02', 'LNS-DAILY-30', 50);
    const seen: string[] = [];
    for await (const r of pulls.reservations!()) seen.push((r as { reference: string }).reference);
    expect(seen).toHaveLength(230);
    expect(new Set(seen).size).toBe(230);
    const stock: unknown[] = [];
    for await (const s of pulls.stockLevels!({ warehouse: 'NL-AMS-01' })) stock.push(s);
    expect(stock).toEqual([{ warehouse: 'NL-AMS-01', sku: 'COF-ESP-1KG', onHand: 1000, reserved: 460, available: 540 }]);
  });

  it('classifies the WMS answers: 401 and 400 permanent, 409 insufficient stock a stock-out (the policy decides)', async () => {
    const wrong = warehouseConnector.createActions!({ baseUrl: sim.url, allowHosts: ['127.0.0.1'] }, { resolveSecret: () => undefined });
    await expect(wrong.reserve!(reservation('r1'), ctx('k'))).rejects.toMatchObject({ code: 'DELIVERY_REJECTED', status: 401 });
    const { actions } = connector();
    await expect(
      actions.reserve!({ reference: 'r2', warehouse: 'NL-AMS-01', status: 'reserved', lines: [{ sku: 'X', quantity: 0 }] }, ctx('k')),
    ).rejects.toMatchObject({
      code: 'DELIVERY_REJECTED',
      status: 400,
    });
    const strict = await startWarehouseSimulator(0, { strictStock: true });
    try {
      const a = warehouseConnector.createActions!({ baseUrl: strict.url, allowHosts: ['127.0.0.1'] }, { resolveSecret: () => undefined });
      await expect(a.reserve!(reservation('r3', 5), ctx('k'))).rejects.toMatchObject({
        code: 'DELIVERY_STOCK_OUT',
        kind: 'retryable',
        status: 409,
        message: expect.stringContaining('insufficient_stock'),
      });
    } finally {
      await strict.close();
    }
  });

  it('ships a delivery at the end of its day: the pull says shipped, the stock is consumed, and a late release is 409 already_shipped (DELIVERY_ALREADY_SHIPPED)', async () => {
    let now = Date.parse('2026-12-29T09:00:00Z');
    await sim.close();
    sim = await startWarehouseSimulator(0, { token: 'wms-token', now: () => now });
    sim.setStock('NL-AMS-01', 'COF-ESP-1KG', 10);
    const { actions, pulls } = connector();
    const box = (ref: string, status = 'reserved') => ({ ...reservation(ref, 2, status), deliveryDate: '2026-12-29' });
    await actions.reserve!(box('subhub:sub_held:2026-12-29'), ctx('a1'));
    await actions.reserve!(box('subhub:sub_late:2026-12-29'), ctx('a2'));
    // Released the same day, before it ships: the box stays.
    expect(await actions.reserve!(box('subhub:sub_held:2026-12-29', 'released'), ctx('a3'))).toMatchObject({ status: 200 });
    now = Date.parse('2026-12-30T07:00:00Z');
    const statuses: Record<string, unknown> = {};
    for await (const r of pulls.reservations!()) statuses[(r as { reference: string }).reference] = (r as { status: string }).status;
    expect(statuses).toEqual({ 'subhub:sub_held:2026-12-29': 'released', 'subhub:sub_late:2026-12-29': 'shipped' });
    expect(sim.stock.get('NL-AMS-01\u0000COF-ESP-1KG')).toBe(8);
    await expect(actions.reserve!(box('subhub:sub_late:2026-12-29', 'released'), ctx('a4'))).rejects.toMatchObject({
      code: 'DELIVERY_ALREADY_SHIPPED',
      status: 409,
    });
    expect(sim.reservations.get('subhub:sub_late:2026-12-29')).toMatchObject({ status: 'shipped' });
  });

  it('refuses a WMS URL on a private address unless allowed (SSRF guard)', () => {
    expect(warehouseConnector.checkOptions!({ baseUrl: 'http://10.1.2.3/wms' })).toHaveLength(1);
    expect(warehouseConnector.checkOptions!({ baseUrl: 'http://10.1.2.3/wms', allowHosts: ['10.1.2.3'] })).toEqual([]);
  });
});

describe('a Stripe subscription reaches the warehouse through the shipped mapping (end to end)', () => {
  let hub: RunningHub | undefined;
  let sim: WarehouseSimulator | undefined;
  afterEach(async () => {
    await hub?.stop();
    await sim?.close();
  });

  it('subscription.created → a reservation of the exploded SKUs for the next delivery', async () => {
    sim = await startWarehouseSimulator();
    const dir = tempFiles({});
    writeFileSync(
      join(dir, 'hub.json'),
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0 },
        storage: { dataDir: join(dir, 'data') },
        mappings: { paths: [join(__dirname, '..', '..', 'mappings')] },
        connectors: {
          stripe: {
            type: 'stripe',
            webhook: { secrets: [{ env: 'STRIPE_WEBHOOK_SECRET' }] },
            inbound: { mappings: { 'customer.subscription.created': 'stripe.customer-subscription.to.hub-event' } },
          },
          warehouse: { type: 'warehouse', options: { baseUrl: sim.url, allowHosts: ['127.0.0.1'] } },
        },
        routes: [
          {
            name: 'shipment-reservation',
            on: ['subscription.created'],
            to: 'warehouse',
            action: 'reserve',
            mapping: 'hub.subscription-demand.to.warehouse-reservation',
          },
        ],
      }),
    );
    hub = await startHub({ path: join(dir, 'hub.json'), localPath: false, env: { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET }, silent: true });
    const payload = fixtureText('stripe-subscription-created.json');
    const header = new Stripe('sk_test').webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET });
    const res = await fetch(`${hub.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      body: payload,
    });
    expect(res.status).toBe(202);
    await eventually(() => sim!.reservations.size === 1);
    const [r] = [...sim.reservations.values()];
    expect(r).toMatchObject({ warehouse: 'NL-AMS-01', status: 'reserved' });
    expect(r!.reference).toMatch(/^subhub:stripe:sub_/);
    expect(r!.lines.length).toBeGreaterThan(0);
    expect(sim.requests.at(-1)?.idempotencyKey).toBeTruthy();
  });
});
