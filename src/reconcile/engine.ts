import type { HubConfig } from '../config/config.types';
import type { ConnectorRuntime } from '../connectors/registry';
import type { DomainStore } from '../domain/ports';
import { HubError } from '../errors/hub-error';
import type { MappingSet } from '../mapping/mapping-set';
import type { Inbox } from '../store/ports';
import { billingPass, type BillingPlan } from './billing-pass';
import { billingSourceFor, inboundMapping } from './billing-source';
import { DRIFT_KINDS, DriftTally, type DriftCount, type DriftKind } from './drift';
import { erpPass } from './erp-pass';
import type { PassContext, ReconcilePhase, ReconcileProgress } from './pass-context';
import { resolveSystems, type ResolvedSystem, type SystemRole } from './systems';
import { warehousePass } from './warehouse-pass';

export type { ReconcileProgress } from './pass-context';

export interface ReconcileDeps {
  config: Readonly<HubConfig>;
  mappings: MappingSet;
  connectors: ReadonlyMap<string, ConnectorRuntime>;
  domain: DomainStore;
  /** Billing repairs are appended here as the provider's own webhook events. */
  inbox: Pick<Inbox, 'append'>;
  now: number;
  /** Report only: nothing is appended or recorded. */
  dryRun?: boolean;
  onProgress?: (p: ReconcileProgress) => void;
  /** Progress is reported every this many items per phase (default 10,000). */
  progressEvery?: number;
  examplesPerKind?: number;
}

export interface ReconcileReport {
  startedAt: string;
  finishedAt: string;
  seconds: number;
  dryRun: boolean;
  /** The connector compared in each role, or null when the role was skipped; billing: every billing connector compared (none: skipped). */
  systems: { billing: string[]; warehouse: string | null; erp: string | null };
  skipped: string[];
  checked: {
    billingSubscriptions: number;
    hubSubscriptions: number;
    demandRecords: number;
    reservations: number;
    openProposals: number;
    draftPurchaseOrders: number;
  };
  drift: { total: number; repaired: number; unrepaired: number; byKind: Partial<Record<DriftKind, DriftCount>> };
  /** New corrective events: provider events appended to the inbox, hub events (stock.demand_changed). */
  emitted: { inbox: number; hubEvents: number };
}

/**
 * The nightly reconciliation (docs/stock-demand.md §7): compares the hub with the billing provider
 * (the truth about subscriptions), the warehouse (reservations) and the ERP (purchase
 * proposals), counts drift by kind and repairs it by emitting corrective events into the same
 * pipeline, never by writing the projection. Streams every side: memory stays bounded however
 * many subscriptions there are. Warehouse first, so the run compares reservations before its
 * own billing repairs start changing demand. Throws a HubError naming the connector when a
 * pull fails; repairs emitted before that stand (each is correct on its own).
 */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const started = Date.now();
  const { systems, skipped } = resolveSystems(deps.config, deps.connectors);
  const tally = new DriftTally(deps.examplesPerKind ?? 10);
  const every = deps.progressEvery ?? 10_000;
  const lastReported = new Map<ReconcilePhase, number>();
  const ctx: PassContext = {
    domain: deps.domain,
    inbox: deps.inbox,
    now: deps.now,
    today: new Date(deps.now).toISOString().slice(0, 10),
    dryRun: deps.dryRun === true,
    tally,
    // The first billing connector's tenant (the hub events re-emitted carry no provider of their own).
    tenantId: (systems.billing[0] && deps.config.connectors?.[systems.billing[0].connectorId]?.tenantId) ?? 'default',
    emitted: { inbox: 0, hubEvents: 0 },
    progress: (phase, processed, done = false) => {
      if (!deps.onProgress) return;
      if (!done && processed - (lastReported.get(phase) ?? 0) < every) return;
      lastReported.set(phase, processed);
      deps.onProgress({ phase, processed, elapsedMs: Date.now() - started, done });
    },
  };
  const checked: ReconcileReport['checked'] = {
    billingSubscriptions: 0,
    hubSubscriptions: 0,
    demandRecords: 0,
    reservations: 0,
    openProposals: 0,
    draftPurchaseOrders: 0,
  };

  const billing = billingPlans(deps, systems.billing);
  if (systems.warehouse) {
    const r = await warehousePass(ctx, systems.warehouse.pulls.reservations!, deps.config.reconcile?.lookbackDays);
    checked.demandRecords = r.demand;
    checked.reservations = r.reservations;
  }
  for (const plan of billing) {
    const r = await billingPass(ctx, plan);
    checked.billingSubscriptions += r.billing;
    checked.hubSubscriptions += r.hub;
  }
  if (systems.erp) {
    const r = await erpPass(ctx, systems.erp.pulls.draftPurchaseOrders!);
    checked.openProposals = r.proposals;
    checked.draftPurchaseOrders = r.drafts;
  }

  const finished = Date.now();
  const report: ReconcileReport = {
    startedAt: new Date(deps.now).toISOString(),
    finishedAt: new Date(deps.now + (finished - started)).toISOString(),
    seconds: (finished - started) / 1000,
    dryRun: ctx.dryRun,
    systems: {
      billing: systems.billing.map((s) => s.connectorId),
      warehouse: systems.warehouse?.connectorId ?? null,
      erp: systems.erp?.connectorId ?? null,
    },
    skipped,
    checked,
    drift: { total: tally.total, repaired: tally.repaired, unrepaired: tally.total - tally.repaired, byKind: tally.byKind() },
    emitted: ctx.emitted,
  };
  if (!ctx.dryRun) await deps.domain.addDecisions([decisionOf(report)]);
  return report;
}

/**
 * One plan per billing connector. Two connectors whose mappings give hub ids of the same prefix
 * (two accounts of one provider) cannot be told apart in the hub: a config error.
 */
function billingPlans(deps: ReconcileDeps, systems: readonly ResolvedSystem[]): BillingPlan[] {
  const plans = systems.map((s) => billingPlan(deps, s.connectorId, s));
  plans.forEach((p, i) => {
    const other = plans.slice(0, i).find((q) => q.source.hubIdPrefix === p.source.hubIdPrefix);
    if (other)
      throw new HubError(
        'CONFIG_UNKNOWN_REF',
        'config',
        `reconcile.billing: connectors "${other.connectorId}" and "${p.connectorId}" both give hub subscription ids "${p.source.hubIdPrefix}…"; the reconciliation cannot tell their subscriptions apart`,
      );
  });
  return plans;
}

function billingPlan(deps: ReconcileDeps, connectorId: string, system: ResolvedSystem): BillingPlan {
  const source = billingSourceFor(connectorId, system.connector.definition.type);
  const name = inboundMapping(deps.config, connectorId, source.types.updated);
  if (!name) {
    throw new HubError(
      'CONFIG_UNKNOWN_REF',
      'config',
      `reconcile.billing: connector "${connectorId}" maps no ${source.types.updated} webhook (connectors.${connectorId}.inbound.mappings); the reconciliation maps pulled subscriptions with it`,
    );
  }
  const mapped = new Set(Object.values(source.types).filter((t) => inboundMapping(deps.config, connectorId, t) !== undefined));
  return { connectorId, source, pull: system.pulls[source.pull]!, mapping: deps.mappings.get(name), mapped };
}

function decisionOf(r: ReconcileReport) {
  const kinds = Object.entries(r.drift.byKind).map(([k, c]) => `${k} ${c.found}`);
  const compared = systemsCompared(r.systems)
    .map(([role, ids]) => `${role} ${ids.join(' + ')}`)
    .join(', ');
  return {
    at: r.finishedAt,
    kind: 'reconcile' as const,
    subject: 'reconcile',
    outcome: `${r.drift.total} drift, ${r.drift.repaired} repaired${kinds.length ? ` (${kinds.join(', ')})` : ''}`,
    rule: `nightly reconciliation against ${compared || 'nothing (no system configured)'}: drift repaired by corrective events through the pipeline`,
    detail: {
      checked: r.checked,
      byKind: Object.fromEntries(Object.entries(r.drift.byKind).map(([k, c]) => [k, { found: c.found, repaired: c.repaired }])),
      emitted: r.emitted,
    },
  };
}

/** Every drift kind with what its repair does (for `--help` and docs). */
export const DRIFT_KIND_NAMES = Object.keys(DRIFT_KINDS) as DriftKind[];

/** The roles compared, each with its connector(s), in report order; skipped roles left out. */
function systemsCompared(systems: ReconcileReport['systems']): Array<[SystemRole, string[]]> {
  const all: Array<[SystemRole, string[]]> = [
    ['billing', systems.billing],
    ['warehouse', systems.warehouse ? [systems.warehouse] : []],
    ['erp', systems.erp ? [systems.erp] : []],
  ];
  return all.filter(([, ids]) => ids.length > 0);
}
