import { DeliveryError, type ActionContext } from '../../src/sdk';
import type { MollieApi } from './api';
import type { MollieCustomer, MollieEnrichment, MollieMandate, MolliePayment, MollieSubscription } from './types';

/** The id a webhook names: classic `id=tr_…`, or a next-gen event's `entityId`; a subscription or mandate also needs its customer. */
function referenceOf(input: unknown): { id?: string; customerId?: string } {
  const o = (input ?? {}) as { id?: unknown; entityId?: unknown; customerId?: unknown };
  const id = typeof o.entityId === 'string' ? o.entityId : typeof o.id === 'string' ? o.id : undefined;
  return { id, customerId: typeof o.customerId === 'string' ? o.customerId : undefined };
}

/**
 * Fetch on notify: a Mollie webhook carries nothing but an id, so the mapping works on the
 * object as Mollie holds it now. `tr_…` → {payment, subscription?, mandate?, customer?}: the subscription
 * is the payment's own (`subscriptionId`), else the one a hub retry names in
 * `metadata.subscriptionId`; the mandate and the customer (its e-mail: dunning notices) are the payment's. `sub_…` (with `customerId`) →
 * {subscription, mandate?}; `mdt_…` (with `customerId`) → {mandate}. Any other id (a payment
 * link's `pl_…`) has nothing to fetch: undefined. Each read has the call's timeout; the
 * subscription and the mandate are read side by side.
 */
export async function enrichMollie(api: MollieApi, input: unknown, ctx: ActionContext): Promise<MollieEnrichment | undefined> {
  const { id, customerId } = referenceOf(input);
  if (!id) return undefined;
  const call = { timeoutMs: ctx.timeoutMs, signal: ctx.signal };
  const customerPath = (cid: string, kind: string, oid: string) =>
    `customers/${encodeURIComponent(cid)}/${kind}/${encodeURIComponent(oid)}`;
  const subscriptionOf = (cid: string, sid: string) => api.get<MollieSubscription>(customerPath(cid, 'subscriptions', sid), {}, call);
  const mandateOf = (cid: string, mid: string) => api.get<MollieMandate>(customerPath(cid, 'mandates', mid), {}, call);
  const needCustomer = (): string => {
    if (!customerId) throw new DeliveryError('MAPPING_REQUIRED_MISSING', `Mollie ${id} can only be read with its customerId`);
    return customerId;
  };

  if (id.startsWith('tr_')) {
    const payment = await api.get<MolliePayment>(`payments/${encodeURIComponent(id)}`, {}, call);
    const cid = payment.customerId;
    const meta = (payment.metadata ?? {}) as { subscriptionId?: unknown };
    const sid = payment.subscriptionId ?? (typeof meta.subscriptionId === 'string' ? meta.subscriptionId : undefined);
    const [subscription, mandate, customer] = await Promise.all([
      cid && sid ? subscriptionOf(cid, sid) : undefined,
      cid && payment.mandateId ? mandateOf(cid, payment.mandateId) : undefined,
      cid ? api.get<MollieCustomer>(`customers/${encodeURIComponent(cid)}`, {}, call) : undefined,
    ]);
    return { payment, ...(subscription ? { subscription } : {}), ...(mandate ? { mandate } : {}), ...(customer ? { customer } : {}) };
  }
  if (id.startsWith('sub_')) {
    const cid = needCustomer();
    const subscription = await subscriptionOf(cid, id);
    const mandate = subscription.mandateId ? await mandateOf(cid, subscription.mandateId) : undefined;
    return { subscription, ...(mandate ? { mandate } : {}) };
  }
  if (id.startsWith('mdt_')) return { mandate: await mandateOf(needCustomer(), id) };
  return undefined;
}

/** A payment charged back keeps status `paid`: its fetched state says `charged_back` so the chargeback is not taken for the payment itself. */
export function fetchedStatusOf(payment: Pick<MolliePayment, 'status' | 'amountChargedBack'>): string {
  const back = Number(payment.amountChargedBack?.value ?? 0);
  return back > 0 ? 'charged_back' : payment.status;
}

/**
 * The dedupe key of a fetched Mollie object, `<id>:<fetched status>` (`tr_x:paid`,
 * `tr_x:charged_back`, `sub_y:canceled`, `mdt_z:invalid`): classic webhooks are unsigned and
 * repeat, so what happened is the object's state, not the delivery. For the core's
 * `webhook.fetchedKey` hook; the inbound mappings write `mollie:` + this key as
 * `source.dedupeKey`. Undefined when the enrichment holds no object.
 */
export function mollieFetchedKey(enrichment: unknown): string | undefined {
  const e = (enrichment ?? {}) as MollieEnrichment;
  if (e.payment) return `${e.payment.id}:${fetchedStatusOf(e.payment)}`;
  const o = e.subscription ?? e.mandate;
  return o ? `${o.id}:${o.status}` : undefined;
}
