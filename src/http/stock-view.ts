import type { StockConfig } from '../config/config.types';
import type { PlannedLocation } from '../domain/locations';
import type { DomainStore, ProposalRecord } from '../domain/ports';
import type { OperatorViews } from '../store/operator-ports';
import { stockKey, sumStockLevels } from '../stock/reorder-planner';

/** Stock per (SKU, location) as the console shows it. */
export interface StockView {
  list(now: number): Promise<{ items: Array<{ sku: string; location: string; min?: number; max?: number }>; defaultLocation: string }>;
  detail(sku: string, location: string, now: number): Promise<StockDetail>;
}

export interface StockDetail {
  sku: string;
  location: string;
  /** Business today (YYYY-MM-DD): the first day of the eight weeks. */
  from: string;
  /** The reorder rule at this location (min is the reorder point), or null when the SKU has none. */
  rule: { min: number; max: number; multiple?: number; leadTimeDays: number } | null;
  /** The warehouse's levels now, or the error that kept them away (the rest of the page still shows). */
  warehouse: { onHand: number; reserved: number } | { error: string };
  /** The hub's reserved demand per delivery date over the next eight weeks. */
  demand: Array<{ day: string; quantity: number }>;
  /** Open proposals and confirmed ones still on their way, with the subscriptions that drove them. */
  proposals: ProposalRecord[];
}

export interface StockViewDeps {
  stock: Readonly<StockConfig>;
  locations: readonly PlannedLocation[];
  domain: DomainStore;
  views?: OperatorViews;
  /** The warehouse connector's stockLevels pull, when there is one. */
  stockLevels?: () => AsyncIterable<unknown>;
  /** How long warehouse levels are reused (the console refreshes; the warehouse is not asked every time). */
  cacheMs?: number;
  /** How long a warehouse read may take before the page shows it as unavailable. */
  timeoutMs?: number;
}

const DAY = 86_400_000;
const HORIZON_DAYS = 56;

/**
 * The stock page's data: rules from config, the warehouse's on hand and reserved (read through the
 * connector, cached briefly and bounded in time), the hub's demand per day from the operator views,
 * and proposals from the domain. Rows recorded before locations count at the default location, as
 * the planner counts them.
 */
export function stockView(d: StockViewDeps): StockView {
  const fallback = d.stock.location ?? 'AMS1';
  let cached: { at: number; levels: Promise<Map<string, { onHand: number; reserved: number }>> } | undefined;
  const levels = (now: number) => {
    if (!d.stockLevels) return Promise.reject(new Error('no warehouse connector with a stockLevels pull is configured'));
    if (!cached || now - cached.at > (d.cacheMs ?? 15_000)) {
      const read = sumStockLevels(d.stockLevels(), d.locations);
      cached = { at: now, levels: read };
      read.catch(() => (cached = undefined));
    }
    return withTimeout(cached.levels, d.timeoutMs ?? 3000);
  };
  const ruleOf = (sku: string, location: string) => {
    const base = d.stock.rules?.[sku];
    if (!base) return null;
    const { locations: overrides, ...rule } = base;
    const r = { ...rule, ...overrides?.[location] };
    return { min: r.min, max: r.max, multiple: r.multiple, leadTimeDays: r.leadTimeDays };
  };
  return {
    async list(now) {
      const keys = new Map<string, { sku: string; location: string }>();
      for (const sku of Object.keys(d.stock.rules ?? {}))
        for (const l of d.locations) keys.set(stockKey(sku, l.code), { sku, location: l.code });
      for (const k of (await d.views?.demandKeys(isoDate(now))) ?? []) {
        const location = k.location ?? fallback;
        keys.set(stockKey(k.sku, location), { sku: k.sku, location });
      }
      const items = [...keys.values()]
        .sort((a, b) => a.sku.localeCompare(b.sku) || a.location.localeCompare(b.location))
        .map((k) => ({ ...k, ...(ruleOf(k.sku, k.location) ?? {}) }));
      return { items, defaultLocation: fallback };
    },
    async detail(sku, location, now) {
      const from = isoDate(now);
      const to = isoDate(now + HORIZON_DAYS * DAY);
      const demandOf = async (loc: string | undefined) => (d.views ? await d.views.dailyDemand(sku, loc, from, to) : []);
      const rows = [...(await demandOf(location)), ...(location === fallback ? await demandOf(undefined) : [])];
      const byDay = new Map<string, number>();
      for (const r of rows) byDay.set(r.period, (byDay.get(r.period) ?? 0) + r.quantity);
      let warehouse: StockDetail['warehouse'];
      try {
        warehouse = (await levels(now)).get(stockKey(sku, location)) ?? { onHand: 0, reserved: 0 };
      } catch (e) {
        warehouse = { error: e instanceof Error ? e.message : String(e) };
      }
      const mine = (p: ProposalRecord) => p.sku === sku && (p.location ?? fallback) === location;
      const open = (await d.domain.openProposals()).filter(mine);
      const transit = (await d.domain.proposalsInTransit()).filter((p) => mine(p) && !open.some((o) => o.id === p.id));
      return {
        sku,
        location,
        from,
        rule: ruleOf(sku, location),
        warehouse,
        demand: [...byDay].sort(([a], [b]) => a.localeCompare(b)).map(([day, quantity]) => ({ day, quantity })),
        proposals: [...open, ...transit],
      };
    },
  };
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the warehouse did not answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}
