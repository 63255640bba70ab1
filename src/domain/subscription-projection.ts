import type { HubEvent, SubscriptionSnapshot } from '../events';

/** A subscription's current state as the hub knows it, built from canonical events. */
export interface SubscriptionState {
  hubSubscriptionId: string;
  hubCustomerId: string;
  /** Tenant of the newest provider event applied: the subscription ships from its location (tables/tenants.json). */
  tenantId?: string;
  snapshot: SubscriptionSnapshot;
  dunningStage?: string;
  /** Provider time of the newest event applied: older events never roll the state back. */
  occurredAt: string;
  lastEventType: string;
  /** Dedupe keys of recently applied events (bounded), so a replay is a no-op. */
  applied: string[];
  version: number;
}

export type ProjectionResult = { state: SubscriptionState | undefined; changed: boolean; reason: string };

const REMEMBERED = 50;

/**
 * Applies one canonical event to a subscription's state. Idempotent (an event already applied
 * changes nothing) and safe against late events: an event older than the state (by provider
 * time) is ignored, so a delayed `created` never undoes a `renewed`. Events without a
 * subscription snapshot only update the dunning stage.
 */
export function applyEvent(state: SubscriptionState | undefined, event: Readonly<HubEvent>): ProjectionResult {
  const key = event.source.dedupeKey;
  if (state?.applied.includes(key)) return { state, changed: false, reason: `already applied (${key})` };
  if (state && Date.parse(event.occurredAt) < Date.parse(state.occurredAt)) {
    return {
      state,
      changed: false,
      reason: `stale: ${event.type} of ${event.occurredAt} is older than ${state.lastEventType} of ${state.occurredAt}`,
    };
  }
  const snapshot = event.subscription;
  if (!snapshot) {
    if (!state || !event.dunning) return { state, changed: false, reason: 'no subscription snapshot' };
    return {
      state: bump(state, event, { dunningStage: event.dunning.stage }),
      changed: true,
      reason: `dunning stage ${event.dunning.stage}`,
    };
  }
  const base: SubscriptionState = state ?? {
    hubSubscriptionId: snapshot.hubSubscriptionId,
    hubCustomerId: event.customer?.hubCustomerId ?? 'unknown',
    snapshot,
    occurredAt: event.occurredAt,
    lastEventType: event.type,
    applied: [],
    version: 0,
  };
  const dunningStage = event.type === 'dunning.resolved' ? undefined : (event.dunning?.stage ?? base.dunningStage);
  const merged = state && event.source.eventType.startsWith('invoice.') ? fromInvoice(state.snapshot, snapshot) : snapshot;
  return { state: bump(base, event, { snapshot: merged, dunningStage }), changed: true, reason: `${event.type} applied` };
}

/**
 * A snapshot built from an invoice knows the billed period and items, not the subscription's
 * scheduled cancellation or pause, and a late invoice may bill an older period: it keeps what
 * only subscription events tell (cancel, pause) and never moves the next renewal back.
 */
function fromInvoice(known: SubscriptionSnapshot, invoice: SubscriptionSnapshot): SubscriptionSnapshot {
  const later = (a?: string, b?: string) => (a && b ? (Date.parse(a) >= Date.parse(b) ? a : b) : (a ?? b));
  const out: SubscriptionSnapshot = { ...invoice };
  const cancel = invoice.cancel ?? known.cancel;
  const pause = invoice.pause ?? known.pause;
  const next = later(invoice.nextRenewalAt, known.nextRenewalAt);
  const end = later(invoice.currentPeriodEnd, known.currentPeriodEnd);
  if (cancel) out.cancel = cancel;
  if (pause) out.pause = pause;
  if (next) out.nextRenewalAt = next;
  if (end) out.currentPeriodEnd = end;
  if (end === known.currentPeriodEnd && known.currentPeriodStart) out.currentPeriodStart = known.currentPeriodStart;
  return out;
}

/** Remembers an event as applied without taking its snapshot (a stale event whose payment facts still count). */
export function remember(state: SubscriptionState, event: Readonly<HubEvent>): SubscriptionState {
  return { ...state, applied: [...state.applied, event.source.dedupeKey].slice(-REMEMBERED) };
}

function bump(state: SubscriptionState, event: Readonly<HubEvent>, change: Partial<SubscriptionState>): SubscriptionState {
  return {
    ...state,
    ...change,
    tenantId: event.tenantId,
    occurredAt: event.occurredAt,
    lastEventType: event.type,
    applied: [...state.applied, event.source.dedupeKey].slice(-REMEMBERED),
    version: state.version + 1,
  };
}
