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
  type SubscriptionState,
  type UnitCommitResult,
  type UnitWrite,
} from '../../domain/ports';
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './open-database';
import { dunningRow } from '../dunning-columns';

type Row = Record<string, unknown>;

/**
 * The domain port on the hub's SQLite file. `commitInTransaction` runs inside the transaction
 * that completes an inbox entry, so an event's domain changes, its derived events (outbox) and
 * its deliveries commit together; the other writes are their own transactions. better-sqlite3 is
 * synchronous: each method runs to completion before its promise resolves.
 */
export class SqliteDomain implements DomainStore {
  readonly #sql;
  readonly #byProviderIds = new Map<number, Statement<unknown[]>>();

  constructor(private readonly db: SqliteDatabase) {
    this.#sql = {
      sub: db.prepare('SELECT state FROM subscriptions WHERE id = ?').pluck(),
      subsOfCustomer: db.prepare('SELECT state FROM subscriptions WHERE customer_id = ? ORDER BY id').pluck(),
      upsertSub: db.prepare(
        `INSERT INTO subscriptions (id, provider_id, customer_id, status, next_delivery, occurred_at, version, state)
         VALUES (@id, @providerId, @customerId, @status, @nextDelivery, @occurredAt, @version, @state)
         ON CONFLICT (id) DO UPDATE SET provider_id = excluded.provider_id, customer_id = excluded.customer_id, status = excluded.status,
           next_delivery = excluded.next_delivery, occurred_at = excluded.occurred_at, version = excluded.version, state = excluded.state`,
      ),
      customer: db.prepare('SELECT record FROM customers WHERE id = ?').pluck(),
      customers: db.prepare('SELECT record FROM customers WHERE (? IS NULL OR blacklisted = ?) ORDER BY id').pluck(),
      upsertCustomer: db.prepare(
        'INSERT INTO customers (id, blacklisted, record) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET blacklisted = excluded.blacklisted, record = excluded.record',
      ),
      dunning: db.prepare('SELECT record FROM dunning WHERE subscription_id = ?').pluck(),
      openDunning: db.prepare('SELECT record FROM dunning ORDER BY subscription_id').pluck(),
      // The board's columns are written with the record (src/store/dunning-columns.ts).
      upsertDunning: db.prepare(
        `INSERT INTO dunning (subscription_id, customer_id, record, stage, started_at, unpaid_minor)
         VALUES (@subscriptionId, @customerId, @record, @stage, @startedAt, @unpaidMinor)
         ON CONFLICT (subscription_id) DO UPDATE SET record = excluded.record, stage = excluded.stage, started_at = excluded.started_at,
           unpaid_minor = excluded.unpaid_minor`,
      ),
      clearDunning: db.prepare('DELETE FROM dunning WHERE subscription_id = ?'),
      demand: db.prepare('SELECT * FROM demand WHERE subscription_id = ? AND period = ?'),
      demandOfSub: db.prepare('SELECT * FROM demand WHERE subscription_id = ? ORDER BY period'),
      upsertDemand: db.prepare(
        `INSERT INTO demand (subscription_id, period, customer_id, location, status, lines, revision, event_id, reason)
         VALUES (@subscriptionId, @period, @customerId, @location, @status, @lines, @revision, @eventId, @reason)
         ON CONFLICT (subscription_id, period) DO UPDATE SET customer_id = excluded.customer_id, location = excluded.location, status = excluded.status,
           lines = excluded.lines, revision = excluded.revision, event_id = excluded.event_id, reason = excluded.reason`,
      ),
      deleteLines: db.prepare('DELETE FROM demand_lines WHERE subscription_id = ? AND period = ?'),
      insertLine: db.prepare('INSERT INTO demand_lines (subscription_id, period, sku, quantity) VALUES (?, ?, ?, ?)'),
      horizon: db.prepare(
        `SELECT l.sku, d.location, SUM(l.quantity) AS quantity, GROUP_CONCAT(l.subscription_id) AS subs
         FROM demand_lines l JOIN demand d ON d.subscription_id = l.subscription_id AND d.period = l.period
         WHERE l.period > ? AND l.period <= ? AND d.status = 'reserved' GROUP BY l.sku, d.location ORDER BY l.sku, d.location`,
      ),
      reservedAfter: db.prepare(
        `SELECT l.sku, d.location, SUM(l.quantity) AS quantity FROM demand_lines l JOIN demand d ON d.subscription_id = l.subscription_id AND d.period = l.period
         WHERE l.period > ? AND d.status = 'reserved' GROUP BY l.sku, d.location ORDER BY l.sku, d.location`,
      ),
      demandPage: db.prepare(
        'SELECT * FROM demand WHERE period > @from AND (subscription_id, period) > (@sub, @period) ORDER BY subscription_id, period LIMIT @limit',
      ),
      openProposals: db.prepare(`SELECT record FROM proposals WHERE status = 'open' ORDER BY sku`).pluck(),
      insertProposal: db.prepare(
        `INSERT INTO proposals (id, sku, location, status, record) VALUES (?, ?, ?, 'open', ?) ON CONFLICT DO NOTHING`,
      ),
      proposal: db.prepare('SELECT record FROM proposals WHERE id = ?').pluck(),
      incoming: db.prepare(
        `SELECT sku, location, SUM(json_extract(record, '$.quantity')) AS quantity FROM proposals
         WHERE status = 'closed' AND json_extract(record, '$.confirmed') = 1 AND json_extract(record, '$.received') IS NOT 1
           AND COALESCE(json_extract(record, '$.expectedAt'), json_extract(record, '$.neededBy')) > ? GROUP BY sku, location ORDER BY sku, location`,
      ),
      inTransit: db
        .prepare(
          `SELECT record FROM proposals WHERE status = 'closed' AND json_extract(record, '$.confirmed') = 1 AND json_extract(record, '$.received') IS NOT 1 ORDER BY id`,
        )
        .pluck(),
      updateProposal: db.prepare(`UPDATE proposals SET status = ?, record = ? WHERE id = ?`),
      insertAudit: db.prepare('INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)'),
      insertDecision: db.prepare(
        'INSERT INTO decisions (at, kind, subject, event_id, outcome, rule, detail) VALUES (@at, @kind, @subject, @eventId, @outcome, @rule, @detail)',
      ),
      decisions: db.prepare(
        `SELECT * FROM decisions WHERE (@kind IS NULL OR kind = @kind) AND (@subject IS NULL OR subject = @subject) ORDER BY seq LIMIT @limit`,
      ),
      newestDecisions: db.prepare(
        `SELECT * FROM decisions WHERE (@kind IS NULL OR kind = @kind) AND (@subject IS NULL OR subject = @subject) ORDER BY seq DESC LIMIT @limit`,
      ),
      subPage: db.prepare('SELECT provider_id, state FROM subscriptions WHERE provider_id > ? ORDER BY provider_id LIMIT ?'),
      unitVersion: db.prepare('SELECT version FROM domain_units WHERE customer_id = ?').pluck(),
      bumpUnit: db.prepare('UPDATE domain_units SET version = version + 1 WHERE customer_id = ? AND version = ?'),
      createUnit: db.prepare('INSERT INTO domain_units (customer_id, version) VALUES (?, 1) ON CONFLICT DO NOTHING'),
      dunningOfCustomer: db.prepare('SELECT record FROM dunning WHERE customer_id = ? ORDER BY subscription_id').pluck(),
      demandOfCustomer: db.prepare('SELECT * FROM demand WHERE customer_id = ? ORDER BY subscription_id, period'),
      pruneDecisions: db.prepare('DELETE FROM decisions WHERE seq IN (SELECT seq FROM decisions WHERE at < ? LIMIT ?)'),
      pruneDemand: db.prepare('DELETE FROM demand WHERE rowid IN (SELECT rowid FROM demand WHERE period < ? LIMIT ?)'),
      pruneDemandLines: db.prepare('DELETE FROM demand_lines WHERE rowid IN (SELECT rowid FROM demand_lines WHERE period < ? LIMIT ?)'),
      pruneTotals: db.prepare('DELETE FROM demand_totals WHERE period < ? AND quantity = 0'),
      pruneProposals: db.prepare(
        `DELETE FROM proposals WHERE id IN (SELECT id FROM proposals WHERE status = 'closed' AND json_extract(record, '$.proposedAt') < ? LIMIT ?)`,
      ),
      // Queued once: not when already queued, nor when the relay already logged it.
      queueHubEvent: db.prepare(
        `INSERT INTO outbox (dedupe_key, event_type, created_at, body)
         SELECT @key, @type, @now, @body WHERE NOT EXISTS (SELECT 1 FROM inbox WHERE source = 'hub' AND source_event_id = @key)
         ON CONFLICT (dedupe_key) DO NOTHING`,
      ),
    };
  }

  async loadUnit(customerId: string, subscriptionId?: string): Promise<DomainUnit> {
    return this.unitNow(customerId, subscriptionId);
  }

  /** `loadUnit` inside a transaction the caller holds. */
  unitNow(customerId: string, subscriptionId?: string): DomainUnit {
    const subscriptions = (this.#sql.subsOfCustomer.all(customerId) as string[]).map((x) => JSON.parse(x) as SubscriptionState);
    const dunning = (this.#sql.dunningOfCustomer.all(customerId) as string[]).map((x) => JSON.parse(x) as DunningRecord);
    const demand = (this.#sql.demandOfCustomer.all(customerId) as Row[]).map(demandOf);
    // A subscription stored under another customer (the provider moved it): its rows come along.
    if (subscriptionId && !subscriptions.some((x) => x.hubSubscriptionId === subscriptionId)) {
      const other = parse<SubscriptionState>(this.#sql.sub.get(subscriptionId));
      if (other) {
        subscriptions.push(other);
        const d = parse<DunningRecord>(this.#sql.dunning.get(subscriptionId));
        if (d) dunning.push(d);
        demand.push(...(this.#sql.demandOfSub.all(subscriptionId) as Row[]).map(demandOf));
      }
    }
    const customer = parse<CustomerRecord>(this.#sql.customer.get(customerId));
    return {
      customerId,
      version: (this.#sql.unitVersion.get(customerId) as number | undefined) ?? 0,
      ...(customer ? { customer } : {}),
      subscriptions,
      dunning,
      demand,
    };
  }

  /** Whether the unit is still at `version` (inside the caller's transaction). */
  unitAt(unit: { customerId: string; version: number }): boolean {
    return ((this.#sql.unitVersion.get(unit.customerId) as number | undefined) ?? 0) === unit.version;
  }

  async commitUnit(write: UnitWrite, now: number): Promise<UnitCommitResult> {
    return this.db.transaction(() => this.commitInTransaction(write, now))();
  }

  /**
   * Checks the unit's version and applies the changes (derived events to the outbox); the caller
   * holds the transaction. A conflict writes nothing.
   */
  commitInTransaction(write: UnitWrite, now: number): UnitCommitResult {
    const { customerId, version, changes } = write;
    if (isEmpty(changes)) return this.unitAt(write) ? 'committed' : 'conflict';
    const moved = version === 0 ? this.#sql.createUnit.run(customerId) : this.#sql.bumpUnit.run(customerId, version);
    if (moved.changes !== 1) return 'conflict';
    this.#apply(changes, now);
    return 'committed';
  }

  async subscription(id: string): Promise<SubscriptionState | undefined> {
    return parse(this.#sql.sub.get(id));
  }

  async customer(id: string): Promise<CustomerRecord | undefined> {
    return parse(this.#sql.customer.get(id));
  }

  async customers(filter: { blacklisted?: boolean }): Promise<CustomerRecord[]> {
    const b = filter.blacklisted === undefined ? null : filter.blacklisted ? 1 : 0;
    return (this.#sql.customers.all(b, b) as string[]).map((s) => JSON.parse(s) as CustomerRecord);
  }

  async dunning(subscriptionId: string): Promise<DunningRecord | undefined> {
    return parse(this.#sql.dunning.get(subscriptionId));
  }

  async openDunning(): Promise<DunningRecord[]> {
    return (this.#sql.openDunning.all() as string[]).map((s) => JSON.parse(s) as DunningRecord);
  }

  async demand(subscriptionId: string, period: string): Promise<DemandRecord | undefined> {
    const row = this.#sql.demand.get(subscriptionId, period) as Row | undefined;
    return row ? demandOf(row) : undefined;
  }

  async horizonDemand(from: string, to: string): Promise<HorizonDemand[]> {
    return (this.#sql.horizon.all(from, to) as Row[]).map((r) => ({
      ...located(r),
      subscriptions: [...new Set(String(r.subs).split(','))].sort(),
    }));
  }

  async reservedAfter(from: string): Promise<LocatedQuantity[]> {
    return (this.#sql.reservedAfter.all(from) as Row[]).map(located);
  }

  async *demandPages(from: string, pageSize: number): AsyncIterable<DemandRecord[]> {
    let sub = '';
    let period = '';
    for (;;) {
      const rows = (this.#sql.demandPage.all({ from, sub, period, limit: pageSize }) as Row[]).map(demandOf);
      if (rows.length === 0) return;
      yield rows;
      ({ subscriptionId: sub, period } = rows.at(-1)!);
    }
  }

  async *subscriptionPages(pageSize: number): AsyncIterable<SubscriptionState[]> {
    let after = '';
    for (;;) {
      const rows = this.#sql.subPage.all(after, pageSize) as Row[];
      if (rows.length === 0) return;
      yield rows.map((r) => JSON.parse(r.state as string) as SubscriptionState);
      after = rows.at(-1)!.provider_id as string;
    }
  }

  async subscriptionsByProviderId(ids: string[]): Promise<Map<string, SubscriptionState>> {
    const out = new Map<string, SubscriptionState>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      // One prepared statement per IN-list size (a reconciliation asks with the same page size a million times).
      let byIds = this.#byProviderIds.get(chunk.length);
      if (!byIds) {
        byIds = this.db.prepare(`SELECT provider_id, state FROM subscriptions WHERE provider_id IN (${chunk.map(() => '?').join(',')})`);
        this.#byProviderIds.set(chunk.length, byIds);
      }
      const rows = byIds.all(...chunk) as Row[];
      for (const r of rows) out.set(r.provider_id as string, JSON.parse(r.state as string) as SubscriptionState);
    }
    return out;
  }

  async openProposals(): Promise<ProposalRecord[]> {
    return (this.#sql.openProposals.all() as string[]).map((s) => JSON.parse(s) as ProposalRecord);
  }

  async addProposal(p: ProposalRecord, event: HubEvent, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      if (this.#sql.insertProposal.run(p.id, p.sku, p.location, JSON.stringify(p)).changes === 0) return false;
      this.#queueHubEvent(event, now);
      this.#decision({
        at: p.proposedAt,
        kind: 'reorder',
        subject: `sku:${p.sku}`,
        eventId: event.id,
        outcome: `proposed ${p.quantity} for ${p.location}`,
        rule: p.reason,
        detail: event.reorder?.inputs,
      });
      return true;
    })();
  }

  async proposalsInTransit(): Promise<ProposalRecord[]> {
    return (this.#sql.inTransit.all() as string[]).map((s) => JSON.parse(s) as ProposalRecord);
  }

  async updateProposal(p: ProposalRecord, decision: DecisionRecord): Promise<void> {
    this.db.transaction(() => {
      this.#sql.updateProposal.run(p.status, JSON.stringify(p), p.id);
      this.#decision(decision);
    })();
  }

  async incoming(today: string): Promise<LocatedQuantity[]> {
    return (this.#sql.incoming.all(today) as Row[]).map(located);
  }

  async appendHubEvents(events: HubEvent[], now: number): Promise<number> {
    return this.appendHubEventsNow(events, now);
  }

  /** `appendHubEvents` inside (or as) a transaction: the delivery completion queues its follow-ups with it. */
  appendHubEventsNow(events: HubEvent[], now: number): number {
    return this.db.transaction(() => events.reduce((n, e) => n + this.#queueHubEvent(e, now), 0))();
  }

  async addDecisions(d: DecisionRecord[]): Promise<void> {
    this.addDecisionsNow(d);
  }

  /** `addDecisions` inside (or as) a transaction. */
  addDecisionsNow(d: DecisionRecord[]): void {
    this.db.transaction(() => d.forEach((x) => this.#decision(x)))();
  }

  async decisions(filter: {
    kind?: DecisionRecord['kind'];
    subject?: string;
    limit?: number;
    newest?: boolean;
  }): Promise<DecisionRecord[]> {
    const rows = (filter.newest ? this.#sql.newestDecisions : this.#sql.decisions).all({
      kind: filter.kind ?? null,
      subject: filter.subject ?? null,
      limit: filter.limit ?? 1000,
    }) as Row[];
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
    this.db.transaction(() => states.forEach((s) => this.#upsertSubscription(s)))();
  }

  async prune(cutoffs: PruneCutoffs, batch = 5000): Promise<PruneCounts> {
    const drain = (stmt: Statement<unknown[]>, cutoff: string | undefined): number => {
      if (cutoff === undefined) return 0;
      let total = 0;
      for (let n = batch; n === batch; total += n) n = this.db.transaction(() => stmt.run(cutoff, batch).changes)();
      return total;
    };
    drain(this.#sql.pruneDemandLines, cutoffs.demandBefore);
    // Totals of pruned dates are zero by now (the lines' trigger took them out): drop their rows.
    if (cutoffs.demandBefore !== undefined) this.#sql.pruneTotals.run(cutoffs.demandBefore);
    return {
      decisions: drain(this.#sql.pruneDecisions, cutoffs.decisionsBefore),
      demand: drain(this.#sql.pruneDemand, cutoffs.demandBefore),
      proposals: drain(this.#sql.pruneProposals, cutoffs.closedProposalsBefore),
    };
  }

  async seedDemand(records: DemandRecord[]): Promise<void> {
    this.db.transaction(() => this.#apply({ ...noChanges(), demand: records }, Date.now()))();
  }

  #apply(c: DomainChanges, now: number): void {
    for (const s of c.subscriptions) this.#upsertSubscription(s);
    for (const d of c.demand) {
      this.#sql.upsertDemand.run({ ...d, location: d.location ?? null, lines: JSON.stringify(d.lines) });
      this.#sql.deleteLines.run(d.subscriptionId, d.period);
      for (const l of d.lines) this.#sql.insertLine.run(d.subscriptionId, d.period, l.sku, l.quantity);
    }
    for (const x of c.customers) this.#sql.upsertCustomer.run(x.id, x.blacklisted ? 1 : 0, JSON.stringify(x));
    for (const x of c.dunning) this.#sql.upsertDunning.run(dunningRow(x));
    for (const id of c.dunningCleared) this.#sql.clearDunning.run(id);
    for (const d of c.decisions) this.#decision(d);
    for (const e of c.derived) this.#queueHubEvent(e, now);
    for (const a of c.audit ?? [])
      this.#sql.insertAudit.run(now, a.actor, a.action, a.subject, a.detail === undefined ? null : JSON.stringify(a.detail));
  }

  #upsertSubscription(s: SubscriptionState): void {
    this.#sql.upsertSub.run({
      id: s.hubSubscriptionId,
      providerId: s.snapshot.providerSubscriptionId,
      customerId: s.hubCustomerId,
      status: s.snapshot.status,
      nextDelivery: s.snapshot.nextRenewalAt ?? s.snapshot.currentPeriodEnd ?? null,
      occurredAt: s.occurredAt,
      version: s.version,
      state: JSON.stringify(s),
    });
  }

  #queueHubEvent(e: HubEvent, now: number): number {
    return this.#sql.queueHubEvent.run({ key: e.source.dedupeKey, type: e.type, now, body: JSON.stringify(e) }).changes;
  }

  #decision(d: DecisionRecord): void {
    this.#sql.insertDecision.run({ ...d, eventId: d.eventId ?? null, detail: d.detail === undefined ? null : JSON.stringify(d.detail) });
  }
}

function parse<T>(text: unknown): T | undefined {
  return typeof text === 'string' ? (JSON.parse(text) as T) : undefined;
}

function located(r: Row): LocatedQuantity {
  return { sku: r.sku as string, ...(typeof r.location === 'string' ? { location: r.location } : {}), quantity: r.quantity as number };
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
