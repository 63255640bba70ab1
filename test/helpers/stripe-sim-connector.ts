import Stripe from 'stripe';

/** The config of a `stripe` connector pointed at a Stripe simulator: webhooks verified, subscription events mapped, API key from STRIPE_API_KEY. */
export const STRIPE_SUBSCRIPTION_EVENTS = [
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
];

export function stripeSimConnector(simulatorUrl: string, events: readonly string[] = STRIPE_SUBSCRIPTION_EVENTS): Record<string, unknown> {
  return {
    type: 'stripe',
    webhook: { secrets: [{ env: 'STRIPE_WEBHOOK_SECRET' }] },
    inbound: { mappings: Object.fromEntries(events.map((t) => [t, 'stripe.customer-subscription.to.hub-event'])) },
    options: {
      apiKey: { env: 'STRIPE_API_KEY' },
      api: { host: '127.0.0.1', port: Number(new URL(simulatorUrl).port), protocol: 'http' },
      allowHosts: ['127.0.0.1'],
    },
  };
}

/** The official SDK pointed at a Stripe simulator (or stripe-mock) over plain HTTP, its own retries off. */
export function stripeClientFor(url: string, key = 'sk_test_simulator'): Stripe {
  const u = new URL(url);
  return new Stripe(key, { host: u.hostname, port: Number(u.port), protocol: 'http', maxNetworkRetries: 0, telemetry: false });
}
