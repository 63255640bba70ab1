/**
 * The domain side of the storage contract (src/domain/ports.ts and the outbox of
 * src/store/ports.ts), written against the interfaces only; every backend runs it:
 * test/contract/sqlite-store.contract.test.ts and postgres-store.contract.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { noChanges, type DemandRecord, type DomainChanges, type SubscriptionState } from '../../src/domain/ports';
import type { HubEvent } from '../../src/events';
import type { Store } from '../../src/store/ports';
import type { StoreFixture } from './store.contract';

const NOW = Date.parse('2026-12-01T09:00:00Z');
const created = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'mappings', 'fixtures', 'hub-subscription-created-coffee.json'), 'utf8'),
) as HubEvent;

function subscription(id: string, customer: string, providerId = id): SubscriptionState {
  return {
    hubSubscriptionId: `stripe:${id}`,
    hubCustomerId: customer,
    snapshot: { ...created.subscription!, hubSubscriptionId: `stripe:${id}`, providerSubscriptionId: providerId },
    occurredAt: created.occurredAt,
    lastEventType: created.type,
    applied: [],
    version: 1,
  };
}

function demand(sub: string, customer: string, period: string, sku: string, quantity: number, location = 'AMS1'): DemandRecord {
  return {
    subscriptionId: `stripe:${sub}`,
    customerId: customer,
    period,
    location,
    status: 'reserved',
    lines: [{ sku, quantity }],
    revision: 1,
    eventId: 'e',
    reason: 'test',
  };
}

function derived(key: string): HubEvent {
  return {
    ...created,
    id: `ev_${key}`,
    type: 'stock.demand_changed',
    source: { provider: 'hub', eventId: key, eventType: 'demand', dedupeKey: `hub:${key}` },
  } as HubEvent;
}

const changes = (c: Partial<DomainChanges>): DomainChanges => ({ ...noChanges(), ...c });

export function domainContract(name: string, create: () => Promise<StoreFixture>): void {
  describe(`Domain store contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: Store;
    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('a unit never written is empty at version 0; each non-empty write moves the version by one; a write from an older version is a conflict and writes nothing', async () => {
      const d = store.domain;
      expect(await d.loadUnit('c1')).toEqual({ customerId: 'c1', version: 0, subscriptions: [], dunning: [], demand: [] });
      const customer = { id: 'c1', defaults: [], blacklisted: false, email: 'a@example.com' };
      expect(await d.commitUnit({ customerId: 'c1', version: 0, changes: changes({ customers: [customer] }) }, NOW)).toBe('committed');
      expect(
        await d.commitUnit({ customerId: 'c1', version: 0, changes: changes({ customers: [{ ...customer, blacklisted: true }] }) }, NOW),
      ).toBe('conflict');
      expect((await d.loadUnit('c1')).customer).toEqual(customer);
      // Nothing to write, but computed from the current version: fine, and the version stays.
      expect(await d.commitUnit({ customerId: 'c1', version: 1, changes: noChanges() }, NOW)).toBe('committed');
      expect(await d.commitUnit({ customerId: 'c1', version: 0, changes: noChanges() }, NOW)).toBe('conflict');
      const sub = subscription('sub_1', 'c1');
      expect(await d.commitUnit({ customerId: 'c1', version: 1, changes: changes({ subscriptions: [sub] }) }, NOW)).toBe('committed');
      expect(await d.loadUnit('c1')).toMatchObject({ version: 2, customer, subscriptions: [sub] });
    });

    it("a unit holds the customer's subscriptions, open dunning cycles and demand, and a subscription stored under another customer when named", async () => {
      const d = store.domain;
      const mine = subscription('sub_a', 'c1');
      const moved = subscription('sub_m', 'c2');
      const dunning = {
        subscriptionId: mine.hubSubscriptionId,
        customerId: 'c1',
        policyId: 'p',
        stage: 'LATE',
        startedAt: '2026-11-30T00:00:00Z',
        unpaid: { in_1: { amountMinor: 1200, failedAt: '2026-11-30T00:00:00Z' } },
        attempts: 1,
        method: 'card' as const,
        deliver: true,
      };
      await d.commitUnit(
        {
          customerId: 'c1',
          version: 0,
          changes: changes({ subscriptions: [mine], dunning: [dunning], demand: [demand('sub_a', 'c1', '2026-12-10', 'COF-FLT-250', 2)] }),
        },
        NOW,
      );
      await d.commitUnit({ customerId: 'c2', version: 0, changes: changes({ subscriptions: [moved] }) }, NOW);
      const unit = await d.loadUnit('c1');
      expect(unit.subscriptions).toEqual([mine]);
      expect(unit.dunning).toEqual([dunning]);
      expect(unit.demand).toEqual([demand('sub_a', 'c1', '2026-12-10', 'COF-FLT-250', 2)]);
      expect((await d.loadUnit('c1', moved.hubSubscriptionId)).subscriptions.map((s) => s.hubSubscriptionId).sort()).toEqual(
        [mine.hubSubscriptionId, moved.hubSubscriptionId].sort(),
      );
      expect(await d.openDunning()).toEqual([dunning]);
      await d.commitUnit({ customerId: 'c1', version: 1, changes: changes({ dunningCleared: [mine.hubSubscriptionId] }) }, NOW);
      expect(await d.openDunning()).toEqual([]);
    });

    it('derived events wait in the outbox with the change that caused them; the relay logs each once, however often it runs', async () => {
      const d = store.domain;
      await d.commitUnit({ customerId: 'c1', version: 0, changes: changes({ derived: [derived('k1'), derived('k2')] }) }, NOW);
      expect(await store.counts(NOW)).toMatchObject({ inboxPending: 2, outboxPending: 2 });
      expect(await d.appendHubEvents([derived('k2'), derived('k3')], NOW)).toBe(1);
      expect(await store.relayOutbox(2)).toBe(2);
      expect(await store.relayOutbox(10)).toBe(1);
      expect(await store.relayOutbox(10)).toBe(0);
      // Already in the log: queued again, it is not new.
      expect(await d.appendHubEvents([derived('k1')], NOW)).toBe(0);
      await store.relayOutbox(10);
      const rows = await store.claimInbox(10, 60_000, NOW);
      expect(rows.map((r) => r.sourceEventId).sort()).toEqual(['hub:k1', 'hub:k2', 'hub:k3']);
      expect(rows.every((r) => r.source === 'hub' && r.eventType === 'stock.demand_changed')).toBe(true);
      expect(JSON.parse(rows.find((r) => r.sourceEventId === 'hub:k1')!.body)).toMatchObject({ id: 'ev_k1' });
    });

    it('demand per (SKU, location) within a horizon and after a date; pages stream everything in order', async () => {
      const d = store.domain;
      await d.seedDemand([
        demand('sub_a', 'c1', '2026-12-05', 'COF-FLT-250', 2),
        demand('sub_b', 'c2', '2026-12-06', 'COF-FLT-250', 3),
        demand('sub_c', 'c3', '2026-12-06', 'COF-FLT-250', 4, 'DUS1'),
        demand('sub_d', 'c4', '2026-12-20', 'COF-FLT-250', 5),
        { ...demand('sub_e', 'c5', '2026-12-06', 'COF-FLT-250', 6), status: 'released', lines: [] },
      ]);
      expect(await d.horizonDemand('2026-12-01', '2026-12-10')).toEqual([
        { sku: 'COF-FLT-250', location: 'AMS1', quantity: 5, subscriptions: ['stripe:sub_a', 'stripe:sub_b'] },
        { sku: 'COF-FLT-250', location: 'DUS1', quantity: 4, subscriptions: ['stripe:sub_c'] },
      ]);
      expect(await d.reservedAfter('2026-12-05')).toEqual([
        { sku: 'COF-FLT-250', location: 'AMS1', quantity: 8 },
        { sku: 'COF-FLT-250', location: 'DUS1', quantity: 4 },
      ]);
      const pages: string[][] = [];
      for await (const page of d.demandPages('2026-12-01', 2)) pages.push(page.map((x) => x.subscriptionId));
      expect(pages).toEqual([['stripe:sub_a', 'stripe:sub_b'], ['stripe:sub_c', 'stripe:sub_d'], ['stripe:sub_e']]);
      await d.seedSubscriptions(['s3', 's1', 's2'].map((id) => subscription(id, 'c1', `sub_${id}`)));
      const subs: string[] = [];
      for await (const page of d.subscriptionPages(2)) subs.push(...page.map((s) => s.snapshot.providerSubscriptionId));
      expect(subs).toEqual(['sub_s1', 'sub_s2', 'sub_s3']);
      expect([...(await d.subscriptionsByProviderId(['sub_s2', 'nope'])).keys()]).toEqual(['sub_s2']);
    });

    it('one open proposal per (SKU, location), with its decision and its event; closing it allows the next', async () => {
      const d = store.domain;
      const p = {
        id: 'p1',
        sku: 'COF-FLT-250',
        location: 'AMS1',
        quantity: 12,
        status: 'open' as const,
        proposedAt: '2026-12-01T09:00:00.000Z',
        reason: 'r',
        trail: [],
      };
      expect(await d.addProposal(p, derived('reorder:p1'), NOW)).toBe(true);
      expect(await d.addProposal({ ...p, id: 'p2' }, derived('reorder:p2'), NOW)).toBe(false);
      expect(await d.addProposal({ ...p, id: 'p3', location: 'DUS1' }, derived('reorder:p3'), NOW)).toBe(true);
      expect((await d.openProposals()).map((x) => x.id).sort()).toEqual(['p1', 'p3']);
      expect((await d.decisions({ kind: 'reorder' })).map((x) => x.outcome)).toEqual(['proposed 12 for AMS1', 'proposed 12 for DUS1']);
      expect(await store.relayOutbox(10)).toBe(2);
      await d.updateProposal(
        { ...p, status: 'closed', confirmed: true, neededBy: '2026-12-20' },
        { at: 'x', kind: 'reorder', subject: 'sku:COF-FLT-250', outcome: 'confirmed', rule: 'r' },
      );
      expect((await d.openProposals()).map((x) => x.id)).toEqual(['p3']);
      expect(await d.incoming('2026-12-10')).toEqual([{ sku: 'COF-FLT-250', location: 'AMS1', quantity: 12 }]);
      expect((await d.proposalsInTransit()).map((x) => x.id)).toEqual(['p1']);
      expect(await d.addProposal({ ...p, id: 'p4' }, derived('reorder:p4'), NOW)).toBe(true);
    });

    it('prunes decisions, past demand and closed proposals older than the cutoffs, and nothing else', async () => {
      const d = store.domain;
      await d.addDecisions([
        { at: '2024-01-01T00:00:00Z', kind: 'dunning', subject: 's', outcome: 'old', rule: 'r' },
        { at: '2026-11-01T00:00:00Z', kind: 'dunning', subject: 's', outcome: 'new', rule: 'r' },
      ]);
      await d.seedDemand([demand('sub_a', 'c1', '2025-01-05', 'COF-FLT-250', 1), demand('sub_a', 'c1', '2026-12-05', 'COF-FLT-250', 1)]);
      expect(await d.prune({ decisionsBefore: '2025-01-01', demandBefore: '2026-01-01' }, 1)).toEqual({
        decisions: 1,
        demand: 1,
        proposals: 0,
      });
      expect((await d.decisions({ subject: 's' })).map((x) => x.outcome)).toEqual(['new']);
      expect((await d.loadUnit('c1')).demand.map((x) => x.period)).toEqual(['2026-12-05']);
    });
  });
}
