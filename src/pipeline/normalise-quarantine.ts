import type { InboxSettlement, Store } from '../store/ports';
import type { ThreadWatchdog } from './pipeline-runner';

/** The actor the audit trail names when the watchdog, not a person, sets an entry aside. */
export const WATCHDOG_ACTOR = 'pipeline-watchdog';

/**
 * What the hub does when the pipeline thread overruns the normalisation budget on one entry:
 * the entry becomes a dead letter NORMALISE_TIMEOUT at stage `map` (raw body, attempts, how long
 * it ran), so it never blocks again, not even after a restart; then every lease is released
 * (the terminated thread was the store's only worker) and the replacement thread goes on.
 */
export function normaliseWatchdog(store: Store, budgetMs: number): ThreadWatchdog {
  return {
    budgetMs,
    async quarantine(entry) {
      await store.settleInbox(
        entry.inboxId,
        {
          action: 'dead_letter',
          errorCode: 'NORMALISE_TIMEOUT',
          errorMessage:
            `normalising inbox entry ${entry.inboxId} ran for ${entry.ranMs} ms (started ${new Date(entry.startedAt).toISOString()}), ` +
            `past the budget of ${budgetMs} ms (pipeline.normaliseBudgetMs): the pipeline thread was restarted and the entry set aside; ` +
            'later events went on. Fix the mapping (or raise the budget), then replay this dead letter.',
        },
        WATCHDOG_ACTOR,
        Date.now(),
      );
    },
    releaseLeases: () => store.recoverLeases(),
  };
}

/** What "skip" and "dead-letter" mean for an entry an operator takes out of line (admin API and CLI). */
export function inboxSettlement(action: 'skip' | 'dead-letter', actor: string, reason: string): InboxSettlement {
  const why = reason || 'no reason given';
  return action === 'skip'
    ? { action: 'skip', reason: why }
    : {
        action: 'dead_letter',
        errorCode: 'INBOX_SET_ASIDE',
        errorMessage: `set aside by ${actor} before normalising (${why}); replay it once the cause is fixed`,
      };
}
