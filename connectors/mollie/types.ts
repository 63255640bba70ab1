/**
 * The Mollie API v2 resources the connector reads and writes, as they travel on the wire (HAL
 * JSON). Only the fields subhub uses are typed; the rest pass through untouched to the mappings.
 */

/** Money as Mollie writes it: an ISO 4217 code and a decimal string with the currency's exponent ("10.00"). */
export interface MollieAmount {
  currency: string;
  value: string;
}

export interface MollieLink {
  href: string;
  type: string;
}

export type MollieLinks = Record<string, MollieLink | null | undefined>;

export interface MolliePayment {
  resource: 'payment';
  id: string;
  mode: 'test' | 'live';
  status: 'open' | 'pending' | 'authorized' | 'paid' | 'failed' | 'canceled' | 'expired';
  sequenceType: 'oneoff' | 'first' | 'recurring';
  amount: MollieAmount;
  amountChargedBack?: MollieAmount;
  description: string;
  /** Absent until the customer picked one at checkout (the official client's types say so). */
  method?: string | null;
  metadata: unknown;
  customerId?: string;
  mandateId?: string;
  subscriptionId?: string;
  webhookUrl?: string;
  createdAt: string;
  paidAt?: string;
  failedAt?: string;
  expiredAt?: string;
  canceledAt?: string;
  /** SEPA: bankReasonCode / bankReason on a returned debit; cards: failureReason / failureMessage. */
  details?: Record<string, unknown> | null;
  _links: MollieLinks;
}

export interface MollieSubscription {
  resource: 'subscription';
  id: string;
  mode: 'test' | 'live';
  status: 'pending' | 'active' | 'canceled' | 'suspended' | 'completed';
  amount: MollieAmount;
  times: number | null;
  timesRemaining: number | null;
  /** "1 month", "14 days", "2 weeks". */
  interval: string;
  startDate: string;
  nextPaymentDate?: string | null;
  description: string;
  method: string | null;
  mandateId?: string | null;
  customerId: string;
  webhookUrl?: string | null;
  metadata: unknown;
  createdAt: string;
  canceledAt?: string;
  _links: MollieLinks;
}

export interface MollieMandate {
  resource: 'mandate';
  id: string;
  mode: 'test' | 'live';
  status: 'valid' | 'pending' | 'invalid';
  method: 'directdebit' | 'creditcard' | 'paypal';
  details: Record<string, unknown>;
  mandateReference: string | null;
  signatureDate: string | null;
  createdAt: string;
  _links: MollieLinks;
}

export interface MolliePaymentLink {
  resource: 'payment-link';
  id: string;
  description: string;
  amount: MollieAmount | null;
  expiresAt: string | null;
  webhookUrl: string | null;
  _links: MollieLinks & { paymentLink: MollieLink };
}

/** A page of a list endpoint: `_embedded[<resource plural>]`, `count`, and `_links.next` while there is more. */
export interface MolliePage<T> {
  count: number;
  _embedded: Record<string, T[]>;
  _links: { self: MollieLink; next: MollieLink | null; previous: MollieLink | null; documentation: MollieLink };
}

/**
 * What the enricher hands the inbound mappings under `enrichment`: the object the webhook (or
 * the hub) named, fetched, with what the mappings need beside it. A payment comes with its
 * subscription (its own `subscriptionId`, else `metadata.subscriptionId` of a hub retry) and its
 * mandate when it has a customer; a subscription with its mandate.
 */
/** A Mollie customer (the fields the mappings read: where dunning mail goes). */
export interface MollieCustomer {
  resource: 'customer';
  id: string;
  name?: string | null;
  email?: string | null;
  locale?: string | null;
  /** Whatever the business stored (any JSON, per the official client's types); the mappings read odooPartnerId and shopifyCustomerId. */
  metadata?: unknown;
}

export interface MollieEnrichment {
  payment?: MolliePayment;
  /** The payment's customer: its e-mail address is where the hub's dunning notices go. */
  customer?: MollieCustomer;
  subscription?: MollieSubscription;
  mandate?: MollieMandate;
}
