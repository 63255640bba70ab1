import type { HubEvent } from '../events';
import { ulid } from '../util/ids';
import type { DeliveryOutcome, DeliveryRow } from '../store/ports';

export type StockOutPolicy = 'skip_cycle' | 'retry_later' | 'pause';

export interface StockOutSettings {
  policy: StockOutPolicy;
  /** Days between reservation retries (retry_later), as in dunning's inventory schedule. */
  retryDays: readonly number[];
}

const DAY = 86_400_000;

/**
 * What a renewal the warehouse cannot fill leads to (stock.stockOut; Shopify's subscription
 * reference app offers the same three): retry the reservation on the inventory schedule, or
 * ask the billing provider to skip this cycle (collection paused until the next one) or to
 * pause. Skip and pause leave as a hub event (subscription.cycle_skipped / .pause_scheduled)
 * committed with this outcome and routed to the provider like any event; the provider's webhook
 * then confirms, and the demand of that delivery is released.
 */
export function stockOutOutcome(
  row: DeliveryRow,
  event: Partial<HubEvent>,
  settings: StockOutSettings,
  at: number,
  message: string,
): DeliveryOutcome | undefined {
  const sub = event.subscription;
  if (settings.policy === 'retry_later' || !sub || !event.customer) {
    const days = settings.retryDays[row.attempts - 1];
    if (days === undefined) return undefined;
    return {
      status: 'retry',
      at,
      nextAttemptAt: at + days * DAY,
      error: `DELIVERY_STOCK_OUT: ${message} (stock-out policy retry_later: again in ${days} day(s))`,
    };
  }
  const period = sub.nextRenewalAt ?? sub.currentPeriodEnd ?? new Date(at).toISOString();
  const skip = settings.policy === 'skip_cycle';
  const resumesAt = skip ? addInterval(period, sub.interval.unit, sub.interval.count) : undefined;
  const key = `stockout:${sub.hubSubscriptionId}:${period.slice(0, 10)}`;
  const dedupeKey = `hub:${key}`;
  const iso = new Date(at).toISOString();
  const followUp: HubEvent = {
    id: ulid(at),
    type: skip ? 'subscription.cycle_skipped' : 'subscription.pause_scheduled',
    schemaVersion: 1,
    occurredAt: iso,
    receivedAt: iso,
    effectiveAt: period,
    actionType: 'scheduled',
    source: { provider: 'hub', eventId: key, eventType: 'stock_out', dedupeKey },
    tenantId: event.tenantId ?? 'default',
    customer: event.customer,
    subscription: { ...sub, pause: { startsAt: period, ...(resumesAt ? { resumesAt } : {}), reason: 'stock_out', collection: 'void' } },
    causationId: row.eventId,
  };
  return { status: 'done', at, followUp: [followUp] };
}

/**
 * The warehouse answered that the delivery already left (409 already_shipped): nothing to retry
 * and nothing for an operator to fix. The delivery completes and the decision trail says what
 * happened to the box, e.g. a hold that came after it shipped applies from the next delivery.
 */
export function alreadyShipped(row: DeliveryRow, event: Partial<HubEvent>, at: number, message: string): DeliveryOutcome {
  const sub = event.subscription?.hubSubscriptionId ?? row.entityKey;
  const period = event.demand?.period ?? event.subscription?.nextRenewalAt?.slice(0, 10) ?? 'its delivery';
  const wanted =
    event.demand?.status === 'released'
      ? 'the release (hold) came too late: the hold applies from the next delivery'
      : 'the reservation change came too late';
  return {
    status: 'done',
    at,
    decisions: [
      {
        at: new Date(at).toISOString(),
        kind: 'demand',
        subject: sub,
        eventId: row.eventId,
        outcome: `already shipped: ${period}`,
        rule: `the warehouse (${row.target}) shipped the delivery of ${period} before the hub's change: ${wanted} (${message})`,
      },
    ],
  };
}

export function addInterval(iso: string, unit: 'day' | 'week' | 'month' | 'year', count: number): string {
  const d = new Date(iso);
  if (unit === 'day') d.setUTCDate(d.getUTCDate() + count);
  else if (unit === 'week') d.setUTCDate(d.getUTCDate() + 7 * count);
  else {
    // Calendar months and years clamp to the month's last day (Jan 31 + 1 month = Feb 28/29), as billing anchors do.
    const day = d.getUTCDate();
    d.setUTCDate(1);
    if (unit === 'month') d.setUTCMonth(d.getUTCMonth() + count);
    else d.setUTCFullYear(d.getUTCFullYear() + count);
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    d.setUTCDate(Math.min(day, last));
  }
  return d.toISOString();
}
