import { Client, Pool, types as pgTypes, type ClientConfig, type PoolClient } from 'pg';
import { noChanges } from '../../domain/ports';
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
  LandingResult,
  LoggedEntry,
  LogLanding,
  RelayRecord,
  PendingInboxEntry,
  Store,
  StoreCounts,
} from '../ports';
import { DUPLICATE_STATE_REASON } from '../ports';
import { deadLetterFromRow, type DeadLetterRecord } from '../sqlite/rows';
import { StoreUnavailableError } from '../store-error';
import { PgLocks } from './pg-locks';
import type { Locks } from '../locks';
import { migrate } from './migrate';
import { notifyWork, PgDomain, WORK_CHANNEL } from './pg-domain';
import { isConnectionBroken, storeError } from './pg-errors';
import { PgPrivacy } from './pg-privacy';
import { PgViews } from './pg-views';
import { inRedoableTransaction, inTransaction, query, type Tx } from './pg-tx';

type Row = Record<string, unknown>;

/** The session advisory lock of the one hub that normalises (claims inbox entries) at a time. */
export const NORMALISER_LOCK = 'subhub:normaliser';
/** The transaction advisory lock of the one relay of the outbox at a time (every hub relays). */
export const RELAY_LOCK = 'subhub:outbox-relay';
/** The transaction advisory lock of the one publisher of the canonical stream at a time. */
export const STREAM_LOCK = 'subhub:event-stream';

const INT8 = 20;

/**
 * bigint columns (epoch ms, seq, counts) as JS numbers: every value the hub stores fits in 2^53.
 * Per connection (the `types` option), not node-postgres' global parser.
 */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? (v: string) => Number(v) : pgTypes.getTypeParser(oid, format)) as typeof pgTypes.getTypeParser,
};

export interface PgStoreOptions {
  url: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /**
   * The longest wait, in ms, before a lost session is re-established (default 5000): the LISTEN
   * connection reconnects with backoff up to this. (The normaliser lock is tried again on every
   * claim; inbox leases of a lost holder are cleared when the lock is taken again.)
   */
  leaseRecoveryMs?: number;
  /** Writes every canonical event to the stream outbox too (eventLog.kafka.canonicalStream). */
  canonicalStream?: boolean;
}

/**
 * The store on PostgreSQL, for several hub processes on one database. Every write is one READ
 * COMMITTED transaction; order and exclusivity come from locks, never from a read-then-write:
 *
 * - Inbox appends are deduplicated by unique constraints (ON CONFLICT DO NOTHING, then the
 *   existing id is looked up) and notify `subhub_work` in their transaction.
 * - Only the hub holding the session advisory lock `subhub:normaliser` claims inbox entries, so
 *   entries are normalised in arrival order across hubs: the order the database stored them (the
 *   `arrival` sequence), not the receiving hubs' clocks, so an entry stored after another was
 *   acknowledged is claimed after it whatever the clock of the hub that took it.
 * - Deliveries of one (target, entity) are decided blocked/unblocked under a transaction advisory
 *   lock on that pair, so two workers (on any hubs) never both see "nothing open before me".
 * - Domain units are locked (`FOR UPDATE`) before their version is compared.
 *
 * A dropped connection never crashes the process: the pool, checked-out clients and the
 * long-lived lock and LISTEN clients all have 'error' handlers; calls made while the server is
 * unreachable reject with StoreUnavailableError and succeed again once it is back.
 */
export class PgStore implements Store, LogLanding {
  readonly domain: PgDomain;
  readonly privacy: PgPrivacy;
  readonly views: PgViews;
  readonly #options: PgStoreOptions;
  readonly #pool: Pool;
  readonly #listeners = new Set<() => void>();
  /** The session that holds (or tries for) the normaliser lock. */
  #lockClient: Client | undefined;
  #holding = false;
  #acquiring: Promise<boolean> | undefined;
  /** LISTEN connections already given up: each schedules at most one reconnect. */
  readonly #droppedListeners = new WeakSet<Client>();
  #listen: Client | undefined;
  #listenTimer: NodeJS.Timeout | undefined;
  #listenBackoff = 100;
  #closed = false;
  #locks: PgLocks | undefined;
  #init: Promise<void> | undefined;

  /** No I/O: `init()` connects. */
  constructor(options: PgStoreOptions) {
    this.#options = options;
    this.#pool = new Pool({ ...this.#config(), max: options.poolSize ?? 10, idleTimeoutMillis: 30_000 });
    // An idle pooled connection that drops (server restart) is removed by the pool; nothing to do but not crash.
    this.#pool.on('error', () => {});
    this.domain = new PgDomain(this.#pool);
    this.privacy = new PgPrivacy(this.#pool);
    this.views = new PgViews(this.#pool);
  }

  #config(): ClientConfig {
    return { connectionString: this.#options.url, connectionTimeoutMillis: 5000, types: TYPES };
  }

  /** Locks shared by every hub on this database (session advisory locks on this store's pool). */
  locks(): Locks {
    return (this.#locks ??= new PgLocks(this.#pool));
  }

  /**
   * Migrates the database and starts listening for work. Idempotent (the Store port's contract):
   * later calls share the first call's outcome; after a rejection the next call tries again.
   */
  init(): Promise<void> {
    this.#init ??= this.#initOnce().catch((e: unknown) => {
      this.#init = undefined;
      throw e;
    });
    return this.#init;
  }

  async #initOnce(): Promise<void> {
    try {
      await migrate(this.#pool);
    } catch (e) {
      throw storeError(e);
    }
    await this.#connectListener();
  }

  /**
   * Calls `listener` whenever any hub commits work (an inbox append, outbox rows to relay) on
   * this database; returns the unsubscribe function. Notifications are a wake-up, not a
   * guarantee: while the LISTEN connection is down (it reconnects with backoff) some are missed,
   * so workers still poll.
   */
  onWork(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #connectListener(): Promise<void> {
    if (this.#closed) return;
    const client = new Client(this.#config());
    client.on('error', () => this.#dropListener(client));
    client.on('end', () => this.#dropListener(client));
    client.on('notification', () => {
      for (const l of this.#listeners) l();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${WORK_CHANNEL}`);
      if (this.#closed) return void (await client.end().catch(() => {}));
      this.#listen = client;
      this.#listenBackoff = 100;
      // Work committed while the listener was down was not announced: wake everyone once.
      for (const l of this.#listeners) l();
    } catch {
      this.#dropListener(client);
    }
  }

  #dropListener(client: Client): void {
    if (this.#listen === client) this.#listen = undefined;
    if (this.#droppedListeners.has(client)) return;
    this.#droppedListeners.add(client);
    client.end().catch(() => {});
    if (this.#closed || this.#listenTimer) return;
    const wait = this.#listenBackoff;
    this.#listenBackoff = Math.min(wait * 2, this.#options.leaseRecoveryMs ?? 5000);
    this.#listenTimer = setTimeout(() => {
      this.#listenTimer = undefined;
      void this.#connectListener();
    }, wait);
    this.#listenTimer.unref();
  }

  async append(e: InboxEntry): Promise<InboxInsertResult> {
    return inTransaction(this.#pool, async (tx) => {
      const id = ulid(e.receivedAt);
      const inserted = await tx.sql(
        `INSERT INTO inbox (id, source, source_event_id, event_type, received_at, headers, body, content_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id`,
        [id, e.source, e.sourceEventId, e.eventType ?? null, e.receivedAt, JSON.stringify(e.headers), e.body, e.contentKey ?? null],
      );
      if (inserted.length === 1) {
        await notifyWork(tx);
        return { status: 'accepted', id };
      }
      // The conflicting row committed before ON CONFLICT returned (it waits for in-progress inserts), so this statement sees it.
      const [same] = await tx.sql<{ id: string }>(
        `SELECT id FROM inbox WHERE source = $1 AND (source_event_id = $2 OR ($3::text IS NOT NULL AND content_key = $3))
         ORDER BY (source_event_id = $2) DESC LIMIT 1`,
        [e.source, e.sourceEventId, e.contentKey ?? null],
      );
      if (!same) throw new StoreUnavailableError(new Error(`inbox conflict for ${e.source}/${e.sourceEventId} but no row found`));
      return { status: 'duplicate', id: same.id };
    });
  }

  /**
   * Whether this hub holds the normaliser lock, trying to take it when not (one statement on the
   * lock connection, kept open for that). On taking it, every inbox lease still set belongs to a
   * previous holder that died or lost its connection: they are cleared so its entries are claimed
   * again first (its late completions are fenced off by `attempts`). When the lock connection
   * breaks the lock is gone with its session: the state is dropped and taken again later.
   */
  async #holdNormaliser(): Promise<boolean> {
    if (this.#holding) return true;
    this.#acquiring ??= (async () => {
      const client = this.#lockClient ?? (await this.#connectLockClient());
      try {
        const [r] = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [NORMALISER_LOCK]))
          .rows;
        if (!r!.ok) return false;
        await inTransaction(this.#pool, (tx) =>
          tx.run(`UPDATE inbox SET lease_until = NULL WHERE status = 'received' AND lease_until IS NOT NULL`),
        );
        this.#holding = this.#lockClient === client;
        return this.#holding;
      } catch (e) {
        this.#dropLockClient(client);
        throw storeError(e);
      }
    })().finally(() => (this.#acquiring = undefined));
    return this.#acquiring;
  }

  async #connectLockClient(): Promise<Client> {
    if (this.#closed) throw new StoreUnavailableError(new Error('the store is closed'));
    const client = new Client(this.#config());
    client.on('error', () => this.#dropLockClient(client));
    client.on('end', () => this.#dropLockClient(client));
    try {
      await client.connect();
    } catch (e) {
      this.#dropLockClient(client);
      throw storeError(e);
    }
    this.#lockClient = client;
    return client;
  }

  #dropLockClient(client: Client): void {
    if (this.#lockClient === client) {
      this.#lockClient = undefined;
      this.#holding = false;
    }
    client.end().catch(() => {});
  }

  async claimInbox(limit: number, leaseMs: number, now: number): Promise<InboxRow[]> {
    if (!(await this.#holdNormaliser())) return [];
    // On the session that holds the lock, not a pooled one: a session that lost the lock (ended by
    // the server) cannot claim anything, even before this process has heard of it.
    const client = this.#lockClient;
    if (!client) return [];
    let rows: Row[];
    try {
      ({ rows } = await client.query<Row>(
        `WITH c AS (
           SELECT id FROM inbox
           WHERE status = 'received' AND (lease_until IS NULL OR lease_until < $1) AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
           ORDER BY arrival LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE inbox i SET lease_until = $3, attempts = i.attempts + 1 FROM c WHERE i.id = c.id
         RETURNING i.id, i.source, i.source_event_id, i.event_type, i.received_at, i.headers, i.body, i.attempts, i.enrichment, i.arrival`,
        [now, limit, now + leaseMs],
      ));
    } catch (e) {
      if (isConnectionBroken(e)) this.#dropLockClient(client);
      throw storeError(e);
    }
    return rows
      .sort((a, b) => (a.arrival as number) - (b.arrival as number))
      .map((r) => ({
        id: r.id as string,
        source: r.source as string,
        sourceEventId: r.source_event_id as string,
        eventType: (r.event_type as string | null) ?? undefined,
        receivedAt: r.received_at as number,
        headers: JSON.parse(r.headers as string) as Record<string, string>,
        body: r.body as string,
        attempts: r.attempts as number,
        ...(r.enrichment === null ? {} : { enrichment: r.enrichment as string }),
      }));
  }

  async completeInbox(claim: Claim, outcome: InboxOutcome, now: number): Promise<boolean> {
    const [r] = await this.completeInboxBatch([{ claim, outcome }], now);
    return r === 'applied' || r === 'same_state';
  }

  async completeInboxBatch(items: ReadonlyArray<{ claim: Claim; outcome: InboxOutcome }>, now: number): Promise<BatchCompletion[]> {
    for (const { outcome } of items)
      if (outcome.status === 'normalised' && outcome.event.domain && !outcome.event.unit)
        throw new Error('a normalised event with domain changes must name its domain unit');
    return inRedoableTransaction(this.#pool, async (tx) => {
      await lockEntities(tx, items);
      const out: BatchCompletion[] = [];
      let wrote = false;
      for (const item of items) {
        if (out.at(-1) === 'conflict' || out.at(-1) === 'skipped') out.push('skipped');
        else {
          const r = await this.#completeInbox(tx, item.claim, item.outcome, now);
          wrote ||= r === 'applied' && item.outcome.status === 'normalised';
          out.push(r);
        }
      }
      if (wrote) await notifyWork(tx);
      return out;
    });
  }

  async landed(entries: ReadonlyArray<InboxEntry>): Promise<Set<number>> {
    if (entries.length === 0) return new Set();
    const rows = await query<{ n: number }>(
      this.#pool,
      `SELECT r.n FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS r(source, key, content, n)
       WHERE EXISTS (SELECT 1 FROM inbox i WHERE i.source = r.source AND i.source_event_id = r.key)
          OR (r.content IS NOT NULL AND EXISTS (SELECT 1 FROM inbox i WHERE i.source = r.source AND i.content_key = r.content))`,
      [entries.map((e) => e.source), entries.map((e) => e.sourceEventId), entries.map((e) => e.contentKey ?? null)],
    );
    return new Set(rows.map((r) => Number(r.n) - 1));
  }

  /**
   * Durable (synchronous_commit on): the event log's offsets are committed after this resolves, so
   * a commit lost in a server crash would lose the entries for good.
   */
  async landBatch(items: ReadonlyArray<{ entry: LoggedEntry; outcome: InboxOutcome }>, now: number): Promise<LandingResult[]> {
    return inTransaction(this.#pool, async (tx) => {
      await lockEntities(tx, items);
      const out: LandingResult[] = [];
      let wrote = false;
      for (const { entry: e, outcome } of items) {
        if (out.length && out.at(-1) !== 'applied' && out.at(-1) !== 'same_state') {
          out.push('skipped');
          continue;
        }
        // The unit first: a conflict must leave no inbox row behind (the entry is landed on the next round).
        const unit = outcome.status === 'normalised' ? outcome.event.unit : undefined;
        if (unit && (await this.domain.lockUnit(tx, unit.customerId)) !== unit.version) {
          out.push('conflict');
          continue;
        }
        const inserted = await tx.sql(
          `INSERT INTO inbox (id, source, source_event_id, event_type, received_at, headers, body, content_key, attempts, lease_until)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, NULL) ON CONFLICT DO NOTHING RETURNING id`,
          [e.id, e.source, e.sourceEventId, e.eventType ?? null, e.receivedAt, JSON.stringify(e.headers), e.body, e.contentKey ?? null],
        );
        if (inserted.length === 0) {
          out.push('duplicate');
          continue;
        }
        const r = await this.#completeInbox(tx, { id: e.id, attempts: 1 }, outcome, now);
        if (r !== 'applied' && r !== 'same_state') throw new Error(`landing ${e.id}: its completion was ${r}`);
        wrote ||= r === 'applied' && outcome.status === 'normalised';
        out.push(r);
      }
      if (wrote) await notifyWork(tx);
      return out;
    });
  }

  async drainOutbox(limit: number, publish: (entries: LoggedEntry[]) => Promise<void>): Promise<number> {
    return this.#drain(
      RELAY_LOCK,
      `WITH o AS (SELECT id FROM outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
         DELETE FROM outbox x USING o WHERE x.id = o.id RETURNING x.seq, x.id, x.dedupe_key, x.event_type, x.event, x.created_at`,
      limit,
      (rows) =>
        publish(
          rows.map((r) => ({
            id: ulid(r.created_at as number),
            source: 'hub',
            sourceEventId: r.dedupe_key as string,
            eventType: r.event_type as string,
            receivedAt: r.created_at as number,
            headers: {},
            body: r.event as string,
          })),
        ),
    );
  }

  async drainStream(limit: number, publish: (records: RelayRecord[]) => Promise<void>): Promise<number> {
    return this.#drain(
      STREAM_LOCK,
      `WITH o AS (SELECT seq FROM event_stream ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
         DELETE FROM event_stream x USING o WHERE x.seq = o.seq RETURNING x.seq, x.entity_key, x.body`,
      limit,
      (rows) => publish(rows.map((r) => ({ key: r.entity_key as string, value: r.body as string }))),
    );
  }

  /**
   * Deletes rows and publishes them before the commit: when publishing fails the transaction rolls
   * back and the rows stay; when the commit fails after a publish they are published again later.
   * One drain per lock at a time across hubs (a tried transaction lock), so rows leave in seq order.
   */
  async #drain(lock: string, take: string, limit: number, publish: (rows: Row[]) => Promise<void>): Promise<number> {
    return inRedoableTransaction(this.#pool, async (tx) => {
      const [held] = await tx.sql<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS ok', [lock]);
      if (!held!.ok) return 0;
      const rows = await tx.sql(take, [limit]);
      if (rows.length === 0) return 0;
      rows.sort((a, b) => (a.seq as number) - (b.seq as number));
      await publish(rows);
      return rows.length;
    });
  }

  /** One entry's completion inside the batch transaction: the unit check, then the fence, then the writes. */
  async #completeInbox(tx: Tx, claim: Claim, outcome: InboxOutcome, now: number): Promise<BatchCompletion> {
    const { id, attempts } = claim;
    const unit = outcome.status === 'normalised' ? outcome.event.unit : undefined;
    if (unit && (await this.domain.lockUnit(tx, unit.customerId)) !== unit.version) return 'conflict';
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
    const fenced =
      outcome.status === 'retry'
        ? await tx.sql(
            `UPDATE inbox SET next_attempt_at = $1, detail = $2, lease_until = NULL WHERE id = $3 AND status = 'received' AND attempts = $4
             RETURNING source_event_id, received_at`,
            [outcome.nextAttemptAt, outcome.error, id, attempts],
          )
        : await tx.sql(
            `UPDATE inbox SET status = $1, detail = $2, lease_until = NULL WHERE id = $3 AND status = 'received' AND attempts = $4
             RETURNING source_event_id, received_at`,
            [status, detail, id, attempts],
          );
    if (fenced.length === 0) return 'stale';
    if (outcome.enrichment !== undefined) await tx.sql('UPDATE inbox SET enrichment = $1 WHERE id = $2', [outcome.enrichment, id]);
    // The fetched state after the fence (a stale claim records nothing). The primary key decides:
    // a concurrent owner's insert makes this one wait for its commit, then insert nothing.
    if (outcome.status === 'normalised' && outcome.fetchedStateKey !== undefined) {
      const owned = await tx.run(
        `INSERT INTO inbox_fetched_states (source, state_key, inbox_id) SELECT source, $1, id FROM inbox WHERE id = $2
         ON CONFLICT (source, state_key) DO NOTHING`,
        [outcome.fetchedStateKey, id],
      );
      if (owned === 0) {
        await tx.sql(`UPDATE inbox SET status = 'ignored', detail = $1 WHERE id = $2`, [DUPLICATE_STATE_REASON, id]);
        return 'same_state';
      }
    }
    if (outcome.status === 'normalised') {
      const e = outcome.event;
      if (e.unit) await this.domain.commitLocked(tx, { ...e.unit, changes: e.domain ?? noChanges() }, now);
      // received_at: the entry's, so event searches page events and inbox entries in one order.
      await tx.sql(
        'INSERT INTO events (id, inbox_id, type, entity_key, body, created_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [e.eventId, id, e.type, e.entityKey, e.body, now, fenced[0]!.received_at],
      );
      if (this.#options.canonicalStream)
        await tx.sql('INSERT INTO event_stream (event_id, entity_key, body) VALUES ($1, $2, $3)', [e.eventId, e.entityKey, e.body]);
      // Blocked or not is decided under the (target, entity) lock the batch took up front.
      for (const d of e.deliveries) {
        await tx.sql(
          `INSERT INTO deliveries (id, event_id, route, target, action, mapping, entity_key, idempotency_key, next_attempt_at, created_at, blocked)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9,
             EXISTS (SELECT 1 FROM deliveries p WHERE p.target = $4 AND p.entity_key = $7 AND p.status IN ('pending', 'in_flight')))
           ON CONFLICT (event_id, route) DO NOTHING`,
          [ulid(now), e.eventId, d.route, d.target, d.action, d.mapping, e.entityKey, d.idempotencyKey, now],
        );
      }
    } else if (outcome.status === 'failed') {
      await insertDeadLetter(tx, { ...outcome.deadLetter, inboxId: id }, now);
    } else if (outcome.status === 'privacy') {
      const row = fenced[0]!;
      await this.privacy.carryOut(
        tx,
        outcome.request,
        { id, sourceEventId: row.source_event_id as string, receivedAt: row.received_at as number },
        now,
      );
    }
    return 'applied';
  }

  /**
   * One relay at a time across hubs (a transaction advisory lock, tried: a hub that finds another
   * relaying leaves the outbox to it). Two relays at once would take the oldest rows and the next
   * ones (SKIP LOCKED); if the first stalled before its commit, the normaliser would claim the later
   * events first and deliver one entity's derived events out of order.
   */
  async relayOutbox(limit: number): Promise<number> {
    return inRedoableTransaction(this.#pool, async (tx) => {
      const [lock] = await tx.sql<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS ok', [RELAY_LOCK]);
      if (!lock!.ok) return 0;
      const rows = await tx.sql(
        `WITH o AS (SELECT id FROM outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
           DELETE FROM outbox x USING o WHERE x.id = o.id RETURNING x.seq, x.dedupe_key, x.event_type, x.event, x.created_at`,
        [limit],
      );
      if (rows.length === 0) return 0;
      rows.sort((a, b) => (a.seq as number) - (b.seq as number));
      await tx.sql(
        `INSERT INTO inbox (id, source, source_event_id, event_type, received_at, headers, body)
         SELECT id, 'hub', key, type, at, '{}', body FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])
           WITH ORDINALITY AS r(id, key, type, at, body, n) ORDER BY n
         ON CONFLICT DO NOTHING`,
        [
          rows.map((r) => ulid(r.created_at as number)),
          rows.map((r) => r.dedupe_key),
          rows.map((r) => r.event_type),
          rows.map((r) => r.created_at),
          rows.map((r) => r.event),
        ],
      );
      await notifyWork(tx);
      return rows.length;
    });
  }

  async claimDeliveries(limit: number, leaseMs: number, now: number): Promise<DeliveryRow[]> {
    const rows = await inRedoableTransaction(this.#pool, async (tx) => {
      // A lease that ran out keeps its place: the delivery was the open head of its (target, entity), and stays it.
      await tx.sql(`UPDATE deliveries SET status = 'pending', lease_until = NULL WHERE status = 'in_flight' AND lease_until < $1`, [now]);
      return tx.sql(
        `WITH c AS (
           SELECT seq FROM deliveries WHERE status = 'pending' AND NOT blocked AND next_attempt_at <= $1
           ORDER BY next_attempt_at, seq LIMIT $2 FOR UPDATE SKIP LOCKED),
         u AS (
           UPDATE deliveries d SET status = 'in_flight', lease_until = $3, attempts = d.attempts + 1,
             first_attempt_at = COALESCE(d.first_attempt_at, $1), last_attempt_at = $1
           FROM c WHERE d.seq = c.seq RETURNING d.*)
         SELECT u.seq, u.id, u.event_id, u.route, u.target, u.action, u.mapping, u.entity_key, u.idempotency_key, u.attempts,
                u.first_attempt_at, u.created_at, u.next_attempt_at, e.body AS event_body, i.source, i.source_event_id
         FROM u JOIN events e ON e.id = u.event_id JOIN inbox i ON i.id = e.inbox_id
         ORDER BY u.next_attempt_at, u.seq`,
        [now, limit, now + leaseMs],
      );
    });
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
      attempts: r.attempts as number,
      firstAttemptAt: (r.first_attempt_at as number | null) ?? now,
      createdAt: r.created_at as number,
    }));
  }

  async completeDelivery(claim: Claim, outcome: DeliveryOutcome): Promise<boolean> {
    const { id, attempts } = claim;
    return inRedoableTransaction(this.#pool, async (tx) => {
      if (outcome.status === 'retry') {
        const n = await tx.run(
          `UPDATE deliveries SET status = 'pending', lease_until = NULL, next_attempt_at = $1, last_error = $2, attempts = attempts - $3
           WHERE id = $4 AND status = 'in_flight' AND attempts = $5`,
          [outcome.nextAttemptAt, outcome.error, outcome.refund ? 1 : 0, id, attempts],
        );
        return n === 1;
      }
      const [d] =
        outcome.status === 'done'
          ? await tx.sql<{ target: string; entity_key: string }>(
              `UPDATE deliveries SET status = 'done', lease_until = NULL, last_error = NULL WHERE id = $1 AND status = 'in_flight' AND attempts = $2
               RETURNING target, entity_key`,
              [id, attempts],
            )
          : await tx.sql<{ target: string; entity_key: string }>(
              `UPDATE deliveries SET status = 'dead', lease_until = NULL, last_error = $1 WHERE id = $2 AND status = 'in_flight' AND attempts = $3
               RETURNING target, entity_key`,
              [outcome.deadLetter.errorMessage, id, attempts],
            );
      if (!d) return false;
      if (outcome.status === 'done') {
        const queued = outcome.followUp?.length ? await this.domain.appendHubEventsIn(tx, outcome.followUp, outcome.at) : 0;
        if (outcome.decisions?.length) await this.domain.addDecisionsIn(tx, outcome.decisions);
        if (queued > 0) await notifyWork(tx);
      } else {
        await insertDeadLetter(tx, { ...outcome.deadLetter, deliveryId: id }, outcome.at);
      }
      await unblockNext(tx, d.target, d.entity_key);
      return true;
    });
  }

  async findEvent(source: string, sourceEventId: string): Promise<EventStatus | undefined> {
    const [inbox] = await query(this.#pool, 'SELECT * FROM inbox WHERE source = $1 AND source_event_id = $2', [source, sourceEventId]);
    if (!inbox) return undefined;
    const [event] = await query(this.#pool, 'SELECT id, type, entity_key FROM events WHERE inbox_id = $1', [inbox.id]);
    const deliveries = event
      ? await query(
          this.#pool,
          'SELECT id, route, target, status, attempts, last_error, next_attempt_at FROM deliveries WHERE event_id = $1 ORDER BY seq',
          [event.id],
        )
      : [];
    const letters = await query<DeadLetterRecord & Row>(
      this.#pool,
      'SELECT * FROM dead_letters WHERE source = $1 AND source_event_id = $2 ORDER BY created_at, id',
      [source, sourceEventId],
    );
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
      event: event && { id: event.id as string, type: event.type as string, entityKey: event.entity_key as string },
      deliveries: deliveries.map((d) => ({
        id: d.id as string,
        route: d.route as string,
        target: d.target as string,
        status: d.status as string,
        attempts: d.attempts as number,
        lastError: (d.last_error as string | null) ?? undefined,
        nextAttemptAt: d.next_attempt_at as number,
      })),
      deadLetters: letters.map(deadLetterFromRow),
    };
  }

  async listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetter[]> {
    const rows = await query<DeadLetterRecord & Row>(
      this.#pool,
      `SELECT * FROM dead_letters WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR stage = $2) AND ($3::text IS NULL OR source = $3)
       ORDER BY created_at DESC, id DESC LIMIT $4`,
      [filter.status ?? null, filter.stage ?? null, filter.source ?? null, Math.min(filter.limit ?? 100, 1000)],
    );
    return rows.map(deadLetterFromRow);
  }

  async getDeadLetter(id: string): Promise<DeadLetter | undefined> {
    const [row] = await query<DeadLetterRecord & Row>(this.#pool, 'SELECT * FROM dead_letters WHERE id = $1', [id]);
    return row && deadLetterFromRow(row);
  }

  async replayDeadLetter(id: string, actor: string, now: number): Promise<'replayed' | 'not_open' | 'not_found' | 'not_replayable'> {
    return inTransaction(this.#pool, async (tx) => {
      const [dl] = await tx.sql<DeadLetterRecord & Row>('SELECT * FROM dead_letters WHERE id = $1 FOR UPDATE', [id]);
      if (!dl) return 'not_found';
      if (dl.status !== 'open') return 'not_open';
      if (!dl.delivery_id && !dl.inbox_id) return 'not_replayable';
      await tx.sql(`UPDATE dead_letters SET status = 'replayed', resolved_by = $1, resolved_at = $2 WHERE id = $3`, [actor, now, id]);
      if (dl.delivery_id) {
        const [d] = await tx.sql<{ target: string; entity_key: string }>('SELECT target, entity_key FROM deliveries WHERE id = $1', [
          dl.delivery_id,
        ]);
        if (d) await lockEntity(tx, d.target, d.entity_key);
        await tx.sql(
          `UPDATE deliveries SET status = 'pending', blocked = false, lease_until = NULL, next_attempt_at = $1, attempts = 0 WHERE id = $2`,
          [now, dl.delivery_id],
        );
      } else if (dl.inbox_id) {
        await tx.sql(`UPDATE inbox SET status = 'received', lease_until = NULL, next_attempt_at = NULL, detail = NULL WHERE id = $1`, [
          dl.inbox_id,
        ]);
        await notifyWork(tx);
      }
      await audit(
        tx,
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
    return inTransaction(this.#pool, async (tx) => {
      const [dl] = await tx.sql('SELECT status FROM dead_letters WHERE id = $1 FOR UPDATE', [id]);
      if (!dl) return 'not_found';
      if (dl.status !== 'open') return 'not_open';
      await tx.sql(`UPDATE dead_letters SET status = 'discarded', resolved_by = $1, resolved_at = $2 WHERE id = $3`, [actor, now, id]);
      await audit(tx, now, actor, 'dead_letter.discard', id, null);
      return 'discarded';
    });
  }

  async counts(now = Date.now()): Promise<StoreCounts> {
    const [c] = await query<{ inbox: number; deferred: number; deliveries: number; dead: number; outbox: number }>(
      this.#pool,
      `SELECT (SELECT COUNT(*) FROM inbox WHERE status = 'received') AS inbox,
              (SELECT COUNT(*) FROM inbox WHERE status = 'received' AND next_attempt_at > $1) AS deferred,
              (SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'in_flight')) AS deliveries,
              (SELECT COUNT(*) FROM dead_letters WHERE status = 'open') AS dead,
              (SELECT COUNT(*) FROM outbox) AS outbox`,
      [now],
    );
    return {
      inboxPending: c!.inbox + c!.outbox,
      inboxDeferred: c!.deferred,
      outboxPending: c!.outbox,
      deliveriesPending: c!.deliveries,
      deadLettersOpen: c!.dead,
    };
  }

  async listPendingInbox(limit: number): Promise<PendingInboxEntry[]> {
    const rows = await query(
      this.#pool,
      `SELECT id, source, source_event_id, event_type, received_at, attempts, lease_until FROM inbox
       WHERE status = 'received' ORDER BY arrival LIMIT $1`,
      [limit],
    );
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
    return inTransaction(this.#pool, async (tx): Promise<InboxSettleResult> => {
      const [row] = await tx.sql('SELECT * FROM inbox WHERE id = $1 FOR UPDATE', [id]);
      if (!row) return { status: 'not_found' };
      const detail = settlement.action === 'skip' ? `skipped by ${actor}: ${settlement.reason}` : settlement.errorCode;
      const n = await tx.run(`UPDATE inbox SET status = $1, detail = $2, lease_until = NULL WHERE id = $3 AND status = 'received'`, [
        settlement.action === 'skip' ? 'ignored' : 'failed',
        detail,
        id,
      ]);
      if (n === 0) return { status: 'not_pending' };
      const what = { source: row.source, sourceEventId: row.source_event_id, attempts: row.attempts };
      if (settlement.action === 'skip') {
        await audit(tx, now, actor, 'inbox.skip', id, JSON.stringify({ ...what, reason: settlement.reason }));
        return { status: 'skipped' };
      }
      const deadLetterId = await insertDeadLetter(
        tx,
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
      await audit(tx, now, actor, 'inbox.dead_letter', id, JSON.stringify({ ...what, deadLetterId, errorCode: settlement.errorCode }));
      return { status: 'dead_lettered', deadLetterId };
    });
  }

  async addDeadLetter(entry: DeadLetterEntry, now: number): Promise<string> {
    return inTransaction(this.#pool, (tx) => insertDeadLetter(tx, entry, now));
  }

  async listIgnored(filter: { source?: string; limit?: number }): Promise<IgnoredSummary[]> {
    const rows = await query(
      this.#pool,
      `SELECT source, COALESCE(event_type, '') AS event_type, COALESCE(detail, '') AS reason, COUNT(*) AS n,
              MIN(received_at) AS first_at, MAX(received_at) AS last_at,
              (SELECT j.source_event_id FROM inbox j WHERE j.status = 'ignored' AND j.source = i.source
                 AND j.event_type IS NOT DISTINCT FROM i.event_type AND j.detail IS NOT DISTINCT FROM i.detail
               ORDER BY j.received_at DESC, j.id DESC LIMIT 1) AS last_id
       FROM inbox i WHERE status = 'ignored' AND ($1::text IS NULL OR source = $1)
       GROUP BY source, event_type, detail ORDER BY last_at DESC LIMIT $2`,
      [filter.source ?? null, filter.limit ?? 100],
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

  /**
   * A no-op: the database is shared by several hubs, so this process cannot tell an orphaned
   * lease from another live hub's. Leases run out and claims are fenced by `attempts`; inbox
   * leases of a dead normaliser are cleared by the hub that takes the normaliser lock next.
   */
  async recoverLeases(): Promise<void> {}

  async ping(): Promise<void> {
    let client: PoolClient | undefined;
    // A checked-out client has no error listener of the pool's; this one is removed again before
    // the client goes back (left on, every /readyz would add one to a pooled connection).
    const ignore = () => {};
    try {
      client = await this.#pool.connect();
      client.on('error', ignore);
      await client.query({ text: 'SELECT 1', query_timeout: 2000 } as { text: string });
      client.off('error', ignore);
      client.release();
    } catch (e) {
      client?.off('error', ignore);
      client?.release(e instanceof Error ? e : true);
      throw storeError(e);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#listenTimer);
    await this.#acquiring?.catch(() => {});
    const lock = this.#lockClient;
    this.#lockClient = undefined;
    this.#holding = false;
    await Promise.allSettled([lock?.end(), this.#listen?.end()]);
    this.#listen = undefined;
    await this.#pool.end();
  }
}

/**
 * The transaction lock on one (target, entity): held whenever a delivery is decided blocked (on
 * insert) or the next one is released (completion, dead, replay), so under READ COMMITTED two
 * transactions cannot both find "nothing open before me".
 */
/**
 * Every (target, entity) a batch may insert deliveries into, locked up front in one order: two
 * batches (two normaliser workers) never wait on each other's locks crosswise (a deadlock).
 */
async function lockEntities(tx: Tx, items: ReadonlyArray<{ outcome: InboxOutcome }>): Promise<void> {
  const pairs = new Set<string>();
  for (const { outcome } of items)
    if (outcome.status === 'normalised')
      for (const d of outcome.event.deliveries) pairs.add(JSON.stringify([d.target, outcome.event.entityKey]));
  for (const pair of [...pairs].sort()) {
    const [target, entityKey] = JSON.parse(pair) as [string, string];
    await lockEntity(tx, target, entityKey);
  }
}

async function lockEntity(tx: Tx, target: string, entityKey: string): Promise<void> {
  // Length-prefixed, so ('a:b', 'c') and ('a', 'b:c') are different keys (text cannot hold chr(0)).
  await tx.sql(`SELECT pg_advisory_xact_lock(hashtextextended(length($1)::text || ':' || $1 || $2, 0))`, [target, entityKey]);
}

/** A delivery left the open set: let the next one of its (target, entity) through, unless another is still unblocked. */
async function unblockNext(tx: Tx, target: string, entityKey: string): Promise<void> {
  await lockEntity(tx, target, entityKey);
  await tx.sql(
    `UPDATE deliveries SET blocked = false
     WHERE seq = (SELECT MIN(seq) FROM deliveries WHERE target = $1 AND entity_key = $2 AND status = 'pending' AND blocked)
       AND NOT EXISTS (SELECT 1 FROM deliveries WHERE target = $1 AND entity_key = $2 AND status IN ('pending', 'in_flight') AND NOT blocked)`,
    [target, entityKey],
  );
}

async function insertDeadLetter(tx: Tx, d: DeadLetterEntry, now: number): Promise<string> {
  const id = ulid(now);
  await tx.sql(
    `INSERT INTO dead_letters (id, stage, source, source_event_id, inbox_id, event_id, delivery_id, route, target, mapping,
       idempotency_key, error_code, error_message, attempts, first_attempt_at, last_attempt_at, payload, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
    [
      id,
      d.stage,
      d.source,
      d.sourceEventId,
      d.inboxId ?? null,
      d.eventId ?? null,
      d.deliveryId ?? null,
      d.route ?? null,
      d.target ?? null,
      d.mapping ?? null,
      d.idempotencyKey ?? null,
      d.errorCode,
      d.errorMessage,
      d.attempts,
      d.firstAttemptAt,
      d.lastAttemptAt,
      d.payload,
      now,
    ],
  );
  return id;
}

async function audit(tx: Tx, at: number, actor: string, action: string, subject: string, detail: string | null): Promise<void> {
  await tx.sql('INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)', [at, actor, action, subject, detail]);
}
