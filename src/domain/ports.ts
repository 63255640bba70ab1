import type { DemandLine, HubEvent } from '../events';
import type { SubscriptionState } from './subscription-projection';

/** The projection's state, carried by the port (adapters store it; they import nothing else of the domain). */
export type { SubscriptionState };

/**
 * The subscription domain's port: what the hub knows about subscriptions, their stock demand,
 * customers, dunning cycles, reorder proposals and every decision it took. The SQLite adapter
 * keeps it in the same file (and the same transactions) as the inbox and deliveries.
 */

/** The demand of one delivery of one subscription, replaced as a whole (docs/stock-demand.md §3). */
export interface DemandRecord {
  subscriptionId: string;
  customerId: string;
  /** Date (YYYY-MM-DD) of the delivery the demand covers. */
  period: string;
  /** Hub location the delivery ships from (its tenant's, tables/tenants.json); absent on rows recorded before locations: the default location. */
  location?: string;
  status: 'reserved' | 'released';
  lines: DemandLine[];
  /** Bumped on every change; part of the derived event's dedupe key. */
  revision: number;
  eventId: string;
  reason: string;
}

export interface CustomerRecord {
  id: string;
  /** Start dates (ISO) of dunning cycles that counted as defaults, newest last. */
  defaults: string[];
  blacklisted: boolean;
  blacklistedAt?: string;
  /** When an operator last cleared the blacklist: defaults before it no longer count. */
  clearedAt?: string;
  /** Dunning overrides an operator set at run time (admin API); absent: only config's apply. */
  overrides?: OperatorOverrides;
  email?: string;
  shopifyCustomerId?: string;
  erpCustomerId?: string;
  providerCustomerId?: string;
}

/**
 * A customer's dunning overrides as an operator set them (`PUT /admin/api/customers/:id/overrides`).
 * Field by field they win over config's `dunning.customers` (docs/dunning.md §4.5); a field left
 * out here leaves config's value in force.
 */
export interface OperatorOverrides {
  goodwill?: boolean;
  /** Days added to every stage's day threshold (0..365). */
  graceDays?: number;
  /** The operator (X-Subhub-Actor) and when (ISO), for whoever wonders why a customer is treated differently. */
  setBy: string;
  setAt: string;
}

/** An open dunning cycle of one subscription. */
export interface DunningRecord {
  subscriptionId: string;
  customerId: string;
  policyId: string;
  stage: string;
  startedAt: string;
  /** Unpaid invoices by id: amount and when it first failed. */
  /**
   * `attempt`: the provider's attempt count of the last failure reported for the invoice, and
   * `actionRequired` whether that report was an action-required notice (a failure and its notice
   * with the same count are one attempt).
   */
  unpaid: Record<string, { amountMinor: number; failedAt: string; attempt?: number; actionRequired?: boolean }>;
  attempts: number;
  category?: string;
  method: 'card' | 'sepa_debit' | 'other';
  deliver: boolean;
  /** A stage of this cycle paused billing at the provider: resumed on recovery or a lighter stage. */
  billingPaused?: boolean;
  /** Invoices of this cycle already counted as defaults (written off, given up, charged back). */
  defaulted?: string[];
  payUrl?: string;
  /**
   * The hub's next retry of the unpaid invoice, for providers that do not retry (docs/dunning.md
   * §4.8): requested at `at` by the retry scheduler (`requestedAt` once it was), attempt `attempt`.
   */
  /**
   * The capability in the hub's own payment-details link (`dunning.paymentUpdateLinks`): a random
   * token, valid while the cycle is open; the link creates a first payment at the provider.
   */
  updateToken?: string;
  retry?: {
    at: string;
    attempt: number;
    invoice: string;
    amountMinor: number;
    currency: string;
    mandateId?: string;
    requestedAt?: string;
  };
}

export interface DecisionRecord {
  at: string;
  kind: 'demand' | 'dunning' | 'blacklist' | 'reorder' | 'projection' | 'reconcile';
  subject: string;
  eventId?: string;
  outcome: string;
  /** The rule that fired, in words an operator reads. */
  rule: string;
  detail?: unknown;
}

export interface ProposalRecord {
  id: string;
  sku: string;
  location: string;
  quantity: number;
  status: 'open' | 'closed';
  proposedAt: string;
  reason: string;
  trail: string[];
  /** Set when closed: why (confirmed in the ERP, stock recovered). */
  closedReason?: string;
  /** Today + lead time when proposed: a confirmed order counts as incoming stock until then. */
  neededBy?: string;
  /** Set when the buyer confirmed the order: its quantity is incoming until `expectedAt`, else `neededBy`. */
  confirmed?: boolean;
  /** The ERP's planned receipt date of the confirmed order (YYYY-MM-DD), when it has one. */
  expectedAt?: string;
  /** The ERP reports the receipt done (or the confirmed order cancelled): no longer incoming. */
  received?: boolean;
}

/** Everything one canonical event changes in the domain: committed with the event, or not at all. */
export interface DomainChanges {
  subscriptions: SubscriptionState[];
  demand: DemandRecord[];
  customers: CustomerRecord[];
  dunning: DunningRecord[];
  /** Subscriptions whose dunning cycle ended (recovered). */
  dunningCleared: string[];
  decisions: DecisionRecord[];
  /** Events the hub derives (source "hub"): queued in the outbox with the changes, then relayed to the event log, so they run the same pipeline. */
  derived: HubEvent[];
  /** Operator actions behind the changes (absent for event handling): audit rows committed with them, dated at commit. */
  audit?: DomainAudit[];
}

/** An audit row a domain write carries (the store's audit trail: `at` is the commit's time). */
export interface DomainAudit {
  actor: string;
  action: string;
  subject: string;
  detail?: unknown;
}

export function noChanges(): DomainChanges {
  return { subscriptions: [], demand: [], customers: [], dunning: [], dunningCleared: [], decisions: [], derived: [] };
}

export function isEmpty(c: DomainChanges): boolean {
  return Object.values(c).every((v: unknown[]) => v.length === 0);
}

/**
 * Point reads the domain service needs while it handles one event: synchronous, over a unit the
 * pipeline loaded first (DomainView), so the service stays pure.
 */
export interface DomainReader {
  subscription(id: string): SubscriptionState | undefined;
  customer(id: string): CustomerRecord | undefined;
  dunning(subscriptionId: string): DunningRecord | undefined;
  demand(subscriptionId: string, period: string): DemandRecord | undefined;
  /** Every recorded delivery of a subscription. */
  demandOfSubscription(subscriptionId: string): DemandRecord[];
  subscriptionsOfCustomer(customerId: string): SubscriptionState[];
}

/**
 * One customer's slice of the domain, the unit of consistency: a blacklist spans all of a
 * customer's subscriptions, so everything an event of that customer reads or writes is here.
 * `version` is the unit's version when it was read (0: never written). A write computed from it
 * commits only while the version has not moved (optimistic concurrency); otherwise it is a
 * conflict and is computed again from fresh state.
 */
export interface DomainUnit {
  customerId: string;
  version: number;
  customer?: CustomerRecord;
  subscriptions: SubscriptionState[];
  dunning: DunningRecord[];
  demand: DemandRecord[];
}

/** A write to one unit, computed from `version`. */
export interface UnitWrite {
  customerId: string;
  version: number;
  changes: DomainChanges;
}

/** `conflict`: the unit's version moved since it was read; nothing was written (retryable: read again and recompute). */
export type UnitCommitResult = 'committed' | 'conflict';

/** Units of one SKU at one location (absent: rows recorded before locations, the default location). */
export interface LocatedQuantity {
  sku: string;
  location?: string;
  quantity: number;
}

export interface PruneCutoffs {
  decisionsBefore?: string;
  demandBefore?: string;
  closedProposalsBefore?: string;
}

export interface PruneCounts {
  decisions: number;
  demand: number;
  proposals: number;
}

export interface HorizonDemand extends LocatedQuantity {
  subscriptions: string[];
}

/**
 * The domain's storage port. Every method is asynchronous (a networked backend implements it as
 * well as the embedded one); pages are async iterables with bounded memory.
 */
export interface DomainStore {
  /** A customer's unit (plus `subscriptionId` and its rows when it is stored under another customer). */
  loadUnit(customerId: string, subscriptionId?: string): Promise<DomainUnit>;
  /**
   * Commits a write outside event handling (the nightly dunning review, an operator's blacklist
   * clear) with its derived events (to the outbox), if the unit's version is still `write.version`.
   * Event handling commits its writes with the inbox outcome (`NormalisedEvent.unit`).
   */
  commitUnit(write: UnitWrite, now: number): Promise<UnitCommitResult>;
  subscription(id: string): Promise<SubscriptionState | undefined>;
  customer(id: string): Promise<CustomerRecord | undefined>;
  dunning(subscriptionId: string): Promise<DunningRecord | undefined>;
  demand(subscriptionId: string, period: string): Promise<DemandRecord | undefined>;
  /** Reserved demand per (SKU, location) for deliveries in (from, to] (dates, YYYY-MM-DD). */
  horizonDemand(from: string, to: string): Promise<HorizonDemand[]>;
  /** Reserved demand per (SKU, location) for every delivery after `from` (what the hub has reserved at the warehouses). */
  reservedAfter(from: string): Promise<LocatedQuantity[]>;
  openProposals(): Promise<ProposalRecord[]>;
  /** Records a proposal, its decision and its event (to the outbox) in one transaction; false if one is already open for the (SKU, location). */
  addProposal(p: ProposalRecord, event: HubEvent, now: number): Promise<boolean>;
  /** Confirmed proposals whose units are still on their way (not received). */
  proposalsInTransit(): Promise<ProposalRecord[]>;
  /** Replaces a proposal's record (its status follows) with a decision, in one transaction. */
  updateProposal(p: ProposalRecord, decision: DecisionRecord): Promise<void>;
  /** Units of confirmed proposals still on their way (not received, expected or needed after `today`), per (SKU, location). */
  incoming(today: string): Promise<LocatedQuantity[]>;
  /** Queues hub events (reconciliation repairs) in the outbox; returns how many were new (not queued or logged before). */
  appendHubEvents(events: HubEvent[], now: number): Promise<number>;
  addDecisions(d: DecisionRecord[]): Promise<void>;
  /** Decisions oldest first, or newest first with `newest`. */
  decisions(filter: { kind?: DecisionRecord['kind']; subject?: string; limit?: number; newest?: boolean }): Promise<DecisionRecord[]>;
  /** Every subscription, in pages ordered by provider subscription id (streaming: bounded memory). */
  subscriptionPages(pageSize: number): AsyncIterable<SubscriptionState[]>;
  /** Subscription states by provider subscription id (missing ids are absent from the map). */
  subscriptionsByProviderId(ids: string[]): Promise<Map<string, SubscriptionState>>;
  /** Current demand rows of deliveries after `from`, in pages. */
  demandPages(from: string, pageSize: number): AsyncIterable<DemandRecord[]>;
  customers(filter: { blacklisted?: boolean }): Promise<CustomerRecord[]>;
  openDunning(): Promise<DunningRecord[]>;
  /**
   * Deletes history older than the cutoffs (retention; an absent cutoff deletes nothing of its
   * kind): decisions dated before `decisionsBefore`, demand of deliveries before `demandBefore`
   * (a date), closed proposals proposed before `closedProposalsBefore`. At most `batch` rows per
   * transaction, so event handling waits for one short transaction at a time. Returns rows deleted.
   */
  prune(cutoffs: PruneCutoffs, batch?: number): Promise<PruneCounts>;
  /** Bulk load for benchmarks and tests: inserts states without events. */
  seedSubscriptions(states: SubscriptionState[]): Promise<void>;
  /** Bulk load for benchmarks and tests: inserts demand records without events. */
  seedDemand(records: DemandRecord[]): Promise<void>;
}
