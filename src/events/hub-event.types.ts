/* Generated from src/events/hub-event.schema.json by scripts/gen-types.ts. Do not edit. */

/**
 * Canonical subscription event of the hub. Every provider event is mapped into exactly one HubEvent; connectors consume only these. Single source of truth: the TypeScript types are generated from this file (scripts/gen-types.ts).
 */
export type HubEvent = {
  [k: string]: unknown;
} & {
  /**
   * Hub event id (a ULID assigned by the hub).
   */
  id: string;
  /**
   * Canonical event type.
   */
  type: HubEventType;
  /**
   * Version of this event schema; bumped on breaking changes.
   */
  schemaVersion: 1;
  /**
   * When the provider says the event happened (provider time).
   */
  occurredAt: string;
  /**
   * When the hub received the event.
   */
  receivedAt: string;
  /**
   * When the change takes effect. Order events by (entity, effectiveAt, occurredAt), never by arrival.
   */
  effectiveAt: string;
  /**
   * Whether the change has happened or is scheduled.
   */
  actionType: ActionType;
  /**
   * The provider event this hub event was mapped from.
   */
  source: Source;
  /**
   * Tenant: shop / legal entity.
   */
  tenantId: string;
  /**
   * The customer the event concerns, with cross-system ids.
   */
  customer?: Customer;
  /**
   * State of the subscription after the event, when the event concerns one.
   */
  subscription?: SubscriptionSnapshot;
  /**
   * State of the invoice after the event, if any.
   */
  invoice?: InvoiceSnapshot;
  /**
   * State of the payment after the event, if any.
   */
  payment?: PaymentSnapshot;
  /**
   * State of the dunning cycle after the event, if any.
   */
  dunning?: DunningSnapshot;
  /**
   * Groups the events of one business flow (e.g. one renewal).
   */
  correlationId?: string;
  /**
   * Id of the hub event that caused this one.
   */
  causationId?: string;
  /**
   * Pointer to the stored raw provider payload, for replay and reconciliation.
   */
  rawRef?: string;
  /**
   * The stock demand of one subscription period as the hub recorded it (stock.demand_changed).
   */
  demand?: DemandSnapshot;
  /**
   * A purchase proposal of the hub's reorder planner (stock.reorder_proposed).
   */
  reorder?: ReorderProposal;
  /**
   * The customer's risk flags after the event (customer.risk_changed).
   */
  risk?: CustomerRisk;
  /**
   * A payment retry the hub requests itself (payment.retry_requested), for providers that do not retry (Mollie): charged through the billing connector.
   */
  retry?: PaymentRetry;
};
/**
 * All canonical event types.
 */
export type HubEventType =
  | 'subscription.created'
  | 'subscription.activated'
  | 'subscription.renewed'
  | 'subscription.changed'
  | 'subscription.renewal_upcoming'
  | 'subscription.trial_will_end'
  | 'subscription.cycle_skipped'
  | 'subscription.pause_scheduled'
  | 'subscription.paused'
  | 'subscription.resumed'
  | 'subscription.cancel_scheduled'
  | 'subscription.canceled'
  | 'subscription.reactivated'
  | 'subscription.expired'
  | 'invoice.created'
  | 'invoice.finalized'
  | 'invoice.paid'
  | 'invoice.payment_failed'
  | 'invoice.payment_action_required'
  | 'invoice.uncollectible'
  | 'invoice.voided'
  | 'payment.succeeded'
  | 'payment.failed'
  | 'payment.refunded'
  | 'payment.chargeback'
  | 'payment_method.updated'
  | 'payment_method.expiring'
  | 'mandate.invalidated'
  | 'dunning.started'
  | 'dunning.stage_changed'
  | 'dunning.exhausted'
  | 'dunning.resolved'
  | 'customer.risk_changed'
  | 'stock.demand_changed'
  | 'stock.reorder_proposed'
  | 'payment.retry_requested';
/**
 * 'effective': the change has happened; 'scheduled': it will happen at effectiveAt.
 */
export type ActionType = 'effective' | 'scheduled';
/**
 * System an event comes from; 'hub' for events the hub generates itself.
 */
export type Provider = 'stripe' | 'chargebee' | 'mollie' | 'shopify' | 'hub';
/**
 * Hub subscription status; provider statuses are mapped onto it (docs/canonical-events.md section 3).
 */
export type CanonicalSubStatus =
  'pending' | 'trialing' | 'active' | 'past_due' | 'paused' | 'unpaid' | 'canceled' | 'expired';
/**
 * Calendar unit.
 */
export type IntervalUnit = 'day' | 'week' | 'month' | 'year';
/**
 * Why the subscription is paused ('trial_no_pm': trial ended without a payment method).
 */
export type PauseReason = 'customer_request' | 'payment_failure' | 'overdue' | 'stock_out' | 'admin' | 'trial_no_pm';
/**
 * What happens to invoices during the pause (Stripe pause_collection.behavior).
 */
export type PauseCollection = 'keep_as_draft' | 'mark_uncollectible' | 'void';
/**
 * Invoice status ('not_paid': Chargebee; 'failed': Mollie / Shopify billing attempt).
 */
export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible' | 'not_paid' | 'failed';
/**
 * Why the invoice was created.
 */
export type BillingReason = 'subscription_create' | 'subscription_cycle' | 'subscription_update' | 'manual';
/**
 * ISO 4217 currency code, upper case (e.g. 'EUR').
 */
export type Currency = string;
/**
 * Payment method type.
 */
export type PaymentMethodKind = 'card' | 'sepa_debit' | 'ideal' | 'bancontact' | 'paypal' | 'other';
/**
 * Payment status.
 */
export type PaymentStatus = 'succeeded' | 'pending' | 'failed' | 'requires_action' | 'refunded' | 'chargeback';
/**
 * Mollie sequenceType: first (creates the mandate), recurring or one-off.
 */
export type PaymentSequence = 'first' | 'recurring' | 'oneoff';
/**
 * Normalised payment failure class (docs/dunning.md section 3); drives retries and customer actions.
 */
export type FailureCategory =
  | 'insufficient_funds'
  | 'invalid_account'
  | 'account_closed'
  | 'authentication_required'
  | 'expired_or_invalid_card'
  | 'do_not_honor'
  | 'customer_refusal'
  | 'fraud_suspected'
  | 'insufficient_inventory'
  | 'technical'
  | 'no_payment_method'
  | 'unknown';

/**
 * Origin of the event at the provider.
 */
export interface Source {
  /**
   * Provider that emitted the event.
   */
  provider: Provider;
  /**
   * The provider's event id.
   */
  eventId: string;
  /**
   * The provider's event type or webhook topic, verbatim (e.g. 'invoice.paid').
   */
  eventType: string;
  /**
   * Provider API version the payload was rendered with.
   */
  apiVersion?: string;
  /**
   * Idempotency key taken from the provider: 'stripe:<event.id>' (stripe:evt_...), 'shopify:<X-Shopify-Webhook-Id>', 'mollie:<payment id>:<fetched status>', 'chargebee:<event id>', '<source name>:<webhook-id>' for Standard Webhooks sources, 'hub:<rule>:<entity>:<period>' for hub-generated events (e.g. hub:dunning:sub_123:2026-11).
   */
  dedupeKey: string;
}
/**
 * Customer reference with the ids it has in each system.
 */
export interface Customer {
  /**
   * Hub customer id.
   */
  hubCustomerId: string;
  /**
   * Customer id at the billing provider.
   */
  providerCustomerId?: string;
  /**
   * Shopify customer id.
   */
  shopifyCustomerId?: string;
  /**
   * Customer (debtor) id in the ERP.
   */
  erpCustomerId?: string;
  /**
   * Customer e-mail as known to the provider.
   */
  email?: string;
}
/**
 * State of a subscription at the time of the event.
 */
export interface SubscriptionSnapshot {
  /**
   * Hub subscription id.
   */
  hubSubscriptionId: string;
  /**
   * Subscription (or Shopify contract) id at the provider.
   */
  providerSubscriptionId: string;
  /**
   * Canonical status.
   */
  status: CanonicalSubStatus;
  /**
   * The provider's raw status, kept for reconciliation and support.
   */
  providerStatus: string;
  /**
   * Subscribed products.
   */
  items: SubscriptionItem[];
  /**
   * Billing interval.
   */
  interval: BillingInterval;
  /**
   * Start of the current billing period.
   */
  currentPeriodStart?: string;
  /**
   * End of the current billing period.
   */
  currentPeriodEnd?: string;
  /**
   * Next scheduled renewal.
   */
  nextRenewalAt?: string;
  /**
   * Set when a cancellation is scheduled or done.
   */
  cancel?: Cancellation;
  /**
   * Set when a pause is scheduled or active.
   */
  pause?: Pause;
  /**
   * Whether goods are delivered and changes allowed, kept apart from billing state.
   */
  entitlement: Entitlement;
}
/**
 * One subscribed product line.
 */
export interface SubscriptionItem {
  /**
   * Hub SKU.
   */
  sku: string;
  /**
   * Shopify product variant id.
   */
  shopifyVariantId?: string;
  /**
   * Units per delivery.
   */
  quantity: number;
  /**
   * Price / plan reference at the provider (e.g. Stripe price id).
   */
  priceRef?: string;
  /**
   * Components when the SKU is a kit (bundle) resolved for the warehouse.
   */
  kitComponents?: KitComponent[];
}
/**
 * One component of a kit.
 */
export interface KitComponent {
  /**
   * Component SKU.
   */
  sku: string;
  /**
   * Component units per kit unit.
   */
  qtyPer: number;
}
/**
 * Billing interval, e.g. every 2 weeks = { unit: 'week', count: 2 }.
 */
export interface BillingInterval {
  unit: IntervalUnit;
  /**
   * Number of units per interval.
   */
  count: number;
}
/**
 * Cancellation of a subscription, scheduled or done.
 */
export interface Cancellation {
  /**
   * When the subscription ends / ended.
   */
  at?: string;
  /**
   * True when it ends at the end of the current period.
   */
  atPeriodEnd: boolean;
  /**
   * Cancellation reason, free text or provider code.
   */
  reason?: string;
}
/**
 * Pause of a subscription, scheduled or active.
 */
export interface Pause {
  /**
   * When the pause starts / started.
   */
  startsAt: string;
  /**
   * When billing resumes; absent for an open-ended pause.
   */
  resumesAt?: string;
  reason: PauseReason;
  collection?: PauseCollection;
}
/**
 * Entitlement state, Kill Bill blocking-state style.
 */
export interface Entitlement {
  /**
   * Whether goods may be shipped.
   */
  deliver: boolean;
  /**
   * Whether the customer may not change the subscription.
   */
  blockChanges: boolean;
  /**
   * Services holding a block (e.g. 'dunning'); blocked while any entry remains.
   */
  blockedBy: string[];
}
/**
 * State of an invoice at the time of the event.
 */
export interface InvoiceSnapshot {
  /**
   * Invoice id at the provider.
   */
  id: string;
  /**
   * Human-readable invoice number.
   */
  number?: string;
  status: InvoiceStatus;
  billingReason?: BillingReason;
  /**
   * Amount due, in minor units (cents).
   */
  amountDueMinor: number;
  /**
   * Amount paid, in minor units (cents).
   */
  amountPaidMinor: number;
  /**
   * Invoice currency.
   */
  currency: Currency;
  /**
   * Payment due date.
   */
  dueAt?: string;
  /**
   * Payment attempts made so far.
   */
  attemptCount?: number;
  /**
   * Next automatic payment attempt; null when the provider will not retry (dunning exhausted).
   */
  nextAttemptAt?: string | null;
  /**
   * Hosted page where the customer can pay the invoice.
   */
  payUrl?: string;
}
/**
 * State of a payment at the time of the event.
 */
export interface PaymentSnapshot {
  /**
   * Payment id at the provider.
   */
  id: string;
  method: PaymentMethodKind;
  status: PaymentStatus;
  sequence?: PaymentSequence;
  /**
   * Payment amount, in minor units (cents).
   */
  amountMinor: number;
  /**
   * Payment currency.
   */
  currency: Currency;
  /**
   * Mandate (SEPA / recurring) id.
   */
  mandateId?: string;
  /**
   * Set when the payment failed.
   */
  failure?: PaymentFailure;
}
/**
 * Why a payment failed, normalised plus the provider's own code.
 */
export interface PaymentFailure {
  /**
   * Normalised failure class.
   */
  category: FailureCategory;
  /**
   * Provider code, verbatim (e.g. Stripe decline_code, SEPA reason code 'AM04').
   */
  providerCode: string;
  /**
   * Hard failure: do not retry until the payment method changes.
   */
  hard: boolean;
  /**
   * Whether a retry may succeed without customer action.
   */
  retryable: boolean;
  /**
   * Provider message, for support.
   */
  message?: string;
}
/**
 * State of the dunning cycle of a subscription at the time of the event.
 */
export interface DunningSnapshot {
  /**
   * Dunning policy id.
   */
  policyId: string;
  /**
   * Current stage name from the policy (e.g. CLEAR, WARNING, BLOCKED, CANCELLATION).
   */
  stage: string;
  /**
   * Retry attempts made in this cycle.
   */
  attempt: number;
  /**
   * Retry attempts the policy allows.
   */
  maxAttempts: number;
  /**
   * When this dunning cycle started.
   */
  startedAt: string;
  /**
   * Next scheduled retry or stage evaluation.
   */
  nextActionAt?: string;
  /**
   * Days since the earliest unpaid invoice was due.
   */
  daysSinceEarliestUnpaid: number;
  /**
   * Number of unpaid invoices.
   */
  unpaidInvoices: number;
  /**
   * Unpaid balance, in minor units (cents).
   */
  unpaidBalanceMinor: number;
  /**
   * Customer defaults within the configured window; feeds the blacklist rule (docs/dunning.md section 4.6).
   */
  defaultsInWindow: number;
  decision?: DunningDecision;
}
/**
 * What the hub's policy decided at this stage, with the rule that fired (events the hub derives).
 */
export interface DunningDecision {
  /**
   * The rule that fired, in words.
   */
  rule: string;
  /**
   * Keep delivering (false: shipments held).
   */
  deliver: boolean;
  /**
   * Plan changes blocked.
   */
  blockChanges: boolean;
  /**
   * Pause collection at the provider.
   */
  pauseBilling: boolean;
  /**
   * Cancellation the stage asks for.
   */
  cancel: 'none' | 'immediate' | 'end_of_term';
  /**
   * Notification template of the stage.
   */
  notify?: string;
  /**
   * Send a payment-details update link (hard failures).
   */
  sendPaymentUpdateLink: boolean;
  /**
   * Send a one-off payment link (authentication required, refusals).
   */
  sendPayLink: boolean;
  /**
   * The payment-details update link.
   */
  paymentUpdateUrl?: string;
  /**
   * The one-off payment link (hosted invoice).
   */
  payUrl?: string;
  /**
   * Next hub-driven payment retry, when the provider does not retry.
   */
  retryAt?: string;
  /**
   * The customer is blacklisted: shipments held until cleared.
   */
  blacklisted?: boolean;
  /**
   * Resume collection at the provider: an earlier stage of this cycle paused it.
   */
  resumeBilling?: boolean;
}
/**
 * The demand of one delivery of a subscription, per SKU after kit explosion (docs/stock-demand.md §2), as the hub recorded it once per (subscription, period).
 */
export interface DemandSnapshot {
  /**
   * Date of the delivery the demand covers (the next renewal, else the period end).
   */
  period: string;
  /**
   * reserved: the delivery ships; released: it does not (paused, canceled, held by dunning or the blacklist).
   */
  status: 'reserved' | 'released';
  /**
   * Quantities per stocked SKU; empty when released.
   */
  lines: DemandLine[];
  /**
   * Why the demand is what it is, for the audit trail.
   */
  reason: string;
}
/**
 * Units of one stocked SKU.
 */
export interface DemandLine {
  /**
   * Stocked SKU (never a kit).
   */
  sku: string;
  /**
   * Units.
   */
  quantity: number;
}
/**
 * A draft purchase proposal for one SKU at one location, with the inputs of the formula and the subscriptions that drove it (docs/stock-demand.md §5).
 */
export interface ReorderProposal {
  /**
   * Stocked SKU.
   */
  sku: string;
  /**
   * Hub location code (tables/locations.json).
   */
  location: string;
  /**
   * Units to order, rounded up to the multiple.
   */
  quantity: number;
  /**
   * When the planner proposed it.
   */
  proposedAt: string;
  /**
   * Date the stock is needed (today + lead time).
   */
  neededBy?: string;
  /**
   * The rule that fired, in words.
   */
  reason: string;
  /**
   * The formula's inputs.
   */
  inputs: {
    /**
     * Units on hand at the warehouse.
     */
    onHand: number;
    /**
     * Units on open purchase orders.
     */
    incoming: number;
    /**
     * Units reserved for other outgoing shipments.
     */
    outgoing?: number;
    /**
     * Projected subscription demand within the horizon.
     */
    subscriptionDemand: number;
    /**
     * Other forecast demand within the horizon.
     */
    otherDemand?: number;
    /**
     * Reorder point.
     */
    min: number;
    /**
     * Order-up-to level.
     */
    max: number;
    /**
     * Order multiple (pack size).
     */
    multiple: number;
    /**
     * Forecast at the end of the horizon.
     */
    forecast: number;
  };
  /**
   * Hub subscription ids whose demand counts in the forecast.
   */
  trail: string[];
}
/**
 * Blacklist state of a customer as the hub decided it (docs/dunning.md §4.6: N defaults within M days), set or cleared.
 */
export interface CustomerRisk {
  /**
   * Shipments of every subscription of the customer are held while true.
   */
  blacklisted: boolean;
  /**
   * The rule that set it, or who cleared it.
   */
  reason: string;
  /**
   * Defaults counted when the flag was set.
   */
  defaultsInWindow?: number;
}
/**
 * One hub-scheduled retry of an unpaid invoice (docs/dunning.md §4.8): idempotent per (invoice, attempt).
 */
export interface PaymentRetry {
  /**
   * The unpaid invoice at the provider (for Mollie: the first failed payment's id).
   */
  invoiceId: string;
  /**
   * Which charge of the invoice this is (the failed one was 1).
   */
  attempt: number;
  /**
   * What is still unpaid, in minor units.
   */
  amountMinor: number;
  /**
   * ISO 4217.
   */
  currency: string;
  /**
   * When the dunning decision scheduled it (decision.retryAt).
   */
  scheduledAt: string;
  /**
   * The mandate to charge, when the provider names one.
   */
  mandateId?: string;
}
