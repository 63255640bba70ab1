import type { Statement } from 'better-sqlite3';
import type {
  AuditRecord,
  CustomerSummary,
  DailyDemand,
  DeadLetterFacets,
  DeadLetterQuery,
  DeadLetterSummary,
  DunningStageSummary,
  DunningSummary,
  EventSearchField,
  EventSummary,
  EventTimeline,
  OperatorViews,
  Page,
  PageRequest,
  SubscriptionQuery,
  SubscriptionSummary,
} from '../operator-ports';
import type { DeadLetter } from '../ports';
import {
  auditRecord,
  customerSummary,
  deadLetterSummary,
  DEAD_LETTER_STATUSES,
  decisionEntry,
  deliveryDetail,
  dunningSummary,
  eventSummary,
  prefixEnd,
  subscriptionKinds,
  subscriptionSummary,
} from '../views-rows';
import { decodeCursor, type Key, type Keyed, mergedPage, NEWEST, pageOf } from '../views-paging';
import type { SqliteDatabase } from './open-database';
import { deadLetterFromRow, type DeadLetterRecord } from './rows';

type Row = Record<string, unknown>;

/** Columns of a dead letter as listed (no payload). */
const DL_COLUMNS = `id, stage, source, source_event_id, inbox_id, event_id, delivery_id, route, target, mapping, idempotency_key,
  error_code, error_message, attempts, first_attempt_at, last_attempt_at, '' AS payload, created_at, status, resolved_by, resolved_at`;

/**
 * OperatorViews on the hub's SQLite file (migration 10 adds the indexes and the kept totals).
 * Reads only; better-sqlite3 is synchronous, so each method runs to completion in one snapshot of
 * its own statements (a page never mixes two commits within one statement).
 */
export class SqliteViews implements OperatorViews {
  readonly #db: SqliteDatabase;
  readonly #sql;
  readonly #prepared = new Map<string, Statement<unknown[]>>();

  constructor(db: SqliteDatabase) {
    this.#db = db;
    const newest = (from: string, id: string, where: string) =>
      db.prepare(
        `SELECT ${id} AS id, received_at AS t FROM ${from} WHERE ${where} AND (received_at, ${id}) < (@t, @id)
         ORDER BY received_at DESC, ${id} DESC LIMIT @n`,
      );
    this.#sql = {
      bySourceEventId: newest('inbox', 'id', 'source_event_id = @v'),
      byInboxType: newest('inbox', 'id', 'event_type = @v'),
      byEventType: newest('events', 'inbox_id', 'type = @v'),
      byEntity: newest('events', 'inbox_id', 'entity_key = @v'),
      recent: newest('inbox', 'id', '1 = 1'),
      subsOfCustomer: db.prepare('SELECT id FROM subscriptions WHERE customer_id = ? ORDER BY id').pluck(),
      summary: db.prepare(
        `SELECT i.id, i.source, i.source_event_id, i.event_type, i.received_at, i.status,
                e.id AS e_id, e.type AS e_type, e.entity_key AS e_entity
         FROM inbox i LEFT JOIN events e ON e.id = (SELECT x.id FROM events x WHERE x.inbox_id = i.id ORDER BY x.created_at, x.id LIMIT 1)
         WHERE i.id = ?`,
      ),
      inbox: db.prepare('SELECT * FROM inbox WHERE id = ?'),
      event: db.prepare('SELECT id, type, entity_key, created_at, body FROM events WHERE inbox_id = ? ORDER BY created_at, id LIMIT 1'),
      decisionsOf: db.prepare('SELECT at, kind, subject, outcome, rule, detail FROM decisions WHERE event_id = ? ORDER BY seq'),
      deliveriesOf: db.prepare('SELECT * FROM deliveries WHERE event_id = ? ORDER BY seq'),
      deadLettersOf: db.prepare('SELECT * FROM dead_letters WHERE source = ? AND source_event_id = ? ORDER BY created_at, id'),
      auditOf: db.prepare('SELECT * FROM audit WHERE subject IN (SELECT value FROM json_each(?)) ORDER BY id'),
      facet: Object.fromEntries(
        (['stage', 'source', 'target', 'error_code'] as const).map((c) => [
          c,
          db.prepare(`SELECT ${c} AS v, COUNT(*) AS n FROM dead_letters WHERE status = ? AND ${c} IS NOT NULL GROUP BY ${c}`),
        ]),
      ) as Record<'stage' | 'source' | 'target' | 'error_code', Statement<unknown[]>>,
      subsAll: db.prepare(
        'SELECT id, provider_id, customer_id, status, next_delivery FROM subscriptions WHERE id > @after ORDER BY id LIMIT @n',
      ),
      subsByStatus: db.prepare(
        'SELECT id, provider_id, customer_id, status, next_delivery FROM subscriptions WHERE status = @status AND id > @after ORDER BY id LIMIT @n',
      ),
      counts: db.prepare('SELECT status, n FROM subscription_counts WHERE n <> 0 ORDER BY status'),
      stages: db.prepare(
        `SELECT stage, COUNT(*) AS cycles, SUM(unpaid_minor) AS unpaid, MIN(started_at) AS oldest FROM dunning
         GROUP BY stage ORDER BY unpaid DESC, stage`,
      ),
      cyclesAll: db.prepare(
        `SELECT subscription_id, customer_id, stage, started_at, unpaid_minor, record FROM dunning
         WHERE (started_at, subscription_id) > (@t, @id) ORDER BY started_at, subscription_id LIMIT @n`,
      ),
      cyclesOfStage: db.prepare(
        `SELECT subscription_id, customer_id, stage, started_at, unpaid_minor, record FROM dunning
         WHERE stage = @stage AND (started_at, subscription_id) > (@t, @id) ORDER BY started_at, subscription_id LIMIT @n`,
      ),
      blacklisted: db.prepare(
        `SELECT id, record, COALESCE(json_extract(record, '$.blacklistedAt'), '') AS k FROM customers
         WHERE blacklisted = 1 AND (COALESCE(json_extract(record, '$.blacklistedAt'), ''), id) < (@k, @id)
         ORDER BY COALESCE(json_extract(record, '$.blacklistedAt'), '') DESC, id DESC LIMIT @n`,
      ),
      recoveries: db.prepare(
        `SELECT substr(at, 1, 10) AS day, COUNT(*) AS n FROM decisions WHERE kind = 'dunning' AND outcome = 'CLEAR' AND at >= ?
         GROUP BY substr(at, 1, 10) ORDER BY day`,
      ),
      demandKeys: db.prepare('SELECT DISTINCT sku, location FROM demand_totals WHERE period > ? AND quantity <> 0 ORDER BY sku, location'),
      daily: db.prepare(
        `SELECT period, quantity FROM demand_totals WHERE sku = ? AND location = ? AND period > ? AND period <= ? AND quantity <> 0
         ORDER BY period`,
      ),
      audit: db.prepare('SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?'),
    };
  }

  async searchEvents(field: EventSearchField, value: string, page: PageRequest): Promise<Page<EventSummary>> {
    const list = `events.${field}`;
    const after = decodeCursor(list, ['n', 's'], page);
    const s = this.#sql;
    const stream = (stmt: Statement<unknown[]>, v: string) => async (a: Key | undefined, n: number) => this.#newest(stmt, a, n, v);
    const streams =
      field === 'sourceEventId'
        ? [stream(s.bySourceEventId, value)]
        : field === 'type'
          ? [stream(s.byInboxType, value), stream(s.byEventType, value)]
          : field === 'subscription'
            ? [stream(s.byEntity, value)]
            : [value, ...(s.subsOfCustomer.all(value) as string[])].map((k) => stream(s.byEntity, k));
    return this.#summaries(await mergedPage(list, streams, after, page.limit, 'desc'));
  }

  async recentEvents(page: PageRequest): Promise<Page<EventSummary>> {
    const after = decodeCursor('events.recent', ['n', 's'], page);
    return this.#summaries(
      await mergedPage('events.recent', [async (a, n) => this.#newest(this.#sql.recent, a, n)], after, page.limit, 'desc'),
    );
  }

  #newest(stmt: Statement<unknown[]>, after: Key | undefined, n: number, v?: string): Array<Keyed<string>> {
    const [t, id] = after ?? NEWEST;
    const rows = stmt.all({ t, id, n, ...(v === undefined ? {} : { v }) }) as Array<{ id: string; t: number }>;
    return rows.map((r) => ({ key: [r.t, r.id], id: r.id, item: r.id }));
  }

  #summaries(page: Page<string>): Page<EventSummary> {
    return { ...page, items: page.items.map((id) => eventSummary(this.#sql.summary.get(id) as Row)) };
  }

  async eventTimeline(inboxId: string): Promise<EventTimeline | undefined> {
    const s = this.#sql;
    const read = this.#db.transaction(() => {
      const inbox = s.inbox.get(inboxId) as Row | undefined;
      if (!inbox) return undefined;
      const event = s.event.get(inboxId) as Row | undefined;
      const deadLetters = (s.deadLettersOf.all(inbox.source, inbox.source_event_id) as DeadLetterRecord[]).map(deadLetterFromRow);
      return {
        inbox: {
          ...eventSummary({ ...(s.summary.get(inboxId) as Row) }),
          headers: JSON.parse(inbox.headers as string) as Record<string, string>,
          body: inbox.body as string,
          ...(inbox.detail === null ? {} : { detail: inbox.detail as string }),
          attempts: inbox.attempts as number,
        },
        ...(event
          ? {
              event: {
                id: event.id as string,
                type: event.type as string,
                entityKey: event.entity_key as string,
                createdAt: event.created_at as number,
                body: event.body as string,
              },
            }
          : {}),
        decisions: event ? (s.decisionsOf.all(event.id) as Row[]).map(decisionEntry) : [],
        deliveries: event ? (s.deliveriesOf.all(event.id) as Row[]).map(deliveryDetail) : [],
        deadLetters,
        audit: (s.auditOf.all(JSON.stringify([inboxId, ...deadLetters.map((d) => d.id)])) as Row[]).map(auditRecord),
      };
    });
    return read();
  }

  async deadLetters(q: DeadLetterQuery): Promise<Page<DeadLetterSummary>> {
    const after = decodeCursor('deadLetters', ['n', 's'], q);
    const filters = [
      ['stage', q.stage],
      ['source', q.source],
      ['target', q.target],
      ['error_code', q.errorCode],
    ].filter((f): f is [string, string] => f[1] !== undefined);
    const sql = `SELECT ${DL_COLUMNS} FROM dead_letters WHERE status = ? ${filters.map(([c]) => `AND ${c} = ?`).join(' ')}
      AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?`;
    const stmt = this.#statement(sql);
    const stream = (status: DeadLetter['status']) => async (a: Key | undefined, n: number) => {
      const [t, id] = a ?? NEWEST;
      return (stmt.all(status, ...filters.map((f) => f[1]), t, id, n) as DeadLetterRecord[]).map((r) => ({
        key: [r.created_at, r.id],
        id: r.id,
        item: deadLetterSummary(deadLetterFromRow(r)),
      }));
    };
    return mergedPage('deadLetters', (q.status ? [q.status] : DEAD_LETTER_STATUSES).map(stream), after, q.limit, 'desc');
  }

  async deadLetterFacets(status: DeadLetter['status']): Promise<DeadLetterFacets> {
    const read = this.#db.transaction(() => {
      const f = this.#sql.facet;
      const count = (stmt: Statement<unknown[]>) =>
        Object.fromEntries((stmt.all(status) as Array<{ v: string; n: number }>).map((r) => [r.v, r.n]));
      return { stage: count(f.stage), source: count(f.source), target: count(f.target), errorCode: count(f.error_code) };
    });
    return read();
  }

  async subscriptions(q: SubscriptionQuery): Promise<Page<SubscriptionSummary>> {
    if (!q.q) {
      const [after] = decodeCursor('subscriptions', ['s'], q) ?? [''];
      const rows = (
        q.status === undefined
          ? this.#sql.subsAll.all({ after, n: q.limit + 1 })
          : this.#sql.subsByStatus.all({ after, status: q.status, n: q.limit + 1 })
      ) as Row[];
      return pageOf(
        'subscriptions',
        rows.map((r) => ({ key: [r.id as string], id: r.id as string, item: subscriptionSummary(r) })),
        q.limit,
      );
    }
    const list = 'subscriptions.q';
    const [kind, value, id] = decodeCursor(list, ['n', 's', 's'], q) ?? [0, '', ''];
    const prefix = q.q;
    const end = prefixEnd(prefix);
    const rows: Array<Keyed<SubscriptionSummary>> = [];
    for (const k of subscriptionKinds(kind as number)) {
      const [v, i] = k.index === kind ? [value, id] : ['', ''];
      const status = q.status === undefined ? '' : 'AND status = @status';
      const stmt = this.#statement(
        `SELECT id, provider_id, customer_id, status, next_delivery, ${k.column} AS v FROM subscriptions
         WHERE ${k.column} >= @prefix AND ${k.column} < @end AND (${k.column}, id) > (@v, @i) ${status}
           ${k.excluded.map((c) => `AND NOT (${c} >= @prefix AND ${c} < @end)`).join(' ')}
         ORDER BY ${k.column}, id LIMIT @n`,
      );
      const found = stmt.all({
        prefix,
        end,
        v,
        i,
        n: q.limit + 1 - rows.length,
        ...(q.status === undefined ? {} : { status: q.status }),
      }) as Row[];
      rows.push(...found.map((r) => ({ key: [k.index, r.v as string, r.id as string], id: r.id as string, item: subscriptionSummary(r) })));
      if (rows.length > q.limit) break;
    }
    return pageOf(list, rows, q.limit);
  }

  async subscriptionCounts(): Promise<Record<string, number>> {
    return Object.fromEntries((this.#sql.counts.all() as Array<{ status: string; n: number }>).map((r) => [r.status, r.n]));
  }

  async dunningStages(): Promise<DunningStageSummary[]> {
    return (this.#sql.stages.all() as Row[]).map((r) => ({
      stage: r.stage as string,
      cycles: r.cycles as number,
      unpaidMinor: r.unpaid as number,
      oldestStartedAt: r.oldest as string,
    }));
  }

  async dunningCycles(stage: string | undefined, page: PageRequest): Promise<Page<DunningSummary>> {
    const [t, id] = decodeCursor('dunning', ['s', 's'], page) ?? ['', ''];
    const args = { t, id, n: page.limit + 1 };
    const rows = (stage === undefined ? this.#sql.cyclesAll.all(args) : this.#sql.cyclesOfStage.all({ ...args, stage })) as Row[];
    return pageOf(
      'dunning',
      rows.map((r) => ({
        key: [r.started_at as string, r.subscription_id as string],
        id: r.subscription_id as string,
        item: dunningSummary(r),
      })),
      page.limit,
    );
  }

  async blacklistedCustomers(page: PageRequest): Promise<Page<CustomerSummary>> {
    const [k, id] = decodeCursor('blacklisted', ['s', 's'], page) ?? ['~', ''];
    const rows = this.#sql.blacklisted.all({ k, id, n: page.limit + 1 }) as Array<{ id: string; record: string; k: string }>;
    return pageOf(
      'blacklisted',
      rows.map((r) => ({ key: [r.k, r.id], id: r.id, item: customerSummary(r.id, JSON.parse(r.record) as Row) })),
      page.limit,
    );
  }

  async recoveriesPerDay(since: string): Promise<Array<{ day: string; recoveries: number }>> {
    return (this.#sql.recoveries.all(since) as Array<{ day: string; n: number }>).map((r) => ({ day: r.day, recoveries: r.n }));
  }

  async demandKeys(from: string): Promise<Array<{ sku: string; location?: string }>> {
    return (this.#sql.demandKeys.all(from) as Array<{ sku: string; location: string }>).map((r) => ({
      sku: r.sku,
      ...(r.location === '' ? {} : { location: r.location }),
    }));
  }

  async dailyDemand(sku: string, location: string | undefined, from: string, to: string): Promise<DailyDemand[]> {
    return this.#sql.daily.all(sku, location ?? '', from, to) as DailyDemand[];
  }

  async audit(page: PageRequest): Promise<Page<AuditRecord>> {
    const [id] = decodeCursor('audit', ['n'], page) ?? [Number.MAX_SAFE_INTEGER];
    const rows = this.#sql.audit.all(id, page.limit + 1) as Row[];
    return pageOf(
      'audit',
      rows.map((r) => ({ key: [r.id as number], id: String(r.id), item: auditRecord(r) })),
      page.limit,
    );
  }

  /** Statements built per filter combination, prepared once each. */
  #statement(sql: string): Statement<unknown[]> {
    let stmt = this.#prepared.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#prepared.set(sql, stmt);
    }
    return stmt;
  }
}
