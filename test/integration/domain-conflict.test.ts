import { DomainService } from '../../src/domain/domain-service';
import { noChanges } from '../../src/domain/ports';
import type { DomainView } from '../../src/domain/domain-view';
import { writeUnit } from '../../src/domain/unit-write';
import type { RunningHub } from '../../src/hub';
import type { InboxRow, Store } from '../../src/store/ports';
import { fixture, shutDown } from '../helpers/fixtures';
import { eventually, startTarget } from '../helpers/target-server';
import { tempSqliteStore } from '../helpers/store-faults';
import { startTestHub } from '../helpers/test-hub';

const CUSTOMER = 'stripe:cus_RbX4pQ8mZt2LwA';

/**
 * Issue 9 §6 over the real pipeline: an operator clears a customer's blacklist after the
 * normalise loop read the customer and before its batch commits. The batch was computed on the
 * blacklisted customer; committing it would put the blacklist back. The customer's unit moved,
 * so the batch conflicts, is computed again on the cleared customer, and then commits.
 */
describe('a domain write between a batch read and its commit (real pipeline, real SQLite)', () => {
  let hub: RunningHub | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  afterEach(async () => {
    await shutDown(hub, target);
    hub = undefined;
    target = undefined;
  });

  it('the batch conflicts, is recomputed on the cleared customer and commits: the clear is not overwritten', async () => {
    const { store: inner } = await tempSqliteStore();
    await inner.domain.commitUnit(
      { customerId: CUSTOMER, version: 0, changes: { ...noChanges(), customers: [{ id: CUSTOMER, defaults: [], blacklisted: true }] } },
      Date.now(),
    );
    const service = new DomainService({ bom: new Map(), overrides: {} });
    let batches = 0;
    // The store the hub runs on: the operator's clear lands just before the first batch commits.
    const store = new Proxy(inner, {
      get(t, p) {
        if (p === 'completeInboxBatch')
          return async (...args: Parameters<Store['completeInboxBatch']>) => {
            const [items] = args;
            if (items.some((i) => (i.claim as InboxRow).source === 'stripe') && batches++ === 0) {
              const clear = (view: DomainView) => service.clearBlacklist(CUSTOMER, 'ops@example.com', view, Date.now());
              await writeUnit(t.domain, CUSTOMER, clear, Date.now());
            }
            return t.completeInboxBatch(...args);
          };
        const v = Reflect.get(t, p, t) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
    target = await startTarget();
    const started = await startTestHub({ targetUrl: target.url, store });
    hub = started;
    const event = fixture('stripe-subscription-created.json');
    expect((await started.postStripe(event)).status).toBe(202);
    await eventually(async () => (await inner.findEvent('stripe', event.id))?.inbox.status === 'normalised');

    // Computed twice: on the blacklisted customer (refused), then on the cleared one.
    expect(batches).toBe(2);
    expect(await inner.domain.customer(CUSTOMER)).toMatchObject({ blacklisted: false, clearedAt: expect.any(String) });
    expect((await inner.domain.decisions({ subject: `customer:${CUSTOMER}` })).map((d) => d.outcome)).toEqual(['cleared']);
    expect(await started.metrics.registry.getSingleMetricAsString('subhub_domain_conflicts_total')).toMatch(
      /subhub_domain_conflicts_total 1$/m,
    );
    await target.waitFor(1);
  });
});
