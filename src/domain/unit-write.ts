import { HubError } from '../errors/hub-error';
import { DomainView } from './domain-view';
import type { DomainChanges, DomainStore } from './ports';

/**
 * A domain write outside event handling (the nightly review, an operator's blacklist clear):
 * `compute` reads the customer's unit as committed now and returns the changes (undefined or
 * empty: nothing to do); they commit only if the unit has not moved since it was read. On a
 * conflict (an event of the customer committed in between) the unit is read again and the write
 * computed again, so it is never applied over state it did not see. Gives up after `rounds`
 * with DOMAIN_CONFLICT (retryable; nothing was written).
 */
export async function writeUnit(
  store: DomainStore,
  customerId: string,
  compute: (view: DomainView) => DomainChanges | undefined,
  now: number,
  rounds = 20,
): Promise<DomainChanges | undefined> {
  for (let round = 0; round < rounds; round++) {
    const view = new DomainView(await store.loadUnit(customerId));
    const changes = compute(view);
    if (!changes) return undefined;
    if ((await store.commitUnit({ customerId, version: view.version, changes }, now)) === 'committed') return changes;
  }
  throw new HubError(
    'DOMAIN_CONFLICT',
    'retryable',
    `customer ${customerId} changed on every one of ${rounds} attempts; nothing was written`,
  );
}
