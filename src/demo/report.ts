import { join } from 'node:path';
import type { DecisionRecord } from '../domain/ports';
import { plannedLocations } from '../domain/locations';
import { CUSTOMERS, type MonthContext } from './month';
import { hubRetries } from './mollie';
import { PACKAGE_ROOT, type DemoWorld } from './world';

/** Counters of what each system has seen, to tell a step's effects apart. */
export interface SystemMarks {
  decisions: number;
  warehouseRequests: number;
  odooCalls: number;
  shopifyApplied: number;
  mails: number;
  stripeWebhooks: number;
  /** Billing state per subscription id (status, collection paused, cancel at period end). */
  billing: Map<string, string>;
  mollieWebhooks: number;
  /** Status of every Mollie payment, mandate and subscription by id. */
  mollie: Map<string, string>;
}

function billingState(o: Record<string, unknown> | undefined): string {
  if (!o) return 'missing';
  const pause = o.pause_collection as { behavior: string; resumes_at: number | null } | null;
  return `${String(o.status)}${pause ? `, collection paused (${pause.behavior}${pause.resumes_at ? ` until ${new Date(pause.resumes_at * 1000).toISOString().slice(0, 10)}` : ''})` : ''}${o.cancel_at_period_end ? ', cancels at period end' : ''}`;
}

export async function marks(w: DemoWorld, ctx?: MonthContext): Promise<SystemMarks> {
  return {
    stripeWebhooks: w.stripe.deliveries.length,
    billing: new Map(Object.values(ctx?.subs ?? {}).map((id) => [id, billingState(w.stripe.subscription(id))])),
    decisions: (await w.hub.store.domain.decisions({ limit: 1_000_000 })).length,
    warehouseRequests: w.warehouse.requests.length,
    odooCalls: w.odoo.calls.length,
    shopifyApplied: w.shopify.applied,
    mails: w.mailbox.messages().length,
    mollieWebhooks: w.mollie.deliveries.length,
    mollie: new Map(mollieTracked(w).map((o) => [o.id, String(o.status)])),
  };
}

/** The Mollie objects a step's narration follows: payments, mandates and subscriptions. */
function mollieTracked(w: DemoWorld): Array<Record<string, unknown> & { id: string }> {
  return [...w.mollie.objects.values()].filter((o) => ['payment', 'mandate', 'subscription'].includes(o.resource));
}

/** A Mollie object in a line: `payment tr_… (recurring, directdebit, EUR 19.80)` and who created it when the hub did. */
function mollieObject(o: Record<string, unknown>): string {
  if (o.resource === 'payment') {
    const amount = o.amount as { currency: string; value: string };
    const meta = o.metadata as Record<string, unknown> | null;
    const byHub = meta?.subhubInvoice ? `, created by the hub: retry ${String(meta.subhubAttempt)} of ${String(meta.subhubInvoice)}` : '';
    return `payment ${String(o.id)} (${String(o.sequenceType)}, ${String(o.method)}, ${amount.currency} ${amount.value}${byHub})`;
  }
  if (o.resource === 'mandate') return `mandate ${String(o.id)} (${String(o.method)})`;
  return `subscription ${String(o.id)} (${String(o.interval)})`;
}

function mollieStatus(o: Record<string, unknown>): string {
  const reason = (o.details as { bankReasonCode?: string } | null)?.bankReasonCode;
  return `${String(o.status)}${o.status === 'failed' && reason ? ` (${reason})` : ''}`;
}

/** Names a hub subject (stripe:sub_…, mollie:sub_…, customer:stripe:cus_…, customer:mollie:cst_…) after the demo's customer. */
export function namer(ctx: MonthContext): (subject: string) => string {
  const mollie = Object.entries(ctx.mollie);
  const bySub = new Map([
    ...Object.entries(ctx.subs).map(([name, id]): [string, string] => [`stripe:${id}`, name]),
    ...mollie.map(([name, a]): [string, string] => [a.hubId, name]),
  ]);
  const byCustomer = new Map([
    ...Object.entries(CUSTOMERS).map(([name, id]): [string, string] => [`stripe:${id}`, name]),
    ...mollie.map(([name, a]): [string, string] => [`mollie:${a.customer}`, name]),
  ]);
  return (subject) => bySub.get(subject) ?? byCustomer.get(subject.replace(/^customer:/, '')) ?? subject;
}

/** What a step changed in each system, as readable lines. */
export async function stepEffects(w: DemoWorld, before: SystemMarks, name: (s: string) => string): Promise<string[]> {
  const lines: string[] = [];
  const hooks = w.stripe.deliveries.slice(before.stripeWebhooks);
  if (hooks.length) {
    const byType = new Map<string, number>();
    for (const h of hooks) byType.set(h.type, (byType.get(h.type) ?? 0) + 1);
    lines.push(`  stripe     webhooks ${[...byType].map(([t, n]) => `${t} ×${n}`).join(', ')}`);
  }
  for (const [id, was] of before.billing) {
    const now = billingState(w.stripe.subscription(id));
    if (now !== was) lines.push(`  stripe     ${name(`stripe:${id}`)}: ${now}`);
  }
  const mollieHooks = w.mollie.deliveries.length - before.mollieWebhooks;
  if (mollieHooks) lines.push(`  mollie     webhooks (classic, id only) ×${mollieHooks}`);
  for (const o of mollieTracked(w)) {
    const was = before.mollie.get(o.id);
    const now = mollieStatus(o);
    if (was === String(o.status)) continue;
    const who = name(`customer:mollie:${String(o.customerId ?? customerOfMandate(o))}`);
    lines.push(`  mollie     ${who}: ${mollieObject(o)} ${was === undefined ? 'created, ' : `${was} → `}${now}`);
  }
  const decisions = (await w.hub.store.domain.decisions({ limit: 1_000_000 })).slice(before.decisions);
  for (const d of decisions.filter((x) => x.kind !== 'projection')) lines.push(`  hub        ${describe(d, name)}`);
  const wh = w.warehouse.requests.slice(before.warehouseRequests).filter((r) => r.method === 'PUT');
  if (wh.length) lines.push(`  warehouse  ${wh.length} reservation update(s)`);
  const odoo = w.odoo.calls.slice(before.odooCalls);
  const count = (model: string, method: string) => odoo.filter((c) => c.model === model && c.method === method).length;
  if (count('sale.order', 'create')) lines.push(`  odoo       ${count('sale.order', 'create')} sale order(s) created and confirmed`);
  if (count('purchase.order', 'create'))
    lines.push(`  odoo       ${count('purchase.order', 'create')} draft purchase order(s) (reorder proposal)`);
  if (count('res.partner', 'write')) lines.push(`  odoo       ${count('res.partner', 'write')} partner(s) flagged`);
  const moves = w.shopify.applied - before.shopifyApplied;
  if (moves) lines.push(`  shopify    ${moves} mutation(s) applied (reserved stock, tags)`);
  for (const m of w.mailbox.messages().slice(before.mails)) {
    const v = m.variables ?? {};
    const link = v.paymentUpdateUrl ? ` with a payment-details link` : v.payUrl ? ` with a payment link` : '';
    lines.push(`  mail       → ${m.to}: ${m.template}${link}${v.deliveriesOnHold ? ' (deliveries on hold)' : ''}`);
  }
  return lines.length ? lines : ['  (nothing changed)'];
}

/** A mandate names its customer only in its links. */
function customerOfMandate(o: Record<string, unknown>): string {
  return /customers\/([^/]+)/.exec((o._links as { customer?: { href: string } }).customer?.href ?? '')?.[1] ?? '?';
}

function describe(d: DecisionRecord, name: (s: string) => string): string {
  const who = name(d.subject);
  switch (d.kind) {
    case 'demand':
      return `${who}: ${d.outcome}`;
    case 'dunning':
      return `${who}: dunning ${d.outcome} — ${d.rule}`;
    case 'blacklist':
      return `${who}: BLACKLISTED — ${d.rule}`;
    case 'reorder':
      return `${d.subject.replace(/^sku:/, '')}: reorder ${d.outcome} — ${d.rule}`;
    default:
      return `${who}: ${d.kind} ${d.outcome}`;
  }
}

export interface MonthSummary {
  /** Reserved units per SKU for the next delivery of every subscription. */
  demand: Record<string, number>;
  /** The same per location ("AMS1 COF-FLT-250"): what each location's warehouse must ship. */
  demandByLocation: Record<string, number>;
  /** On hand per location and SKU at the warehouse ("DUS1 COF-FLT-250"). */
  onHandByLocation: Record<string, number>;
  /** Units of the deliveries still to come that each location's warehouse holds reserved ("DUS1 COF-ESP-1KG"). */
  reservedByLocation: Record<string, number>;
  proposals: Array<{
    sku: string;
    location: string;
    quantity: number;
    status: string;
    odooState?: string;
    pickingTypeId?: number;
    subscriptions: string[];
  }>;
  dunning: Record<string, string>;
  blacklisted: string[];
  shopifyTags: Record<string, string[]>;
  odooFlagged: string[];
  saleOrders: number;
  mails: number;
  reservedAtWarehouse: Record<string, number>;
  /** Each customer's subscription at Stripe. */
  billing: Record<string, string>;
  /** Each Mollie customer's subscription at Mollie: status, next debit, payments (and how many the hub made). */
  mollieBilling: Record<string, string>;
}

/** The end state of every system, as the summary table shows it and the end-to-end test asserts it. */
export async function summarise(w: DemoWorld, ctx: MonthContext): Promise<MonthSummary> {
  const name = namer(ctx);
  const domain = w.hub.store.domain;
  const today = new Date(w.clock.now()).toISOString().slice(0, 10);
  const reserved = await domain.reservedAfter(today);
  const demand = total(reserved.map((r) => [r.sku, r.quantity]));
  const demandByLocation = total(reserved.map((r) => [`${r.location ?? '?'} ${r.sku}`, r.quantity]));
  const warehouses = new Map(
    plannedLocations({ locationsFile: join(PACKAGE_ROOT, 'mappings', 'tables', 'locations.json') }).map((l) => [l.warehouse, l.code]),
  );
  const onHandByLocation = total(
    [...w.warehouse.stock]
      .map(([k, onHand]) => [k.split('\u0000'), onHand] as const)
      .filter(([[wh]]) => warehouses.has(wh))
      .map(([[wh, sku], onHand]) => [`${warehouses.get(wh)} ${sku}`, onHand]),
  );
  const pos = [...w.odoo.models.get('purchase.order')!.values()];
  const proposals = (await domain.openProposals()).map((p) => {
    const po = pos.find((o) => o.origin === `subhub:reorder:${p.sku}:${p.location}:${p.proposedAt.slice(0, 10)}`);
    return {
      sku: p.sku,
      location: p.location,
      quantity: p.quantity,
      status: p.status,
      odooState: po?.state as string | undefined,
      pickingTypeId: po?.picking_type_id as number | undefined,
      subscriptions: p.trail.map(name).sort(),
    };
  });
  const dunning = Object.fromEntries(
    (await domain.openDunning()).map((d) => [name(d.subscriptionId), d.stage]).sort(([a], [b]) => a!.localeCompare(b!)),
  );
  const blacklisted = (await domain.customers({ blacklisted: true })).map((c) => name(c.id)).sort();
  const shopifyTags = Object.fromEntries(
    [...w.shopify.tags]
      .filter(([, tags]) => tags.size > 0)
      .map(([id, tags]) => [id, [...tags].sort()])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );
  const odooFlagged = [...w.odoo.models.get('res.partner')!.values()]
    .filter((p) => typeof p.comment === 'string' && p.comment.includes('blacklisted'))
    .map((p) => String(p.email ?? p.id))
    .sort();
  // Deliveries still to come: a past delivery's reservation was consumed when it shipped.
  const pending = [...w.warehouse.reservations.values()].filter((r) => r.status === 'reserved' && String(r.deliveryDate) > today);
  const reservedAtWarehouse = total(pending.flatMap((r) => r.lines.map((l): [string, number] => [l.sku, l.quantity])));
  const reservedByLocation = total(
    pending.flatMap((r) => r.lines.map((l): [string, number] => [`${warehouses.get(r.warehouse) ?? r.warehouse} ${l.sku}`, l.quantity])),
  );
  return {
    demand,
    demandByLocation,
    onHandByLocation,
    reservedByLocation,
    proposals,
    dunning,
    blacklisted,
    shopifyTags,
    odooFlagged,
    saleOrders: w.odoo.models.get('sale.order')!.size,
    mails: w.mailbox.messages().length,
    reservedAtWarehouse,
    billing: Object.fromEntries(
      Object.entries(ctx.subs)
        .map(([who, id]) => [who, billingState(w.stripe.subscription(id!))])
        .sort(([a], [b]) => a!.localeCompare(b!)),
    ),
    mollieBilling: Object.fromEntries(
      Object.entries(ctx.mollie)
        .map(([who, account]) => {
          const sub = w.mollie.objects.get(account.subscription);
          const payments = [...w.mollie.objects.values()].filter((o) => o.resource === 'payment' && o.customerId === account.customer);
          const count = (status: string) => payments.filter((p) => p.status === status).length;
          const retries = hubRetries(w, account).length;
          return [
            who,
            `${String(sub?.status ?? 'missing')}, next debit ${String(sub?.nextPaymentDate ?? 'none')}; payments: ${count('paid')} paid, ${count('failed')} failed${retries ? ` (hub retries: ${retries})` : ''}`,
          ];
        })
        .sort(([a], [b]) => a!.localeCompare(b!)),
    ),
  };
}

/** Sums [key, units] pairs per key, keys sorted. */
function total(pairs: Array<[string, number]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of pairs) out[k] = (out[k] ?? 0) + n;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export function summaryTable(s: MonthSummary): string[] {
  const out = ['', 'Summary at the end of the month', ''];
  out.push('  Stock demand of the next deliveries (hub)   reserved at the warehouse');
  const skus = [...new Set([...Object.keys(s.demand), ...Object.keys(s.reservedAtWarehouse)])].sort();
  for (const sku of skus)
    out.push(
      `    ${sku.padEnd(18)} ${String(s.demand[sku] ?? 0).padStart(5)}                      ${String(s.reservedAtWarehouse[sku] ?? 0).padStart(5)}`,
    );
  out.push('', '  Per location (planned apart)              on hand   hub demand   reserved at its warehouse');
  const located = new Set([...Object.keys(s.onHandByLocation), ...Object.keys(s.demandByLocation), ...Object.keys(s.reservedByLocation)]);
  for (const k of [...located].sort()) {
    out.push(
      `    ${k.padEnd(23)}                ${String(s.onHandByLocation[k] ?? 0).padStart(5)}        ${String(s.demandByLocation[k] ?? 0).padStart(5)}        ${String(s.reservedByLocation[k] ?? 0).padStart(5)}`,
    );
  }
  out.push('', '  Purchase proposals (Odoo drafts)');
  if (s.proposals.length === 0) out.push('    none');
  for (const p of s.proposals) {
    out.push(
      `    ${p.sku.padEnd(18)} ${p.location} ${String(p.quantity).padStart(5)} units  ${p.status}/${p.odooState ?? 'not in Odoo'} (receipt type ${p.pickingTypeId ?? '?'})  driven by ${p.subscriptions.join(', ')}`,
    );
  }
  out.push('', `${'  Billing'.padEnd(23)}provider  subscription`);
  for (const [who, state] of Object.entries(s.billing)) out.push(`    ${who.padEnd(18)} stripe    ${state}`);
  for (const [who, state] of Object.entries(s.mollieBilling)) out.push(`    ${who.padEnd(18)} mollie    ${state}`);
  out.push('', '  Dunning stages');
  if (Object.keys(s.dunning).length === 0) out.push('    none');
  for (const [who, stage] of Object.entries(s.dunning)) out.push(`    ${who.padEnd(18)} ${stage}`);
  out.push('', `  Blacklisted customers: ${s.blacklisted.join(', ') || 'none'}`);
  out.push(
    `  Shopify tags: ${
      Object.entries(s.shopifyTags)
        .map(([id, t]) => `${id} [${t.join(', ')}]`)
        .join('; ') || 'none'
    }`,
  );
  out.push(`  Odoo partners flagged: ${s.odooFlagged.join(', ') || 'none'}`);
  out.push(`  Odoo sale orders: ${s.saleOrders}    e-mails sent: ${s.mails}`);
  return out;
}
