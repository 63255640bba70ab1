import type { SubscriptionSnapshot } from '../events';

/** A bill of materials: kit SKU → components per kit (leaf components; nested kits multiplied out). */
export type BillOfMaterials = ReadonlyMap<string, ReadonlyArray<{ sku: string; qtyPer: number }>>;

/**
 * One delivery's demand per SKU (docs/stock-demand.md §2): each line exploded into its components —
 * the components recorded on the event when present (so a later BoM change does not rewrite
 * history), else the BoM, else the SKU itself — quantities multiplied and summed per SKU.
 * The kit SKU itself gets no demand.
 */
export function deliveryDemand(snapshot: Pick<SubscriptionSnapshot, 'items'>, bom: BillOfMaterials = new Map()): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of snapshot.items) {
    const components = item.kitComponents ?? bom.get(item.sku) ?? [{ sku: item.sku, qtyPer: 1 }];
    for (const c of components) out.set(c.sku, (out.get(c.sku) ?? 0) + item.quantity * c.qtyPer);
  }
  return out;
}

/** Whether the next renewal of a subscription ships (deterministic: docs/stock-demand.md §1). */
export function renewalShips(s: Pick<SubscriptionSnapshot, 'status' | 'pause' | 'cancel' | 'entitlement'>, dunningDeliver = true): boolean {
  if (s.pause || s.cancel) return false;
  if (s.status === 'active' || s.status === 'trialing') return s.entitlement.deliver;
  if (s.status === 'past_due') return dunningDeliver && s.entitlement.deliver;
  return false;
}

/**
 * Subscription demand per SKU within the horizon (today, horizonEnd]: every subscription whose
 * next renewal falls in it and ships contributes its exploded delivery demand (one renewal per
 * subscription: horizons are shorter than the billing interval in practice).
 */
export function horizonDemand(
  subscriptions: Iterable<{ snapshot: SubscriptionSnapshot; dunningDeliver?: boolean }>,
  today: Date,
  horizonEnd: Date,
  bom?: BillOfMaterials,
): Map<string, number> {
  const total = new Map<string, number>();
  for (const { snapshot, dunningDeliver } of subscriptions) {
    const next = snapshot.nextRenewalAt ?? snapshot.currentPeriodEnd;
    if (!next) continue;
    const at = Date.parse(next);
    if (!(at > today.getTime() && at <= horizonEnd.getTime())) continue;
    if (!renewalShips(snapshot, dunningDeliver)) continue;
    for (const [sku, qty] of deliveryDemand(snapshot, bom)) total.set(sku, (total.get(sku) ?? 0) + qty);
  }
  return total;
}
