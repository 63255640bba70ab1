import type { ReorderRule as RuleConfig, StockConfig } from '../config/config.types';
import type { HorizonDemand, LocatedQuantity, ProposalRecord } from '../domain/ports';
import type { ReorderPort } from './reorder-port';
import type { HubEvent } from '../events';
import { ulid } from '../util/ids';
import type { PlannedLocation } from '../domain/locations';
import { followPurchaseOrders, type PurchaseOrderState } from './purchase-orders';
import { forecast, horizonDays, quantityToOrder } from './reorder';

/** One warehouse stock level row (the warehouse connector's `stockLevels` pull). */
export interface StockLevel {
  warehouse?: string;
  sku: string;
  onHand: number;
  reserved?: number;
}

export interface PlannerDeps {
  domain: ReorderPort;
  stock: Readonly<StockConfig>;
  /** The locations planned, each with its warehouse (`plannedLocations`); default: `stock.location`, counting every warehouse. */
  locations?: readonly PlannedLocation[];
  /** Stock levels, streamed; summed per SKU within each location's warehouse (rows of other warehouses are not counted). */
  stockLevels: () => AsyncIterable<unknown>;
  /** Our purchase orders as the ERP has them (the nightly run): proposals follow them (`followPurchaseOrders`). */
  purchaseOrders?: () => AsyncIterable<PurchaseOrderState>;
  tenantId?: string;
}

const DAY = 86_400_000;

/**
 * The reorder planner (docs/stock-demand.md §5), per (SKU, location): for each SKU with a rule and each
 * location, the forecast at the end of the horizon (lead time + review days) from that location's
 * warehouse stock and the hub's demand of the subscriptions that ship from it; below min, a
 * purchase proposal up to max rounded up to the multiple, at most one open per (SKU, location),
 * addressed to that location (the ERP mapping picks its receiving), carrying the subscriptions
 * that drove it. Stock elsewhere never hides a shortage here. A proposal is a hub event
 * (`stock.reorder_proposed`), delivered to the ERP by a route like everything else.
 *
 * Stock counted per location: on hand + confirmed proposals still on their way (until their
 * need-by date) − units reserved at its warehouse by others (its reserved minus what the hub
 * reserved there) − the hub's demand within the horizon − other demand. A rule's
 * `locations.<code>` overrides its fields at that location.
 */
export async function planReorders(deps: PlannerDeps, skus: readonly string[] | 'all', now: number): Promise<ProposalRecord[]> {
  const rules = Object.entries(deps.stock.rules ?? {}).filter(([sku]) => skus === 'all' || skus.includes(sku));
  if (rules.length === 0) return [];
  if (deps.purchaseOrders) await followPurchaseOrders(deps.domain, deps.purchaseOrders, now);
  const fallback = deps.stock.location ?? 'AMS1';
  const locations = deps.locations ?? [{ code: fallback }];
  const open = new Set((await deps.domain.openProposals()).map((p) => stockKey(p.sku, p.location)));
  const levels = await sumStockLevels(deps.stockLevels(), locations);
  const today = isoDate(now);
  const hubReserved = sumBy(await deps.domain.reservedAfter(today), fallback);
  const incoming = sumBy(await deps.domain.incoming(today), fallback);
  // The hub's demand within a horizon, read once per horizon end (lead times may differ per SKU and location).
  const horizons = new Map<string, HorizonDemand[]>();
  const horizonDemand = async (end: string) =>
    horizons.get(end) ?? horizons.set(end, await deps.domain.horizonDemand(today, end)).get(end)!;
  const made: ProposalRecord[] = [];
  for (const [sku, base] of rules) {
    for (const { code } of locations) {
      const k = stockKey(sku, code);
      if (open.has(k)) continue;
      const { locations: overrides, ...rule } = base;
      const p = await propose(
        sku,
        code,
        { ...rule, ...overrides?.[code] },
        deps,
        horizonDemand,
        levels.get(k) ?? { onHand: 0, reserved: 0 },
        hubReserved.get(k) ?? 0,
        incoming.get(k) ?? 0,
        now,
      );
      if (p && (await deps.domain.addProposal(p.record, p.event, now))) made.push(p.record);
    }
  }
  return made;
}

/**
 * Warehouse stock level rows summed per (SKU, location): a row belongs to the location whose
 * warehouse it names; with one location and no warehouse codes, every row does. Units are whole
 * numbers; anything that is not a finite number counts as 0. Keyed by `stockKey(sku, location)`.
 */
export async function sumStockLevels(
  rows: AsyncIterable<unknown>,
  locations: readonly PlannedLocation[],
): Promise<Map<string, { onHand: number; reserved: number }>> {
  const locationOfWarehouse = new Map(locations.filter((l) => l.warehouse !== undefined).map((l) => [l.warehouse!, l.code]));
  const levels = new Map<string, { onHand: number; reserved: number }>();
  for await (const raw of rows) {
    const l = raw as Partial<Record<keyof StockLevel, unknown>>;
    if (typeof l?.sku !== 'string') continue;
    const code =
      locationOfWarehouse.size === 0
        ? locations[0]!.code
        : typeof l.warehouse === 'string'
          ? locationOfWarehouse.get(l.warehouse)
          : undefined;
    if (code === undefined) continue;
    const units = (v: unknown) =>
      typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : 0;
    const t = levels.get(stockKey(l.sku, code)) ?? { onHand: 0, reserved: 0 };
    levels.set(stockKey(l.sku, code), { onHand: t.onHand + units(l.onHand), reserved: t.reserved + units(l.reserved) });
  }
  return levels;
}

async function propose(
  sku: string,
  location: string,
  rule: RuleConfig,
  deps: PlannerDeps,
  horizonDemand: (end: string) => Promise<HorizonDemand[]>,
  level: { onHand: number; reserved: number },
  hubReserved: number,
  incoming: number,
  now: number,
) {
  const today = isoDate(now);
  const h = horizonDays(rule.leadTimeDays, deps.stock.reviewDays ?? 7);
  const horizonEnd = isoDate(now + h * DAY);
  const fallback = deps.stock.location ?? 'AMS1';
  const rows = (await horizonDemand(horizonEnd)).filter((d) => d.sku === sku && (d.location ?? fallback) === location);
  const demand = {
    quantity: rows.reduce((n, r) => n + r.quantity, 0),
    subscriptions: [...new Set(rows.flatMap((r) => r.subscriptions))].sort(),
  };
  const outgoing = Math.max(0, level.reserved - hubReserved);
  const inputs = {
    onHand: level.onHand,
    incoming,
    outgoing,
    inProgress: 0,
    subscriptionDemand: demand.quantity,
    otherDemand: rule.otherDemand ?? 0,
  };
  const f = forecast(inputs);
  const { min, max } = rule;
  const multiple = rule.multiple ?? 1;
  const quantity = quantityToOrder(f, { type: 'up-to-max', min, max, multiple });
  if (quantity <= 0) return undefined;
  const reason = `${location}: forecast ${f} below min ${min} within the ${h}-day horizon: order up to max ${max}${multiple > 1 ? `, rounded up to a multiple of ${multiple}` : ''}`;
  const proposedAt = new Date(now).toISOString();
  const dedupeKey = `hub:reorder:${sku}:${location}:${today}`;
  const neededBy = isoDate(now + rule.leadTimeDays * DAY);
  const record: ProposalRecord = {
    id: ulid(now),
    sku,
    location,
    quantity,
    status: 'open',
    proposedAt,
    reason,
    trail: demand.subscriptions,
    neededBy,
  };
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
      inputs: {
        onHand: inputs.onHand,
        incoming,
        outgoing,
        subscriptionDemand: demand.quantity,
        otherDemand: inputs.otherDemand,
        min,
        max,
        multiple,
        forecast: f,
      },
      trail: demand.subscriptions,
    },
  };
  return { record, event };
}

/** The key of one (SKU, location) in the planner's maps. */
export function stockKey(sku: string, location: string): string {
  return `${sku}\u0000${location}`;
}

/** Quantities per (SKU, location); rows recorded before locations count at the default one. */
function sumBy(rows: LocatedQuantity[], fallback: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows)
    out.set(stockKey(r.sku, r.location ?? fallback), (out.get(stockKey(r.sku, r.location ?? fallback)) ?? 0) + r.quantity);
  return out;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
