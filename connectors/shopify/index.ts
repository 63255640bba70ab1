import { defineConnector } from '../../src/sdk';

/**
 * Shopify (webshop). Inbound: webhooks signed with X-Shopify-Hmac-Sha256; the webhook id and
 * topic travel in headers, so mappings receive {headers, body}. Outbound Admin GraphQL actions
 * (inventory moves, customer tags) are not implemented yet.
 */
export const shopifyConnector = defineConnector({
  type: 'shopify',
  kind: 'webshop',
  description: 'Shopify: orders, customers and inventory.',
  webhook: { scheme: 'shopify', mappingInput: 'envelope' },
});
