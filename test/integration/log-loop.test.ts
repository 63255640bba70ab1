/**
 * The pipeline's consumer of an external event log (Pipeline#logLoop), with the log and the
 * landing faked at their ports and everything else real: a batch that cannot be landed because the
 * store is away must be landed before any later batch is read, or the later batch's offset commit
 * would skip it for good. (Found in review: the loop used to read on after a failed landing.)
 */
import { buildPipeline } from '../../src/composition/build-pipeline';
import { createLogger } from '../../src/observability/logger';
import { HubMetrics } from '../../src/observability/metrics';
import { loadRuntime } from '../../src/runtime';
import type { ExternalLog, LogBatch, LoggedEntry } from '../../src/store/ports';
import { StoreUnavailableError } from '../../src/store/store-error';
import { tempSqliteStore } from '../helpers/store-faults';
import { eventually } from '../helpers/target-server';

const entry = (n: number): LoggedEntry => ({
  id: `01LOGLOOP${String(n).padStart(17, '0')}`,
  source: 'stripe',
  sourceEventId: `evt_${n}`,
  // Ignored by the shipped config (inbound.ignore): an outcome without enrichment or domain.
  eventType: 'invoice.upcoming',
  receivedAt: 1_700_000_000_000 + n,
  headers: {},
  body: JSON.stringify({ id: `evt_${n}`, type: 'invoice.upcoming', data: { object: {} } }),
});

describe('the external log consumer', () => {
  it('lands a batch whose landing failed (store away) before it reads the next one; offsets are committed in order', async () => {
    const batches: Array<LogBatch & { name: string }> = [
      { name: 'B1', entries: [entry(1), entry(2)], unreadable: [], positions: 'B1' },
      { name: 'B2', entries: [entry(3)], unreadable: [], positions: 'B2' },
    ];
    const events: string[] = [];
    let landedCalls = 0;
    const log: ExternalLog = {
      batch: 100,
      reader: {
        read: async (_max, waitMs) => {
          const next = batches.shift();
          if (next) events.push(`read ${next.name}`);
          else await new Promise((r) => setTimeout(r, waitMs)); // the port's blocking fetch, as long as it allows
          return next ?? { entries: [], unreadable: [], positions: null };
        },
        commit: async (batch) => void events.push(`commit ${String(batch.positions)}`),
      },
      landing: {
        landed: async () => {
          if (++landedCalls === 1) throw new StoreUnavailableError(new Error('connection refused'));
          return new Set();
        },
        landBatch: async (items) => {
          events.push(`land ${items.map((i) => i.entry.sourceEventId).join(',')}`);
          return items.map(() => 'applied');
        },
        drainOutbox: async () => 0,
        drainStream: async () => 0,
      },
      relay: async () => 0,
      unreadable: async () => undefined,
    };
    const runtime = loadRuntime({ path: 'config/hub.json', localPath: false, env: {} });
    const { store } = await tempSqliteStore();
    const pipeline = buildPipeline(runtime, store, createLogger('error', true), new HubMetrics(), Date.now, undefined, log);
    pipeline.start();
    try {
      await eventually(() => events.includes('commit B2'), 10_000);
    } finally {
      await pipeline.stop(Date.now() + 5000);
      await store.close();
    }
    expect(events).toEqual(['read B1', 'land evt_1,evt_2', 'commit B1', 'read B2', 'land evt_3', 'commit B2']);
  });
});
