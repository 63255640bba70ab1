/**
 * The ports the pipeline depends on. The SQLite adapter (src/store/sqlite) implements all of
 * them in one database file; a PostgreSQL/Kafka deployment implements the same contracts
 * (test/contract/store.contract.ts runs against every adapter).
 *
 * Every method that resolves has made its change durable. Claims hand out rows under a lease;
 * a row whose lease runs out (its worker died) is handed out again, so processing is
 * at-least-once and effects rely on idempotency keys.
 */

import type { DecisionRecord, DomainChanges, DomainStore } from '../domain/ports';
import type { HubEvent } from '../events';
import type { OperatorViews } from './operator-ports';
import type { PrivacyRequest, PrivacyStore } from './privacy-ports';

/** What a worker holds after a claim: the row and which attempt (lease) it is. */
export interface Claim {
  id: string;
  attempts: number;
}

/** A webhook as received, before normalisation. `body` is the raw text that was verified. */
export interface InboxEntry {
  source: string;
  sourceEventId: string;
  eventType?: string;
  receivedAt: number;
  headers: Record<string, string>;
  body: string;
  /**
   * Set for sources whose signature does not cover the delivery id (Shopify signs only the
   * body): an entry with the same source and content key is a duplicate even under another id,
   * so a captured webhook replayed with a fresh id has no second effect.
   */
  contentKey?: string;
}

export interface InboxRow extends InboxEntry {
  id: string;
  attempts: number;
  /** What the enrichment step fetched for this entry earlier (JSON text), reused on every later attempt and replay. */
  enrichment?: string;
}

export type InboxInsertResult = { status: 'accepted'; id: string } | { status: 'duplicate'; id: string };

/** A canonical event with the delivery rows it fans out to (one per route). */
export interface NormalisedEvent {
  eventId: string;
  type: string;
  entityKey: string;
  body: string;
  deliveries: DeliveryEntry[];
  /** What the event changes in the subscription domain: committed in the same transaction. */
  domain?: DomainChanges;
  /**
   * The domain unit (customer) the event was handled against and the version it was read at:
   * the outcome commits only while that version has not moved (`conflict` otherwise), and a
   * non-empty `domain` moves it by one. Absent: the event has no domain part.
   */
  unit?: { customerId: string; version: number };
  /** The event as an object, for the steps after mapping (the domain step); not stored (`body` is). */
  parsed?: Readonly<HubEvent>;
}

export interface DeliveryEntry {
  route: string;
  target: string;
  action: string;
  mapping: string;
  idempotencyKey: string;
}

export interface DeliveryRow extends DeliveryEntry {
  id: string;
  seq: number;
  eventId: string;
  entityKey: string;
  /** The canonical event (JSON text) this delivery carries. */
  eventBody: string;
  source: string;
  sourceEventId: string;
  attempts: number;
  firstAttemptAt: number | null;
  createdAt: number;
}

export type DeadLetterStage = 'verify' | 'map' | 'route' | 'deliver';

/** Everything needed to understand and replay a failure. */
export interface DeadLetterEntry {
  stage: DeadLetterStage;
  source: string;
  sourceEventId: string;
  inboxId?: string;
  eventId?: string;
  deliveryId?: string;
  route?: string;
  target?: string;
  mapping?: string;
  /** The key sent to the target (deliver stage). */
  idempotencyKey?: string;
  errorCode: string;
  errorMessage: string;
  attempts: number;
  firstAttemptAt: number;
  lastAttemptAt: number;
  /** The payload at the failing stage: the raw body (verify, map) or the canonical event (route, deliver). */
  payload: string;
}

export interface DeadLetter extends DeadLetterEntry {
  id: string;
  createdAt: number;
  status: 'open' | 'replayed' | 'discarded';
  resolvedBy?: string;
  resolvedAt?: number;
}

export type InboxOutcome = (
  | {
      status: 'normalised';
      event: NormalisedEvent;
      /**
       * The fetched state's key (the connector's `webhook.fetchedStateKey`, e.g. `tr_x:failed`): the
       * store records it per source with this outcome, in the same transaction; when another entry
       * of the source recorded the same key first, this entry is written as ignored (kind
       * `duplicate`, reason DUPLICATE_STATE_REASON) instead, with no event, deliveries or domain
       * changes, and its completion says `same_state`.
       */
      fetchedStateKey?: string;
    }
  | { status: 'ignored'; reason: string; kind?: IgnoreKind }
  | { status: 'failed'; deadLetter: DeadLetterEntry }
  /** Not yet: the enrichment step failed retryably; the entry stays received and is claimed again from `nextAttemptAt`. */
  | { status: 'retry'; nextAttemptAt: number; error: string }
  /** A privacy request (Shopify's compliance topics): carried out in the same transaction. */
  | { status: 'privacy'; request: PrivacyRequest }
) & {
  /** What the enrichment step fetched on this attempt (JSON text): stored with the entry. */
  enrichment?: string;
};

/**
 * Why an entry was ignored: listed in `inbound.ignore`, no mapping for its type, the mapping
 * dropped it, or `duplicate`: its fetched state (`fetchedStateKey`) was normalised already.
 */
export type IgnoreKind = 'configured' | 'unmapped' | 'dropped' | 'duplicate';

/** The reason stored with an entry settled as a fetched-state duplicate (one group in `subhub ignored`). */
export const DUPLICATE_STATE_REASON = 'duplicate: an entry with the same fetched state was normalised already';

/** Ignored inbox entries of one (source, event type, reason), for `subhub ignored` and the admin API. */
export interface IgnoredSummary {
  source: string;
  eventType: string;
  reason: string;
  count: number;
  firstReceivedAt: number;
  lastReceivedAt: number;
  /** The newest one, to look it up with findEvent. */
  lastSourceEventId: string;
}

export type DeliveryOutcome =
  /** `followUp`: hub events the outcome leads to (e.g. a stock-out skipping a cycle), appended with it; `decisions`: recorded with it (a box that already shipped). */
  | { status: 'done'; at: number; followUp?: HubEvent[]; decisions?: DecisionRecord[] }
  /** `refund`: the attempt was not made (open circuit): it does not count against the schedule. */
  | { status: 'retry'; at: number; nextAttemptAt: number; error: string; refund?: boolean }
  | { status: 'dead'; at: number; deadLetter: DeadLetterEntry };

/** The durable log of received webhooks (the event log port). */
export interface Inbox {
  /** Stores a webhook once per (source, sourceEventId); resolves only after the commit. */
  append(entry: InboxEntry): Promise<InboxInsertResult>;
  /** Leases up to `limit` received entries in arrival order. */
  claimInbox(limit: number, leaseMs: number, now: number): Promise<InboxRow[]>;
  /**
   * Records the outcome of normalising an entry, atomically with its event, deliveries or dead
   * letter. Fenced by the claim: a worker whose lease ran out (the entry was claimed again)
   * changes nothing, and `false` says so. A normalised outcome whose `fetchedStateKey` another
   * entry of the source recorded first is written as an ignored duplicate (`true`).
   */
  completeInbox(claim: Claim, outcome: InboxOutcome, now: number): Promise<boolean>;
  /**
   * Records the outcomes of a batch in order, in one transaction: each is fenced like
   * `completeInbox` (`stale`), and a normalised outcome whose domain unit moved is a `conflict`.
   * At the first conflict the batch stops: that entry and every later one are not written
   * (`conflict`, then `skipped`), so the caller recomputes them in order and keeps each entity's
   * deliveries in arrival order.
   */
  completeInboxBatch(items: ReadonlyArray<{ claim: Claim; outcome: InboxOutcome }>, now: number): Promise<BatchCompletion[]>;
  /**
   * Moves up to `limit` derived hub events from the outbox (written with the domain changes that
   * caused them) to the event log, oldest first; an event already in the log is not appended
   * twice. Returns how many left the outbox.
   */
  relayOutbox(limit: number): Promise<number>;
}

/**
 * `same_state`: written, but as an ignored fetched-state duplicate instead of the normalised
 * outcome given (see `fetchedStateKey`); the batch goes on.
 */
export type BatchCompletion = 'applied' | 'same_state' | 'stale' | 'conflict' | 'skipped';

/** An entry read back from an external event log (Kafka), with the inbox id the receiving hub gave it. */
export interface LoggedEntry extends InboxEntry {
  id: string;
}

/**
 * `duplicate`: the inbox already held the entry (landed by another normaliser meanwhile, e.g. one
 * whose partitions were taken away but which finished its batch): nothing was written for it.
 */
export type LandingResult = 'applied' | 'same_state' | 'duplicate' | 'conflict' | 'skipped';

/** A canonical event leaving for the canonical stream: the key it is produced under (its entity) and the event (JSON). */
export interface RelayRecord {
  key: string;
  value: string;
}

/**
 * What an external event log (eventLog.kind "kafka") needs of the store. Its entries are landed in
 * the inbox together with their outcome in one durable transaction, deduplicated by (source, source
 * event id) and content key, so a message delivered again (after a crash or a rebalance, before its
 * offset was committed) has no second effect. Derived events and the canonical stream leave through
 * outboxes: rows are published, then deleted, so a crash in between publishes them again (consumers
 * deduplicate by id), and nothing is ever written to the log and the database separately.
 */
export interface LogLanding {
  /** The positions (in `entries`) of entries the inbox holds already, in any status. */
  landed(entries: ReadonlyArray<InboxEntry>): Promise<Set<number>>;
  /**
   * Lands entries with their outcomes, in order, in one durable transaction. Stops at the first
   * `conflict` (a domain unit moved since it was read) or `duplicate`: that entry and the later ones
   * are not written (then `skipped`), so the caller recomputes them in order. Entries before it are
   * committed.
   */
  landBatch(items: ReadonlyArray<{ entry: LoggedEntry; outcome: InboxOutcome }>, now: number): Promise<LandingResult[]>;
  /**
   * Hands up to `limit` derived events (oldest first) to `publish` and deletes them once it resolves;
   * when it rejects they stay. One drain at a time across hubs (others return 0). Returns how many left.
   */
  drainOutbox(limit: number, publish: (entries: LoggedEntry[]) => Promise<void>): Promise<number>;
  /** The same for the canonical event stream (written only with `canonicalStream` on), keyed by entity. */
  drainStream(limit: number, publish: (records: RelayRecord[]) => Promise<void>): Promise<number>;
}

/** Deliveries to targets, applied in order per (target, entity). */
export interface DeliveryQueue {
  /** Leases due deliveries; never one whose entity has an earlier delivery still open at that target. */
  claimDeliveries(limit: number, leaseMs: number, now: number): Promise<DeliveryRow[]>;
  /** Fenced like completeInbox: a stale claim changes nothing and resolves `false`. */
  completeDelivery(claim: Claim, outcome: DeliveryOutcome): Promise<boolean>;
}

export interface EventStatus {
  inbox: { id: string; source: string; sourceEventId: string; eventType?: string; receivedAt: number; status: string; detail?: string };
  event?: { id: string; type: string; entityKey: string };
  deliveries: Array<{
    id: string;
    route: string;
    target: string;
    status: string;
    attempts: number;
    lastError?: string;
    nextAttemptAt: number;
  }>;
  deadLetters: DeadLetter[];
}

export interface DeadLetterFilter {
  status?: DeadLetter['status'];
  stage?: DeadLetterStage;
  source?: string;
  limit?: number;
}

/** How an operator (or the watchdog) takes an inbox entry out of line without normalising it. */
export type InboxSettlement =
  /** Marks it ignored, with the reason (nothing is delivered; the raw body stays in the inbox). */
  | { action: 'skip'; reason: string }
  /** Records a dead letter at stage `map` with the raw body, replayable like any other. */
  | { action: 'dead_letter'; errorCode: string; errorMessage: string };

export type InboxSettleResult =
  | { status: 'skipped' }
  | { status: 'dead_lettered'; deadLetterId: string }
  /** `not_pending`: the entry was already normalised, ignored or failed. */
  | { status: 'not_found' | 'not_pending' };

/** An inbox entry waiting for (or under) normalisation, as operators list it. */
export interface PendingInboxEntry {
  id: string;
  source: string;
  sourceEventId: string;
  eventType?: string;
  receivedAt: number;
  /** How often it was claimed; more than one means an earlier claim never finished. */
  attempts: number;
  /** Set while a worker holds it. */
  leasedUntil?: number;
}

/** Dead letters, lookups and the audit trail. */
export interface HubState {
  findEvent(source: string, sourceEventId: string): Promise<EventStatus | undefined>;
  listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetter[]>;
  getDeadLetter(id: string): Promise<DeadLetter | undefined>;
  /**
   * Puts a dead letter's work back in line (the inbox entry or the delivery) and marks it
   * replayed. Idempotent: replaying a letter that is no longer open changes nothing and says so.
   * A letter with no stored work behind it (a verified but unreadable webhook) is not replayable.
   */
  replayDeadLetter(id: string, actor: string, now: number): Promise<'replayed' | 'not_open' | 'not_found' | 'not_replayable'>;
  discardDeadLetter(id: string, actor: string, now: number): Promise<'discarded' | 'not_open' | 'not_found'>;
  /** Queue depths at `now` (default the clock): deferred entries are pending ones waiting for a retry time. */
  counts(now?: number): Promise<StoreCounts>;
  /** Oldest first: the entries still to be normalised. */
  listPendingInbox(limit: number): Promise<PendingInboxEntry[]>;
  /**
   * Takes a pending inbox entry out of line, whoever holds its lease (a stuck worker's later
   * completion is fenced off), and audits it with the actor. Changes nothing unless the entry is
   * still pending.
   */
  settleInbox(id: string, settlement: InboxSettlement, actor: string, now: number): Promise<InboxSettleResult>;
  /** Records a dead letter that belongs to no stored event (e.g. a verified but unreadable webhook). */
  addDeadLetter(entry: DeadLetterEntry, now: number): Promise<string>;
  /** Ignored inbox entries grouped by (source, event type, reason), most recent first. */
  listIgnored(filter: { source?: string; limit?: number }): Promise<IgnoredSummary[]>;
}

/**
 * The whole store. Lifecycle: constructing an adapter does no I/O; `init()` opens it and must
 * resolve before any other member is used (an adapter may reject or throw STORE_NOT_INITIALISED
 * before that); `close()` ends it.
 */
export interface Store extends Inbox, DeliveryQueue, HubState {
  /**
   * Opens the connections and migrates the schema. Call once before any other member.
   * Idempotent: a second call (also one made while the first is running) does no I/O again and
   * resolves or rejects with the first call's outcome; after a rejection a call tries again.
   */
  init(): Promise<void>;
  /** The subscription domain's state (projections, demand, dunning, proposals, decisions). */
  readonly domain: DomainStore;
  /** Privacy requests, redaction and raw-body retention. */
  readonly privacy: PrivacyStore;
  /** The operator console's reads: paged searches and lists, each answered from an index. */
  readonly views: OperatorViews;
  /**
   * Called when this process starts its pipeline worker, or replaces a worker that died: releases
   * the leases this store knows to be orphaned. The embedded store has one worker process (its
   * lock file says so) and releases every lease; a store shared by several hubs releases none
   * (they run out, and claims are fenced by attempt).
   */
  recoverLeases(): Promise<void>;
  /**
   * Subscribes to "work may be waiting" from other processes sharing this store (a webhook another
   * hub stored, derived events another hub queued), so an idle pipeline picks it up at once
   * instead of at its next poll. Returns the unsubscribe. The embedded store has no other process
   * and never calls (its own webhooks wake the pipeline in-process).
   */
  onWork(listener: () => void): () => void;
  /** Cheap liveness check for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What `counts` returns. `inboxPending` counts everything still to be normalised: received
 * entries and derived events still in the outbox (`outboxPending` ⊆ `inboxPending`).
 * `inboxDeferred` ⊆ `inboxPending`: entries whose enrichment waits for its next attempt.
 */
export interface StoreCounts {
  inboxPending: number;
  inboxDeferred: number;
  outboxPending: number;
  deliveriesPending: number;
  deadLettersOpen: number;
}

/**
 * Where verified webhooks are written (eventLog.kind). The embedded and PostgreSQL stores are
 * their own log (`Store.append`); the Kafka log produces to a topic and resolves only after the
 * brokers acknowledged the write (acks=all). A log that cannot tell duplicates at write time
 * answers `accepted`: they are found when the entry is landed (LogLanding).
 */
export interface EventLogWriter {
  append(entry: InboxEntry): Promise<InboxInsertResult>;
}

/** Entries read from an external event log, and the positions to commit once they are landed. */
export interface LogBatch {
  entries: LoggedEntry[];
  /** Messages that could not be read as entries (not ours, or corrupt): dead-lettered by the reader's user, then committed. */
  unreadable: Array<{ position: string; payload: string; error: string }>;
  /** Opaque to the pipeline: what `commit` needs. */
  readonly positions: unknown;
}

/**
 * What the pipeline gets of an external event log (eventLog.kind "kafka"): batches are read from
 * `reader`, normalised, landed with their outcomes in one store transaction, and only then
 * committed. Derived events leave the outbox through `relay` (to the log, not the inbox table);
 * `stream` publishes the canonical stream.
 */
export interface ExternalLog {
  reader: EventLogReader;
  landing: LogLanding;
  /** Messages per batch. */
  batch: number;
  relay(limit: number): Promise<number>;
  stream?(limit: number): Promise<number>;
  /** Sets aside a message that is not an inbox entry (a dead letter), so its offset can be committed. */
  unreadable(item: LogBatch['unreadable'][number]): Promise<void>;
}

/**
 * The read side of an external event log: a member of the normalisers' consumer group. Entries
 * come in log order per partition (per customer). `commit` is called only after the batch is
 * landed; whatever was read and not committed when a member dies or loses partitions is read again
 * by the member that gets them (at-least-once; landing deduplicates).
 */
export interface EventLogReader {
  /** Up to `max` entries, waiting at most `waitMs` for the first; an empty batch when none came. */
  read(max: number, waitMs: number): Promise<LogBatch>;
  /** Commits the batch's positions. Partitions lost meanwhile are not committed (their new owner reads them again). */
  commit(batch: LogBatch): Promise<void>;
}
