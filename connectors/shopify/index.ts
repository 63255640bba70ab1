import {
  defineConnector,
  DeliveryError,
  outboundUrlCheck,
  PullPacer,
  SECRET_REF_SCHEMA,
  type Action,
  type ActionResult,
  type SecretRef,
} from '../../src/sdk';
import { ShopifyAdmin } from './admin-client';

interface ShopifyOptions {
  shop?: string;
  accessToken?: SecretRef;
  /** Another address for the shop's Admin API (a local simulator). */
  endpoint?: string;
  allowHosts?: string[];
}

const MOVE = `mutation move($input: InventoryMoveQuantitiesInput!, $idempotencyKey: String!) {
  inventoryMoveQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { reason referenceDocumentUri }
    userErrors { field message code }
  }
}`;
const TAGS_ADD = `mutation add($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } } }`;
const TAGS_REMOVE = `mutation remove($id: ID!, $tags: [String!]!) { tagsRemove(id: $id, tags: $tags) { node { id } userErrors { field message } } }`;
const LEVELS = `query levels($inventoryItemId: ID!, $locationId: ID!, $names: [String!]!) {
  inventoryItem(id: $inventoryItemId) { id inventoryLevel(locationId: $locationId) { quantities(names: $names) { name quantity } } }
}`;

/**
 * Shopify (webshop). Inbound: webhooks signed with X-Shopify-Hmac-Sha256; the webhook id and
 * topic travel in headers, so mappings receive {headers, body}. Outbound, Admin GraphQL through
 * @shopify/shopify-api with the cost-based throttle: moveInventoryQuantities (the payload of
 * hub.subscription-demand.to.shopify-inventory-adjustment, @idempotent), tagCustomer and
 * untagCustomer (blacklist and goodwill marks). Pull: inventoryLevels (one item at one location).
 */
export const shopifyConnector = defineConnector({
  type: 'shopify',
  kind: 'webshop',
  description: 'Shopify: orders, customers and inventory.',
  webhook: {
    scheme: 'shopify',
    mappingInput: 'envelope',
    // The customer: the payload's customer (orders, customers/redact, customers/data_request), else
    // the body itself on customers/* topics (customers/update). shop/redact names none.
    partitionKey: (body, headers) => {
      const b = body as { id?: unknown; customer?: { id?: unknown } | null };
      const id = b.customer?.id ?? ((headers['x-shopify-topic'] ?? '').startsWith('customers/') ? b.id : undefined);
      return typeof id === 'string' || typeof id === 'number' ? `customer:${String(id)}` : undefined;
    },
  },
  optionsSchema: {
    type: 'object',
    properties: {
      shop: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*\\.myshopify\\.com$' },
      accessToken: SECRET_REF_SCHEMA,
      endpoint: { type: 'string', pattern: '^https?://' },
      allowHosts: { type: 'array', items: { type: 'string', minLength: 1 } },
    },
    additionalProperties: false,
  },
  checkOptions(raw) {
    const o = raw as unknown as ShopifyOptions;
    return outboundUrlCheck(o.endpoint, o.allowHosts, '/endpoint', 'a local simulator');
  },
  createActions(raw, deps) {
    const admin = adminOf(raw as unknown as ShopifyOptions, deps.resolveSecret);
    const tag =
      (query: string, field: string): Action =>
      async (p, ctx) => {
        const { customerId, tags } = (p ?? {}) as { customerId?: string; tags?: string[] };
        if (typeof customerId !== 'string' || !Array.isArray(tags))
          throw new DeliveryError('MAPPING_REQUIRED_MISSING', 'the payload needs "customerId" and "tags"');
        const data = await admin().request<Record<string, { userErrors: Array<{ message: string }> }>>(
          query,
          { id: customerId, tags },
          10,
          ctx.timeoutMs,
        );
        return userErrorsOrOk(data[field]?.userErrors ?? [], customerId);
      };
    return {
      moveInventoryQuantities: async (p, ctx) => {
        const { input, idempotencyKey } = (p ?? {}) as { input?: unknown; idempotencyKey?: string };
        if (!input) throw new DeliveryError('MAPPING_REQUIRED_MISSING', 'the payload needs "input"');
        const data = await admin().request<{ inventoryMoveQuantities: { userErrors: Array<{ message: string; code?: string }> } }>(
          MOVE,
          { input, idempotencyKey: idempotencyKey ?? ctx.idempotencyKey },
          10,
          ctx.timeoutMs,
        );
        return userErrorsOrOk(data.inventoryMoveQuantities.userErrors, undefined);
      },
      tagCustomer: tag(TAGS_ADD, 'tagsAdd'),
      untagCustomer: tag(TAGS_REMOVE, 'tagsRemove'),
    };
  },
  createPulls(raw, deps) {
    const admin = adminOf(raw as unknown as ShopifyOptions, deps.resolveSecret);
    const pacer = new PullPacer(deps.pull);
    return {
      inventoryLevels: async function* (params = {}) {
        const data = await pacer.page(() =>
          admin().request<{ inventoryItem: { inventoryLevel: { quantities: unknown[] } | null } | null }>(
            LEVELS,
            {
              inventoryItemId: params.inventoryItemId,
              locationId: params.locationId,
              names: (params.names ?? 'available,reserved,on_hand').split(','),
            },
            4,
            10_000,
          ),
        );
        yield* data.inventoryItem?.inventoryLevel?.quantities ?? [];
      },
    };
  },
});

function userErrorsOrOk(errors: Array<{ message: string; code?: string }>, externalId: string | undefined): ActionResult {
  if (errors.length > 0)
    throw new DeliveryError(
      'DELIVERY_REJECTED',
      `Shopify user errors: ${errors.map((e) => `${e.code ?? ''} ${e.message}`.trim()).join('; ')}`,
    );
  return externalId ? { externalId } : {};
}

function adminOf(o: ShopifyOptions, resolveSecret: (ref: SecretRef) => string | undefined): () => ShopifyAdmin {
  let admin: ShopifyAdmin | undefined;
  return () => {
    if (admin) return admin;
    const token = o.accessToken ? resolveSecret(o.accessToken) : undefined;
    if (!o.shop || token === undefined)
      throw new DeliveryError(
        'CONFIG_SECRET_MISSING',
        'the Shopify connector needs options.shop and a set options.accessToken for Admin API actions',
      );
    return (admin = new ShopifyAdmin(o.shop, token, o.endpoint));
  };
}
