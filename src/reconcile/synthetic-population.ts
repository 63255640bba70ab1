import { renderSeedSubscription, type SeedSubscription } from '../../connectors/stripe/simulator';
import type { DemandRecord } from '../domain/ports';
import { applyEvent, type SubscriptionState } from '../domain/subscription-projection';
import type { DemandLine, HubEvent } from '../events';
import type { CompiledMapping } from '../mapping/compile-mapping';
import { deliveryDemand, renewalShips } from '../domain/demand';
import type { DriftKind } from './drift';
import { reservationReference } from './warehouse-pass';

/**
 * A deterministic population of Stripe subscriptions for the reconciliation benchmark and the
 * reliability test, with drift injected on either side: subscription i is generated from its
 * index alone, so a simulator process and the process seeding the hub agree without sharing
 * memory. The hub side is made the way the hub makes it: the provider's webhook event through
 * the inbound mapping and the projection, the demand of the next delivery as the domain
 * computes it (docs/stock-demand.md §2), a reservation for what is reserved.
 */
export interface PopulationOptions {
  size: number;
  /** Business time (ms): periods end 10 to 29 days after it. */
  now: number;
  /** One subscription in `every` drifts (100: 1 %). */
  every: number;
  /** The kinds injected, in rotation. */
  kinds: readonly InjectedDrift[];
}

export type InjectedDrift = Exclude<DriftKind, 'billing_unmappable' | 'erp_proposal_missing' | 'erp_proposal_orphan'>;

/** Every kind the population can inject; the repairable ones exclude hub_missing_in_billing. */
export const ALL_INJECTED: readonly InjectedDrift[] = [
  'billing_status_mismatch',
  'billing_items_mismatch',
  'billing_period_mismatch',
  'billing_cancel_mismatch',
  'billing_pause_mismatch',
  'billing_missing_in_hub',
  'hub_missing_in_billing',
  'reservation_missing',
  'reservation_mismatch',
  'reservation_orphan',
];
export const REPAIRABLE_INJECTED: readonly InjectedDrift[] = ALL_INJECTED.filter((k) => k !== 'hub_missing_in_billing');

/** Prices of tables/stripe-price-sku.csv: plain SKUs and kits, several intervals. */
const PRICES = [
  'price_1QZx8kLkdIwHu7ixEsp1KgMo',
  'price_1QZxA2LkdIwHu7ixFlt250Bw',
  'price_1QZxB7LkdIwHu7ixDcf500Mo',
  'price_1QZxC3LkdIwHu7ixDiscKitMo',
  'price_1Ra0D1LkdIwHu7ixLensD30Mo',
  'price_1Ra0F9LkdIwHu7ixCareKitQt',
];
const DAY_S = 86_400;

export interface WarehouseReservation {
  reference: string;
  warehouse: string;
  status: 'reserved' | 'released';
  lines: DemandLine[];
  version: number;
  updatedAt: string;
}

export const subscriptionIdAt = (i: number): string => `sub_${String(i).padStart(8, '0')}`;

/** The injected drift of subscription i, if any. */
export function driftAt(p: PopulationOptions, i: number): InjectedDrift | undefined {
  if (i % p.every !== p.every >> 1) return undefined;
  return p.kinds[Math.floor(i / p.every) % p.kinds.length];
}

/** How many of each kind the population injects. */
export function injectedCounts(p: PopulationOptions): Partial<Record<InjectedDrift, number>> {
  const out: Partial<Record<InjectedDrift, number>> = {};
  for (let i = p.every >> 1; i < p.size; i += p.every) {
    const k = driftAt(p, i)!;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Subscription i as both sides first agreed on it. Drifting ones start plain active, so each carries exactly one kind. */
function agreed(p: PopulationOptions, i: number): SeedSubscription {
  const start = Math.floor(p.now / 1000) - ((i % 20) + 1) * DAY_S;
  const plain = driftAt(p, i) !== undefined;
  return {
    id: subscriptionIdAt(i),
    customer: `cus_${String(i).padStart(8, '0')}`,
    status: plain ? 'active' : i % 31 === 11 ? 'canceled' : i % 23 === 5 ? 'past_due' : i % 17 === 3 ? 'trialing' : 'active',
    items: [{ price: PRICES[i % PRICES.length]!, quantity: 1 + (i % 3) }],
    currentPeriodStart: start,
    currentPeriodEnd: start + 30 * DAY_S,
    cancelAtPeriodEnd: !plain && i % 29 === 7,
  };
}

/** What the billing provider holds for subscription i (undefined: it does not list it). */
export function billingSeed(p: PopulationOptions, i: number): SeedSubscription | undefined {
  const s = agreed(p, i);
  switch (driftAt(p, i)) {
    case 'hub_missing_in_billing':
      return undefined;
    case 'billing_status_mismatch':
      return { ...s, status: 'canceled' };
    case 'billing_items_mismatch':
      return { ...s, items: s.items.map((x) => ({ ...x, quantity: x.quantity + 1 })) };
    case 'billing_period_mismatch':
      return { ...s, currentPeriodEnd: s.currentPeriodEnd + 7 * DAY_S };
    case 'billing_cancel_mismatch':
      return { ...s, cancelAtPeriodEnd: true };
    case 'billing_pause_mismatch':
      return { ...s, pauseCollection: { behavior: 'void', resumes_at: null } };
    default:
      return s;
  }
}

/** The provider's subscriptions, in id order. */
export function* billingSeeds(p: PopulationOptions): Generator<SeedSubscription> {
  for (let i = 0; i < p.size; i++) {
    const s = billingSeed(p, i);
    if (s) yield s;
  }
}

/** The Stripe webhook event that first told the hub about subscription i (as it agreed then). */
export function creationEvent(p: PopulationOptions, i: number): Record<string, unknown> {
  const s = agreed(p, i);
  return {
    id: `evt_seed_${i}`,
    object: 'event',
    type: 'customer.subscription.created',
    created: s.currentPeriodStart,
    data: { object: renderSeedSubscription(s) },
  };
}

/**
 * What the hub and the warehouse hold for subscription i: the projection (from the creation
 * event through `mapping`), the next delivery's demand, and the warehouse's reservations.
 */
export function hubSide(
  p: PopulationOptions,
  i: number,
  mapping: CompiledMapping,
): { state?: SubscriptionState; demand?: DemandRecord; reservations: WarehouseReservation[] } {
  const drift = driftAt(p, i);
  if (drift === 'billing_missing_in_hub') return { reservations: [] };
  const mapped = mapping.runSync(creationEvent(p, i));
  if (mapped.dropped) throw new Error(`population: ${mapping.name} dropped subscription ${i}: ${mapped.reason}`);
  const event = mapped.output as HubEvent;
  const state = applyEvent(undefined, event).state!;
  const demand = demandOf(state, p.now);
  const reservations: WarehouseReservation[] = [];
  const at = new Date(p.now).toISOString();
  const ref = reservationReference(demand.subscriptionId, demand.period);
  if (demand.status === 'reserved' && drift !== 'reservation_missing') {
    const lines =
      drift === 'reservation_mismatch' ? demand.lines.map((l, k) => (k === 0 ? { ...l, quantity: l.quantity + 1 } : l)) : demand.lines;
    reservations.push({ reference: ref, warehouse: 'NL-AMS-01', status: 'reserved', lines, version: 1, updatedAt: at });
  }
  if (drift === 'reservation_orphan') {
    const later = new Date(Date.parse(`${demand.period}T00:00:00Z`) + DAY_S * 1000).toISOString().slice(0, 10);
    reservations.push({
      reference: reservationReference(demand.subscriptionId, later),
      warehouse: 'NL-AMS-01',
      status: 'reserved',
      lines: demand.lines,
      version: 1,
      updatedAt: at,
    });
  }
  return { state, demand, reservations };
}

/** The demand of the next delivery, as the domain records it. */
function demandOf(state: SubscriptionState, now: number): DemandRecord {
  const s = state.snapshot;
  const period = (s.nextRenewalAt ?? s.currentPeriodEnd)!.slice(0, 10);
  const ships = renewalShips(s, true);
  const lines = ships
    ? [...deliveryDemand(s)]
        .filter(([, q]) => q > 0)
        .map(([sku, quantity]) => ({ sku, quantity }))
        .sort((a, b) => a.sku.localeCompare(b.sku))
    : [];
  return {
    subscriptionId: state.hubSubscriptionId,
    customerId: state.hubCustomerId,
    period,
    status: ships ? 'reserved' : 'released',
    lines,
    revision: 1,
    eventId: `seed:${now}`,
    reason: ships ? `${s.status}: the delivery of ${period} ships` : `${s.status}: the delivery of ${period} does not ship`,
  };
}
