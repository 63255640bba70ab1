import type { HubConfig } from '../config/config.types';
import type { SubscriptionSnapshot } from '../events';
import { HubError } from '../errors/hub-error';

/**
 * How the reconciliation reads one billing provider: which pull lists every subscription, what
 * the connector's inbound mapping receives for a pulled subscription (the "truth" snapshot is
 * what that mapping makes of it), and the inbox entry a repair appends, so the comparison and
 * the repair go through exactly the mapping the pipeline uses.
 */
export interface BillingSource {
  readonly pull: string;
  /** The prefix of the hub subscription ids this provider's mapping gives (other providers' subscriptions are not its business). */
  readonly hubIdPrefix: string;
  idOf(raw: unknown): string | undefined;
  /** The inbound mapping's input for this subscription, as the pipeline hands it over (after enrichment, if any). */
  mappingInput(raw: unknown, now: number): unknown;
  /**
   * The body (and headers) of the inbox entry a repair appends under `type`, `id` being its
   * source event id: normalised by the pipeline like a webhook of this provider.
   */
  repair(raw: unknown, type: string, id: string, now: number): { body: string; headers: Record<string, string> };
  /** Provider event types: the one compared with, and the ones a repair sends for a subscription the hub lacks or that ended. */
  readonly types: { readonly updated: string; readonly created: string; readonly ended: string };
  /** Whether a pulled subscription has ended (a repair then sends the `ended` type). */
  ended(raw: unknown): boolean;
  /**
   * Why a repair cannot take effect while the hub already has the provider's status, when that is
   * so: the provider's events are keyed by (subscription, status), and the hub applies a key once.
   * Such drift is reported unrepaired instead of appending a replay the pipeline would ignore.
   */
  readonly sameStatusUnrepairable?: string;
  /** Whether the hub's status differs from the truth's only because the hub sets it itself (its own dunning): not drift. */
  hubOwnStatus?(truth: SubscriptionSnapshot, hub: SubscriptionSnapshot): boolean;
}

const idOf = (raw: unknown): string | undefined => {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
};
const statusOf = (raw: unknown): unknown => (raw as { status?: unknown } | null)?.status;

// A Stripe event envelope as webhooks deliver it; `created` (unix seconds) is the provider time
// the projection orders by, so the repair is newer than anything the hub applied before it.
const stripeEvent = (raw: unknown, type: string, id: string, now: number) => ({
  id,
  object: 'event',
  type,
  created: Math.floor(now / 1000),
  livemode: false,
  data: { object: raw },
});

const stripe: BillingSource = {
  pull: 'subscriptions',
  hubIdPrefix: 'stripe:',
  idOf,
  mappingInput: (raw, now) => stripeEvent(raw, 'customer.subscription.updated', 'reconcile', now),
  // The envelope carries the subscription itself: the pipeline maps it as received.
  repair: (raw, type, id, now) => ({ body: JSON.stringify(stripeEvent(raw, type, id, now)), headers: {} }),
  types: { updated: 'customer.subscription.updated', created: 'customer.subscription.created', ended: 'customer.subscription.deleted' },
  ended: (raw) => statusOf(raw) === 'canceled',
};

/** What names a Mollie subscription to the connector's enricher: its id and its customer (Mollie reads a subscription only under its customer). */
const mollieReference = (raw: unknown) => ({ id: idOf(raw), customerId: (raw as { customerId?: unknown } | null)?.customerId });

/**
 * Mollie's webhooks carry no event type and no state: the core's `mollie` scheme stores a
 * `sub_…` notification under the type `subscription`, and the connector's enricher fetches the
 * subscription (`enrichment: {subscription, mandate?}`) before the mapping runs. The truth is
 * that mapping's view of the pulled subscription (the mapping reads no mandate). A repair appends
 * the reference `{id, customerId}` and lets the pipeline fetch the subscription again, as for every
 * Mollie notification: the hub applies Mollie's state as of processing, and the connector's
 * fetched-state key (`sub_x:<status>`) decides, as for webhooks, whether that state is new.
 */
const mollie: BillingSource = {
  pull: 'subscriptions',
  hubIdPrefix: 'mollie:',
  idOf,
  mappingInput: (raw) => ({ ...mollieReference(raw), enrichment: { subscription: raw } }),
  repair: (raw) => ({ body: JSON.stringify(mollieReference(raw)), headers: { 'content-type': 'application/json' } }),
  types: { updated: 'subscription', created: 'subscription', ended: 'subscription' },
  ended: (raw) => statusOf(raw) === 'canceled' || statusOf(raw) === 'completed',
  // mollie.event-source keys an event `mollie:<id>:<status>` (the inbox's fetched-state key is the
  // same): a replay of a status the hub holds is "already applied". Mollie sends no webhook for
  // other changes (metadata, amount, next payment date) either.
  // Mollie keeps a subscription active while its payments fail; past_due is the hub's dunning (mollie.payment.to.hub-event).
  hubOwnStatus: (truth, hub) => truth.status === 'active' && hub.status === 'past_due' && hub.providerStatus === 'active',
  sameStatusUnrepairable:
    'not repaired: the hub holds this Mollie status already, and a replay of an unchanged (subscription, status) is ignored as applied; an operator corrects it',
};

const SOURCES: Readonly<Record<string, BillingSource>> = { stripe, mollie };

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
