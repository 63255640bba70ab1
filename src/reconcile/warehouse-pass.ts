import type { DemandRecord } from '../domain/ports';
import type { DemandLine, HubEvent, SubscriptionSnapshot } from '../events';
import type { Pull } from '../sdk';
import { ulid } from '../util/ids';
import type { Drift } from './drift';
import { FingerprintTable, hash53 } from './fingerprint-table';
import type { PassContext } from './pass-context';
import { yieldToLoop } from './pass-context';

/** The reference the warehouse keeps a subscription delivery's reservation under (mappings/hub.subscription-demand.to.warehouse-reservation). */
export const reservationReference = (subscriptionId: string, period: string): string => `subhub:${subscriptionId}:${period}`;

const REFERENCE = /^subhub:(.+):(\d{4}-\d{2}-\d{2})$/;
const RELEASED = hash53('released');
/** How many past days of deliveries are checked for reservations the warehouse lost (reconcile.lookbackDays). */
export const DEFAULT_LOOKBACK_DAYS = 7;
/** A delivery that left the warehouse: consumed, nothing to reserve or release any more. */
const SHIPPED = hash53('shipped');

interface ReservationRow {
  reference?: unknown;
  status?: unknown;
  lines?: unknown;
}

/**
 * Hub demand ↔ warehouse reservations, for deliveries from today on (today's box ships at the end
 * of its day: a hold must have released it, and a box the warehouse still holds for a held
 * customer is drift). A shipped reservation is settled whatever the hub recorded. For the past
 * `lookbackDays` only whether the warehouse still has what the hub reserved: a reservation it
 * lost (a WMS restored from a backup, a simulator restarted) is a delivery that will never ship,
 * re-sent as `reservation_lost`; a past reservation is never compared (it may have been picked
 * or shipped since). The warehouse side is read
 * once into a FingerprintTable (reference hash → hash of status and lines: ~17 bytes a
 * reservation, so a million fit in ~34 MB); the hub's demand then streams past it page by page.
 * Reservations nobody matched and that still hold stock are orphans: a second pull, only when
 * there are some, finds their references. Repairs re-send the recorded demand as a
 * `stock.demand_changed` hub event (the warehouse PUT is desired state, so a re-send is safe);
 * an orphan of a subscription the hub knows is released.
 */
export async function warehousePass(
  ctx: PassContext,
  pull: Pull,
  lookbackDays = DEFAULT_LOOKBACK_DAYS,
): Promise<{ demand: number; reservations: number }> {
  const table = new FingerprintTable(1 << 16);
  const from = daysBefore(ctx.today, lookbackDays);
  let reservations = 0;
  for await (const r of pull({})) {
    const ref = inScope(r as ReservationRow, from);
    if (!ref) continue;
    table.set(hash53(ref), digestOf(String((r as ReservationRow).status), linesOf((r as ReservationRow).lines)));
    if (++reservations % 10_000 === 0) {
      ctx.progress('warehouse', reservations);
      await yieldToLoop();
    }
  }

  let demand = 0;
  for await (const page of ctx.domain.demandPages(from, 1000)) {
    const repairs: Array<{ record: DemandRecord; drift: Drift }> = [];
    for (const d of page) {
      demand++;
      const ref = reservationReference(d.subscriptionId, d.period);
      const key = hash53(ref);
      const have = table.get(key);
      const want = digestOf(d.status, d.lines);
      if (d.period < ctx.today) {
        if (have === undefined && d.status === 'reserved')
          repairs.push({
            record: d,
            drift: {
              kind: 'reservation_lost',
              subject: ref,
              detail: `the hub reserved ${describe(d.lines)} for ${d.period}; the warehouse no longer has it`,
            },
          });
        if (have !== undefined) table.mark(key);
        continue;
      }
      if (have === undefined) {
        if (d.status === 'reserved')
          repairs.push({ record: d, drift: { kind: 'reservation_missing', subject: ref, detail: `reserved ${describe(d.lines)}` } });
        continue;
      }
      table.mark(key);
      if (have !== want && have !== SHIPPED)
        repairs.push({
          record: d,
          drift:
            d.status === 'released' && have !== RELEASED
              ? {
                  kind: 'reservation_not_released',
                  subject: ref,
                  detail: `the hub released it (${d.reason}); the warehouse still holds it`,
                }
              : { kind: 'reservation_mismatch', subject: ref, detail: `the hub has ${d.status} ${describe(d.lines)}` },
        });
    }
    await repairRecorded(ctx, repairs);
    ctx.progress('warehouse', reservations + demand);
  }

  if (table.countUnmarked((v) => v !== RELEASED && v !== SHIPPED) > 0) {
    const orphans: Array<{ record: DemandRecord; drift: Drift }> = [];
    const unrepairable: Drift[] = [];
    for await (const r of pull({})) {
      const ref = inScope(r as ReservationRow, daysBefore(ctx.today, 1));
      if (!ref) continue;
      const key = hash53(ref);
      const v = table.get(key);
      if (v === undefined || v === RELEASED || v === SHIPPED || table.isMarked(key)) continue;
      table.mark(key);
      const [, subscriptionId, period] = REFERENCE.exec(ref)!;
      const state = await ctx.domain.subscription(subscriptionId!);
      const drift: Drift = {
        kind: 'reservation_orphan',
        subject: ref,
        detail: `the warehouse holds ${describe(linesOf((r as ReservationRow).lines))}; the hub has no demand for it`,
      };
      if (state)
        orphans.push({
          record: {
            subscriptionId: subscriptionId!,
            customerId: state.hubCustomerId,
            period: period!,
            status: 'released',
            lines: [],
            revision: 0,
            eventId: '',
            reason: 'reconcile: no demand recorded for this delivery',
          },
          drift,
        });
      else unrepairable.push({ ...drift, detail: `${drift.detail} (nor the subscription: an operator releases it)` });
    }
    await repairRecorded(ctx, orphans);
    for (const d of unrepairable) ctx.tally.add(d, false);
  }
  ctx.progress('warehouse', reservations + demand, true);
  return { demand, reservations };
}

/** Our reference of a delivery after `after` (a date), else undefined (other systems' reservations, earlier deliveries). */
function inScope(r: ReservationRow, after: string): string | undefined {
  const ref = r?.reference;
  if (typeof ref !== 'string') return undefined;
  const m = REFERENCE.exec(ref);
  return m && m[2]! > after ? ref : undefined;
}

/** The calendar date `days` before `date` (both YYYY-MM-DD, UTC). */
function daysBefore(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

/** Status and lines (SKU → units, summed) as one hash; every released reservation is alike. */
function digestOf(status: string, lines: DemandLine[]): number {
  if (status === 'shipped') return SHIPPED;
  if (status !== 'reserved') return RELEASED;
  return hash53(`reserved|${normalised(lines)}`);
}

function linesOf(raw: unknown): DemandLine[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((l): l is DemandLine => typeof l?.sku === 'string' && typeof l?.quantity === 'number');
}

function normalised(lines: DemandLine[]): string {
  const qty = new Map<string, number>();
  for (const l of lines) qty.set(l.sku, (qty.get(l.sku) ?? 0) + l.quantity);
  return [...qty]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, q]) => `${sku}:${q}`)
    .join(',');
}

function describe(lines: DemandLine[]): string {
  return lines.length === 0
    ? 'nothing'
    : normalised(lines)
        .replaceAll(',', ', ')
        .replace(/([^:, ]+):(\d+)/g, '$2×$1');
}

/** Re-sends recorded demand (or a release) as hub events; on a dry run only counts. */
async function repairRecorded(ctx: PassContext, repairs: Array<{ record: DemandRecord; drift: Drift }>): Promise<void> {
  if (repairs.length === 0) return;
  if (ctx.dryRun) {
    for (const r of repairs) ctx.tally.add(r.drift, false);
    return;
  }
  const events: HubEvent[] = [];
  for (const r of repairs) {
    const event = await demandEvent(ctx, r.record);
    if (!event) {
      ctx.tally.add({ ...r.drift, detail: `${r.drift.detail} (the hub has no subscription ${r.record.subscriptionId})` }, false);
      continue;
    }
    r.drift.repair = event.source.dedupeKey;
    events.push(event);
    ctx.tally.add(r.drift, true);
  }
  ctx.emitted.hubEvents += await ctx.domain.appendHubEvents(events, ctx.now);
}

/** The snapshot with the entitlement the recorded demand implies (a hold by dunning or the blacklist releases an active subscription's delivery). */
function asRecorded(s: SubscriptionSnapshot, deliver: boolean): SubscriptionSnapshot {
  if (s.entitlement.deliver === deliver) return s;
  const others = s.entitlement.blockedBy.filter((b) => b !== 'hold');
  return { ...s, entitlement: { ...s.entitlement, deliver, blockedBy: deliver ? others : [...others, 'hold'] } };
}

/** The recorded demand as the domain would announce it; the dedupe key changes per run day. */
async function demandEvent(ctx: PassContext, d: DemandRecord): Promise<HubEvent | undefined> {
  const state = await ctx.domain.subscription(d.subscriptionId);
  if (!state) return undefined;
  const at = new Date(ctx.now).toISOString();
  const key = `reconcile:demand:${d.subscriptionId}:${d.period}:${ctx.today}`;
  const customer = await ctx.domain.customer(state.hubCustomerId);
  return {
    id: ulid(ctx.now),
    type: 'stock.demand_changed',
    schemaVersion: 1,
    occurredAt: at,
    receivedAt: at,
    effectiveAt: at,
    actionType: 'effective',
    source: { provider: 'hub', eventId: key, eventType: 'reconcile', dedupeKey: `hub:${key}` },
    // The subscription's tenant picks the warehouse the repair goes to.
    tenantId: state.tenantId ?? ctx.tenantId,
    customer: {
      hubCustomerId: state.hubCustomerId,
      ...(customer?.providerCustomerId ? { providerCustomerId: customer.providerCustomerId } : {}),
      ...(customer?.email ? { email: customer.email } : {}),
      ...(customer?.shopifyCustomerId ? { shopifyCustomerId: customer.shopifyCustomerId } : {}),
      ...(customer?.erpCustomerId ? { erpCustomerId: customer.erpCustomerId } : {}),
    },
    subscription: asRecorded(state.snapshot, d.status === 'reserved'),
    demand: { period: d.period, status: d.status, lines: d.lines, reason: `reconcile: ${d.reason}` },
  };
}
