import type { Pull } from '../sdk';
import type { PassContext } from './pass-context';

/** How long a new proposal may take to reach the ERP before its absence counts as drift. */
const GRACE_MS = 60 * 60 * 1000;
const OURS = 'subhub:reorder:';

/** The origin the ERP keeps a proposal's purchase order under (mappings/hub.reorder-proposal.to.odoo-purchase-order). */
export const proposalOrigin = (p: { sku: string; location: string; proposedAt: string }): string =>
  `${OURS}${p.sku}:${p.location}:${p.proposedAt.slice(0, 10)}`;

/**
 * Hub reorder proposals ↔ the ERP's draft purchase orders, by origin. This is what the ERP pull
 * can settle cheaply; it is report-only, because the pull cannot tell a purchase order the buyer
 * confirmed (no longer a draft: the reorder planner closes its proposal) from one never created
 * (its delivery is pending or dead-lettered: `subhub dlq` replays it). Renewal sale orders are
 * not compared: the hub keeps no record of them to compare with.
 */
export async function erpPass(ctx: PassContext, pull: Pull): Promise<{ proposals: number; drafts: number }> {
  const drafts = new Set<string>();
  let seen = 0;
  for await (const raw of pull({})) {
    seen++;
    const origin = (raw as { origin?: unknown } | null)?.origin;
    if (typeof origin === 'string' && origin.startsWith(OURS)) drafts.add(origin);
  }
  const open = await ctx.domain.openProposals();
  for (const p of open) {
    const origin = proposalOrigin(p);
    if (drafts.delete(origin)) continue;
    if (ctx.now - Date.parse(p.proposedAt) < GRACE_MS) continue;
    ctx.tally.add(
      { kind: 'erp_proposal_missing', subject: origin, detail: `open proposal ${p.id}: ${p.quantity} × ${p.sku} at ${p.location}` },
      false,
    );
  }
  for (const origin of drafts)
    ctx.tally.add(
      { kind: 'erp_proposal_orphan', subject: origin, detail: 'a draft purchase order of ours with no open proposal in the hub' },
      false,
    );
  ctx.progress('erp', seen, true);
  return { proposals: open.length, drafts: seen };
}
