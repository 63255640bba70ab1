import { defineConnector, DeliveryError, outboundUrlCheck, SECRET_REF_SCHEMA, targetAgents, type Pull, type SecretRef } from '../../src/sdk';
import { OdooClient } from './client';

interface OdooOptions {
  baseUrl: string;
  db: string;
  login: string;
  apiKey: SecretRef;
  allowHosts?: string[];
  timeoutMs?: number;
}


/**
 * Odoo (ERP) through its external JSON-RPC API. Odoo has no idempotency key, so creates search
 * for our reference first (`client_order_ref` of sale orders, `origin` of purchase orders) and
 * return the existing record: a retry after a lost answer finds the first attempt's order.
 * Actions: createSaleOrder (created and confirmed), createPurchaseProposal (a draft RFQ).
 * Pulls: openSaleOrders, draftPurchaseOrders, purchaseOrders (ours by origin, any state, with receipts), stockQuants.
 */
export const odooConnector = defineConnector({
  type: 'odoo',
  kind: 'erp',
  description: 'Odoo ERP (external JSON-RPC API): customers, sale orders, purchase proposals, stock.',
  optionsSchema: {
    type: 'object',
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://' },
      db: { type: 'string', minLength: 1 },
      login: { type: 'string', minLength: 1 },
      apiKey: SECRET_REF_SCHEMA,
      allowHosts: { type: 'array', items: { type: 'string', minLength: 1 } },
      timeoutMs: { type: 'integer', minimum: 1, maximum: 300_000 },
    },
    required: ['baseUrl', 'db', 'login', 'apiKey'],
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
      if (typeof ref !== 'string' || ref === '') throw new DeliveryError('MAPPING_REQUIRED_MISSING', `the ${model} payload needs "${refField}" (the idempotency reference)`);
      const [existing] = await client.executeKw<number[]>(model, 'search', [[[refField, '=', ref]]], { limit: 1 });
      const id = existing ?? (await client.executeKw<number>(model, 'create', [vals]));
      if (confirm) await client.executeKw(model, confirm, [[id]]);
      return { externalId: String(id) };
    };
    return {
      createSaleOrder: (payload) => createOnce('sale.order', 'client_order_ref', payload as Record<string, unknown>, 'action_confirm'),
      createPurchaseProposal: (payload) => createOnce('purchase.order', 'origin', payload as Record<string, unknown>),
      // A write of the same values is idempotent by nature: a retry changes nothing more.
      flagPartner: async (payload) => {
        const { id, vals } = (payload ?? {}) as { id?: unknown; vals?: unknown };
        if (!Number.isInteger(id) || typeof vals !== 'object' || vals === null) throw new DeliveryError('MAPPING_REQUIRED_MISSING', 'the flagPartner payload needs "id" (res.partner id) and "vals"');
        await client.executeKw('res.partner', 'write', [[id], vals]);
        return { externalId: String(id) };
      },
    };
  },
  createPulls(raw, deps) {
    const client = clientOf(raw, deps.resolveSecret);
    const pages = (model: string, domain: unknown[], fields: string[]): Pull =>
      async function* () {
        for (let offset = 0; ; offset += 200) {
          const rows = await client.executeKw<unknown[]>(model, 'search_read', [domain], { fields, offset, limit: 200 });
          yield* rows;
          if (rows.length < 200) return;
        }
      };
    return {
      openSaleOrders: pages('sale.order', [['state', 'in', ['draft', 'sent', 'sale']]], ['name', 'client_order_ref', 'partner_id', 'state']),
      draftPurchaseOrders: pages('purchase.order', [['state', '=', 'draft']], ['name', 'origin', 'partner_id', 'state']),
      // Our purchase orders in every state, with receipts where this Odoo tracks them (receipt_status: Odoo 16+ with purchase_stock).
      purchaseOrders: async function* () {
        const known = await client.executeKw<Record<string, unknown>>('purchase.order', 'fields_get', [['receipt_status']], { attributes: ['type'] });
        const fields = ['name', 'origin', 'state', 'date_planned', ...('receipt_status' in known ? ['receipt_status'] : [])];
        yield* pages('purchase.order', [['origin', '=like', 'subhub:reorder:%']], fields)();
      },
      stockQuants: pages('stock.quant', [], ['product_id', 'location_id', 'quantity', 'reserved_quantity']),
    };
  },
});

function clientOf(raw: Record<string, unknown>, resolveSecret: (ref: SecretRef) => string | undefined): OdooClient {
  const o = raw as unknown as OdooOptions;
  return new OdooClient({ ...o, timeoutMs: o.timeoutMs ?? 10_000, agents: targetAgents(o.allowHosts), resolveSecret });
}
