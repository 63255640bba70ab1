import Ajv from 'ajv';
import type { ActionContext, ConnectorDeps } from '../../src/sdk';
import { odooConnector } from './index';
import { startOdooSimulator, type OdooSimulator } from './simulator';

const ctx: ActionContext = { idempotencyKey: 'k', attempt: 1, timeoutMs: 2000 };

// The same behaviour through both APIs: JSON-2 (Odoo 19+, the default there) and the classic JSON-RPC.
describe.each(['json2', 'jsonrpc'] as const)('Odoo connector against its simulator over %s (real HTTP)', (api) => {
  let sim: OdooSimulator;
  beforeEach(async () => {
    sim = await startOdooSimulator(0, { version: api === 'json2' ? '19.0' : '18.0' });
    sim.models.get('res.partner')!.set(4711, { id: 4711, name: 'Ana de Vries' });
    sim.models.get('product.product')!.set(301, { id: 301, default_code: 'COF-ESP-1KG' });
    sim.models.get('product.product')!.set(310, { id: 310, default_code: 'COF-ESP-250' });
  });
  afterEach(() => sim.close());

  const deps = (key = 'odoo-api-key'): ConnectorDeps => ({
    resolveSecret: (ref) => ('env' in ref && ref.env === 'ODOO_API_KEY' ? key : undefined),
  });
  // No `api`: auto, which picks JSON-2 on the 19.0 simulator and JSON-RPC on the 18.0 one.
  const options = () => ({
    baseUrl: sim.url,
    db: 'subscriptions',
    login: 'hub-bot',
    apiKey: { env: 'ODOO_API_KEY' },
    allowHosts: ['127.0.0.1'],
  });
  const order = (ref = 'subhub:stripe:sub_1:2025-12-24') => ({
    partner_id: 4711,
    client_order_ref: ref,
    date_order: '2025-12-24 17:00:03',
    order_line: [
      [0, 0, { product_id: 301, product_uom_qty: 2 }],
      [0, 0, { product_id: 310, product_uom_qty: 1 }],
    ],
  });

  it('creates and confirms a sale order once: a retry finds the first order by client_order_ref', async () => {
    const a = odooConnector.createActions!(options(), deps());
    const first = await a.createSaleOrder!(order(), ctx);
    const again = await a.createSaleOrder!(order(), ctx);
    expect(again.externalId).toBe(first.externalId);
    const orders = [...sim.models.get('sale.order')!.values()];
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ state: 'sale', partner_id: 4711, client_order_ref: 'subhub:stripe:sub_1:2025-12-24' });
    expect(sim.models.get('sale.order.line')!.size).toBe(2);
    expect(sim.calls.filter((c) => c.method === 'create')).toHaveLength(1);
    expect(new Set(sim.calls.map((c) => c.api))).toEqual(new Set([api]));
  });

  it('a draft purchase proposal is created once per origin and left unconfirmed', async () => {
    const a = odooConnector.createActions!(options(), deps());
    const po = {
      partner_id: 4711,
      origin: 'subhub:reorder:COF-ESP-1KG:AMS1:2026-01-02',
      order_line: [[0, 0, { product_id: 301, product_qty: 216 }]],
    };
    await a.createPurchaseProposal!(po, ctx);
    await a.createPurchaseProposal!(po, ctx);
    expect([...sim.models.get('purchase.order')!.values()].map((p) => p.state)).toEqual(['draft']);
  });

  it('purchaseOrders pulls ours in every state with their receipts; a draft the buyer deleted is gone from it', async () => {
    const a = odooConnector.createActions!(options(), deps());
    const po = (origin: string) => ({
      partner_id: 4711,
      origin,
      date_planned: '2026-01-12 00:00:00',
      order_line: [[0, 0, { product_id: 301, product_qty: 12 }]],
    });
    const kept = Number((await a.createPurchaseProposal!(po('subhub:reorder:COF-ESP-1KG:AMS1:2026-01-02'), ctx)).externalId);
    const confirmed = Number((await a.createPurchaseProposal!(po('subhub:reorder:COF-ESP-250:AMS1:2026-01-02'), ctx)).externalId);
    const deleted = Number((await a.createPurchaseProposal!(po('subhub:reorder:COF-ESP-250:DUS1:2026-01-02'), ctx)).externalId);
    await a.createPurchaseProposal!(po('PO-by-hand'), ctx);
    // The buyer confirms one draft and deletes another in Odoo.
    const rpc = (method: string, ids: number[]) =>
      fetch(`${sim.url}/jsonrpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          method: 'call',
          params: { service: 'object', method: 'execute_kw', args: ['subscriptions', 2, 'odoo-api-key', 'purchase.order', method, [ids]] },
        }),
      }).then((r) => r.json());
    await rpc('button_confirm', [confirmed]);
    await rpc('unlink', [deleted]);
    expect(await rpc('unlink', [confirmed])).toMatchObject({ error: { data: { name: 'odoo.exceptions.UserError' } } });
    const pulled: unknown[] = [];
    for await (const o of odooConnector.createPulls!(options(), deps()).purchaseOrders!()) pulled.push(o);
    expect(pulled).toEqual([
      {
        id: kept,
        name: expect.any(String),
        origin: 'subhub:reorder:COF-ESP-1KG:AMS1:2026-01-02',
        state: 'draft',
        date_planned: '2026-01-12 00:00:00',
        receipt_status: false,
      },
      {
        id: confirmed,
        name: expect.any(String),
        origin: 'subhub:reorder:COF-ESP-250:AMS1:2026-01-02',
        state: 'purchase',
        date_planned: '2026-01-12 00:00:00',
        receipt_status: 'pending',
      },
    ]);
  });

  it('flags a partner with a write (idempotent), refuses a missing partner and a malformed payload', async () => {
    const a = odooConnector.createActions!(options(), deps());
    const flag = { id: 4711, vals: { comment: 'subhub: blacklisted' } };
    expect(await a.flagPartner!(flag, ctx)).toEqual({ externalId: '4711' });
    await a.flagPartner!(flag, ctx);
    expect(sim.models.get('res.partner')!.get(4711)).toEqual({ id: 4711, name: 'Ana de Vries', comment: 'subhub: blacklisted' });
    await expect(a.flagPartner!({ ...flag, id: 999 }, ctx)).rejects.toMatchObject({
      code: 'DELIVERY_REJECTED',
      message: expect.stringContaining('MissingError'),
    });
    await expect(a.flagPartner!({ id: '4711', vals: {} }, ctx)).rejects.toMatchObject({ code: 'MAPPING_REQUIRED_MISSING' });
  });

  it('classifies Odoo errors: validation and access are permanent, server conflicts retryable', async () => {
    const a = odooConnector.createActions!(options(), deps());
    await expect(a.createSaleOrder!({ ...order(), partner_id: 999 }, ctx)).rejects.toMatchObject({
      code: 'DELIVERY_REJECTED',
      message: expect.stringContaining('ValidationError'),
    });
    await expect(odooConnector.createActions!(options(), deps('wrong-key')).createSaleOrder!(order(), ctx)).rejects.toMatchObject({
      code: 'DELIVERY_REJECTED',
    });
    sim.failNext(1);
    await expect(a.createSaleOrder!(order('other'), ctx)).rejects.toMatchObject({ code: 'DELIVERY_SERVER_ERROR', kind: 'retryable' });
    await expect(a.createSaleOrder!({ ...order(), client_order_ref: '' }, ctx)).rejects.toMatchObject({
      code: 'MAPPING_REQUIRED_MISSING',
      kind: 'bad_input',
    });
    await expect(
      odooConnector.createActions!(options(), { resolveSecret: () => undefined }).createSaleOrder!(order(), ctx),
    ).rejects.toMatchObject({ code: 'CONFIG_SECRET_MISSING' });
  });

  it('pulls stream open sale orders page by page', async () => {
    const a = odooConnector.createActions!(options(), deps());
    for (let i = 0; i < 450; i++) await a.createSaleOrder!(order(`ref-${i}`), ctx);
    const pulls = odooConnector.createPulls!(options(), deps());
    const refs: string[] = [];
    for await (const o of pulls.openSaleOrders!()) refs.push((o as { client_order_ref: string }).client_order_ref);
    expect(refs).toHaveLength(450);
    expect(new Set(refs).size).toBe(450);
  });

  it('the SSRF guard applies to the Odoo URL', () => {
    expect(odooConnector.checkOptions!({ ...options(), baseUrl: 'http://169.254.169.254/', allowHosts: [] })).toHaveLength(1);
  });
});

describe('Odoo JSON-2 API on the wire', () => {
  let sim: OdooSimulator;
  beforeEach(async () => {
    sim = await startOdooSimulator(0, { version: '19.0' });
    sim.models.get('res.partner')!.set(4711, { id: 4711, name: 'Ana de Vries' });
  });
  afterEach(() => sim.close());
  const deps = (key = 'odoo-api-key'): ConnectorDeps => ({
    resolveSecret: (ref) => ('env' in ref && ref.env === 'ODOO_API_KEY' ? key : undefined),
  });

  it('needs no login with api "json2" (JSON-RPC does), and carries every call over /json/2', async () => {
    const base = { baseUrl: sim.url, db: 'subscriptions', apiKey: { env: 'ODOO_API_KEY' }, allowHosts: ['127.0.0.1'] };
    const valid = new Ajv({ strict: false }).compile(odooConnector.optionsSchema as object);
    expect(valid({ ...base, api: 'json2' })).toBe(true);
    expect(valid({ ...base, api: 'jsonrpc' })).toBe(false);
    expect(valid({ ...base })).toBe(false);
    expect(valid({ ...base, api: 'soap' })).toBe(false);
    const a = odooConnector.createActions!({ ...base, api: 'json2' }, deps());
    await a.flagPartner!({ id: 4711, vals: { comment: 'x' } }, ctx);
    for await (const r of odooConnector.createPulls!({ ...base, api: 'json2' }, deps()).draftPurchaseOrders!()) void r;
    expect(sim.calls).toEqual([
      { model: 'res.partner', method: 'write', api: 'json2' },
      { model: 'purchase.order', method: 'search_read', api: 'json2' },
    ]);
  });

  it("reads Odoo's error bodies: a wrong key is 401 and a missing record 404 (permanent, no traceback in the message), a server conflict retryable", async () => {
    const a = (key?: string) =>
      odooConnector.createActions!(
        { baseUrl: sim.url, db: 'subscriptions', apiKey: { env: 'ODOO_API_KEY' }, api: 'json2', allowHosts: ['127.0.0.1'] },
        deps(key),
      );
    await expect(a('wrong').flagPartner!({ id: 4711, vals: {} }, ctx)).rejects.toMatchObject({
      code: 'DELIVERY_REJECTED',
      status: 401,
      message: 'Odoo werkzeug.exceptions.Unauthorized: Invalid apikey (HTTP 401)',
    });
    await expect(a().flagPartner!({ id: 999, vals: {} }, ctx)).rejects.toMatchObject({
      code: 'DELIVERY_REJECTED',
      status: 404,
      message: expect.stringContaining('odoo.exceptions.MissingError'),
    });
    sim.failNext(1);
    await expect(a().flagPartner!({ id: 4711, vals: {} }, ctx)).rejects.toMatchObject({ code: 'DELIVERY_SERVER_ERROR', kind: 'retryable' });
    // The raw wire format: named parameters, bearer key, database header.
    const res = await fetch(`${sim.url}/json/2/res.partner/search_read`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'bearer odoo-api-key', 'x-odoo-database': 'subscriptions' },
      body: JSON.stringify({ domain: [['id', '=', 4711]], fields: ['name'] }),
    });
    expect(await res.json()).toEqual([{ id: 4711, name: 'Ana de Vries' }]);
  });
});
