import { defineConnector } from '../../src/sdk';

/**
 * Stripe (billing). Inbound: webhooks signed with Stripe-Signature; mappings receive the event
 * object. Outbound API actions (customer portal links, pause, cancel) are not implemented yet.
 */
export const stripeConnector = defineConnector({
  type: 'stripe',
  kind: 'billing',
  description: 'Stripe Billing: subscriptions, invoices and payments.',
  webhook: { scheme: 'stripe', mappingInput: 'body' },
});
