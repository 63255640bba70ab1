/**
 * Operator views: the read side the console and the admin API list and search with. Every list is
 * a page (newest or oldest first as each method says) with an opaque cursor, and every query is
 * answered from an index, so a page stays fast with millions of rows (the console's performance
 * test seeds 1,000,000 subscriptions and 100,000 dead letters). Nothing here writes.
 */

import type { DeadLetter, DeadLetterStage } from './ports';

/** A page of rows; `next` is the cursor of the following page (absent: this was the last one). */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** Where a page starts (`cursor` from the previous page's `next`) and how long it is (1–500). */
export interface PageRequest {
  cursor?: string;
  limit: number;
}

/**
 * What an event search matches. `sourceEventId`: the provider's event id (e.g. evt_…); `subscription`:
 * the canonical event's entity (hub subscription id, e.g. stripe:sub_…); `customer`: events of any of a
 * hub customer's subscriptions; `type`: the provider event type (invoice.paid) or the canonical type
 * (subscription.renewed).
 */
export type EventSearchField = 'sourceEventId' | 'subscription' | 'customer' | 'type';

/** One received webhook (or derived hub event) as the event search lists it. */
export interface EventSummary {
  inboxId: string;
  source: string;
  sourceEventId: string;
  eventType?: string;
  receivedAt: number;
  /** The inbox status: received, normalised, ignored or failed. */
  status: string;
  /** The canonical event, when the entry was normalised. */
  event?: { id: string; type: string; entityKey: string };
}

/** One delivery with everything an operator needs to follow it. */
export interface DeliveryDetail {
  id: string;
  route: string;
  target: string;
  action: string;
  mapping: string;
  idempotencyKey: string;
  status: string;
  attempts: number;
  createdAt: number;
  firstAttemptAt?: number;
  lastAttemptAt?: number;
  nextAttemptAt: number;
  lastError?: string;
}

/** An audit row (replays, discards, settlements, operator changes). */
export interface AuditRecord {
  at: number;
  actor: string;
  action: string;
  subject: string;
  detail?: unknown;
}

/**
 * One event's story: received (the raw webhook as stored: redacted data stays redacted) → canonical
 * event → domain decisions taken on it → each delivery → dead letters and audit rows about them.
 */
export interface EventTimeline {
  inbox: EventSummary & { headers: Record<string, string>; body: string; detail?: string; attempts: number };
  /** The canonical event's JSON text. */
  event?: { id: string; type: string; entityKey: string; createdAt: number; body: string };
  /** Decisions whose eventId is the canonical event's id, oldest first. */
  decisions: Array<{ at: string; kind: string; subject: string; outcome: string; rule: string; detail?: unknown }>;
  deliveries: DeliveryDetail[];
  deadLetters: DeadLetter[];
  /** Audit rows whose subject is the inbox entry or one of its dead letters, oldest first. */
  audit: AuditRecord[];
}

export interface DeadLetterQuery extends PageRequest {
  status?: DeadLetter['status'];
  stage?: DeadLetterStage;
  source?: string;
  target?: string;
  errorCode?: string;
}

/** A dead letter as listed (no payload: `HubState.getDeadLetter` has it). Newest first. */
export type DeadLetterSummary = Omit<DeadLetter, 'payload'>;

/** The values the dead-letter filters can take among letters of one status, with how many letters each has. */
export interface DeadLetterFacets {
  stage: Record<string, number>;
  source: Record<string, number>;
  target: Record<string, number>;
  errorCode: Record<string, number>;
}

export interface SubscriptionQuery extends PageRequest {
  /**
   * A prefix of the hub subscription id, the provider subscription id or the hub customer id. With
   * `q` the list runs in three parts, each from an index: subscriptions whose hub id has the prefix
   * (by hub id), then those whose provider id has it (by provider id, then hub id), then those whose
   * customer id has it (by customer id, then hub id); each subscription is listed once, in the first
   * part it matches. Text is ordered by bytes.
   */
  q?: string;
  status?: string;
}

/** A subscription as listed, ordered by hub id (with a search, see SubscriptionQuery.q). */
export interface SubscriptionSummary {
  id: string;
  providerId: string;
  customerId: string;
  status: string;
  nextDelivery?: string;
}

/** One dunning stage on the board: how many open cycles, how much is unpaid, since when. */
export interface DunningStageSummary {
  stage: string;
  cycles: number;
  /** Sum of the unpaid amounts of its cycles, in minor units. */
  unpaidMinor: number;
  /** The oldest cycle's start (ISO). */
  oldestStartedAt: string;
}

/** An open dunning cycle as listed on the board, oldest first. */
export interface DunningSummary {
  subscriptionId: string;
  customerId: string;
  stage: string;
  startedAt: string;
  unpaidMinor: number;
  attempts: number;
  method: string;
  deliver: boolean;
}

export interface CustomerSummary {
  id: string;
  blacklisted: boolean;
  blacklistedAt?: string;
  defaults: number;
  email?: string;
}

/** The hub's reserved demand of one (SKU, location) on one delivery date. */
export interface DailyDemand {
  period: string;
  quantity: number;
}

export interface OperatorViews {
  /** Newest first. */
  searchEvents(field: EventSearchField, value: string, page: PageRequest): Promise<Page<EventSummary>>;
  /** The newest entries of any kind, newest first (the events page before a search). */
  recentEvents(page: PageRequest): Promise<Page<EventSummary>>;
  eventTimeline(inboxId: string): Promise<EventTimeline | undefined>;
  /** Newest first. */
  deadLetters(q: DeadLetterQuery): Promise<Page<DeadLetterSummary>>;
  deadLetterFacets(status: DeadLetter['status']): Promise<DeadLetterFacets>;
  subscriptions(q: SubscriptionQuery): Promise<Page<SubscriptionSummary>>;
  /** How many subscriptions per status. */
  subscriptionCounts(): Promise<Record<string, number>>;
  /** Open dunning cycles per stage, largest unpaid first. */
  dunningStages(): Promise<DunningStageSummary[]>;
  /** Open cycles of one stage (every stage without `stage`), oldest first. */
  dunningCycles(stage: string | undefined, page: PageRequest): Promise<Page<DunningSummary>>;
  /** Blacklisted customers, most recently blacklisted first. */
  blacklistedCustomers(page: PageRequest): Promise<Page<CustomerSummary>>;
  /** Dunning recoveries (decisions of kind dunning with outcome CLEAR) per day (YYYY-MM-DD, UTC) since `since` (ISO). */
  recoveriesPerDay(since: string): Promise<Array<{ day: string; recoveries: number }>>;
  /** The SKUs and locations that have reserved demand after `from` (YYYY-MM-DD). */
  demandKeys(from: string): Promise<Array<{ sku: string; location?: string }>>;
  /** Reserved demand of one SKU at one location (absent: the default location) per delivery date in (from, to]. */
  dailyDemand(sku: string, location: string | undefined, from: string, to: string): Promise<DailyDemand[]>;
  /** Audit rows, newest first. */
  audit(page: PageRequest): Promise<Page<AuditRecord>>;
}
