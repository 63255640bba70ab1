import type { DomainChanges, DomainReader, DomainStore } from '../domain/ports';
import { DomainView } from '../domain/domain-view';
import { isEmpty } from '../domain/ports';
import type { HubEvent } from '../events';
import type { NormalisedEvent } from '../store/ports';

/** The subscription domain as the pipeline runs it: which unit an event touches, and what it changes there (pure). */
export interface DomainStep {
  unitOf(event: Readonly<HubEvent>): { customerId: string; subscriptionId?: string } | undefined;
  handle(event: Readonly<HubEvent>, view: DomainReader): DomainChanges;
  /** Told which SKUs' demand an event moved (the reorder planner looks at them after the batch). */
  demandMoved?(skus: string[]): void;
}

/**
 * The units a batch has loaded, by customer: the batch's events of one customer read and write
 * the same view in arrival order, each computed from the state the one before it leaves. Made
 * per batch (and per retry after a conflict), never shared between batches.
 */
export class BatchUnits {
  readonly #views = new Map<string, DomainView>();
  constructor(private readonly store: DomainStore) {}

  /**
   * Runs the domain step on a normalised event and sets its `domain` and `unit` (the version it
   * was computed from); events outside the domain get neither.
   */
  async handle(event: NormalisedEvent, step: DomainStep): Promise<void> {
    delete event.domain;
    delete event.unit;
    const parsed = event.parsed ?? (JSON.parse(event.body) as HubEvent);
    const unit = step.unitOf(parsed);
    if (!unit) return;
    let view = this.#views.get(unit.customerId);
    if (!view) {
      view = new DomainView(await this.store.loadUnit(unit.customerId, unit.subscriptionId));
      this.#views.set(unit.customerId, view);
    }
    const changes = step.handle(parsed, view);
    event.unit = { customerId: unit.customerId, version: view.version };
    if (isEmpty(changes)) return;
    event.domain = changes;
    const skus = view.changedSkus(changes);
    if (skus.length > 0) step.demandMoved?.(skus);
    view.apply(changes);
  }
}
