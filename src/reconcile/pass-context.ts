import type { DomainStore } from '../domain/ports';
import type { Inbox } from '../store/ports';
import type { DriftTally } from './drift';

export type ReconcilePhase = 'warehouse' | 'billing' | 'hub' | 'erp';

/** Progress of a long run: items processed so far in a phase (the CLI prints it to stderr). */
export interface ReconcileProgress {
  phase: ReconcilePhase;
  processed: number;
  elapsedMs: number;
  /** The phase has finished. */
  done: boolean;
}

/** What every pass of one run shares. */
export interface PassContext {
  readonly domain: DomainStore;
  readonly inbox: Pick<Inbox, 'append'>;
  readonly now: number;
  /** The run's date (UTC, YYYY-MM-DD): demand after it is open; repair ids carry it. */
  readonly today: string;
  readonly dryRun: boolean;
  readonly tally: DriftTally;
  /** Tenant of the events the hub re-emits. */
  readonly tenantId: string;
  /** Corrective events appended that were new (a repair already emitted today is not counted again). */
  readonly emitted: { inbox: number; hubEvents: number };
  progress(phase: ReconcilePhase, processed: number, done?: boolean): void;
}

/** Lets timers and I/O run between batches: the source's next page arrives while we compare. */
export const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));
