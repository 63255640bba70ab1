import type { HubConfig } from '../config/config.types';
import { HubError } from '../errors/hub-error';

/**
 * How the reconciliation reads one billing provider: which pull lists every subscription, and
 * how a pulled subscription is wrapped as the provider's own webhook event. The same event is
 * what the inbound mapping turns into the "truth" snapshot and what a repair appends to the
 * inbox, so the comparison and the repair go through exactly the mapping the pipeline uses.
 */
export interface BillingSource {
  readonly pull: string;
  /** The prefix of the hub subscription ids this provider's mapping gives (other providers' subscriptions are not its business). */
  readonly hubIdPrefix: string;
  idOf(raw: unknown): string | undefined;
  /** The webhook event carrying this subscription (`id` becomes the inbox source event id). */
  event(raw: unknown, type: string, id: string, now: number): Record<string, unknown>;
  /** Provider event types: the one compared with, and the ones a repair sends for a subscription the hub lacks or that ended. */
  readonly types: { readonly updated: string; readonly created: string; readonly ended: string };
  /** Whether a pulled subscription has ended (a repair then sends the `ended` type). */
  ended(raw: unknown): boolean;
}

const stripe: BillingSource = {
  pull: 'subscriptions',
  hubIdPrefix: 'stripe:',
  idOf: (raw) => {
    const id = (raw as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  },
  // A Stripe event envelope as webhooks deliver it; `created` (unix seconds) is the provider time
  // the projection orders by, so the repair is newer than anything the hub applied before it.
  event: (raw, type, id, now) => ({ id, object: 'event', type, created: Math.floor(now / 1000), livemode: false, data: { object: raw } }),
  types: { updated: 'customer.subscription.updated', created: 'customer.subscription.created', ended: 'customer.subscription.deleted' },
  ended: (raw) => (raw as { status?: unknown } | null)?.status === 'canceled',
};

const SOURCES: Readonly<Record<string, BillingSource>> = { stripe };

/** The billing source of a connector type; a config error for a type the reconciliation cannot read. */
export function billingSourceFor(connectorId: string, type: string): BillingSource {
  const s = SOURCES[type];
  if (!s) {
    throw new HubError(
      'CONFIG_UNKNOWN_REF',
      'config',
      `reconcile.billing: connector "${connectorId}" is of type "${type}"; the reconciliation reads ${Object.keys(SOURCES).join(', ')}`,
    );
  }
  return s;
}

/** The inbound mapping the connector applies to an event type, if its config maps that type. */
export function inboundMapping(config: Readonly<HubConfig>, connectorId: string, eventType: string): string | undefined {
  const m = config.connectors?.[connectorId]?.inbound?.mappings ?? {};
  return m[eventType] ?? m['*'];
}
