/**
 * Reorder proposals (docs/stock-demand.md §5). Two rule types, as the anchors differ:
 * - `up-to-max` (Odoo orderpoints): when the forecast falls below min, order up to max(min, max),
 *   rounded UP to the multiple (0 or 1: the exact amount);
 * - `fixed-lot` (ERPNext auto-reorder): when the projected quantity is at or below the reorder
 *   level, order max(lot, level − projected).
 * Pure functions on integers: the caller gathers the forecast inputs.
 */

export interface ForecastInputs {
  onHand: number;
  /** Incoming within the horizon (purchase orders, transfers). */
  incoming: number;
  /** Outgoing within the horizon (confirmed orders not yet picked). */
  outgoing: number;
  /** Draft RFQs and other orders in progress. */
  inProgress: number;
  /** Subscription renewals within the horizon that will ship (after kit explosion). */
  subscriptionDemand: number;
  /** Other demand: one-off forecast, open sales not yet outgoing. */
  otherDemand: number;
}

export type ReorderRule =
  { type: 'up-to-max'; min: number; max: number; multiple: number } | { type: 'fixed-lot'; reorderLevel: number; lot: number };

/** F = on hand + incoming − outgoing + in progress − subscription demand − other demand. */
export function forecast(i: ForecastInputs): number {
  return i.onHand + i.incoming - i.outgoing + i.inProgress - i.subscriptionDemand - i.otherDemand;
}

/** How much to order for a forecast under a rule (0: nothing to order). */
export function quantityToOrder(forecastQty: number, rule: ReorderRule): number {
  if (rule.type === 'fixed-lot') {
    if (forecastQty > rule.reorderLevel) return 0;
    return Math.max(rule.lot, rule.reorderLevel - forecastQty);
  }
  if (forecastQty >= rule.min) return 0;
  const q = Math.max(rule.min, rule.max) - forecastQty;
  return rule.multiple > 1 ? Math.ceil(q / rule.multiple) * rule.multiple : q;
}

/** The horizon in days: lead time (vendor + days to purchase + manufacturing) plus review days. */
export function horizonDays(leadTimeDays: number, reviewDays: number): number {
  return leadTimeDays + reviewDays;
}
