import { tempFiles } from '../../test/helpers/temp-files';
import { tempSqliteFile } from '../../test/helpers/temp-sqlite';
import type { HubConfig } from '../config/config.types';
import type { ConnectorRuntime } from '../connectors/registry';
import { MappingSet } from '../mapping/mapping-set';
import { DeliveryError, type Enricher } from '../sdk';
import type { InboxRow } from '../store/ports';
import { openSqliteStore } from '../store/sqlite/sqlite-store';
import { CircuitBreaker } from './circuit-breaker';
import { enrich, type EnrichDeps } from './enrich';
import { normalise, type NormaliseDeps } from './normalise';

const T0 = 1_800_000_000_000;
const RETRY = { initialDelayMs: 1000, multiplier: 2, maxDelayMs: 60_000, jitter: 0, maxAttempts: 3, maxAgeMs: 3_600_000 };

/** A payment provider whose webhooks carry only an id (like Mollie): the enricher reads the payment. */
function connector(enricher: Enricher): ConnectorRuntime {
  return {
    id: 'pay',
    config: { type: 'pay' },
    definition: { type: 'pay', kind: 'billing', description: '', webhook: { scheme: 'standard-webhooks', mappingInput: 'body' } },
    actions: {},
    pulls: {},
    enrichers: { 'payment.failed': enricher },
  } as ConnectorRuntime;
}

/** Drops with a reason that says what the mapping saw under `enrichment` (a valid hub event is not needed to see that). */
const seeing = {
  output: {
    $if: { $eq: [{ $path: 'enrichment.status' }, 'failed'] },
    then: { $drop: 'saw a failed payment' },
    else: { $drop: 'saw no enrichment' },
  },
};
const strict = { output: { $path: 'enrichment.reason', required: true } };

async function setup(enricher: Enricher, mapping: object = seeing, breaker = new CircuitBreaker(5, 30_000)) {
  const db = tempSqliteFile();
  const store = await openSqliteStore(db.file);
  const guards = { breaker, timeoutMs: 1000, acquire: jest.fn(async () => undefined) };
  const enrichDeps: EnrichDeps = { guards: () => guards, retry: RETRY };
  const deps = (m: object): NormaliseDeps => ({
    config: { connectors: { pay: { type: 'pay', inbound: { mappings: { 'payment.failed': 'm', other: 'm' } } } } } as unknown as HubConfig,
    connectors: new Map([['pay', connector(enricher)]]),
    mappings: MappingSet.fromPaths([tempFiles({ 'm.json': m })]),
    enrich: enrichDeps,
  });
  return { store, guards, enrichDeps, deps: deps(mapping), depsWith: deps, close: async () => (await store.close(), db.remove()) };
}

const entry = (eventType = 'payment.failed') => ({
  source: 'pay',
  sourceEventId: `evt_${eventType}`,
  eventType,
  receivedAt: T0,
  headers: {},
  body: JSON.stringify({ id: 'tr_1' }),
});

describe('enrichment ("fetch on notify") in the normalise step', () => {
  it('the mapping sees what the enricher fetched beside the event, and the result is stored with the inbox entry', async () => {
    const enricher = jest.fn(async (event: unknown) => ({ id: (event as { id: string }).id, status: 'failed' }));
    const t = await setup(enricher);
    try {
      await t.store.append(entry());
      const [row] = await t.store.claimInbox(1, 60_000, T0);
      const outcome = await normalise(row!, t.deps, T0);
      expect(outcome).toEqual({
        status: 'ignored',
        kind: 'dropped',
        reason: 'dropped by m: saw a failed payment',
        enrichment: JSON.stringify({ id: 'tr_1', status: 'failed' }),
      });
      expect(enricher).toHaveBeenCalledWith(
        { id: 'tr_1' },
        expect.objectContaining({ idempotencyKey: 'pay/evt_payment.failed/enrich', timeoutMs: 1000 }),
      );
      expect(t.guards.acquire).toHaveBeenCalledTimes(1);
      expect(await t.store.completeInbox(row!, outcome, T0)).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('an event type without an enricher is mapped as received, with no call', async () => {
    const enricher = jest.fn(async () => ({ status: 'failed' }));
    const t = await setup(enricher);
    try {
      await t.store.append(entry('other'));
      const [row] = await t.store.claimInbox(1, 60_000, T0);
      expect(await normalise(row!, t.deps, T0)).toEqual({ status: 'ignored', kind: 'dropped', reason: 'dropped by m: saw no enrichment' });
      expect(enricher).not.toHaveBeenCalled();
    } finally {
      await t.close();
    }
  });

  it('a retryable failure defers the entry on the retry schedule (not claimed before), then it is enriched and mapped', async () => {
    let calls = 0;
    const t = await setup(async () => {
      if (++calls === 1) throw new DeliveryError('DELIVERY_SERVER_ERROR', 'Stripe answered 500', { status: 500 });
      return { status: 'failed' };
    });
    try {
      await t.store.append(entry());
      const [first] = await t.store.claimInbox(1, 60_000, T0);
      const deferred = await normalise(first!, t.deps, T0);
      expect(deferred).toEqual({ status: 'retry', nextAttemptAt: T0 + 1000, error: 'DELIVERY_SERVER_ERROR: Stripe answered 500' });
      expect(await t.store.completeInbox(first!, deferred, T0)).toBe(true);
      expect(await t.store.claimInbox(1, 60_000, T0 + 999)).toEqual([]);
      const [second] = await t.store.claimInbox(1, 60_000, T0 + 1000);
      expect(second).toMatchObject({ id: first!.id, attempts: 2 });
      expect(await normalise(second!, t.deps, T0 + 1000)).toMatchObject({
        status: 'ignored',
        reason: 'dropped by m: saw a failed payment',
      });
      expect(t.guards.breaker.state).toBe('closed');
    } finally {
      await t.close();
    }
  });

  it('a replay maps the data stored with the entry: the enricher is not called again', async () => {
    const enricher = jest.fn(async () => ({ status: 'failed' }));
    const t = await setup(enricher, strict);
    try {
      await t.store.append(entry());
      const [row] = await t.store.claimInbox(1, 60_000, T0);
      // The mapping needs a field the enrichment lacks: a dead letter at stage map, the enrichment kept.
      const failed = await normalise(row!, t.deps, T0);
      expect(failed).toMatchObject({ status: 'failed', deadLetter: { stage: 'map', errorCode: 'MAPPING_REQUIRED_MISSING' } });
      await t.store.completeInbox(row!, failed, T0);
      const [letter] = await t.store.listDeadLetters({ stage: 'map' });
      expect(await t.store.replayDeadLetter(letter!.id, 'ops@example.com', T0 + 5)).toBe('replayed');
      // The operator fixed the mapping; the provider's object has changed meanwhile.
      enricher.mockResolvedValue({ status: 'paid' });
      const [again] = await t.store.claimInbox(1, 60_000, T0 + 10);
      expect(again!.enrichment).toBe(JSON.stringify({ status: 'failed' }));
      expect(await normalise(again!, t.depsWith(seeing), T0 + 10)).toEqual({
        status: 'ignored',
        kind: 'dropped',
        reason: 'dropped by m: saw a failed payment',
      });
      expect(enricher).toHaveBeenCalledTimes(1);
    } finally {
      await t.close();
    }
  });

  it("a refusal dead-letters at stage map with the connector's code; running out of retries too", async () => {
    const refused = await setup(async () => {
      throw new DeliveryError('DELIVERY_REJECTED', 'No such payment: tr_1', { status: 404 });
    });
    try {
      await refused.store.append(entry());
      const [row] = await refused.store.claimInbox(1, 60_000, T0);
      expect(await normalise(row!, refused.deps, T0)).toMatchObject({
        status: 'failed',
        deadLetter: {
          stage: 'map',
          errorCode: 'DELIVERY_REJECTED',
          mapping: 'pay.enrich(payment.failed)',
          errorMessage: expect.stringContaining('No such payment'),
        },
      });
    } finally {
      await refused.close();
    }
    const down = await setup(async () => {
      throw new DeliveryError('DELIVERY_NETWORK', 'connection refused');
    });
    try {
      const row: InboxRow = { ...entry(), id: 'in_1', attempts: RETRY.maxAttempts };
      expect(await normalise(row, down.deps, T0)).toMatchObject({
        status: 'failed',
        deadLetter: { stage: 'map', errorCode: 'DELIVERY_EXHAUSTED', errorMessage: expect.stringContaining('gave up after 3 attempt(s)') },
      });
    } finally {
      await down.close();
    }
  });

  it("shares the connector's circuit breaker: failures open it, and an open circuit defers without calling", async () => {
    const breaker = new CircuitBreaker(2, 30_000);
    const enricher = jest.fn(async () => {
      throw new DeliveryError('DELIVERY_TIMEOUT', 'no answer');
    });
    const t = await setup(enricher, seeing, breaker);
    try {
      const row: InboxRow = { ...entry(), id: 'in_1', attempts: 1 };
      const conn = t.deps.connectors.get('pay');
      await enrich(row, {}, conn, t.enrichDeps, T0);
      await enrich(row, {}, conn, t.enrichDeps, T0);
      expect(breaker.state).toBe('open');
      expect(await enrich(row, {}, conn, t.enrichDeps, T0 + 1)).toEqual({
        status: 'retry',
        nextAttemptAt: T0 + 30_001,
        error: 'CIRCUIT_OPEN: the circuit is open',
      });
      expect(enricher).toHaveBeenCalledTimes(2);
    } finally {
      await t.close();
    }
  });
});
