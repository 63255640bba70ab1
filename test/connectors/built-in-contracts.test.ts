import { BUILT_IN_CONNECTORS } from '../../connectors';
import { startMollieSimulator, type MollieSimulator } from '../../connectors/mollie/simulator';
import { startOdooSimulator, type OdooSimulator } from '../../connectors/odoo/simulator';
import { startShopifySimulator, type ShopifySimulator } from '../../connectors/shopify/simulator';
import { startStripeSimulator, type StripeSimulator } from '../../connectors/stripe/simulator';
import { startWarehouseSimulator, type WarehouseSimulator } from '../../connectors/warehouse/simulator';
import type { ConnectorDefinition } from '../../src/sdk';
import { connectorContract } from '../../src/sdk/testing';
import { startTarget } from '../helpers/target-server';

// The same contract kit customers run on their own connectors, run on every built-in connector
// against its simulator (the simulators start on free ports; options read their address lazily).
const byType = (t: string) => BUILT_IN_CONNECTORS.find((d) => d.type === t) as ConnectorDefinition;
const local = { allowHosts: ['127.0.0.1'] };
const portOf = (url: string) => Number(new URL(url).port);

let stripe: StripeSimulator;
const stripeOptions = { apiKey: { env: 'STRIPE_API_KEY' }, api: { host: '127.0.0.1', port: 1, protocol: 'http' }, ...local };
connectorContract(byType('stripe'), {
  start: async () => {
    stripe = await startStripeSimulator();
    stripeOptions.api.port = portOf(stripe.url);
  },
  stop: () => stripe.close(),
  options: stripeOptions,
  deps: { resolveSecret: () => 'sk_test_simulator' },
  actions: {
    payLink: { payload: { invoice: 'in_missing' }, expectOk: false, expectCode: 'DELIVERY_REJECTED' },
    cancel: { payload: {}, expectOk: false, expectCode: 'MAPPING_REQUIRED_MISSING' },
  },
  pulls: { subscriptions: { atLeast: 0 } },
});

let mollie: MollieSimulator;
const mollieOptions = { apiKey: { env: 'MOLLIE_API_KEY' }, apiEndpoint: 'http://127.0.0.1:1/v2/', ...local };
connectorContract(byType('mollie'), {
  start: async () => {
    mollie = await startMollieSimulator();
    mollieOptions.apiEndpoint = mollie.apiEndpoint;
    mollie.seedSubscriptions(2);
  },
  stop: () => mollie.close(),
  options: mollieOptions,
  deps: { resolveSecret: () => 'test_contractkit0000000000000000' },
  actions: {
    createPaymentLink: { payload: { amount: { currency: 'EUR', value: '24.90' }, description: 'Open amount' } },
    cancelSubscription: {
      payload: { customerId: 'cst_missing', subscriptionId: 'sub_missing' },
      expectOk: false,
      expectCode: 'DELIVERY_REJECTED',
    },
    chargeRecurring: { payload: { customerId: 'cst_x' }, expectOk: false, expectCode: 'MAPPING_REQUIRED_MISSING' },
  },
  pulls: { subscriptions: { atLeast: 2 }, mandates: { atLeast: 1 } },
});

let shopify: ShopifySimulator;
const shopifyOptions = {
  shop: 'contract-kit.myshopify.com',
  accessToken: { env: 'SHOPIFY_ADMIN_TOKEN' },
  endpoint: 'http://127.0.0.1:1',
  ...local,
};
connectorContract(byType('shopify'), {
  start: async () => {
    shopify = await startShopifySimulator();
    shopifyOptions.endpoint = shopify.url;
  },
  stop: () => shopify.close(),
  options: shopifyOptions,
  deps: { resolveSecret: () => 'shpat_simulator' },
  actions: { tagCustomer: { payload: { customerId: 'gid://shopify/Customer/1', tags: ['subhub:goodwill'] } } },
  pulls: {
    inventoryLevels: { params: { inventoryItemId: 'gid://shopify/InventoryItem/1', locationId: 'gid://shopify/Location/1' }, atLeast: 3 },
  },
});

let odoo: OdooSimulator;
const odooOptions = { baseUrl: 'http://127.0.0.1:1', db: 'subscriptions', login: 'hub-bot', apiKey: { env: 'ODOO_API_KEY' }, ...local };
connectorContract(byType('odoo'), {
  start: async () => {
    odoo = await startOdooSimulator();
    odoo.models.get('res.partner')!.set(1, { id: 1, name: 'Ana' });
    odooOptions.baseUrl = odoo.url;
  },
  stop: () => odoo.close(),
  options: odooOptions,
  deps: { resolveSecret: () => 'odoo-api-key' },
  actions: { createSaleOrder: { payload: { partner_id: 1, client_order_ref: 'subhub:contract', order_line: [] } } },
  pulls: { openSaleOrders: { atLeast: 0 } },
});

let wms: WarehouseSimulator;
const wmsOptions = { baseUrl: 'http://127.0.0.1:1', ...local };
connectorContract(byType('warehouse'), {
  start: async () => {
    wms = await startWarehouseSimulator();
    wmsOptions.baseUrl = wms.url;
  },
  stop: () => wms.close(),
  options: wmsOptions,
  actions: { reserve: { payload: { reference: 'r1', warehouse: 'W', status: 'reserved', lines: [{ sku: 'A', quantity: 1 }] } } },
  pulls: { reservations: { atLeast: 0 }, stockLevels: { atLeast: 0 } },
});

let target: Awaited<ReturnType<typeof startTarget>>;
const httpOptions = { baseUrl: 'http://127.0.0.1:1', actions: { send: { method: 'POST', path: '/x' } }, ...local };
connectorContract(byType('http'), {
  start: async () => {
    target = await startTarget();
    httpOptions.baseUrl = target.url;
  },
  stop: () => target.close(),
  options: httpOptions,
  actions: { send: { payload: { n: 1 } } },
});

test('every built-in connector is covered by the contract kit above', () => {
  expect(BUILT_IN_CONNECTORS.map((d) => d.type).sort()).toEqual(['http', 'mollie', 'odoo', 'shopify', 'stripe', 'warehouse']);
});
