import { freshStore } from '../../test/helpers/temp-store';
import type { SqliteStore } from '../store/sqlite/sqlite-store';
import type { DemandRecord, ProposalRecord } from './ports';
import { applyRetention, retentionCutoffs } from './retention';

const NOW = Date.parse('2027-12-01T03:00:00Z');
const DAY = 86_400_000;
const iso = (daysAgo: number) => new Date(NOW - daysAgo * DAY).toISOString();
const demand = (sub: string, daysAgo: number): DemandRecord => ({
  subscriptionId: sub,
  customerId: 'c',
  period: iso(daysAgo).slice(0, 10),
  status: 'reserved',
  lines: [{ sku: 'COF-FLT-250', quantity: 1 }],
  revision: 1,
  eventId: 'e',
  reason: 'test',
});
const event = {
  id: 'e',
  type: 'stock.reorder_proposed',
  schemaVersion: 1,
  occurredAt: iso(0),
  receivedAt: iso(0),
  effectiveAt: iso(0),
  actionType: 'effective',
  tenantId: 'default',
} as const;

describe('domain retention (the nightly job)', () => {
  const current = freshStore();
  let store: SqliteStore;
  beforeEach(() => {
    store = current();
  });

  const proposal = (id: string, daysAgo: number, sku: string): ProposalRecord => ({
    id,
    sku,
    location: 'AMS1',
    quantity: 12,
    status: 'open',
    proposedAt: iso(daysAgo),
    reason: 'r',
    trail: [],
  });
  const add = (p: ProposalRecord) =>
    store.domain.addProposal(
      p,
      { ...event, id: p.id, source: { provider: 'hub', eventId: p.id, eventType: 'reorder', dedupeKey: `hub:${p.id}` } },
      NOW,
    );

  it('deletes decisions, past demand and closed proposals older than the defaults; keeps what is recent, to come, or open', async () => {
    await store.domain.addDecisions([
      { at: iso(800), kind: 'dunning', subject: 's1', outcome: 'old', rule: 'r' },
      { at: iso(700), kind: 'dunning', subject: 's1', outcome: 'kept', rule: 'r' },
    ]);
    await store.domain.seedDemand([demand('s1', 120), demand('s1', 60), demand('s1', -10)]);
    await add(proposal('p-old-closed', 400, 'A'));
    await add(proposal('p-old-open', 400, 'B'));
    await add(proposal('p-new-closed', 100, 'C'));
    for (const id of ['p-old-closed', 'p-new-closed']) {
      const p = (await store.domain.openProposals()).find((x) => x.id === id)!;
      await store.domain.updateProposal(
        { ...p, status: 'closed' },
        { at: iso(0), kind: 'reorder', subject: `sku:${p.sku}`, outcome: 'closed', rule: 'r' },
      );
    }
    const decisionsBefore = (await store.domain.decisions({ limit: 100 })).length;

    // Small batches: several transactions per kind.
    expect(await store.domain.prune(retentionCutoffs({}, NOW), 1)).toEqual({ decisions: 1, demand: 1, proposals: 1 });
    expect(await store.domain.decisions({ limit: 100 })).toHaveLength(decisionsBefore - 1);
    expect((await store.domain.decisions({ subject: 's1' })).map((d) => d.outcome)).toEqual(['kept']);
    expect(store.db.prepare(`SELECT period FROM demand WHERE subscription_id = 's1' ORDER BY period`).pluck().all()).toEqual([
      iso(60).slice(0, 10),
      iso(-10).slice(0, 10),
    ]);
    const lines = store.db.prepare('SELECT COUNT(*) FROM demand_lines').pluck().get();
    expect(lines).toBe(2);
    expect(store.db.prepare('SELECT id FROM proposals ORDER BY id').pluck().all() as string[]).toEqual(['p-new-closed', 'p-old-open']);
    // A second run finds nothing more.
    expect(await applyRetention(store.domain, {}, NOW)).toEqual({ decisions: 0, demand: 0, proposals: 0 });
  });

  it('0 keeps a kind forever; shorter settings delete more', async () => {
    await store.domain.addDecisions([{ at: iso(800), kind: 'dunning', subject: 's1', outcome: 'old', rule: 'r' }]);
    await store.domain.seedDemand([demand('s1', 120), demand('s1', 20)]);
    expect(await applyRetention(store.domain, { decisionsDays: 0, demandDays: 10, closedProposalsDays: 0 }, NOW)).toEqual({
      decisions: 0,
      demand: 2,
      proposals: 0,
    });
    expect(retentionCutoffs({ decisionsDays: 0, demandDays: 0, closedProposalsDays: 0 }, NOW)).toEqual({});
  });
});
