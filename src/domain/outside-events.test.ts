import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshStore } from '../../test/helpers/temp-store';
import type { HubEvent } from '../events';
import type { InboxOutcome } from '../store/ports';
import type { SqliteStore } from '../store/sqlite/sqlite-store';
import { DomainService } from './domain-service';
import { noChanges } from './ports';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', '..', 'mappings', 'fixtures', name), 'utf8')) as HubEvent;
const NOW = Date.parse('2026-12-29T09:00:00Z');

/**
 * The nightly review and an operator's blacklist clear write the domain outside event handling.
 * A batch the normalise loop computed from the state before them must not be committed over
 * them: its entries are handed out again and recomputed.
 */
describe('domain writes outside event handling against a batch computed from older state', () => {
  const current = freshStore();
  let store: SqliteStore;
  beforeEach(() => {
    store = current();
  });

  it('a blacklist clear committed while a batch was normalised wins: the batch is not committed and its entry is handed out again', async () => {
    const customerId = 'stripe:cus_eva';
    store.domain.commitOutsideEvents(
      () => ({
        ...noChanges(),
        customers: [{ id: customerId, defaults: ['2026-12-20T00:00:00Z', '2026-12-28T00:00:00Z'], blacklisted: true }],
      }),
      NOW,
    );
    await store.append({
      source: 'stripe',
      sourceEventId: 'evt_1',
      eventType: 'customer.subscription.updated',
      receivedAt: NOW,
      headers: {},
      body: '{}',
    });
    const [row] = await store.claimInbox(10, 60_000, NOW);

    // The normalise loop computes its batch at the current epoch: the customer as it was (blacklisted).
    const epoch = store.domain.epoch();
    const created = fixture('hub-subscription-created-coffee.json');
    const batch = new DomainService(store.domain, { bom: new Map(), overrides: {} }).handle(
      { ...created, customer: { ...created.customer!, hubCustomerId: customerId, email: 'eva@example.com' } },
      NOW,
    );
    expect(batch.customers).toEqual([expect.objectContaining({ id: customerId, blacklisted: true })]);

    // Meanwhile an operator clears the blacklist.
    const cleared = store.domain.commitOutsideEvents(
      () => new DomainService(store.domain, { bom: new Map(), overrides: {} }).clearBlacklist(customerId, 'ops@example.com', NOW + 1),
      NOW + 1,
    );
    expect(cleared?.customers).toEqual([expect.objectContaining({ blacklisted: false })]);
    expect(store.domain.epoch()).toBe(epoch + 1);

    const outcome: InboxOutcome = {
      status: 'normalised',
      event: {
        eventId: 'ev1',
        type: created.type,
        entityKey: 'sub',
        body: JSON.stringify(created),
        deliveries: [],
        domain: batch,
        domainEpoch: epoch,
      },
    };
    expect(await store.completeInbox(row!, outcome, NOW + 2)).toBe(false);
    expect(store.domain.customer(customerId)).toMatchObject({ blacklisted: false, clearedAt: new Date(NOW + 1).toISOString() });
    // Handed out again at once (no lease to wait for), and recomputed from the cleared state it commits.
    const [again] = await store.claimInbox(10, 60_000, NOW + 3);
    expect(again?.id).toBe(row!.id);
    const recomputed = new DomainService(store.domain, { bom: new Map(), overrides: {} }).handle(
      { ...created, customer: { ...created.customer!, hubCustomerId: customerId, email: 'eva@example.com' } },
      NOW + 3,
    );
    const fresh: InboxOutcome = {
      status: 'normalised',
      event: { ...outcome.event, domain: recomputed, domainEpoch: store.domain.epoch() },
    };
    expect(await store.completeInbox(again!, fresh, NOW + 3)).toBe(true);
    expect(store.domain.customer(customerId)).toMatchObject({ blacklisted: false, email: 'eva@example.com' });
  });

  it('a compute that changes nothing writes nothing and leaves the epoch', () => {
    const epoch = store.domain.epoch();
    expect(store.domain.commitOutsideEvents(() => undefined, NOW)).toBeUndefined();
    expect(store.domain.commitOutsideEvents(() => noChanges(), NOW)).toEqual(noChanges());
    expect(store.domain.epoch()).toBe(epoch);
  });
});
