import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshStore } from '../../test/helpers/temp-store';
import type { HubEvent } from '../events';
import type { InboxOutcome, InboxRow } from '../store/ports';
import type { SqliteStore } from '../store/sqlite/sqlite-store';
import { DomainService } from './domain-service';
import { DomainView } from './domain-view';
import { noChanges } from './ports';
import { writeUnit } from './unit-write';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', '..', 'mappings', 'fixtures', name), 'utf8')) as HubEvent;
const NOW = Date.parse('2026-12-29T09:00:00Z');
const customerId = 'stripe:cus_eva';
const created = fixture('hub-subscription-created-coffee.json');
const evaCreated: HubEvent = { ...created, customer: { ...created.customer!, hubCustomerId: customerId, email: 'eva@example.com' } };
const service = new DomainService({ bom: new Map(), overrides: {} });

/**
 * The nightly review and an operator's blacklist clear write the domain outside event handling.
 * Every write carries the version of the customer's unit it was computed from: a write computed
 * from an older version is refused as a conflict and computed again, whichever side lost.
 */
describe('versioned domain writes: events against writes outside event handling', () => {
  const current = freshStore();
  let store: SqliteStore;
  beforeEach(() => {
    store = current();
  });

  async function blacklisted(): Promise<void> {
    const customers = [{ id: customerId, defaults: ['2026-12-20T00:00:00Z', '2026-12-28T00:00:00Z'], blacklisted: true }];
    expect(await store.domain.commitUnit({ customerId, version: 0, changes: { ...noChanges(), customers } }, NOW)).toBe('committed');
  }

  async function claimed(ids: string[]): Promise<InboxRow[]> {
    for (const [i, id] of ids.entries())
      await store.append({
        source: 'stripe',
        sourceEventId: id,
        eventType: 'customer.subscription.updated',
        receivedAt: NOW + i,
        headers: {},
        body: '{}',
      });
    return store.claimInbox(10, 60_000, NOW);
  }

  function normalised(eventId: string, view: DomainView, event: HubEvent): InboxOutcome {
    const changes = service.handle(event, view, NOW);
    const outcome: InboxOutcome = {
      status: 'normalised',
      event: {
        eventId,
        type: event.type,
        entityKey: 'sub',
        body: JSON.stringify(event),
        deliveries: [],
        domain: changes,
        unit: { customerId, version: view.version },
      },
    };
    view.apply(changes);
    return outcome;
  }

  it('a blacklist clear committed while a batch was computed wins: the batch conflicts at its first entry of that customer, writes nothing, and commits once recomputed', async () => {
    await blacklisted();
    const rows = await claimed(['evt_1', 'evt_2']);

    // The normalise loop reads the unit (blacklisted) and computes both entries on it.
    const view = new DomainView(await store.domain.loadUnit(customerId));
    expect(view.version).toBe(1);
    const batch = [
      normalised('ev1', view, evaCreated),
      normalised('ev2', view, { ...evaCreated, id: 'e2', source: { ...evaCreated.source, dedupeKey: 'k2' } }),
    ];
    expect(batch[0]!.status === 'normalised' && batch[0]!.event.domain?.customers).toEqual([
      expect.objectContaining({ blacklisted: true }),
    ]);

    // Meanwhile an operator clears the blacklist.
    const cleared = await writeUnit(
      store.domain,
      customerId,
      (v) => service.clearBlacklist(customerId, 'ops@example.com', v, NOW + 1),
      NOW + 1,
    );
    expect(cleared?.customers).toEqual([expect.objectContaining({ blacklisted: false })]);

    const items = rows.map((claim, i) => ({ claim, outcome: batch[i]! }));
    expect(await store.completeInboxBatch(items, NOW + 2)).toEqual(['conflict', 'skipped']);
    expect(await store.domain.customer(customerId)).toMatchObject({ blacklisted: false, clearedAt: new Date(NOW + 1).toISOString() });
    expect(await store.listPendingInbox(10)).toHaveLength(2);
    expect(await store.findEvent('stripe', 'evt_1')).toMatchObject({ inbox: { status: 'received' } });

    // Recomputed on the unit as it is now, the same claims commit (no lease to wait for).
    const fresh = new DomainView(await store.domain.loadUnit(customerId));
    const again = [
      normalised('ev1', fresh, evaCreated),
      normalised('ev2', fresh, { ...evaCreated, id: 'e2', source: { ...evaCreated.source, dedupeKey: 'k2' } }),
    ];
    expect(
      await store.completeInboxBatch(
        rows.map((claim, i) => ({ claim, outcome: again[i]! })),
        NOW + 3,
      ),
    ).toEqual(['applied', 'applied']);
    expect(await store.domain.customer(customerId)).toMatchObject({ blacklisted: false, email: 'eva@example.com' });
    expect((await store.domain.loadUnit(customerId)).version).toBe(fresh.version);
  });

  it('an event committed between the read and the commit of an outside write makes it compute again on the new state', async () => {
    await blacklisted();
    const [row] = await claimed(['evt_1']);
    const eventView = new DomainView(await store.domain.loadUnit(customerId));
    let calls = 0;
    const cleared = await writeUnit(
      store.domain,
      customerId,
      (view) => {
        calls++;
        if (calls === 1) {
          // An event of the customer commits after the clear read the unit (the embedded store commits within the call).
          void store.completeInboxBatch([{ claim: row!, outcome: normalised('ev1', eventView, evaCreated) }], NOW + 1);
        }
        return service.clearBlacklist(customerId, 'ops@example.com', view, NOW + 2);
      },
      NOW + 2,
    );
    expect(calls).toBe(2);
    expect(cleared?.customers[0]).toMatchObject({ blacklisted: false, email: 'eva@example.com' });
    expect(await store.domain.customer(customerId)).toMatchObject({ blacklisted: false, email: 'eva@example.com' });
  });

  it('a compute that changes nothing writes nothing and leaves the version; a customer that keeps changing is DOMAIN_CONFLICT', async () => {
    await blacklisted();
    expect(await writeUnit(store.domain, customerId, () => undefined, NOW)).toBeUndefined();
    expect(await store.domain.commitUnit({ customerId, version: 1, changes: noChanges() }, NOW)).toBe('committed');
    expect((await store.domain.loadUnit(customerId)).version).toBe(1);
    expect(await store.domain.commitUnit({ customerId, version: 0, changes: noChanges() }, NOW)).toBe('conflict');

    let round = 0;
    const busy = writeUnit(
      store.domain,
      customerId,
      (view) => {
        // Every round, another writer commits first.
        void store.domain.commitUnit(
          {
            customerId,
            version: view.version,
            changes: { ...noChanges(), decisions: [{ at: 'x', kind: 'dunning', subject: 's', outcome: `o${round++}`, rule: 'r' }] },
          },
          NOW,
        );
        return { ...noChanges(), decisions: [{ at: 'y', kind: 'dunning', subject: 's', outcome: 'mine', rule: 'r' }] };
      },
      NOW,
      3,
    );
    await expect(busy).rejects.toMatchObject({ code: 'DOMAIN_CONFLICT', kind: 'retryable' });
    expect((await store.domain.decisions({ subject: 's' })).map((d) => d.outcome)).toEqual(['o0', 'o1', 'o2']);
  });
});
