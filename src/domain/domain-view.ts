import {
  isEmpty,
  type CustomerRecord,
  type DemandRecord,
  type DomainChanges,
  type DomainReader,
  type DomainUnit,
  type DunningRecord,
} from './ports';
import type { SubscriptionState } from './subscription-projection';

/**
 * A loaded unit as the domain service reads it (synchronously), and as a batch carries it from
 * one event of the customer to the next: `apply` folds an event's changes in and moves the
 * version the way the store will when they commit, so the next event's write is computed from
 * (and checked against) the state after this one.
 */
export class DomainView implements DomainReader {
  readonly customerId: string;
  #version: number;
  #customer: CustomerRecord | undefined;
  readonly #subs = new Map<string, SubscriptionState>();
  readonly #dunning = new Map<string, DunningRecord>();
  /** By subscription, then period. */
  readonly #demand = new Map<string, Map<string, DemandRecord>>();

  constructor(unit: DomainUnit) {
    this.customerId = unit.customerId;
    this.#version = unit.version;
    this.#customer = unit.customer;
    for (const s of unit.subscriptions) this.#subs.set(s.hubSubscriptionId, s);
    for (const d of unit.dunning) this.#dunning.set(d.subscriptionId, d);
    for (const d of unit.demand) this.#putDemand(d);
  }

  /** The version a write computed from this view must find. */
  get version(): number {
    return this.#version;
  }

  subscription(id: string): SubscriptionState | undefined {
    return this.#subs.get(id);
  }

  customer(id: string): CustomerRecord | undefined {
    return id === this.customerId ? this.#customer : undefined;
  }

  dunning(subscriptionId: string): DunningRecord | undefined {
    return this.#dunning.get(subscriptionId);
  }

  demand(subscriptionId: string, period: string): DemandRecord | undefined {
    return this.#demand.get(subscriptionId)?.get(period);
  }

  demandOfSubscription(subscriptionId: string): DemandRecord[] {
    return [...(this.#demand.get(subscriptionId)?.values() ?? [])].sort((a, b) => a.period.localeCompare(b.period));
  }

  /** The customer's open dunning cycles, by subscription id. */
  dunningOfCustomer(customerId: string): DunningRecord[] {
    return [...this.#dunning.values()]
      .filter((d) => d.customerId === customerId)
      .sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId));
  }

  subscriptionsOfCustomer(customerId: string): SubscriptionState[] {
    return [...this.#subs.values()]
      .filter((s) => s.hubCustomerId === customerId)
      .sort((a, b) => a.hubSubscriptionId.localeCompare(b.hubSubscriptionId));
  }

  /** Folds committed (or about to be committed) changes in; a non-empty write moves the version by one. */
  apply(c: DomainChanges): void {
    if (isEmpty(c)) return;
    for (const s of c.subscriptions) this.#subs.set(s.hubSubscriptionId, s);
    for (const x of c.customers) if (x.id === this.customerId) this.#customer = x;
    for (const d of c.dunning) this.#dunning.set(d.subscriptionId, d);
    for (const id of c.dunningCleared) this.#dunning.delete(id);
    for (const d of c.demand) this.#putDemand(d);
    this.#version += 1;
  }

  /** SKUs whose demand the changes move: the new lines and the lines they replace (read before `apply`). */
  changedSkus(c: DomainChanges): string[] {
    const skus = new Set<string>();
    for (const d of c.demand) {
      for (const l of d.lines) skus.add(l.sku);
      for (const l of this.demand(d.subscriptionId, d.period)?.lines ?? []) skus.add(l.sku);
    }
    return [...skus];
  }

  #putDemand(d: DemandRecord): void {
    let byPeriod = this.#demand.get(d.subscriptionId);
    if (!byPeriod) this.#demand.set(d.subscriptionId, (byPeriod = new Map()));
    byPeriod.set(d.period, d);
  }
}
