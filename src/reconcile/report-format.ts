import { DRIFT_KINDS, type DriftKind } from './drift';
import type { ReconcileReport } from './engine';
import type { ReconcileProgress } from './pass-context';

const PHASES: Record<ReconcileProgress['phase'], string> = {
  warehouse: 'reservations and demand records',
  billing: 'billing subscriptions',
  hub: 'hub subscriptions',
  erp: 'draft purchase orders',
};

/** The human summary: what was compared, a table of drift by kind, the first examples. */
export function formatReport(r: ReconcileReport, examples = 3): string {
  const lines: string[] = [];
  const compared = (
    [
      ['billing', r.systems.billing.length > 0 ? r.systems.billing.join(' + ') : null],
      ['warehouse', r.systems.warehouse],
      ['erp', r.systems.erp],
    ] as const
  )
    .map(([role, id]) => `${role} ${id ?? '(skipped)'}`)
    .join(', ');
  lines.push(`reconcile ${r.startedAt}${r.dryRun ? ' (dry run: nothing emitted)' : ''}: ${compared}; ${r.seconds.toFixed(1)} s`);
  const c = r.checked;
  lines.push(
    `checked: ${c.billingSubscriptions} billing subscriptions, ${c.hubSubscriptions} hub subscriptions, ${c.demandRecords} demand records, ${c.reservations} reservations, ${c.openProposals} open proposals, ${c.draftPurchaseOrders} draft purchase orders`,
  );
  for (const s of r.skipped) lines.push(`skipped: ${s}`);
  const kinds = Object.entries(r.drift.byKind) as Array<[DriftKind, NonNullable<ReconcileReport['drift']['byKind'][DriftKind]>]>;
  if (kinds.length === 0) {
    lines.push('no drift');
    return lines.join('\n');
  }
  const width = Math.max('total'.length, ...kinds.map(([k]) => k.length));
  const row = (a: string, found: string, repaired: string, what: string) =>
    `${a.padEnd(width)}  ${found.padStart(8)}  ${repaired.padStart(8)}  ${what}`;
  lines.push(row('kind', 'found', 'repaired', 'repair'));
  for (const [k, v] of kinds) lines.push(row(k, String(v.found), String(v.repaired), DRIFT_KINDS[k].repair));
  lines.push(
    row(
      'total',
      String(r.drift.total),
      String(r.drift.repaired),
      `${r.emitted.inbox} provider event(s) and ${r.emitted.hubEvents} hub event(s) newly emitted`,
    ),
  );
  lines.push('examples:');
  for (const [k, v] of kinds)
    for (const e of v.examples.slice(0, examples)) lines.push(`  ${k} ${e.subject}${e.detail ? `: ${e.detail}` : ''}`);
  return lines.join('\n');
}

/** One progress line for stderr. */
export function formatProgress(p: ReconcileProgress): string {
  return `reconcile: ${PHASES[p.phase]}: ${p.processed}${p.done ? ' (done)' : ''} at ${(p.elapsedMs / 1000).toFixed(1)} s`;
}
