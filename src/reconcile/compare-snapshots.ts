import type { SubscriptionSnapshot } from '../events';
import type { DriftKind } from './drift';

/**
 * What the reconciliation compares of a subscription, field by field, in order of weight: the
 * first differing group names the drift kind; the detail lists every difference. Fields the
 * provider does not record (when a pause was set: the hub stamps the event time) and the
 * entitlement (the hub's own holds by dunning) are left out, so a faithful hub never drifts.
 */
type Field = { name: string; of: (s: SubscriptionSnapshot) => string; canonical?: (s: SubscriptionSnapshot) => string };

const GROUPS: ReadonlyArray<{ kind: DriftKind; fields: readonly Field[] }> = [
  { kind: 'billing_status_mismatch', fields: [{ name: 'status', of: (s) => s.status }] },
  {
    kind: 'billing_cancel_mismatch',
    fields: [
      {
        name: 'cancel',
        of: (s) => (s.cancel ? `${s.cancel.atPeriodEnd ? 'at period end' : 'now'}${s.cancel.at ? ` (${s.cancel.at})` : ''}` : ''),
        canonical: (s) =>
          s.cancel ? `${s.cancel.atPeriodEnd ? 'at period end' : 'now'}${s.cancel.at ? ` (${instant(s.cancel.at)})` : ''}` : '',
      },
    ],
  },
  {
    kind: 'billing_pause_mismatch',
    fields: [
      {
        name: 'pause',
        of: (s) =>
          s.pause
            ? [s.pause.reason, s.pause.resumesAt ? `until ${s.pause.resumesAt}` : '', s.pause.collection ?? ''].filter(Boolean).join(' ')
            : '',
        canonical: (s) =>
          s.pause
            ? [s.pause.reason, s.pause.resumesAt ? `until ${instant(s.pause.resumesAt)}` : '', s.pause.collection ?? '']
                .filter(Boolean)
                .join(' ')
            : '',
      },
    ],
  },
  { kind: 'billing_items_mismatch', fields: [{ name: 'items', of: (s) => itemsOf(s) }] },
  {
    kind: 'billing_period_mismatch',
    fields: [
      { name: 'currentPeriodEnd', of: (s) => s.currentPeriodEnd ?? '', canonical: (s) => instant(s.currentPeriodEnd) },
      { name: 'nextRenewalAt', of: (s) => s.nextRenewalAt ?? '', canonical: (s) => instant(s.nextRenewalAt) },
    ],
  },
];

/** The drift between the provider's truth and the hub's snapshot, or undefined when they agree. */
export function compareSnapshots(truth: SubscriptionSnapshot, hub: SubscriptionSnapshot): { kind: DriftKind; detail: string } | undefined {
  let kind: DriftKind | undefined;
  const diffs: string[] = [];
  for (const g of GROUPS) {
    for (const f of g.fields) {
      let want = f.of(truth);
      let have = f.of(hub);
      // Instants are compared as written first (the same mapping wrote both); parsed only when the spelling differs.
      if (want === have) continue;
      if (f.canonical) {
        want = f.canonical(truth);
        have = f.canonical(hub);
        if (want === have) continue;
      }
      kind ??= g.kind;
      diffs.push(`${f.name}: ${have || '(none)'} → ${want || '(none)'}`);
    }
  }
  return kind && { kind, detail: diffs.join('; ') };
}

/** Everything compared, as one string: two snapshots with the same fingerprint do not drift. */
export function snapshotFingerprint(s: SubscriptionSnapshot): string {
  return GROUPS.flatMap((g) => g.fields.map((f) => (f.canonical ?? f.of)(s))).join('|');
}

/** SKU × quantity per SKU, sorted: the order of items at the provider carries no meaning. */
function itemsOf(s: SubscriptionSnapshot): string {
  const qty = new Map<string, number>();
  for (const i of s.items) qty.set(i.sku, (qty.get(i.sku) ?? 0) + i.quantity);
  return [...qty]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, q]) => `${q}×${sku}`)
    .join(', ');
}

/** An instant in one spelling (ISO, milliseconds, Z), whatever the source wrote. */
function instant(iso: string | undefined): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toISOString();
}
