import type { Pool } from 'pg';
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
import { deadLetterFromRow, type DeadLetterRecord } from '../sqlite/rows';
import { decodeCursor, type Key, type Keyed, mergedPage, NEWEST, pageOf } from '../views-paging';
import {
  auditRecord,
  customerSummary,
  DEAD_LETTER_STATUSES,
  deadLetterSummary,
  decisionEntry,
  deliveryDetail,
  dunningSummary,
  eventSummary,
  prefixEnd,
  subscriptionKinds,
  subscriptionSummary,
} from '../views-rows';
import { inTransaction, query, type Sql } from './pg-tx';

type Row = Record<string, unknown>;

/** Text in byte order (schema migration 7 builds the views' indexes so). */
const C = 'COLLATE "C"';

const DL_COLUMNS = `id, stage, source, source_event_id, inbox_id, event_id, delivery_id, route, target, mapping, idempotency_key,
  error_code, error_message, attempts, first_attempt_at, last_attempt_at, '' AS payload, created_at, status, resolved_by, resolved_at`;

const SUMMARY = `SELECT i.id, i.source, i.source_event_id, i.event_type, i.received_at, i.status, e.id AS e_id, e.type AS e_type, e.entity_key AS e_entity
  FROM inbox i LEFT JOIN LATERAL (SELECT x.id, x.type, x.entity_key FROM events x WHERE x.inbox_id = i.id ORDER BY x.created_at, x.id LIMIT 1) e ON true`;

/** Newest-first streams of event searches: (table, id column, condition on $1). */
const STREAMS = {
  sourceEventId: ['inbox', 'id', 'source_event_id = $1'],
  inboxType: ['inbox', 'id', 'event_type = $1'],
  eventType: ['events', 'inbox_id', 'type = $1'],
  entity: ['events', 'inbox_id', 'entity_key = $1'],
  recent: ['inbox', 'id', '$1::text IS NULL'],
} as const;

/**
 * OperatorViews on PostgreSQL (schema migration 7 adds the indexes and the kept totals). Reads
 * only; a view made of several statements (a timeline, the facets) reads one snapshot
 * (REPEATABLE READ READ ONLY).
 */
export class PgViews implements OperatorViews {
  constructor(private readonly pool: Pool) {}

  async searchEvents(field: EventSearchField, value: string, page: PageRequest): Promise<Page<EventSummary>> {
    const list = `events.${field}`;
    const after = decodeCursor(list, ['n', 's'], page);
    const keys =
      field === 'customer'
        ? [value, ...(await query(this.pool, `SELECT id FROM subscriptions WHERE customer_id = $1`, [value])).map((r) => r.id as string)]
        : [value];
    const streams =
      field === 'sourceEventId'
        ? [this.#newest('sourceEventId', value)]
        : field === 'type'
          ? [this.#newest('inboxType', value), this.#newest('eventType', value)]
          : keys.map((k) => this.#newest('entity', k));
    return this.#summaries(await mergedPage(list, streams, after, page.limit, 'desc'));
  }

  async recentEvents(page: PageRequest): Promise<Page<EventSummary>> {
    const after = decodeCursor('events.recent', ['n', 's'], page);
    return this.#summaries(await mergedPage('events.recent', [this.#newest('recent', null)], after, page.limit, 'desc'));
  }

  #newest(stream: keyof typeof STREAMS, v: string | null) {
    const [table, id, where] = STREAMS[stream];
    return async (after: Key | undefined, n: number): Promise<Array<Keyed<string>>> => {
      const [t, last] = after ?? NEWEST;
      const rows = await query(
        this.pool,
        `SELECT ${id} AS id, received_at AS t FROM ${table} WHERE ${where} AND (received_at, ${id} ${C}) < ($2::bigint, $3 ${C})
         ORDER BY received_at DESC, ${id} ${C} DESC LIMIT $4`,
        [v, t, last, n],
      );
      return rows.map((r) => ({ key: [Number(r.t), r.id as string], id: r.id as string, item: r.id as string }));
    };
  }

  async #summaries(page: Page<string>): Promise<Page<EventSummary>> {
    if (page.items.length === 0) return { ...page, items: [] };
    const rows = await query(this.pool, `${SUMMARY} WHERE i.id = ANY($1::text[])`, [page.items]);
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    return { ...page, items: page.items.map((id) => eventSummary(byId.get(id)!)) };
  }

  async eventTimeline(inboxId: string): Promise<EventTimeline | undefined> {
    return this.#snapshot(async (sql) => {
      const [inbox] = await sql(`SELECT * FROM inbox WHERE id = $1`, [inboxId]);
      if (!inbox) return undefined;
      const [summary] = await sql(`${SUMMARY} WHERE i.id = $1`, [inboxId]);
      const [event] = await sql(
        `SELECT id, type, entity_key, created_at, body FROM events WHERE inbox_id = $1 ORDER BY created_at, id LIMIT 1`,
        [inboxId],
      );
      const deadLetters = (
        await sql<DeadLetterRecord>(`SELECT * FROM dead_letters WHERE source = $1 AND source_event_id = $2 ORDER BY created_at, id ${C}`, [
          inbox.source,
          inbox.source_event_id,
        ])
      ).map(deadLetterFromRow);
      const decisions = event
        ? await sql(`SELECT at, kind, subject, outcome, rule, detail FROM decisions WHERE event_id = $1 ORDER BY seq`, [event.id])
        : [];
      const deliveries = event ? await sql(`SELECT * FROM deliveries WHERE event_id = $1 ORDER BY seq`, [event.id]) : [];
      const audit = await sql(`SELECT * FROM audit WHERE subject = ANY($1::text[]) ORDER BY id`, [
        [inboxId, ...deadLetters.map((d) => d.id)],
      ]);
      return {
        inbox: {
          ...eventSummary(summary!),
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
                createdAt: Number(event.created_at),
                body: event.body as string,
              },
            }
          : {}),
        decisions: decisions.map(decisionEntry),
        deliveries: deliveries.map(deliveryDetail),
        deadLetters,
        audit: audit.map(auditRecord),
      };
    });
  }

  async deadLetters(q: DeadLetterQuery): Promise<Page<DeadLetterSummary>> {
    const after = decodeCursor('deadLetters', ['n', 's'], q);
    const filters = [
      ['stage', q.stage],
      ['source', q.source],
      ['target', q.target],
      ['error_code', q.errorCode],
    ].filter((f): f is [string, string] => f[1] !== undefined);
    const sql = `SELECT ${DL_COLUMNS} FROM dead_letters WHERE status = $1 ${filters.map(([c], i) => `AND ${c} = $${i + 2}`).join(' ')}
      AND (created_at, id ${C}) < ($${filters.length + 2}::bigint, $${filters.length + 3} ${C})
      ORDER BY created_at DESC, id ${C} DESC LIMIT $${filters.length + 4}`;
    const stream = (status: DeadLetter['status']) => async (a: Key | undefined, n: number) => {
      const [t, id] = a ?? NEWEST;
      const rows = await query<DeadLetterRecord & Row>(this.pool, sql, [status, ...filters.map((f) => f[1]), t, id, n]);
      return rows.map((r) => ({ key: [Number(r.created_at), r.id], id: r.id, item: deadLetterSummary(deadLetterFromRow(r)) }));
    };
    return mergedPage('deadLetters', (q.status ? [q.status] : DEAD_LETTER_STATUSES).map(stream), after, q.limit, 'desc');
  }

  async deadLetterFacets(status: DeadLetter['status']): Promise<DeadLetterFacets> {
    return this.#snapshot(async (sql) => {
      const count = async (c: string) =>
        Object.fromEntries(
          (
            await sql(`SELECT ${c} AS v, count(*) AS n FROM dead_letters WHERE status = $1 AND ${c} IS NOT NULL GROUP BY ${c}`, [status])
          ).map((r) => [r.v as string, Number(r.n)]),
        );
      return {
        stage: await count('stage'),
        source: await count('source'),
        target: await count('target'),
        errorCode: await count('error_code'),
      };
    });
  }

  async subscriptions(q: SubscriptionQuery): Promise<Page<SubscriptionSummary>> {
    const cols = 'id, provider_id, customer_id, status, next_delivery';
    if (!q.q) {
      const [after] = decodeCursor('subscriptions', ['s'], q) ?? [''];
      const rows =
        q.status === undefined
          ? await query(this.pool, `SELECT ${cols} FROM subscriptions WHERE id ${C} > $1 ORDER BY id ${C} LIMIT $2`, [after, q.limit + 1])
          : await query(this.pool, `SELECT ${cols} FROM subscriptions WHERE status = $3 AND id ${C} > $1 ORDER BY id ${C} LIMIT $2`, [
              after,
              q.limit + 1,
              q.status,
            ]);
      return pageOf(
        'subscriptions',
        rows.map((r) => ({ key: [r.id as string], id: r.id as string, item: subscriptionSummary(r) })),
        q.limit,
      );
    }
    const list = 'subscriptions.q';
    const [kind, value, id] = decodeCursor(list, ['n', 's', 's'], q) ?? [0, '', ''];
    const rows: Array<Keyed<SubscriptionSummary>> = [];
    for (const k of subscriptionKinds(kind as number)) {
      const [v, i] = k.index === kind ? [value, id] : ['', ''];
      const inRange = (c: string) => `${c} ${C} >= $1 ${C} AND ${c} ${C} < $2 ${C}`;
      const found = await query(
        this.pool,
        `SELECT ${cols}, ${k.column} AS v FROM subscriptions
         WHERE ${inRange(k.column)} AND (${k.column} ${C}, id ${C}) > ($3 ${C}, $4 ${C})
           ${q.status === undefined ? 'AND $6::text IS NULL' : 'AND status = $6'}
           ${k.excluded.map((c) => `AND NOT (${inRange(c)})`).join(' ')}
         ORDER BY ${k.column} ${C}, id ${C} LIMIT $5`,
        [q.q, prefixEnd(q.q), v, i, q.limit + 1 - rows.length, q.status ?? null],
      );
      rows.push(...found.map((r) => ({ key: [k.index, r.v as string, r.id as string], id: r.id as string, item: subscriptionSummary(r) })));
      if (rows.length > q.limit) break;
    }
    return pageOf(list, rows, q.limit);
  }

  async subscriptionCounts(): Promise<Record<string, number>> {
    const rows = await query(this.pool, 'SELECT status, n FROM subscription_counts WHERE n <> 0 ORDER BY status');
    return Object.fromEntries(rows.map((r) => [r.status as string, Number(r.n)]));
  }

  async dunningStages(): Promise<DunningStageSummary[]> {
    const rows = await query(
      this.pool,
      `SELECT stage, count(*) AS cycles, sum(unpaid_minor) AS unpaid, min(started_at ${C}) AS oldest FROM dunning
       GROUP BY stage ORDER BY unpaid DESC, stage ${C}`,
    );
    return rows.map((r) => ({
      stage: r.stage as string,
      cycles: Number(r.cycles),
      unpaidMinor: Number(r.unpaid),
      oldestStartedAt: r.oldest as string,
    }));
  }

  async dunningCycles(stage: string | undefined, page: PageRequest): Promise<Page<DunningSummary>> {
    const [t, id] = decodeCursor('dunning', ['s', 's'], page) ?? ['', ''];
    const rows = await query(
      this.pool,
      `SELECT subscription_id, customer_id, stage, started_at, unpaid_minor, record FROM dunning
       WHERE ${stage === undefined ? '$4::text IS NULL' : 'stage = $4'} AND (started_at ${C}, subscription_id ${C}) > ($1 ${C}, $2 ${C})
       ORDER BY started_at ${C}, subscription_id ${C} LIMIT $3`,
      [t, id, page.limit + 1, stage ?? null],
    );
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
    const at = `(COALESCE(record ->> 'blacklistedAt', '') ${C})`;
    const rows = await query(
      this.pool,
      `SELECT id, record, ${at} AS k FROM customers WHERE blacklisted AND (${at}, (id ${C})) < ($1 ${C}, $2 ${C})
       ORDER BY ${at} DESC, (id ${C}) DESC LIMIT $3`,
      [k, id, page.limit + 1],
    );
    return pageOf(
      'blacklisted',
      rows.map((r) => ({
        key: [r.k as string, r.id as string],
        id: r.id as string,
        item: customerSummary(r.id as string, r.record as Row),
      })),
      page.limit,
    );
  }

  async recoveriesPerDay(since: string): Promise<Array<{ day: string; recoveries: number }>> {
    const rows = await query(
      this.pool,
      `SELECT substr(at, 1, 10) AS day, count(*) AS n FROM decisions WHERE kind = 'dunning' AND outcome = 'CLEAR' AND at >= $1
       GROUP BY 1 ORDER BY 1`,
      [since],
    );
    return rows.map((r) => ({ day: r.day as string, recoveries: Number(r.n) }));
  }

  async demandKeys(from: string): Promise<Array<{ sku: string; location?: string }>> {
    const rows = await query(
      this.pool,
      `SELECT DISTINCT sku ${C} AS sku, location ${C} AS location FROM demand_totals WHERE period > $1 AND quantity <> 0 ORDER BY 1, 2`,
      [from],
    );
    return rows.map((r) => ({ sku: r.sku as string, ...(r.location === '' ? {} : { location: r.location as string }) }));
  }

  async dailyDemand(sku: string, location: string | undefined, from: string, to: string): Promise<DailyDemand[]> {
    const rows = await query(
      this.pool,
      `SELECT period, quantity FROM demand_totals WHERE sku = $1 AND location = $2 AND period > $3 AND period <= $4 AND quantity <> 0
       ORDER BY period`,
      [sku, location ?? '', from, to],
    );
    return rows.map((r) => ({ period: r.period as string, quantity: Number(r.quantity) }));
  }

  async audit(page: PageRequest): Promise<Page<AuditRecord>> {
    const [id] = decodeCursor('audit', ['n'], page) ?? [Number.MAX_SAFE_INTEGER];
    const rows = await query(this.pool, 'SELECT * FROM audit WHERE id < $1 ORDER BY id DESC LIMIT $2', [id, page.limit + 1]);
    return pageOf(
      'audit',
      rows.map((r) => ({ key: [Number(r.id)], id: String(r.id), item: auditRecord(r) })),
      page.limit,
    );
  }

  /** Statements that must agree with each other: one read-only snapshot. */
  #snapshot<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, async ({ sql }) => {
      await sql('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      return fn(sql);
    });
  }
}
