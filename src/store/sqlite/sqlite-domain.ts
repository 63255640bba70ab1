import type { HubEvent } from '../../events';
import {
  type CustomerRecord,
  type DecisionRecord,
  type DemandRecord,
  type DomainChanges,
  type DomainStore,
  type DunningRecord,
  type HorizonDemand,
  isEmpty,
  type LocatedQuantity,
  noChanges,
  type PruneCounts,
  type PruneCutoffs,
  type ProposalRecord,
} from '../../domain/ports';
import type { SubscriptionState } from '../../domain/subscription-projection';
import { ulid } from '../ids';
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './open-database';

type Row = Record<string, unknown>;

/**
 * The domain port on the hub's SQLite file. `apply` runs inside the transaction that completes
 * an inbox entry, so an event's domain changes and its deliveries commit together; the other
 * writes are their own transactions. Reads are synchronous (better-sqlite3).
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
      upsertDunning: db.prepare(
        'INSERT INTO dunning (subscription_id, customer_id, record) VALUES (?, ?, ?) ON CONFLICT (subscription_id) DO UPDATE SET record = excluded.record',
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
      epoch: db.prepare('SELECT epoch FROM domain_epoch WHERE id = 1').pluck(),
      pruneDecisions: db.prepare('DELETE FROM decisions WHERE seq IN (SELECT seq FROM decisions WHERE at < ? LIMIT ?)'),
      pruneDemand: db.prepare('DELETE FROM demand WHERE rowid IN (SELECT rowid FROM demand WHERE period < ? LIMIT ?)'),
      pruneDemandLines: db.prepare('DELETE FROM demand_lines WHERE rowid IN (SELECT rowid FROM demand_lines WHERE period < ? LIMIT ?)'),
      pruneProposals: db.prepare(
        `DELETE FROM proposals WHERE id IN (SELECT id FROM proposals WHERE status = 'closed' AND json_extract(record, '$.proposedAt') < ? LIMIT ?)`,
      ),
      bumpEpoch: db.prepare('UPDATE domain_epoch SET epoch = epoch + 1 WHERE id = 1'),
      insertHubEvent: db.prepare(
        `INSERT INTO inbox (id, source, source_event_id, event_type, received_at, headers, body) VALUES (?, 'hub', ?, ?, ?, '{}', ?)
         ON CONFLICT (source, source_event_id) DO NOTHING`,
      ),
    };
  }

  subscription(id: string): SubscriptionState | undefined {
    return parse(this.#sql.sub.get(id));
  }

  subscriptionsOfCustomer(customerId: string): SubscriptionState[] {
    return (this.#sql.subsOfCustomer.all(customerId) as string[]).map((s) => JSON.parse(s) as SubscriptionState);
  }

  customer(id: string): CustomerRecord | undefined {
    return parse(this.#sql.customer.get(id));
  }

  customers(filter: { blacklisted?: boolean }): CustomerRecord[] {
    const b = filter.blacklisted === undefined ? null : filter.blacklisted ? 1 : 0;
    return (this.#sql.customers.all(b, b) as string[]).map((s) => JSON.parse(s) as CustomerRecord);
  }

  dunning(subscriptionId: string): DunningRecord | undefined {
    return parse(this.#sql.dunning.get(subscriptionId));
  }

  openDunning(): DunningRecord[] {
    return (this.#sql.openDunning.all() as string[]).map((s) => JSON.parse(s) as DunningRecord);
  }

  demand(subscriptionId: string, period: string): DemandRecord | undefined {
    const row = this.#sql.demand.get(subscriptionId, period) as Row | undefined;
    return row ? demandOf(row) : undefined;
  }

  demandOfSubscription(subscriptionId: string): DemandRecord[] {
    return (this.#sql.demandOfSub.all(subscriptionId) as Row[]).map(demandOf);
  }

  horizonDemand(from: string, to: string): HorizonDemand[] {
    return (this.#sql.horizon.all(from, to) as Row[]).map((r) => ({
      ...located(r),
      subscriptions: [...new Set(String(r.subs).split(','))].sort(),
    }));
  }

  reservedAfter(from: string): LocatedQuantity[] {
    return (this.#sql.reservedAfter.all(from) as Row[]).map(located);
  }

  *demandPages(from: string, pageSize: number): Iterable<DemandRecord[]> {
    let sub = '';
    let period = '';
    for (;;) {
      const rows = (this.#sql.demandPage.all({ from, sub, period, limit: pageSize }) as Row[]).map(demandOf);
      if (rows.length === 0) return;
      yield rows;
      ({ subscriptionId: sub, period } = rows.at(-1)!);
    }
  }

  *subscriptionPages(pageSize: number): Iterable<SubscriptionState[]> {
    let after = '';
    for (;;) {
      const rows = this.#sql.subPage.all(after, pageSize) as Row[];
      if (rows.length === 0) return;
      yield rows.map((r) => JSON.parse(r.state as string) as SubscriptionState);
      after = rows.at(-1)!.provider_id as string;
    }
  }

  subscriptionsByProviderId(ids: string[]): Map<string, SubscriptionState> {
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

  openProposals(): ProposalRecord[] {
    return (this.#sql.openProposals.all() as string[]).map((s) => JSON.parse(s) as ProposalRecord);
  }

  addProposal(p: ProposalRecord, event: HubEvent, now: number): boolean {
    return this.db.transaction(() => {
      if (this.#sql.insertProposal.run(p.id, p.sku, p.location, JSON.stringify(p)).changes === 0) return false;
      this.#appendHubEvent(event, now);
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

  proposalsInTransit(): ProposalRecord[] {
    return (this.#sql.inTransit.all() as string[]).map((s) => JSON.parse(s) as ProposalRecord);
  }

  updateProposal(p: ProposalRecord, decision: DecisionRecord): void {
    this.db.transaction(() => {
      this.#sql.updateProposal.run(p.status, JSON.stringify(p), p.id);
      this.#decision(decision);
    })();
  }

  incoming(today: string): LocatedQuantity[] {
    return (this.#sql.incoming.all(today) as Row[]).map(located);
  }

  appendHubEvents(events: HubEvent[], now: number): number {
    return this.db.transaction(() => events.reduce((n, e) => n + this.#appendHubEvent(e, now), 0))();
  }

  addDecisions(d: DecisionRecord[]): void {
    this.db.transaction(() => d.forEach((x) => this.#decision(x)))();
  }

  decisions(filter: { kind?: DecisionRecord['kind']; subject?: string; limit?: number; newest?: boolean }): DecisionRecord[] {
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

  seedSubscriptions(states: SubscriptionState[]): void {
    this.db.transaction(() => states.forEach((s) => this.#upsertSubscription(s)))();
  }

  commitOutsideEvents(compute: () => DomainChanges | undefined, now: number): DomainChanges | undefined {
    // IMMEDIATE: the write lock is taken before `compute` reads, so no batch commits between the read and the write.
    return this.db
      .transaction(() => {
        const c = compute();
        if (!c || isEmpty(c)) return c;
        this.apply(c, now);
        this.#sql.bumpEpoch.run();
        return c;
      })
      .immediate();
  }

  prune(cutoffs: PruneCutoffs, batch = 5000): PruneCounts {
    const drain = (stmt: Statement<unknown[]>, cutoff: string | undefined): number => {
      if (cutoff === undefined) return 0;
      let total = 0;
      for (let n = batch; n === batch; total += n) n = this.db.transaction(() => stmt.run(cutoff, batch).changes)();
      return total;
    };
    drain(this.#sql.pruneDemandLines, cutoffs.demandBefore);
    return {
      decisions: drain(this.#sql.pruneDecisions, cutoffs.decisionsBefore),
      demand: drain(this.#sql.pruneDemand, cutoffs.demandBefore),
      proposals: drain(this.#sql.pruneProposals, cutoffs.closedProposalsBefore),
    };
  }

  epoch(): number {
    return this.#sql.epoch.get() as number;
  }

  seedDemand(records: DemandRecord[]): void {
    this.db.transaction(() => this.apply({ ...noChanges(), demand: records }, Date.now()))();
  }

  /** Applies one event's changes; the caller holds the transaction. */
  apply(c: DomainChanges, now: number): void {
    for (const s of c.subscriptions) this.#upsertSubscription(s);
    for (const d of c.demand) {
      this.#sql.upsertDemand.run({ ...d, location: d.location ?? null, lines: JSON.stringify(d.lines) });
      this.#sql.deleteLines.run(d.subscriptionId, d.period);
      for (const l of d.lines) this.#sql.insertLine.run(d.subscriptionId, d.period, l.sku, l.quantity);
    }
    for (const x of c.customers) this.#sql.upsertCustomer.run(x.id, x.blacklisted ? 1 : 0, JSON.stringify(x));
    for (const x of c.dunning) this.#sql.upsertDunning.run(x.subscriptionId, x.customerId, JSON.stringify(x));
    for (const id of c.dunningCleared) this.#sql.clearDunning.run(id);
    for (const d of c.decisions) this.#decision(d);
    for (const e of c.derived) this.#appendHubEvent(e, now);
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

  #appendHubEvent(e: HubEvent, now: number): number {
    return this.#sql.insertHubEvent.run(ulid(now), e.source.dedupeKey, e.type, now, JSON.stringify(e)).changes;
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
