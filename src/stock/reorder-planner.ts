import type { ReorderRule as RuleConfig, StockConfig } from '../config/config.types';
import type { DomainStore, ProposalRecord } from '../domain/ports';
import type { HubEvent } from '../events';
import { ulid } from '../store/ids';
import { forecast, horizonDays, quantityToOrder } from './reorder';

/** One warehouse stock level row (the warehouse connector's `stockLevels` pull). */
export interface StockLevel {
  warehouse?: string;
  sku: string;
  onHand: number;
  reserved?: number;
}

export interface PlannerDeps {
  domain: DomainStore;
  stock: Readonly<StockConfig>;
  /** Stock levels, streamed; summed per SKU across warehouses. */
  stockLevels: () => AsyncIterable<unknown>;
  /** Origins of purchase orders still in draft at the ERP; a proposal whose origin left the drafts is closed. */
  draftOrigins?: () => AsyncIterable<string>;
  tenantId?: string;
}

const DAY = 86_400_000;

/**
 * The reorder planner (docs/stock-demand.md §5): for each SKU with a rule, the forecast at the end of
 * the horizon (lead time + review days) from the warehouse's stock and the hub's recorded
 * subscription demand; below min, a purchase proposal up to max rounded up to the multiple,
 * at most one open per SKU, carrying the subscriptions that drove it. A proposal is a hub event
 * (`stock.reorder_proposed`), delivered to the ERP by a route like everything else.
 *
 * Stock counted: on hand + confirmed proposals still on their way (until their need-by date) −
 * units reserved at the warehouse by others (its reserved minus what the hub reserved there) −
 * the hub's demand within the horizon − other demand.
 */
export async function planReorders(deps: PlannerDeps, skus: readonly string[] | 'all', now: number): Promise<ProposalRecord[]> {
  const rules = Object.entries(deps.stock.rules ?? {}).filter(([sku]) => skus === 'all' || skus.includes(sku));
  if (rules.length === 0) return [];
  await closeConfirmed(deps, now);
  const open = new Set(deps.domain.openProposals().map((p) => p.sku));
  const levels = new Map<string, { onHand: number; reserved: number }>();
  for await (const raw of deps.stockLevels()) {
    const l = raw as Partial<Record<keyof StockLevel, unknown>>;
    if (typeof l?.sku !== 'string') continue;
    // Units are counted as whole numbers; anything that is not a finite number counts as 0.
    const units = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : 0);
    const t = levels.get(l.sku) ?? { onHand: 0, reserved: 0 };
    levels.set(l.sku, { onHand: t.onHand + units(l.onHand), reserved: t.reserved + units(l.reserved) });
  }
  const today = isoDate(now);
  const hubReserved = deps.domain.reservedAfter(today);
  const incoming = deps.domain.incoming(today);
  const made: ProposalRecord[] = [];
  for (const [sku, rule] of rules) {
    if (open.has(sku)) continue;
    const p = propose(sku, rule, deps, levels.get(sku) ?? { onHand: 0, reserved: 0 }, hubReserved.get(sku) ?? 0, incoming.get(sku) ?? 0, now);
    if (p && deps.domain.addProposal(p.record, p.event, now)) made.push(p.record);
  }
  return made;
}

function propose(sku: string, rule: RuleConfig, deps: PlannerDeps, level: { onHand: number; reserved: number }, hubReserved: number, incoming: number, now: number) {
  const today = isoDate(now);
  const h = horizonDays(rule.leadTimeDays, deps.stock.reviewDays ?? 7);
  const horizonEnd = isoDate(now + h * DAY);
  const demand = deps.domain.horizonDemand(today, horizonEnd).find((d) => d.sku === sku) ?? { quantity: 0, subscriptions: [] };
  const outgoing = Math.max(0, level.reserved - hubReserved);
  const inputs = { onHand: level.onHand, incoming, outgoing, inProgress: 0, subscriptionDemand: demand.quantity, otherDemand: rule.otherDemand ?? 0 };
  const f = forecast(inputs);
  const { min, max } = rule;
  const multiple = rule.multiple ?? 1;
  const quantity = quantityToOrder(f, { type: 'up-to-max', min, max, multiple });
  if (quantity <= 0) return undefined;
  const location = deps.stock.location ?? 'AMS1';
  const reason = `forecast ${f} below min ${min} within the ${h}-day horizon: order up to max ${max}${multiple > 1 ? `, rounded up to a multiple of ${multiple}` : ''}`;
  const proposedAt = new Date(now).toISOString();
  const dedupeKey = `hub:reorder:${sku}:${location}:${today}`;
  const neededBy = isoDate(now + rule.leadTimeDays * DAY);
  const record: ProposalRecord = { id: ulid(now), sku, location, quantity, status: 'open', proposedAt, reason, trail: demand.subscriptions, neededBy };
  const event: HubEvent = {
    id: ulid(now),
    type: 'stock.reorder_proposed',
    schemaVersion: 1,
    occurredAt: proposedAt,
    receivedAt: proposedAt,
    effectiveAt: proposedAt,
    actionType: 'effective',
    source: { provider: 'hub', eventId: dedupeKey.slice(4), eventType: 'reorder', dedupeKey },
    tenantId: deps.tenantId ?? 'default',
    reorder: {
      sku,
      location,
      quantity,
      proposedAt,
      neededBy,
      reason,
      inputs: { onHand: inputs.onHand, incoming, outgoing, subscriptionDemand: demand.quantity, otherDemand: inputs.otherDemand, min, max, multiple, forecast: f },
      trail: demand.subscriptions,
    },
  };
  return { record, event };
}

/** Closes open proposals the ERP no longer holds as drafts (confirmed or cancelled by the buyer). */
async function closeConfirmed(deps: PlannerDeps, now: number): Promise<void> {
  if (!deps.draftOrigins) return;
  const open = deps.domain.openProposals();
  if (open.length === 0) return;
  const drafts = new Set<string>();
  for await (const origin of deps.draftOrigins()) drafts.add(origin);
  for (const p of open) {
    const origin = `subhub:reorder:${p.sku}:${p.location}:${p.proposedAt.slice(0, 10)}`;
    // Only proposals already delivered can have left the drafts; a recent one may still be in the queue.
    if (!drafts.has(origin) && now - Date.parse(p.proposedAt) > DAY) {
      deps.domain.closeProposal(p.id, `purchase order ${origin} is no longer a draft in the ERP (confirmed): incoming until ${p.neededBy ?? 'its lead time'}`, new Date(now).toISOString(), true);
    }
  }
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
