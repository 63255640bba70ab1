import type { ProposalRecord } from '../domain/ports';
import type { PurchaseOrderPort } from './reorder-port';

/** What the ERP says of one of our purchase orders (found by its origin). */
export interface PurchaseOrderState {
  origin: string;
  /** Odoo's purchase.order state: draft, sent, to approve (still a draft), purchase, done (confirmed), cancel. */
  state: string;
  /** When the vendor is expected to deliver (YYYY-MM-DD…), when the ERP has it. */
  datePlanned?: string;
  /** Receipts, when the ERP tracks them (Odoo's receipt_status): pending, partial, full. */
  receiptStatus?: string;
}

const DAY = 86_400_000;
const DRAFT = new Set(['draft', 'sent', 'to approve']);
const CONFIRMED = new Set(['purchase', 'done']);

/** The origin a proposal's purchase order carries (mappings/hub.reorder-proposal.to.odoo-purchase-order). */
export const proposalOrigin = (p: Pick<ProposalRecord, 'sku' | 'location' | 'proposedAt'>): string =>
  `subhub:reorder:${p.sku}:${p.location}:${p.proposedAt.slice(0, 10)}`;

/**
 * Follows our purchase orders in the ERP (the nightly run):
 * - an open proposal whose order is still a draft stays open;
 * - confirmed by the buyer: closed, and its units count as incoming until the ERP's planned date
 *   (else its need-by date), or until the ERP reports the receipt done;
 * - cancelled, or deleted by the buyer (no order carries its origin any more): closed as
 *   cancelled, nothing incoming, so the planner may propose again;
 * - a confirmed order whose receipt is done no longer counts as incoming (the stock is on hand).
 * A proposal younger than a day may still be on its way to the ERP and is left alone.
 */
export async function followPurchaseOrders(
  domain: PurchaseOrderPort,
  orders: () => AsyncIterable<PurchaseOrderState>,
  now: number,
): Promise<void> {
  const open = await domain.openProposals();
  const inTransit = await domain.proposalsInTransit();
  if (open.length === 0 && inTransit.length === 0) return;
  const byOrigin = new Map<string, PurchaseOrderState>();
  for await (const o of orders()) byOrigin.set(o.origin, o);
  const at = new Date(now).toISOString();
  for (const p of open) {
    const origin = proposalOrigin(p);
    const order = byOrigin.get(origin);
    if (order && DRAFT.has(order.state)) continue;
    if (order && CONFIRMED.has(order.state)) {
      const expectedAt = order.datePlanned?.slice(0, 10);
      await domain.updateProposal(
        {
          ...p,
          status: 'closed',
          confirmed: true,
          ...(expectedAt ? { expectedAt } : {}),
          ...(order.receiptStatus === 'full' ? { received: true } : {}),
          closedReason: `purchase order ${origin} confirmed in the ERP`,
        },
        {
          at,
          kind: 'reorder',
          subject: `sku:${p.sku}`,
          outcome: `confirmed for ${p.location}`,
          rule: `purchase order ${origin} confirmed in the ERP: incoming until ${expectedAt ?? p.neededBy ?? 'its lead time'}${order.receiptStatus === 'full' ? ' (already received)' : ''}`,
        },
      );
      continue;
    }
    // Only proposals already delivered can have left the drafts; a recent one may still be in the queue.
    if (!order && now - Date.parse(p.proposedAt) <= DAY) continue;
    const why = order ? `cancelled in the ERP (${order.state})` : 'deleted by the buyer (no order carries its origin)';
    await domain.updateProposal(
      { ...p, status: 'closed', closedReason: `purchase order ${origin} ${why}` },
      {
        at,
        kind: 'reorder',
        subject: `sku:${p.sku}`,
        outcome: `cancelled for ${p.location}`,
        rule: `purchase order ${origin} ${why}: nothing incoming, the planner may propose again`,
      },
    );
  }
  for (const p of inTransit) {
    const origin = proposalOrigin(p);
    const order = byOrigin.get(origin);
    const expectedAt = order?.datePlanned?.slice(0, 10);
    if (order?.receiptStatus === 'full' || order?.state === 'cancel') {
      const what = order.state === 'cancel' ? 'cancelled after confirmation' : 'received';
      await domain.updateProposal(
        { ...p, received: true, ...(expectedAt ? { expectedAt } : {}) },
        {
          at,
          kind: 'reorder',
          subject: `sku:${p.sku}`,
          outcome: `${order.state === 'cancel' ? 'cancelled' : 'received'} for ${p.location}`,
          rule: `purchase order ${origin} ${what} in the ERP: no longer incoming`,
        },
      );
    } else if (expectedAt && expectedAt !== p.expectedAt) {
      await domain.updateProposal(
        { ...p, expectedAt },
        {
          at,
          kind: 'reorder',
          subject: `sku:${p.sku}`,
          outcome: `rescheduled for ${p.location}`,
          rule: `purchase order ${origin} now expected on ${expectedAt} (ERP)`,
        },
      );
    }
  }
}

/**
 * The same from a connector that only lists draft origins (`draftPurchaseOrders`): an order that
 * left the drafts cannot be told confirmed from deleted, so it is taken as confirmed.
 */
export async function* fromDraftOrigins(
  drafts: AsyncIterable<unknown>,
  open: () => Promise<readonly ProposalRecord[]>,
): AsyncIterable<PurchaseOrderState> {
  const seen = new Set<string>();
  for await (const o of drafts) {
    const origin = (o as { origin?: unknown }).origin;
    if (typeof origin === 'string') seen.add(origin);
  }
  for (const p of await open()) yield { origin: proposalOrigin(p), state: seen.has(proposalOrigin(p)) ? 'draft' : 'purchase' };
}
