import { GroupCommit } from '../group-commit';
import { ulid } from '../../util/ids';
import type {
  BatchCompletion,
  Claim,
  DeadLetter,
  DeadLetterEntry,
  DeadLetterFilter,
  DeliveryOutcome,
  DeliveryRow,
  EventStatus,
  IgnoredSummary,
  InboxEntry,
  InboxInsertResult,
  InboxOutcome,
  InboxRow,
  InboxSettleResult,
  InboxSettlement,
  PendingInboxEntry,
  StoreCounts,
  Store,
} from '../ports';
import { DUPLICATE_STATE_REASON } from '../ports';
import { StoreBusyError, StoreNotInitialisedError, StoreUnavailableError } from '../store-error';
import type { Statement } from 'better-sqlite3';
import { openDatabase, type SqliteDatabase } from './open-database';
import { deadLetterFromRow, type DeadLetterRecord } from './rows';
import type { WriteGate } from './write-gate';
import { appendTransaction } from './sqlite-append';
import { AppendClient } from './append-client';
import { join } from 'node:path';
import { prepareStatements, type SqliteStatements } from './sqlite-statements';
import { SqliteDomain } from './sqlite-domain';
import { noChanges } from '../../domain/ports';
import { SqlitePrivacy } from './sqlite-privacy';
import { SqliteViews } from './sqlite-views';

/** Completions wait this long for company: fewer fsyncs for background work, invisible to senders. */
const COMPLETION_WINDOW_MS = 3;
/** WAL pages before the webhook thread's own commit checkpoints (SQLite's default is 1,000). */
const INGEST_CHECKPOINT_PAGES = 10_000;

/** SQLite result codes that mean "cannot write now" (disk, locks, I/O), not "this write is wrong". */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|PROTOCOL|NOMEM|CORRUPT|NOTADB|PERM|INTERRUPT)/;

/** Of those, lock contention: another connection writes; waiting and trying again succeeds. */
const CONTENTION = /^SQLITE_(BUSY|LOCKED)/;

/**
 * Not `instanceof Error`: better-sqlite3 builds its errors with the SqliteError class it was first
 * loaded with, which under jest may belong to another test file's realm.
 */
function isUnavailable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') return UNAVAILABLE.test(code);
  return /database connection is not open/.test(String((e as { message?: unknown }).message));
}

/** The error a caller sees when the database cannot write now: contention, or anything else. */
function unavailable(e: unknown): StoreUnavailableError {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && CONTENTION.test(code) ? new StoreBusyError(e) : new StoreUnavailableError(e);
}

/** What `init()` opened: the connection and everything built on it. */
interface Opened {
  db: SqliteDatabase;
  domain: SqliteDomain;
  privacy: SqlitePrivacy;
  views: SqliteViews;
  sql: SqliteStatements;
  appendBatch: (entries: InboxEntry[]) => InboxInsertResult[];
  /** `PRAGMA synchronous` NORMAL and FULL, prepared once (db.pragma() compiles its statement at every call). */
  syncNormal: Statement;
  syncFull: Statement;
}

/**
 * The embedded store: one SQLite file (WAL, synchronous=FULL) holding the inbox, canonical
 * events, deliveries, dead letters and the audit trail. Webhook appends share transactions
 * (group commit); every other write is its own transaction. Methods are synchronous inside
 * and resolve after the commit.
 *
 * The constructor does no I/O; `init()` opens the file, migrates it and prepares the statements.
 * Anything used before that fails with STORE_NOT_INITIALISED.
 */
export class SqliteStore implements Store {
  readonly #file: string;
  readonly #options: SqliteStoreOptions;
  #opened: Opened | undefined;
  readonly #appends: GroupCommit<InboxEntry, InboxInsertResult>;
  readonly #inboxCompletions: GroupCommit<{ claim: Claim; outcome: InboxOutcome; now: number }, BatchCompletion>;
  readonly #deliveryCompletions: GroupCommit<{ claim: Claim; outcome: DeliveryOutcome }, boolean>;
  #appendThread: AppendClient | undefined;

  /** No I/O: `init()` opens. */
  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.#file = file;
    this.#options = { ...options };
    this.#inboxCompletions = new GroupCommit(
      (items) => this.#relaxedItems(items, (item) => this.#completeInbox(item)),
      500,
      COMPLETION_WINDOW_MS,
    );
    this.#deliveryCompletions = this.#grouped((item) => this.#completeDelivery(item));
    this.#appends = new GroupCommit((entries) => {
      const { appendBatch } = this.#open();
      try {
        return appendBatch(entries);
      } catch (e) {
        throw unavailable(e);
      }
    });
  }

  /**
   * Opens (creating if needed) the database file, migrates it and prepares the statements.
   * Idempotent: once opened, later calls do nothing (after `close()` too: the store stays closed).
   */
  async init(): Promise<void> {
    if (this.#opened) return;
    const db = openDatabase(this.#file, this.#options);
    // The webhook thread leaves WAL checkpoints to the pipeline thread, which writes most of the
    // pages: a checkpoint (copying the WAL into the database and syncing it) would otherwise land
    // on whichever commit crosses the threshold, often a webhook's. A backstop of ten times the
    // default still bounds the WAL if the pipeline thread stops committing.
    if (this.#options.gate?.role === 'ingest') db.pragma(`wal_autocheckpoint = ${INGEST_CHECKPOINT_PAGES}`);
    const sql = prepareStatements(db);
    const append = appendTransaction(db, sql);
    this.#opened = {
      db,
      sql,
      appendBatch: (entries) => this.#gated(() => append(entries)),
      domain: new SqliteDomain(db),
      privacy: new SqlitePrivacy(db, (fn) => this.#write(fn)),
      views: new SqliteViews(db),
      syncNormal: db.prepare('PRAGMA synchronous = NORMAL'),
      syncFull: db.prepare('PRAGMA synchronous = FULL'),
    };
    if (this.#options.appendThread && __filename.endsWith('.js')) {
      const client = new AppendClient(
        join(__dirname, 'append-thread.js'),
        {
          file: this.#file,
          checkpointPages: INGEST_CHECKPOINT_PAGES,
          ...(this.#options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: this.#options.busyTimeoutMs }),
          ...(this.#options.gate ? { gate: this.#options.gate.buffer } : {}),
        },
        (e) => unavailable(Object.assign(new Error(e.message), e.code === undefined ? {} : { code: e.code })),
      );
      await client.open();
      this.#appendThread = client;
    }
  }

  /** The open connection (for tests and the demo's inspection); throws STORE_NOT_INITIALISED before `init()`. */
  get db(): SqliteDatabase {
    return this.#open().db;
  }

  get domain(): SqliteDomain {
    return this.#open().domain;
  }

  get privacy(): SqlitePrivacy {
    return this.#open().privacy;
  }

  get views(): SqliteViews {
    return this.#open().views;
  }

  get #sql(): SqliteStatements {
    return this.#open().sql;
  }

  #open(): Opened {
    if (!this.#opened) throw new StoreNotInitialisedError('SqliteStore');
    return this.#opened;
  }

  /** Completions that arrive together share one transaction (one fsync), like appends. */
  #grouped<T>(apply: (item: T) => boolean): GroupCommit<T, boolean> {
    return new GroupCommit((items) => this.#relaxedItems(items, apply), 500, COMPLETION_WINDOW_MS);
  }

  async append(entry: InboxEntry): Promise<InboxInsertResult> {
    this.#open();
    return this.#appendThread ? this.#appendThread.submit(entry) : this.#appends.submit(entry);
  }

  async claimInbox(limit: number, leaseMs: number, now: number): Promise<InboxRow[]> {
    return this.#relaxed(() => {
      const rows = this.#sql.claimInbox.all({ now, limit }) as Array<Record<string, unknown>>;
      for (const r of rows) this.#sql.leaseInbox.run(now + leaseMs, r.id);
      return rows.map((r) => ({
        id: r.id as string,
        source: r.source as string,
        sourceEventId: r.source_event_id as string,
        eventType: (r.event_type as string | null) ?? undefined,
        receivedAt: r.received_at as number,
        headers: JSON.parse(r.headers as string) as Record<string, string>,
        body: r.body as string,
        attempts: (r.attempts as number) + 1,
        ...(r.enrichment === null ? {} : { enrichment: r.enrichment as string }),
      }));
    });
  }

  async completeInbox(claim: Claim, outcome: InboxOutcome, now: number): Promise<boolean> {
    this.#open();
    const r = await this.#inboxCompletions.submit({ claim, outcome, now });
    return r === 'applied' || r === 'same_state';
  }

  async completeInboxBatch(items: ReadonlyArray<{ claim: Claim; outcome: InboxOutcome }>, now: number): Promise<BatchCompletion[]> {
    let stop = false;
    return this.#relaxedItems(items, ({ claim, outcome }): BatchCompletion => {
      if (stop) return 'skipped';
      const r = this.#completeInbox({ claim, outcome, now });
      stop = r === 'conflict';
      return r;
    });
  }

  async relayOutbox(limit: number): Promise<number> {
    return this.#relaxed(() => {
      const rows = this.#sql.outboxHead.all(limit) as Array<{
        seq: number;
        dedupe_key: string;
        event_type: string;
        created_at: number;
        body: string;
      }>;
      for (const r of rows) {
        this.#sql.logHubEvent.run(ulid(r.created_at), r.dedupe_key, r.event_type, r.created_at, r.body);
        this.#sql.outboxDone.run(r.seq);
      }
      return rows.length;
    });
  }

  /**
   * One entry's completion inside the caller's transaction. A normalised outcome whose domain
   * unit moved writes nothing (`conflict`), and neither does a stale claim (`stale`).
   */
  #completeInbox({ claim, outcome, now }: { claim: Claim; outcome: InboxOutcome; now: number }): BatchCompletion {
    const { id, attempts } = claim;
    if (outcome.status === 'normalised' && outcome.event.domain && !outcome.event.unit)
      throw new Error('a normalised event with domain changes must name its domain unit');
    if (outcome.status === 'normalised' && outcome.event.unit && !this.domain.unitAt(outcome.event.unit)) return 'conflict';
    const detail =
      outcome.status === 'ignored'
        ? outcome.reason
        : outcome.status === 'failed'
          ? outcome.deadLetter.errorCode
          : outcome.status === 'privacy'
            ? `privacy request ${outcome.request.kind}`
            : null;
    // A privacy request is processed, like a normalised entry (the inbox statuses predate it).
    const status = outcome.status === 'privacy' ? 'normalised' : outcome.status;
    // The fence first: a stale claim (the lease ran out, the entry was claimed again) writes nothing.
    const fenced =
      outcome.status === 'retry'
        ? this.#sql.deferInbox.run(outcome.nextAttemptAt, outcome.error, id, attempts)
        : this.#sql.finishInbox.run(status, detail, id, attempts);
    if (fenced.changes === 0) return 'stale';
    if (outcome.enrichment !== undefined) this.#sql.saveEnrichment.run(outcome.enrichment, id);
    // The fetched state after the fence (a stale claim records nothing); this transaction is the only writer.
    if (outcome.status === 'normalised' && outcome.fetchedStateKey !== undefined) {
      if (this.#sql.claimFetchedState.run(outcome.fetchedStateKey, id).changes === 0) {
        this.#sql.sameStateInbox.run(DUPLICATE_STATE_REASON, id);
        return 'same_state';
      }
    }
    if (outcome.status === 'normalised') {
      const e = outcome.event;
      // Its version was checked above, before the fence wrote anything; this transaction is the only writer.
      if (e.unit) this.domain.commitInTransaction({ ...e.unit, changes: e.domain ?? noChanges() }, now);
      this.#sql.insertEvent.run({ id: e.eventId, inboxId: id, type: e.type, entityKey: e.entityKey, body: e.body, now });
      for (const d of e.deliveries) {
        this.#sql.insertDelivery.run({
          id: ulid(now),
          eventId: e.eventId,
          route: d.route,
          target: d.target,
          action: d.action,
          mapping: d.mapping,
          entityKey: e.entityKey,
          idempotencyKey: d.idempotencyKey,
          now,
        });
      }
    } else if (outcome.status === 'failed') {
      this.#insertDeadLetter({ ...outcome.deadLetter, inboxId: id }, now);
    } else if (outcome.status === 'privacy') {
      const row = this.#sql.inboxReceived.get(id) as { source_event_id: string; received_at: number };
      this.privacy.carryOut(outcome.request, { id, sourceEventId: row.source_event_id, receivedAt: row.received_at }, now);
    }
    return 'applied';
  }

  async claimDeliveries(limit: number, leaseMs: number, now: number): Promise<DeliveryRow[]> {
    return this.#relaxed(() => {
      this.#sql.expireLeases.run(now);
      const rows = this.#sql.claimDeliveries.all(now, limit) as Array<Record<string, unknown>>;
      for (const r of rows) this.#sql.leaseDelivery.run(now + leaseMs, now, now, r.id);
      return rows.map((r) => ({
        id: r.id as string,
        seq: r.seq as number,
        eventId: r.event_id as string,
        route: r.route as string,
        target: r.target as string,
        action: r.action as string,
        mapping: r.mapping as string,
        entityKey: r.entity_key as string,
        idempotencyKey: r.idempotency_key as string,
        eventBody: r.event_body as string,
        source: r.source as string,
        sourceEventId: r.source_event_id as string,
        attempts: (r.attempts as number) + 1,
        firstAttemptAt: (r.first_attempt_at as number | null) ?? now,
        createdAt: r.created_at as number,
      }));
    });
  }

  async completeDelivery(claim: Claim, outcome: DeliveryOutcome): Promise<boolean> {
    this.#open();
    return this.#deliveryCompletions.submit({ claim, outcome });
  }

  #completeDelivery({ claim, outcome }: { claim: Claim; outcome: DeliveryOutcome }): boolean {
    const { id, attempts } = claim;
    if (outcome.status === 'done') {
      if (this.#sql.deliveryDone.run(id, attempts).changes !== 1) return false;
      if (outcome.followUp?.length) this.domain.appendHubEventsNow(outcome.followUp, outcome.at);
      if (outcome.decisions?.length) this.domain.addDecisionsNow(outcome.decisions);
      return this.#unblockNext(id);
    }
    if (outcome.status === 'retry')
      return this.#sql.deliveryRetry.run(outcome.nextAttemptAt, outcome.error, outcome.refund ? 1 : 0, id, attempts).changes === 1;
    if (this.#sql.deliveryDead.run(outcome.deadLetter.errorMessage, id, attempts).changes === 0) return false;
    this.#insertDeadLetter({ ...outcome.deadLetter, deliveryId: id }, outcome.at);
    return this.#unblockNext(id);
  }

  /** A delivery left the open set: let the next one of its (target, entity) through. */
  #unblockNext(id: string): true {
    const d = this.#sql.targetOf.get(id) as { target: string; entity_key: string };
    this.#sql.unblockNext.run({ target: d.target, entity: d.entity_key });
    return true;
  }

  async findEvent(source: string, sourceEventId: string): Promise<EventStatus | undefined> {
    return this.#read(() => this.#findEvent(source, sourceEventId));
  }

  #findEvent(source: string, sourceEventId: string): EventStatus | undefined {
    const inbox = this.#sql.inboxBySource.get(source, sourceEventId) as Record<string, unknown> | undefined;
    if (!inbox) return undefined;
    const event = this.#sql.eventByInbox.get(inbox.id) as { id: string; type: string; entity_key: string } | undefined;
    const deliveries = event ? (this.#sql.deliveriesByEvent.all(event.id) as Array<Record<string, unknown>>) : [];
    return {
      inbox: {
        id: inbox.id as string,
        source,
        sourceEventId,
        eventType: (inbox.event_type as string | null) ?? undefined,
        receivedAt: inbox.received_at as number,
        status: inbox.status as string,
        detail: (inbox.detail as string | null) ?? undefined,
      },
      event: event && { id: event.id, type: event.type, entityKey: event.entity_key },
      deliveries: deliveries.map((d) => ({
        id: d.id as string,
        route: d.route as string,
        target: d.target as string,
        status: d.status as string,
        attempts: d.attempts as number,
        lastError: (d.last_error as string | null) ?? undefined,
        nextAttemptAt: d.next_attempt_at as number,
      })),
      deadLetters: (this.#sql.deadLettersBySource.all(source, sourceEventId) as DeadLetterRecord[]).map(deadLetterFromRow),
    };
  }

  async listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetter[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      where.push(clause);
      args.push(value);
    };
    if (filter.status) add('status = ?', filter.status);
    if (filter.stage) add('stage = ?', filter.stage);
    if (filter.source) add('source = ?', filter.source);
    const sql = `SELECT * FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return this.#read(() =>
      (this.db.prepare(sql).all(...args, Math.min(filter.limit ?? 100, 1000)) as DeadLetterRecord[]).map(deadLetterFromRow),
    );
  }

  async getDeadLetter(id: string): Promise<DeadLetter | undefined> {
    const row = this.#read(() => this.#sql.deadLetter.get(id) as DeadLetterRecord | undefined);
    return row && deadLetterFromRow(row);
  }

  async replayDeadLetter(id: string, actor: string, now: number): Promise<'replayed' | 'not_open' | 'not_found' | 'not_replayable'> {
    return this.#write(() => {
      const dl = this.#sql.deadLetter.get(id) as DeadLetterRecord | undefined;
      if (!dl) return 'not_found';
      if (dl.status === 'open' && !dl.delivery_id && !dl.inbox_id) return 'not_replayable';
      if (this.#sql.resolveDeadLetter.run('replayed', actor, now, id).changes === 0) return 'not_open';
      if (dl.delivery_id) this.#sql.requeueDelivery.run(now, dl.delivery_id);
      else if (dl.inbox_id) this.#sql.requeueInbox.run(dl.inbox_id);
      this.#sql.audit.run(
        now,
        actor,
        'dead_letter.replay',
        id,
        JSON.stringify({ stage: dl.stage, source: dl.source, sourceEventId: dl.source_event_id }),
      );
      return 'replayed';
    });
  }

  async discardDeadLetter(id: string, actor: string, now: number): Promise<'discarded' | 'not_open' | 'not_found'> {
    return this.#write(() => {
      if (!this.#sql.deadLetter.get(id)) return 'not_found';
      if (this.#sql.resolveDeadLetter.run('discarded', actor, now, id).changes === 0) return 'not_open';
      this.#sql.audit.run(now, actor, 'dead_letter.discard', id, null);
      return 'discarded';
    });
  }

  async counts(now = Date.now()): Promise<StoreCounts> {
    const c = this.#read(
      () => this.#sql.counts.get(now) as { inbox: number; deferred: number; deliveries: number; dead: number; outbox: number },
    );
    return {
      inboxPending: c.inbox + c.outbox,
      inboxDeferred: c.deferred,
      outboxPending: c.outbox,
      deliveriesPending: c.deliveries,
      deadLettersOpen: c.dead,
    };
  }

  async listPendingInbox(limit: number): Promise<PendingInboxEntry[]> {
    const rows = this.#read(() => this.#sql.pendingInbox.all(limit) as Array<Record<string, unknown>>);
    return rows.map((r) => ({
      id: r.id as string,
      source: r.source as string,
      sourceEventId: r.source_event_id as string,
      ...(r.event_type === null ? {} : { eventType: r.event_type as string }),
      receivedAt: r.received_at as number,
      attempts: r.attempts as number,
      ...(r.lease_until === null ? {} : { leasedUntil: r.lease_until as number }),
    }));
  }

  async settleInbox(id: string, settlement: InboxSettlement, actor: string, now: number): Promise<InboxSettleResult> {
    return this.#write((): InboxSettleResult => {
      const row = this.#sql.inboxById.get(id) as Record<string, unknown> | undefined;
      if (!row) return { status: 'not_found' };
      const detail = settlement.action === 'skip' ? `skipped by ${actor}: ${settlement.reason}` : settlement.errorCode;
      if (this.#sql.settleInbox.run(settlement.action === 'skip' ? 'ignored' : 'failed', detail, id).changes === 0)
        return { status: 'not_pending' };
      const what = { source: row.source, sourceEventId: row.source_event_id, attempts: row.attempts };
      if (settlement.action === 'skip') {
        this.#sql.audit.run(now, actor, 'inbox.skip', id, JSON.stringify({ ...what, reason: settlement.reason }));
        return { status: 'skipped' };
      }
      const deadLetterId = this.#insertDeadLetter(
        {
          stage: 'map',
          source: row.source as string,
          sourceEventId: row.source_event_id as string,
          inboxId: id,
          errorCode: settlement.errorCode,
          errorMessage: settlement.errorMessage,
          attempts: row.attempts as number,
          firstAttemptAt: row.received_at as number,
          lastAttemptAt: now,
          payload: row.body as string,
        },
        now,
      );
      this.#sql.audit.run(now, actor, 'inbox.dead_letter', id, JSON.stringify({ ...what, deadLetterId, errorCode: settlement.errorCode }));
      return { status: 'dead_lettered', deadLetterId };
    });
  }

  /**
   * This store has one worker process (its process lock says so): when that worker starts, or its
   * pipeline thread is replaced, the previous worker is gone and its leases protect nothing;
   * waiting them out would let later entries of an entity overtake earlier ones.
   */
  async recoverLeases(): Promise<void> {
    await this.releaseAllLeases();
  }

  onWork(): () => void {
    return () => undefined;
  }

  /** Releases every lease at once (only valid with a single worker: see `recoverLeases`). */
  async releaseAllLeases(): Promise<void> {
    this.#write(() => {
      this.db.prepare(`UPDATE inbox SET lease_until = NULL WHERE status = 'received' AND lease_until IS NOT NULL`).run();
      this.db.prepare(`UPDATE deliveries SET status = 'pending', lease_until = NULL WHERE status = 'in_flight'`).run();
    });
  }

  async addDeadLetter(entry: DeadLetterEntry, now: number): Promise<string> {
    return this.#write(() => this.#insertDeadLetter(entry, now));
  }

  async listIgnored(filter: { source?: string; limit?: number }): Promise<IgnoredSummary[]> {
    const rows = this.#read(
      () => this.#sql.ignored.all({ source: filter.source ?? null, limit: filter.limit ?? 100 }) as Array<Record<string, unknown>>,
    );
    return rows.map((r) => ({
      source: r.source as string,
      eventType: r.event_type as string,
      reason: r.reason as string,
      count: r.n as number,
      firstReceivedAt: r.first_at as number,
      lastReceivedAt: r.last_at as number,
      lastSourceEventId: r.last_id as string,
    }));
  }

  async ping(): Promise<void> {
    this.#read(() => this.db.prepare('SELECT 1').get());
  }

  /** Closes the connection; before `init()` there is nothing to close. */
  async close(): Promise<void> {
    await this.#appendThread?.close();
    if (this.#opened?.db.open) this.#opened.db.close();
  }

  #insertDeadLetter(d: DeadLetterEntry, now: number): string {
    const id = ulid(now);
    this.#sql.insertDeadLetter.run({
      inboxId: null,
      eventId: null,
      deliveryId: null,
      route: null,
      target: null,
      mapping: null,
      idempotencyKey: null,
      ...d,
      id,
      createdAt: now,
    });
    return id;
  }

  /**
   * A transaction of background work (claims, completions) committed without its own fsync
   * (synchronous=NORMAL for this commit, FULL again right after). What it records can be redone
   * safely: a lost lease is released at restart anyway, and a lost completion means the entry is
   * normalised again or the delivery sent again with the same idempotency key. The next FULL
   * commit (every webhook append) syncs the WAL including it. Acknowledged webhooks are never
   * written this way: appends always commit with synchronous=FULL.
   */
  #relaxed<T>(fn: () => T): T {
    return this.#read(() =>
      this.#gated(() => {
        this.#open().syncNormal.run();
        try {
          // IMMEDIATE: the write lock is taken (waiting out busy_timeout) before the first read. A
          // deferred transaction that reads first cannot upgrade once another connection committed
          // (SQLITE_BUSY_SNAPSHOT, no waiting), which would fail a batch for nothing.
          return this.db.transaction(fn).immediate();
        } finally {
          this.#open().syncFull.run();
        }
      }),
    );
  }

  /**
   * `apply` to each item in order, in relaxed transactions: one, unless a webhook write waits for
   * the write lock meanwhile (the write gate says so); then what is applied so far commits, the
   * webhook goes first, and the rest follows in a new transaction. Each item's writes stay in one
   * transaction, and items commit in order, so a crash between two leaves a prefix done and the
   * rest claimed (handed out again when its lease runs out).
   */
  #relaxedItems<T, R>(items: readonly T[], apply: (item: T) => R): R[] {
    const out: R[] = [];
    while (out.length < items.length)
      this.#relaxed(() => {
        do out.push(apply(items[out.length]!));
        while (out.length < items.length && !this.#options.gate?.contended());
      });
    return out;
  }

  /** Runs `fn` in one transaction; an unavailable database becomes StoreUnavailableError. */
  #write<T>(fn: () => T): T {
    return this.#read(() => this.#gated(() => this.db.transaction(fn).immediate()));
  }

  /** Runs a write transaction through the threads' write gate (ingest first), where there is one. */
  #gated<T>(fn: () => T): T {
    return this.#options.gate ? this.#options.gate.run(fn) : fn();
  }

  /** Runs `fn`; an unavailable database becomes StoreUnavailableError, anything else (a bug) passes. */
  #read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (isUnavailable(e)) throw unavailable(e);
      throw e;
    }
  }
}

export interface SqliteStoreOptions {
  /** How long a write waits for another connection's lock before StoreBusyError (default 5000). */
  busyTimeoutMs?: number;
  /** The hub's two threads take turns at the write lock through it, webhooks first (see WriteGate). */
  gate?: WriteGate;
  /**
   * Commit webhook appends in a thread of their own (append-thread.ts), so the calling thread
   * keeps serving requests during each commit's fsync. Compiled builds only (a worker runs the
   * .js file); elsewhere appends commit in the calling thread.
   */
  appendThread?: boolean;
}

/** A SqliteStore on `file`, opened (`init()` done): the short form for callers that need it at once. */
export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const store = new SqliteStore(file, options);
  await store.init();
  return store;
}
