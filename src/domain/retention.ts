import type { RetentionConfig } from '../config/config.types';
import type { DomainStore, PruneCounts, PruneCutoffs } from './ports';

const DAY = 86_400_000;
/** The defaults of config/hub.schema.json `retention`. */
export const RETENTION_DEFAULTS = { decisionsDays: 730, demandDays: 90, closedProposalsDays: 365 } as const;

/** What `retention` keeps at `now`, as cutoffs; a setting of 0 keeps its kind forever. */
export function retentionCutoffs(r: Readonly<RetentionConfig> = {}, now: number): PruneCutoffs {
  const before = (days: number) => (days > 0 ? new Date(now - days * DAY).toISOString() : undefined);
  const decisions = before(r.decisionsDays ?? RETENTION_DEFAULTS.decisionsDays);
  const demand = before(r.demandDays ?? RETENTION_DEFAULTS.demandDays);
  const proposals = before(r.closedProposalsDays ?? RETENTION_DEFAULTS.closedProposalsDays);
  return {
    ...(decisions ? { decisionsBefore: decisions } : {}),
    // Demand rows are keyed by delivery date (YYYY-MM-DD).
    ...(demand ? { demandBefore: demand.slice(0, 10) } : {}),
    ...(proposals ? { closedProposalsBefore: proposals } : {}),
  };
}

/** The nightly job's domain retention: deletes decisions, past demand and closed proposals older than `retention` says. */
export function applyRetention(domain: DomainStore, r: Readonly<RetentionConfig> | undefined, now: number): Promise<PruneCounts> {
  return domain.prune(retentionCutoffs(r, now));
}
