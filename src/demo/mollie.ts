import type { DemoWorld } from './world';

/**
 * The demo's Mollie customers: Dutch-shop subscribers billed by SEPA direct debit through Mollie
 * (shipped from Amsterdam like every untagged subscription). Mollie neither retries nor dunns, so
 * everything after a bounce is the hub's doing. The Belgian Bram is `bram-ghent`: `bram` is the
 * Stripe customer of the same first name.
 */
export const MOLLIE_CUSTOMERS = {
  sanne: { name: 'Sanne Jansen', email: 'sanne@example.nl', iban: 'NL91ABNA0417164300', city: 'Utrecht', odooPartnerId: 21 },
  'bram-ghent': { name: 'Bram Peeters', email: 'bram.peeters@example.be', iban: 'BE68539007547034', city: 'Ghent', odooPartnerId: 22 },
} as const;
export type MollieName = keyof typeof MOLLIE_CUSTOMERS;

/** A Mollie customer of the month: its ids at Mollie and the hub's subscription id. */
export interface MollieAccount {
  customer: string;
  subscription: string;
  /** mollie:sub_…, the hub's id of the subscription. */
  hubId: string;
}

/** Calls the Mollie API of the simulator with the demo's key (test_demo), as a shop's backend would. */
export async function mollieApi(w: DemoWorld, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(`${w.mollie.apiEndpoint}${path}`, {
    method,
    headers: { authorization: `Bearer ${w.env.MOLLIE_API_KEY!}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await r.json()) as Record<string, unknown>;
  if (!r.ok) throw new Error(`Mollie ${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/** A simulation control (`/_sim/…`, connectors/mollie/simulator.ts): what Mollie, the banks or the customer do. */
export async function mollieSim(w: DemoWorld, path: string, body: unknown = {}): Promise<Record<string, unknown>> {
  const r = await fetch(`${w.mollie.url}/_sim/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await r.json()) as Record<string, unknown>;
  if (!r.ok) throw new Error(`Mollie simulator /_sim/${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Signs a customer up at Mollie: the customer, a SEPA direct-debit mandate, a subscription whose
 * metadata names the product ({sku, quantity}: Mollie subscriptions carry no products), and its
 * first debit collected (paid). The hub hears of it through the payment's webhook.
 */
export async function mollieSignUp(
  w: DemoWorld,
  who: MollieName,
  plan: { sku: string; quantity: number; amount: string; interval: string; description: string },
): Promise<MollieAccount> {
  const c = MOLLIE_CUSTOMERS[who];
  // The business keeps its cross-references in the Mollie customer's metadata: the Odoo partner its sale orders go to.
  w.odoo.models.get('res.partner')!.set(c.odooPartnerId, { id: c.odooPartnerId, name: c.name, email: c.email, customer_rank: 1 });
  const customer = (
    await mollieApi(w, 'POST', 'customers', { name: c.name, email: c.email, locale: 'nl_NL', metadata: { odooPartnerId: c.odooPartnerId } })
  ).id as string;
  await mollieApi(w, 'POST', `customers/${customer}/mandates`, { method: 'directdebit', consumerName: c.name, consumerAccount: c.iban });
  const sub = await mollieApi(w, 'POST', `customers/${customer}/subscriptions`, {
    amount: { currency: 'EUR', value: plan.amount },
    interval: plan.interval,
    description: plan.description,
    metadata: { sku: plan.sku, quantity: plan.quantity },
  });
  const subscription = sub.id as string;
  await mollieSim(w, `subscriptions/${subscription}/charge`, { status: 'paid' });
  return { customer, subscription, hubId: `mollie:${subscription}` };
}

/** Mollie collects the subscription's next debit; the bank returns it with `bankReasonCode`. Returns the failed payment. */
export async function mollieBounce(w: DemoWorld, account: MollieAccount, bankReasonCode: string): Promise<Record<string, unknown>> {
  return mollieSim(w, `subscriptions/${account.subscription}/charge`, { status: 'failed', bankReasonCode });
}

/** Mollie collects the subscription's next debit, and it is paid. */
export async function mollieCollect(w: DemoWorld, account: MollieAccount): Promise<void> {
  await mollieSim(w, `subscriptions/${account.subscription}/charge`, { status: 'paid' });
}

/** The payments the hub created itself for a customer (its retries: metadata.subhubInvoice), from the simulator's state. */
export function hubRetries(w: DemoWorld, account: MollieAccount): Array<Record<string, unknown>> {
  return [...w.mollie.objects.values()].filter(
    (o) =>
      o.resource === 'payment' &&
      o.customerId === account.customer &&
      (o.metadata as Record<string, unknown> | null)?.subhubInvoice !== undefined,
  );
}

/** The bank collects the hub's retry (the debit the hub created at Mollie, pending until the bank answers): paid. */
export async function payHubRetry(w: DemoWorld, account: MollieAccount): Promise<void> {
  const open = hubRetries(w, account).filter((p) => p.status === 'pending' || p.status === 'open');
  if (open.length !== 1) throw new Error(`expected one open retry payment of ${account.customer}, found ${open.length}`);
  await mollieSim(w, `payments/${open[0]!.id}/paid`);
}

/**
 * The customer follows the payment-details link of the hub's last dunning mail to them: the hub
 * answers 303 to the checkout of an iDEAL first payment it created at Mollie; the customer pays
 * it there (simulated), which gives Mollie a new mandate. Returns the first payment's id.
 */
export async function followPaymentDetailsLink(w: DemoWorld, who: MollieName, account: MollieAccount): Promise<string> {
  const mail = w.mailbox
    .messages()
    .filter((m) => m.to === MOLLIE_CUSTOMERS[who].email && m.variables?.paymentUpdateUrl)
    .at(-1);
  const link = mail?.variables?.paymentUpdateUrl;
  if (typeof link !== 'string') throw new Error(`no payment-details link was mailed to ${who}`);
  const r = await fetch(link, { redirect: 'manual' });
  if (r.status !== 303) throw new Error(`the payment-details link answered ${r.status}, not 303`);
  const checkout = r.headers.get('location');
  const first = [...w.mollie.objects.values()].find(
    (o) =>
      o.resource === 'payment' &&
      o.sequenceType === 'first' &&
      o.customerId === account.customer &&
      (o._links as { checkout?: { href: string } }).checkout?.href === checkout,
  );
  if (!first) throw new Error(`the link did not lead to a first payment of ${who} at Mollie (location ${checkout})`);
  await mollieSim(w, `payments/${first.id}/paid`);
  return first.id;
}
