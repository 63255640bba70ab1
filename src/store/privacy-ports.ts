/**
 * The privacy side of the store: what a data subject's request does to stored personal data,
 * and the retention of raw webhook bodies. Personal data lives in raw inbox bodies, canonical
 * events, dead-letter payloads and the domain's customer records; bookkeeping keeps ids,
 * amounts, SKUs, dates, statuses and countries.
 */

/** Shopify's mandatory compliance topics, as the hub names them. */
export type PrivacyRequestKind = 'customer_redact' | 'customer_data_request' | 'shop_redact';

/** A privacy request as received (parsed from the webhook by src/pipeline/compliance-request.ts). */
export interface PrivacyRequest {
  kind: PrivacyRequestKind;
  /** The connector it came from (one shop per connector). */
  source: string;
  shopDomain?: string;
  /** The shop's customer id (numeric, as text). */
  customerId?: string;
  email?: string;
  phone?: string;
  /** Orders the request names (customers/redact: orders_to_redact; data_request: orders_requested). */
  orderIds: string[];
  /** The provider's id of a data request, quoted back to the shop when answering it. */
  requestId?: string;
}

/** What was found (data request) or redacted (redact requests), by place. */
export interface PrivacyMatches {
  inbox: string[];
  events: string[];
  deadLetters: string[];
  customers: string[];
}

/** The record of a privacy request: kept, so an operator can show it was done. */
export interface PrivacyRecord {
  id: string;
  kind: PrivacyRequestKind;
  source: string;
  sourceEventId: string;
  /** Who it concerns, without personal data once redacted: "customer 123", "shop x.myshopify.com". */
  subject: string;
  receivedAt: number;
  completedAt: number;
  /** Redact requests: what was redacted. Data requests: where the customer's data is. */
  matches: PrivacyMatches;
  /** Data requests only, until a redact request for the same customer: how to reach the customer. */
  contact?: { email?: string; phone?: string; requestId?: string };
}

/** A data request with the stored data it found, current at the time of reading. */
export interface PrivacyExport extends PrivacyRecord {
  data: {
    inbox: Array<{ id: string; sourceEventId: string; eventType?: string; receivedAt: number; body: unknown }>;
    events: Array<{ id: string; type: string; body: unknown }>;
    customers: Array<{ id: string; record: unknown }>;
  };
}

export interface PrivacyStore {
  /** Privacy requests, newest first. */
  listRequests(limit: number): Promise<PrivacyRecord[]>;
  /** One request; a data request comes with the data it found (for the operator's answer). */
  getRequest(id: string): Promise<PrivacyExport | PrivacyRecord | undefined>;
  /**
   * Blanks the raw body and headers of processed inbox entries received before `before` (epoch
   * ms): normalised or ignored ones, and failed ones with no open dead letter. Rows stay (dedupe,
   * status). Resolves with the number of entries blanked.
   */
  pruneRawBodies(before: number, now: number): Promise<number>;
}
