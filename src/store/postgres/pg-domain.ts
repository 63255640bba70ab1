import type { Pool } from 'pg';
import type { HubEvent } from '../../events';
import {
  type CustomerRecord,
  type DecisionRecord,
  type DemandRecord,
  type DomainChanges,
  type DomainStore,
  type DomainUnit,
  type DunningRecord,
  type HorizonDemand,
  isEmpty,
  type LocatedQuantity,
  noChanges,
  type PruneCounts,
  type PruneCutoffs,
  type ProposalRecord,
  type UnitCommitResult,
  type UnitWrite,
} from '../../domain/ports';
import type { SubscriptionState } from '../../domain/ports';
import { ulid } from '../../util/ids';
import { dunningRow } from '../dunning-columns';
import { inTransaction, query, type Tx } from './pg-tx';

type Row = Record<string, unknown>;

/**
 * The domain port on PostgreSQL. Event handling commits its domain changes inside the inbox
 * completion transaction (`lockUnit` + `commitLocked`, called by PgStore); the other writes are
 * their own transactions. A unit's version row is locked (`FOR UPDATE`) before it is compared,
 * so two hubs committing against the same version serialise: one commits, the other sees the
 * moved version (`conflict`).
 */
export class PgDomain implements DomainStore {
  constructor(private readonly pool: Pool) {}

  async loadUnit(customerId: string, subscriptionId?: string): Promise<DomainUnit> {
    return inTransaction(this.pool, async ({ sql }) => {
      // REPEATABLE READ: the unit's rows and its version come from one snapshot.
      await sql('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const version = await sql<{ version: number }>('SELECT version FROM domain_units WHERE customer_id = $1', [customerId]);
      const subscriptions = (await sql<Row>('SELECT state FROM subscriptions WHERE customer_id = $1 ORDER BY id', [customerId])).map(
        (r) => JSON.parse(r.state as string) as SubscriptionState,
      );
      const dunning = (await sql<Row>('SELECT record FROM dunning WHERE customer_id = $1 ORDER BY subscription_id', [customerId])).map(
        (r) => JSON.parse(r.record as string) as DunningRecord,
      );
      const demand = (await sql<Row>('SELECT * FROM demand WHERE customer_id = $1 ORDER BY subscription_id, period', [customerId])).map(
        demandOf,
      );
      // A subscription stored under another customer (the provider moved it): its rows come along.
      if (subscriptionId && !subscriptions.some((x) => x.hubSubscriptionId === subscriptionId)) {
        const [other] = await sql<Row>('SELECT state FROM subscriptions WHERE id = $1', [subscriptionId]);
        if (other) {
          subscriptions.push(JSON.parse(other.state as string) as SubscriptionState);
          const [d] = await sql<Row>('SELECT record FROM dunning WHERE subscription_id = $1', [subscriptionId]);
          if (d) dunning.push(JSON.parse(d.record as string) as DunningRecord);
          demand.push(
            ...(await sql<Row>('SELECT * FROM demand WHERE subscription_id = $1 ORDER BY period', [subscriptionId])).map(demandOf),
          );
        }
      }
      const [c] = await sql<Row>('SELECT record FROM customers WHERE id = $1', [customerId]);
      return {
        customerId,
        version: version[0]?.version ?? 0,
        ...(c ? { customer: c.record as CustomerRecord } : {}),
        subscriptions,
        dunning,
        demand,
      };
    });
  }

  /**
   * Locks the unit's version row for the rest of the caller's transaction (creating it at version
   * 0 when the unit was never written) and returns the version.
   */
  async lockUnit(tx: Tx, customerId: string): Promise<number> {
    await tx.sql('INSERT INTO domain_units (customer_id, version) VALUES ($1, 0) ON CONFLICT DO NOTHING', [customerId]);
    const [r] = await tx.sql<{ version: number }>('SELECT version FROM domain_units WHERE customer_id = $1 FOR UPDATE', [customerId]);
    return r!.version;
  }

  /**
   * Applies a write whose version the caller checked under `lockUnit`: bumps the version only
   * when the changes are non-empty (like the SQLite adapter), derived events go to the outbox.
   */
  async commitLocked(tx: Tx, write: UnitWrite, now: number): Promise<void> {
    if (isEmpty(write.changes)) return;
    await tx.sql('UPDATE domain_units SET version = version + 1 WHERE customer_id = $1', [write.customerId]);
    await this.#apply(tx, write.changes, now);
  }

  async commitUnit(write: UnitWrite, now: number): Promise<UnitCommitResult> {
    return inTransaction(this.pool, async (tx) => {
      if ((await this.lockUnit(tx, write.customerId)) !== write.version) return 'conflict';
      await this.commitLocked(tx, write, now);
      if (write.changes.derived.length) await notifyWork(tx);
      return 'committed';
    });
  }

  async subscription(id: string): Promise<SubscriptionState | undefined> {
    const [r] = await query(this.pool, 'SELECT state FROM subscriptions WHERE id = $1', [id]);
    return r ? (JSON.parse(r.state as string) as SubscriptionState) : undefined;
  }

  async customer(id: string): Promise<CustomerRecord | undefined> {
    const [r] = await query(this.pool, 'SELECT record FROM customers WHERE id = $1', [id]);
    return r ? (r.record as CustomerRecord) : undefined;
  }

  async customers(filter: { blacklisted?: boolean }): Promise<CustomerRecord[]> {
    const rows = await query(this.pool, 'SELECT record FROM customers WHERE ($1::boolean IS NULL OR blacklisted = $1) ORDER BY id', [
      filter.blacklisted ?? null,
    ]);
    return rows.map((r) => r.record as CustomerRecord);
  }

  async dunning(subscriptionId: string): Promise<DunningRecord | undefined> {
    const [r] = await query(this.pool, 'SELECT record FROM dunning WHERE subscription_id = $1', [subscriptionId]);
    return r ? (JSON.parse(r.record as string) as DunningRecord) : undefined;
  }

  async openDunning(): Promise<DunningRecord[]> {
    return (await query(this.pool, 'SELECT record FROM dunning ORDER BY subscription_id')).map(
      (r) => JSON.parse(r.record as string) as DunningRecord,
    );
  }

  async demand(subscriptionId: string, period: string): Promise<DemandRecord | undefined> {
    const [r] = await query(this.pool, 'SELECT * FROM demand WHERE subscription_id = $1 AND period = $2', [subscriptionId, period]);
    return r ? demandOf(r) : undefined;
  }

  async horizonDemand(from: string, to: string): Promise<HorizonDemand[]> {
    const rows = await query(
      this.pool,
      `SELECT l.sku, d.location, SUM(l.quantity)::bigint AS quantity, string_agg(l.subscription_id, ',') AS subs
       FROM demand_lines l JOIN demand d ON d.subscription_id = l.subscription_id AND d.period = l.period
       WHERE l.period > $1 AND l.period <= $2 AND d.status = 'reserved' GROUP BY l.sku, d.location ORDER BY l.sku, d.location`,
      [from, to],
    );
    return rows.map((r) => ({ ...located(r), subscriptions: [...new Set(String(r.subs).split(','))].sort() }));
  }

  async reservedAfter(from: string): Promise<LocatedQuantity[]> {
    const rows = await query(
      this.pool,
      `SELECT l.sku, d.location, SUM(l.quantity)::bigint AS quantity FROM demand_lines l
       JOIN demand d ON d.subscription_id = l.subscription_id AND d.period = l.period
       WHERE l.period > $1 AND d.status = 'reserved' GROUP BY l.sku, d.location ORDER BY l.sku, d.location`,
      [from],
    );
    return rows.map(located);
  }

  async *demandPages(from: string, pageSize: number): AsyncIterable<DemandRecord[]> {
    let sub = '';
    let period = '';
    for (;;) {
      const rows = (
        await query(
          this.pool,
          'SELECT * FROM demand WHERE period > $1 AND (subscription_id, period) > ($2, $3) ORDER BY subscription_id, period LIMIT $4',
          [from, sub, period, pageSize],
        )
      ).map(demandOf);
      if (rows.length === 0) return;
      yield rows;
      ({ subscriptionId: sub, period } = rows.at(-1)!);
    }
  }

  async *subscriptionPages(pageSize: number): AsyncIterable<SubscriptionState[]> {
    let after = '';
    for (;;) {
      const rows = await query(
        this.pool,
        'SELECT provider_id, state FROM subscriptions WHERE provider_id > $1 ORDER BY provider_id LIMIT $2',
        [after, pageSize],
      );
      if (rows.length === 0) return;
      yield rows.map((r) => JSON.parse(r.state as string) as SubscriptionState);
      after = rows.at(-1)!.provider_id as string;
    }
  }

  async subscriptionsByProviderId(ids: string[]): Promise<Map<string, SubscriptionState>> {
    const out = new Map<string, SubscriptionState>();
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await query(this.pool, 'SELECT provider_id, state FROM subscriptions WHERE provider_id = ANY($1::text[])', [
        ids.slice(i, i + 1000),
      ]);
      for (const r of rows) out.set(r.provider_id as string, JSON.parse(r.state as string) as SubscriptionState);
    }
    return out;
  }

  async openProposals(): Promise<ProposalRecord[]> {
    return (await query(this.pool, `SELECT record FROM proposals WHERE status = 'open' ORDER BY sku`)).map(
      (r) => r.record as ProposalRecord,
    );
  }

  async addProposal(p: ProposalRecord, event: HubEvent, now: number): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      const inserted = await tx.run(
        `INSERT INTO proposals (id, sku, location, status, record) VALUES ($1, $2, $3, 'open', $4) ON CONFLICT DO NOTHING`,
        [p.id, p.sku, p.location, JSON.stringify(p)],
      );
      if (inserted === 0) return false;
      await this.queueHubEvent(tx, event, now);
      await this.decision(tx, {
        at: p.proposedAt,
        kind: 'reorder',
        subject: `sku:${p.sku}`,
        eventId: event.id,
        outcome: `proposed ${p.quantity} for ${p.location}`,
        rule: p.reason,
        detail: event.reorder?.inputs,
      });
      await notifyWork(tx);
      return true;
    });
  }

  async proposalsInTransit(): Promise<ProposalRecord[]> {
    const rows = await query(
      this.pool,
      `SELECT record FROM proposals WHERE status = 'closed' AND record @> '{"confirmed": true}' AND NOT record @> '{"received": true}' ORDER BY id`,
    );
    return rows.map((r) => r.record as ProposalRecord);
  }

  async updateProposal(p: ProposalRecord, decision: DecisionRecord): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await tx.sql('UPDATE proposals SET status = $1, record = $2 WHERE id = $3', [p.status, JSON.stringify(p), p.id]);
      await this.decision(tx, decision);
    });
  }

  async incoming(today: string): Promise<LocatedQuantity[]> {
    const rows = await query(
      this.pool,
      `SELECT sku, location, SUM((record ->> 'quantity')::bigint)::bigint AS quantity FROM proposals
       WHERE status = 'closed' AND record @> '{"confirmed": true}' AND NOT record @> '{"received": true}'
         AND COALESCE(record ->> 'expectedAt', record ->> 'neededBy') > $1 GROUP BY sku, location ORDER BY sku, location`,
      [today],
    );
    return rows.map(located);
  }

  async appendHubEvents(events: HubEvent[], now: number): Promise<number> {
    return inTransaction(this.pool, async (tx) => {
      const n = await this.appendHubEventsIn(tx, events, now);
      if (n > 0) await notifyWork(tx);
      return n;
    });
  }

  /** `appendHubEvents` inside the caller's transaction (a delivery completion's follow-ups). */
  async appendHubEventsIn(tx: Tx, events: HubEvent[], now: number): Promise<number> {
    let n = 0;
    for (const e of events) n += await this.queueHubEvent(tx, e, now);
    return n;
  }

  async addDecisions(d: DecisionRecord[]): Promise<void> {
    await inTransaction(this.pool, (tx) => this.addDecisionsIn(tx, d));
  }

  /** `addDecisions` inside the caller's transaction. */
  async addDecisionsIn(tx: Tx, d: DecisionRecord[]): Promise<void> {
    for (const x of d) await this.decision(tx, x);
  }

  async decisions(filter: {
    kind?: DecisionRecord['kind'];
    subject?: string;
    limit?: number;
    newest?: boolean;
  }): Promise<DecisionRecord[]> {
    const rows = await query(
      this.pool,
      `SELECT * FROM decisions WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR subject = $2)
       ORDER BY seq ${filter.newest ? 'DESC' : 'ASC'} LIMIT $3`,
      [filter.kind ?? null, filter.subject ?? null, filter.limit ?? 1000],
    );
    return rows.map((r) => ({
      at: r.at as string,
      kind: r.kind as DecisionRecord['kind'],
      subject: r.subject as string,
      ...(r.event_id ? { eventId: r.event_id as string } : {}),
      outcome: r.outcome as string,
      rule: r.rule as string,
      ...(r.detail ? { detail: JSON.parse(r.detail as string) as unknown } : {}),
    }));
  }

  async seedSubscriptions(states: SubscriptionState[]): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      for (const s of states) await this.#upsertSubscription(tx, s);
    });
  }

  async seedDemand(records: DemandRecord[]): Promise<void> {
    await inTransaction(this.pool, (tx) => this.#apply(tx, { ...noChanges(), demand: records }, Date.now()));
  }

  async prune(cutoffs: PruneCutoffs, batch = 5000): Promise<PruneCounts> {
    const drain = async (sql: string, cutoff: string | undefined): Promise<number> => {
      if (cutoff === undefined) return 0;
      let total = 0;
      for (let n = batch; n === batch; total += n) n = await inTransaction(this.pool, (tx) => tx.run(sql, [cutoff, batch]));
      return total;
    };
    await drain(
      `DELETE FROM demand_lines WHERE (subscription_id, period, sku) IN (SELECT subscription_id, period, sku FROM demand_lines WHERE period < $1 LIMIT $2)`,
      cutoffs.demandBefore,
    );
    // Totals of pruned dates are zero by now (the lines' trigger took them out): drop their rows.
    if (cutoffs.demandBefore !== undefined)
      await inTransaction(this.pool, (tx) =>
        tx.run('DELETE FROM demand_totals WHERE period < $1 AND quantity = 0', [cutoffs.demandBefore]),
      );
    return {
      decisions: await drain(
        'DELETE FROM decisions WHERE seq IN (SELECT seq FROM decisions WHERE at < $1 LIMIT $2)',
        cutoffs.decisionsBefore,
      ),
      demand: await drain(
        'DELETE FROM demand WHERE (subscription_id, period) IN (SELECT subscription_id, period FROM demand WHERE period < $1 LIMIT $2)',
        cutoffs.demandBefore,
      ),
      proposals: await drain(
        `DELETE FROM proposals WHERE id IN (SELECT id FROM proposals WHERE status = 'closed' AND record ->> 'proposedAt' < $1 LIMIT $2)`,
        cutoffs.closedProposalsBefore,
      ),
    };
  }

  async #apply(tx: Tx, c: DomainChanges, now: number): Promise<void> {
    for (const s of c.subscriptions) await this.#upsertSubscription(tx, s);
    for (const d of c.demand) {
      await tx.sql(
        `INSERT INTO demand (subscription_id, period, customer_id, location, status, lines, revision, event_id, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (subscription_id, period) DO UPDATE SET customer_id = excluded.customer_id, location = excluded.location,
           status = excluded.status, lines = excluded.lines, revision = excluded.revision, event_id = excluded.event_id, reason = excluded.reason`,
        [d.subscriptionId, d.period, d.customerId, d.location ?? null, d.status, JSON.stringify(d.lines), d.revision, d.eventId, d.reason],
      );
      await tx.sql('DELETE FROM demand_lines WHERE subscription_id = $1 AND period = $2', [d.subscriptionId, d.period]);
      if (d.lines.length)
        await tx.sql(
          `INSERT INTO demand_lines (subscription_id, period, sku, quantity) SELECT $1, $2, * FROM unnest($3::text[], $4::int[])`,
          [d.subscriptionId, d.period, d.lines.map((l) => l.sku), d.lines.map((l) => l.quantity)],
        );
    }
    for (const x of c.customers)
      await tx.sql(
        'INSERT INTO customers (id, blacklisted, record) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET blacklisted = excluded.blacklisted, record = excluded.record',
        [x.id, x.blacklisted, JSON.stringify(x)],
      );
    // The board's columns are written with the record (src/store/dunning-columns.ts).
    for (const x of c.dunning) {
      const r = dunningRow(x);
      await tx.sql(
        `INSERT INTO dunning (subscription_id, customer_id, record, stage, started_at, unpaid_minor) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (subscription_id) DO UPDATE SET record = excluded.record, stage = excluded.stage, started_at = excluded.started_at,
           unpaid_minor = excluded.unpaid_minor`,
        [r.subscriptionId, r.customerId, r.record, r.stage, r.startedAt, r.unpaidMinor],
      );
    }
    for (const id of c.dunningCleared) await tx.sql('DELETE FROM dunning WHERE subscription_id = $1', [id]);
    for (const d of c.decisions) await this.decision(tx, d);
    for (const e of c.derived) await this.queueHubEvent(tx, e, now);
    for (const a of c.audit ?? [])
      await tx.sql('INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)', [
        now,
        a.actor,
        a.action,
        a.subject,
        a.detail === undefined ? null : JSON.stringify(a.detail),
      ]);
  }

  async #upsertSubscription(tx: Tx, s: SubscriptionState): Promise<void> {
    await tx.sql(
      `INSERT INTO subscriptions (id, provider_id, customer_id, status, next_delivery, occurred_at, version, state)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET provider_id = excluded.provider_id, customer_id = excluded.customer_id, status = excluded.status,
         next_delivery = excluded.next_delivery, occurred_at = excluded.occurred_at, version = excluded.version, state = excluded.state`,
      [
        s.hubSubscriptionId,
        s.snapshot.providerSubscriptionId,
        s.hubCustomerId,
        s.snapshot.status,
        s.snapshot.nextRenewalAt ?? s.snapshot.currentPeriodEnd ?? null,
        s.occurredAt,
        s.version,
        JSON.stringify(s),
      ],
    );
  }

  /** Queued once: not when already queued, nor when the relay already logged it. Returns 1 when queued. */
  async queueHubEvent(tx: Tx, e: HubEvent, now: number): Promise<number> {
    return tx.run(
      `INSERT INTO outbox (id, dedupe_key, event_type, event, created_at)
       SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM inbox WHERE source = 'hub' AND source_event_id = $2)
       ON CONFLICT (dedupe_key) DO NOTHING`,
      [ulid(now), e.source.dedupeKey, e.type, JSON.stringify(e), now],
    );
  }

  async decision(tx: Tx, d: DecisionRecord): Promise<void> {
    await tx.sql('INSERT INTO decisions (at, kind, subject, event_id, outcome, rule, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      d.at,
      d.kind,
      d.subject,
      d.eventId ?? null,
      d.outcome,
      d.rule,
      d.detail === undefined ? null : JSON.stringify(d.detail),
    ]);
  }
}

/** The channel every hub listens on: new inbox entries or outbox rows to relay. */
export const WORK_CHANNEL = 'subhub_work';

/** Wakes every hub's workers once the caller's transaction commits (PostgreSQL folds repeats within one transaction). */
export async function notifyWork(tx: Tx): Promise<void> {
  await tx.sql(`SELECT pg_notify('${WORK_CHANNEL}', '')`);
}

function located(r: Row): LocatedQuantity {
  return { sku: r.sku as string, ...(typeof r.location === 'string' ? { location: r.location } : {}), quantity: Number(r.quantity) };
}

function demandOf(r: Row): DemandRecord {
  return {
    subscriptionId: r.subscription_id as string,
    customerId: r.customer_id as string,
    period: r.period as string,
    ...(typeof r.location === 'string' ? { location: r.location } : {}),
    status: r.status as DemandRecord['status'],
    lines: JSON.parse(r.lines as string) as DemandRecord['lines'],
    revision: r.revision as number,
    eventId: r.event_id as string,
    reason: r.reason as string,
  };
}
