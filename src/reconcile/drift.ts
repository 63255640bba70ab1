/**
 * The kinds of drift the reconciliation finds, with stable names (reports, metrics and alerts
 * key on them: add kinds, never rename one) and what a repair does for each.
 */
export const DRIFT_KINDS = {
  billing_missing_in_hub: {
    system: 'billing',
    repair: 'replays the provider subscription into the hub',
    summary: 'the billing provider has a subscription the hub never recorded',
  },
  billing_status_mismatch: {
    system: 'billing',
    repair: 'replays the provider subscription into the hub',
    summary: 'the hub has another status than the billing provider',
  },
  billing_cancel_mismatch: {
    system: 'billing',
    repair: 'replays the provider subscription into the hub',
    summary: 'a cancellation (scheduled or done) is known on one side only, or differs',
  },
  billing_pause_mismatch: {
    system: 'billing',
    repair: 'replays the provider subscription into the hub',
    summary: 'a pause is known on one side only, or differs',
  },
  billing_items_mismatch: {
    system: 'billing',
    repair: 'replays the provider subscription into the hub',
    summary: 'subscribed SKUs or quantities differ',
  },
  billing_period_mismatch: {
    system: 'billing',
    repair: 'replays the provider subscription into the hub',
    summary: 'the current period end or the next renewal differs',
  },
  billing_unmappable: {
    system: 'billing',
    repair: 'none: fix the mapping or its tables, then run again',
    summary: 'the provider subscription does not map to a canonical snapshot',
  },
  hub_missing_in_billing: {
    system: 'billing',
    repair: 'none: an operator decides (the provider never lost a subscription)',
    summary: 'the hub has a subscription the billing provider does not list',
  },
  reservation_missing: {
    system: 'warehouse',
    repair: 're-sends the recorded demand',
    summary: 'the hub reserved a delivery the warehouse has no reservation for',
  },
  reservation_mismatch: {
    system: 'warehouse',
    repair: 're-sends the recorded demand',
    summary: 'the warehouse reservation differs from the recorded demand (status, SKUs or quantities)',
  },
  reservation_lost: {
    system: 'warehouse',
    repair: 're-sends the recorded demand (the delivery is reserved again, to ship late)',
    summary: 'a past delivery the hub reserved (within reconcile.lookbackDays) that the warehouse no longer has, shipped or not',
  },
  reservation_not_released: {
    system: 'warehouse',
    repair: 're-sends the release (a hold by dunning or the blacklist, a pause, a cancellation)',
    summary: 'the hub released a delivery not shipped yet (today or later) that the warehouse still holds reserved',
  },
  reservation_orphan: {
    system: 'warehouse',
    repair: 'releases the reservation (when the hub knows the subscription)',
    summary: 'the warehouse holds a reservation of ours that the hub has no demand for',
  },
  erp_proposal_missing: {
    system: 'erp',
    repair: 'none: replay its dead letter, or let the reorder planner close it if the buyer confirmed it',
    summary: 'an open reorder proposal of the hub (older than an hour) is not a draft purchase order in the ERP',
  },
  erp_proposal_orphan: {
    system: 'erp',
    repair: 'none: a buyer reviews the draft',
    summary: 'the ERP holds a draft purchase order of ours that the hub has no open proposal for',
  },
} as const satisfies Record<string, { system: 'billing' | 'warehouse' | 'erp'; repair: string; summary: string }>;

export type DriftKind = keyof typeof DRIFT_KINDS;

/** One drift found: what differs and whether a corrective event was emitted for it. */
export interface Drift {
  kind: DriftKind;
  /** The subscription (provider id for billing kinds), reservation reference or purchase order origin. */
  subject: string;
  /** The fields that differ, `field: hub → truth`. */
  detail?: string;
  /** The corrective event's id (inbox source event id or hub dedupe key), when one was emitted. */
  repair?: string;
}

export interface DriftCount {
  found: number;
  /** Corrective events emitted (0 on a dry run; a repair already emitted today counts as emitted). */
  repaired: number;
  examples: Drift[];
}

/** Counts per kind and the first examples of each: bounded memory however much drift there is. */
export class DriftTally {
  readonly #counts = new Map<DriftKind, DriftCount>();

  constructor(private readonly examplesPerKind = 10) {}

  add(d: Drift, repaired: boolean): void {
    let c = this.#counts.get(d.kind);
    if (!c) this.#counts.set(d.kind, (c = { found: 0, repaired: 0, examples: [] }));
    c.found++;
    if (repaired) c.repaired++;
    if (c.examples.length < this.examplesPerKind) c.examples.push(d);
  }

  get total(): number {
    let n = 0;
    for (const c of this.#counts.values()) n += c.found;
    return n;
  }

  get repaired(): number {
    let n = 0;
    for (const c of this.#counts.values()) n += c.repaired;
    return n;
  }

  /** Counts in the order of DRIFT_KINDS, only kinds that were found. */
  byKind(): Partial<Record<DriftKind, DriftCount>> {
    const out: Partial<Record<DriftKind, DriftCount>> = {};
    for (const k of Object.keys(DRIFT_KINDS) as DriftKind[]) {
      const c = this.#counts.get(k);
      if (c) out[k] = c;
    }
    return out;
  }
}
