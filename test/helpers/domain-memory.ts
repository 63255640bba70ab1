import type { CustomerRecord, DemandRecord, DomainChanges, DomainReader, DunningRecord } from '../../src/domain/ports';
import type { SubscriptionState } from '../../src/domain/subscription-projection';

/** Committed domain state in memory, applied as the adapters apply a commit (domain unit tests). */
export class MemoryDomainState implements DomainReader {
  subs = new Map<string, SubscriptionState>();
  customers = new Map<string, CustomerRecord>();
  dunnings = new Map<string, DunningRecord>();
  demands = new Map<string, DemandRecord>();
  subscription = (id: string) => this.subs.get(id);
  customer = (id: string) => this.customers.get(id);
  dunning = (id: string) => this.dunnings.get(id);
  demand = (id: string, period: string) => this.demands.get(`${id}|${period}`);
  demandOfSubscription = (id: string) => [...this.demands.values()].filter((d) => d.subscriptionId === id);
  subscriptionsOfCustomer = (id: string) => [...this.subs.values()].filter((s) => s.hubCustomerId === id);
  commit(c: DomainChanges): DomainChanges {
    c.subscriptions.forEach((s) => this.subs.set(s.hubSubscriptionId, s));
    c.customers.forEach((x) => this.customers.set(x.id, x));
    c.dunning.forEach((d) => this.dunnings.set(d.subscriptionId, d));
    c.dunningCleared.forEach((id) => this.dunnings.delete(id));
    c.demand.forEach((d) => this.demands.set(`${d.subscriptionId}|${d.period}`, d));
    return c;
  }
}
