import {
  defineConnector,
  DeliveryError,
  outboundUrlCheck,
  PullPacer,
  SECRET_REF_SCHEMA,
  targetAgents,
  type Pull,
  type SecretRef,
} from '../../src/sdk';
import { OdooClient, type OdooCaller } from './client';
import { OdooJson2Client } from './client-json2';

interface OdooOptions {
  baseUrl: string;
  db: string;
  login?: string;
  apiKey: SecretRef;
  /** `json2` (Odoo 19+), `jsonrpc` (the classic API), or `auto` (default): JSON-2 when the server is 19 or later. */
  api?: 'auto' | 'json2' | 'jsonrpc';
  allowHosts?: string[];
  timeoutMs?: number;
}

/**
 * Odoo (ERP) through its External JSON-2 API (Odoo 19+, bearer API key) or the classic JSON-RPC
 * API (`options.api`; `auto` asks the server's version once). Odoo has no idempotency key, so creates search
 * for our reference first (`client_order_ref` of sale orders, `origin` of purchase orders) and
 * return the existing record: a retry after a lost answer finds the first attempt's order.
 * Actions: createSaleOrder (created and confirmed), createPurchaseProposal (a draft RFQ).
 * Pulls: openSaleOrders, draftPurchaseOrders, purchaseOrders (ours by origin, any state, with
 * receipts), stockQuants, paced (config `pull`) and resuming at the offset after a 429.
 */
export const odooConnector = defineConnector({
  type: 'odoo',
  kind: 'erp',
  description: 'Odoo ERP (External JSON-2 API, or JSON-RPC before Odoo 19): customers, sale orders, purchase proposals, stock.',
  optionsSchema: {
    type: 'object',
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://' },
      db: { type: 'string', minLength: 1 },
      login: { type: 'string', minLength: 1 },
      apiKey: SECRET_REF_SCHEMA,
      api: { enum: ['auto', 'json2', 'jsonrpc'] },
      allowHosts: { type: 'array', items: { type: 'string', minLength: 1 } },
      timeoutMs: { type: 'integer', minimum: 1, maximum: 300_000 },
    },
    required: ['baseUrl', 'db', 'apiKey'],
    // The JSON-RPC API logs in by name; JSON-2 needs the key alone.
    if: { properties: { api: { const: 'json2' } }, required: ['api'] },
    else: { properties: { login: { type: 'string', minLength: 1 } }, required: ['login'] },
    additionalProperties: false,
  },
  checkOptions(raw) {
    const o = raw as unknown as OdooOptions;
    return outboundUrlCheck(o.baseUrl, o.allowHosts, '/baseUrl', 'your Odoo');
  },
  createActions(raw, deps) {
    const client = clientOf(raw, deps.resolveSecret);
    const createOnce = async (model: string, refField: string, vals: Record<string, unknown>, confirm?: string) => {
      const ref = vals[refField];
      if (typeof ref !== 'string' || ref === '')
        throw new DeliveryError('MAPPING_REQUIRED_MISSING', `the ${model} payload needs "${refField}" (the idempotency reference)`);
      const [existing] = await client.call<number[]>(model, 'search', { domain: [[refField, '=', ref]], limit: 1 });
      const id = existing ?? (await client.call<number[]>(model, 'create', { vals_list: [vals] }))[0]!;
      if (confirm) await client.call(model, confirm, { ids: [id] });
      return { externalId: String(id) };
    };
    return {
      createSaleOrder: (payload) => createOnce('sale.order', 'client_order_ref', payload as Record<string, unknown>, 'action_confirm'),
      createPurchaseProposal: (payload) => createOnce('purchase.order', 'origin', payload as Record<string, unknown>),
      // A write of the same values is idempotent by nature: a retry changes nothing more.
      flagPartner: async (payload) => {
        const { id, vals } = (payload ?? {}) as { id?: unknown; vals?: unknown };
        if (!Number.isInteger(id) || typeof vals !== 'object' || vals === null)
          throw new DeliveryError('MAPPING_REQUIRED_MISSING', 'the flagPartner payload needs "id" (res.partner id) and "vals"');
        await client.call('res.partner', 'write', { ids: [id as number], vals });
        return { externalId: String(id) };
      },
    };
  },
  createPulls(raw, deps) {
    const client = clientOf(raw, deps.resolveSecret);
    const pacer = new PullPacer(deps.pull);
    const pages = (model: string, domain: unknown[], fields: string[]): Pull =>
      async function* () {
        for (let offset = 0; ; offset += 200) {
          const rows = await pacer.page(() => client.call<unknown[]>(model, 'search_read', { domain, fields, offset, limit: 200 }));
          yield* rows;
          if (rows.length < 200) return;
        }
      };
    return {
      openSaleOrders: pages(
        'sale.order',
        [['state', 'in', ['draft', 'sent', 'sale']]],
        ['name', 'client_order_ref', 'partner_id', 'state'],
      ),
      draftPurchaseOrders: pages('purchase.order', [['state', '=', 'draft']], ['name', 'origin', 'partner_id', 'state']),
      // Our purchase orders in every state, with receipts where this Odoo tracks them (receipt_status: Odoo 16+ with purchase_stock).
      purchaseOrders: async function* () {
        const known = await client.call<Record<string, unknown>>('purchase.order', 'fields_get', {
          allfields: ['receipt_status'],
          attributes: ['type'],
        });
        const fields = ['name', 'origin', 'state', 'date_planned', ...('receipt_status' in known ? ['receipt_status'] : [])];
        yield* pages('purchase.order', [['origin', '=like', 'subhub:reorder:%']], fields)();
      },
      stockQuants: pages('stock.quant', [], ['product_id', 'location_id', 'quantity', 'reserved_quantity']),
    };
  },
});

/** The transport `options.api` names; `auto` asks `common.version` once and takes JSON-2 from Odoo 19 on (also when /jsonrpc is gone). */
function clientOf(raw: Record<string, unknown>, resolveSecret: (ref: SecretRef) => string | undefined): OdooCaller {
  const o = raw as unknown as OdooOptions;
  const settings = { ...o, timeoutMs: o.timeoutMs ?? 10_000, agents: targetAgents(o.allowHosts), resolveSecret };
  const jsonrpc = new OdooClient(settings);
  if (o.api === 'jsonrpc') return jsonrpc;
  const json2 = new OdooJson2Client(settings);
  if (o.api === 'json2') return json2;
  let chosen: Promise<OdooCaller> | undefined;
  const choose = async (): Promise<OdooCaller> => {
    try {
      const serie = (await jsonrpc.version()).server_serie ?? '';
      return Number.parseInt(serie, 10) >= 19 ? json2 : jsonrpc;
    } catch (e) {
      // No JSON-RPC any more (removed after Odoo 19): JSON-2. A network failure is asked again on the next call.
      if (e instanceof DeliveryError && e.status !== undefined && e.status < 500) return json2;
      chosen = undefined;
      throw e;
    }
  };
  return { call: async (model, method, params) => (await (chosen ??= choose())).call(model, method, params) };
}
