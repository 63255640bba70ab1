import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { warehouseConnector } from '../../connectors/warehouse';
import { startWarehouseSimulator } from '../../connectors/warehouse/simulator';
import { tempFiles } from '../../test/helpers/temp-files';
import type { ConnectorRuntime } from '../connectors/registry';
import { MappingSet } from '../mapping/mapping-set';
import { DeliveryError, type Action } from '../sdk';
import type { DeliveryRow } from '../store/ports';
import { openSqliteStore } from '../store/sqlite/sqlite-store';
import { CircuitBreaker } from './circuit-breaker';
import { deliver, type DeliverDeps } from './deliver';
import { addInterval } from './stock-out';

const T0 = 1_800_000_000_000;
const mappings = MappingSet.fromPaths([tempFiles({ 'pay.json': { output: { id: { $path: 'id', required: true } } } })]);

function row(over: Partial<DeliveryRow> = {}): DeliveryRow {
  return {
    id: 'd1',
    seq: 1,
    eventId: 'ev1',
    route: 'r',
    target: 't',
    action: 'send',
    mapping: 'pay',
    entityKey: 'sub_1',
    idempotencyKey: 'stripe:evt_1/r',
    eventBody: JSON.stringify({ id: 'ev1' }),
    source: 'stripe',
    sourceEventId: 'evt_1',
    attempts: 1,
    firstAttemptAt: T0,
    createdAt: T0,
    ...over,
  };
}

function deps(action: Action, over: Partial<DeliverDeps> = {}, breaker = new CircuitBreaker(5, 30_000)): DeliverDeps {
  const connector = {
    id: 't',
    config: { type: 'http' },
    definition: { type: 'http', kind: 'generic', description: '' },
    actions: { send: action },
    pulls: {},
  } as ConnectorRuntime;
  return {
    connectors: new Map([['t', connector]]),
    mappings,
    retry: { initialDelayMs: 1000, multiplier: 2, maxDelayMs: 60_000, jitter: 0, maxAttempts: 5, maxAgeMs: 3_600_000 },
    guards: () => ({ breaker, timeoutMs: 1000, acquire: async () => undefined }),
    now: () => T0,
    ...over,
  };
}

const failWith =
  (e: DeliveryError): Action =>
  async () => {
    throw e;
  };

describe('deliver: what each answer leads to (R4)', () => {
  it('sends the mapped payload with the idempotency key and succeeds', async () => {
    const calls: unknown[] = [];
    const out = await deliver(
      row(),
      deps(async (payload, ctx) => (calls.push([payload, ctx.idempotencyKey, ctx.attempt]), { status: 200 })),
    );
    expect(out).toEqual({ status: 'done', at: T0 });
    expect(calls).toEqual([[{ id: 'ev1' }, 'stripe:evt_1/r', 1]]);
  });

  it('stock-out under retry_later: retried on the inventory schedule (days), then a dead letter saying the schedule ran out', async () => {
    const stockOut = { policy: 'retry_later' as const, retryDays: [1, 3] };
    const out409 = failWith(new DeliveryError('DELIVERY_STOCK_OUT', 'insufficient_stock', { status: 409 }));
    expect(await deliver(row({ attempts: 2 }), deps(out409, { stockOut }))).toMatchObject({
      status: 'retry',
      nextAttemptAt: T0 + 3 * 86_400_000,
      error: expect.stringContaining('again in 3 day(s)'),
    });
    expect(await deliver(row({ attempts: 3 }), deps(out409, { stockOut }))).toMatchObject({
      status: 'dead',
      deadLetter: { errorCode: 'DELIVERY_EXHAUSTED', errorMessage: expect.stringContaining('stock-out retry schedule ran out') },
    });
    // Without a policy a stock-out is one more retryable error.
    expect(await deliver(row(), deps(out409))).toMatchObject({ status: 'retry', nextAttemptAt: T0 + 1000 });
  });

  it('a release the warehouse answers already_shipped: done, no retry, no dead letter, and the decision trail says the box left', async () => {
    const body = JSON.stringify({
      id: 'ev1',
      tenantId: 't',
      subscription: { hubSubscriptionId: 'stripe:sub_1' },
      demand: { period: '2026-12-29', status: 'released', lines: [], reason: 'held' },
    });
    const out = await deliver(
      row({ eventBody: body }),
      deps(failWith(new DeliveryError('DELIVERY_ALREADY_SHIPPED', '409 already_shipped', { status: 409 }))),
    );
    expect(out).toEqual({
      status: 'done',
      at: T0,
      decisions: [
        expect.objectContaining({
          kind: 'demand',
          subject: 'stripe:sub_1',
          eventId: 'ev1',
          outcome: 'already shipped: 2026-12-29',
          rule: expect.stringContaining('the hold applies from the next delivery'),
        }),
      ],
    });
  });

  it('stock-out under skip_cycle: done, with a hub subscription.cycle_skipped that pauses billing until the next cycle', async () => {
    const sub = {
      hubSubscriptionId: 'stripe:sub_1',
      providerSubscriptionId: 'sub_1',
      status: 'active',
      providerStatus: 'active',
      items: [{ sku: 'A', quantity: 1 }],
      interval: { unit: 'week', count: 2 },
      nextRenewalAt: '2026-12-15T08:00:00.000Z',
      entitlement: { deliver: true, blockChanges: false, blockedBy: [] },
    };
    const body = JSON.stringify({ id: 'ev1', tenantId: 't', customer: { hubCustomerId: 'stripe:cus_1' }, subscription: sub });
    const out = await deliver(
      row({ eventBody: body }),
      deps(failWith(new DeliveryError('DELIVERY_STOCK_OUT', 'insufficient_stock')), { stockOut: { policy: 'skip_cycle', retryDays: [1] } }),
    );
    expect(out).toMatchObject({
      status: 'done',
      followUp: [
        {
          type: 'subscription.cycle_skipped',
          source: { provider: 'hub', dedupeKey: 'hub:stockout:stripe:sub_1:2026-12-15' },
          subscription: {
            pause: { startsAt: '2026-12-15T08:00:00.000Z', resumesAt: '2026-12-29T08:00:00.000Z', reason: 'stock_out', collection: 'void' },
          },
        },
      ],
    });
  });

  it('429 with Retry-After: retry after that delay, clamped to the schedule', async () => {
    const out = await deliver(row(), deps(failWith(new DeliveryError('DELIVERY_RATE_LIMITED', '429', { retryAfterMs: 20_000 }))));
    expect(out).toMatchObject({ status: 'retry', nextAttemptAt: T0 + 20_000 });
    const huge = await deliver(row(), deps(failWith(new DeliveryError('DELIVERY_RATE_LIMITED', '429', { retryAfterMs: 10 ** 9 }))));
    expect(huge).toMatchObject({ status: 'retry', nextAttemptAt: T0 + 60_000 });
  });

  it('a rate limit (Shopify THROTTLED, 429) never opens the circuit and does not use up attempts (issue 10.7)', async () => {
    const breaker = new CircuitBreaker(5, 30_000);
    const throttled = failWith(new DeliveryError('DELIVERY_RATE_LIMITED', 'Shopify answered THROTTLED', { retryAfterMs: 150 }));
    for (let i = 0; i < 20; i++) {
      expect(await deliver(row({ attempts: 4 }), deps(throttled, {}, breaker))).toMatchObject({
        status: 'retry',
        refund: true,
        nextAttemptAt: T0 + 150,
      });
    }
    expect(breaker.state).toBe('closed');
    // Real failures still open it.
    for (let i = 0; i < 5; i++) await deliver(row(), deps(failWith(new DeliveryError('DELIVERY_SERVER_ERROR', '503')), {}, breaker));
    expect(breaker.state).toBe('open');
  });

  it('5xx: retry on the exponential schedule; exhausted attempts dead-letter with the last error', async () => {
    expect(await deliver(row({ attempts: 3 }), deps(failWith(new DeliveryError('DELIVERY_SERVER_ERROR', '503'))))).toMatchObject({
      status: 'retry',
      nextAttemptAt: T0 + 4000,
    });
    const out = await deliver(row({ attempts: 5 }), deps(failWith(new DeliveryError('DELIVERY_SERVER_ERROR', 'answered 503'))));
    expect(out).toMatchObject({ status: 'dead', deadLetter: { stage: 'deliver', errorCode: 'DELIVERY_EXHAUSTED', attempts: 5 } });
    expect((out as { deadLetter: { errorMessage: string } }).deadLetter.errorMessage).toContain('DELIVERY_SERVER_ERROR: answered 503');
  });

  it.each([
    ['410', 'DELIVERY_GONE'],
    ['400', 'DELIVERY_REJECTED'],
  ] as const)('%s: dead-letters at once, never retried', async (_status, code) => {
    const out = await deliver(row(), deps(failWith(new DeliveryError(code, 'refused'))));
    expect(out).toMatchObject({
      status: 'dead',
      deadLetter: { stage: 'deliver', errorCode: code, route: 'r', target: 't', mapping: 'pay', idempotencyKey: 'stripe:evt_1/r' },
    });
  });

  it('an open circuit defers without calling the target, and the attempt is refunded', async () => {
    const breaker = new CircuitBreaker(1, 30_000);
    breaker.failure(T0);
    let called = false;
    const out = await deliver(
      row(),
      deps(async () => ((called = true), {}), {}, breaker),
    );
    expect(called).toBe(false);
    expect(out).toMatchObject({ status: 'retry', refund: true, nextAttemptAt: T0 + 30_000 });
  });

  it('a mapping failure dead-letters at stage map; an unknown action at stage route', async () => {
    expect(
      await deliver(
        row({ eventBody: '{}' }),
        deps(async () => ({})),
      ),
    ).toMatchObject({ status: 'dead', deadLetter: { stage: 'map', errorCode: 'MAPPING_REQUIRED_MISSING' } });
    expect(
      await deliver(
        row({ action: 'nope' }),
        deps(async () => ({})),
      ),
    ).toMatchObject({ status: 'dead', deadLetter: { stage: 'route', errorCode: 'ROUTE_UNKNOWN_TARGET' } });
  });
});

describe('a restart in the middle of a backoff (R4)', () => {
  it('keeps the next attempt time: the delivery is not due before it, and is due after it, in a reopened store', async () => {
    const dir = tempFiles({});
    const file = join(dir, 'subhub.db');
    const store = await openSqliteStore(file);
    await store.append({ source: 'stripe', sourceEventId: 'evt_1', receivedAt: T0, headers: {}, body: '{}' });
    const [entry] = await store.claimInbox(1, 60_000, T0);
    await store.completeInbox(
      entry!,
      {
        status: 'normalised',
        event: {
          eventId: 'ev1',
          type: 'subscription.renewed',
          entityKey: 'sub_1',
          body: '{"id":"ev1"}',
          deliveries: [{ route: 'r', target: 't', action: 'send', mapping: 'pay', idempotencyKey: 'k' }],
        },
      },
      T0,
    );
    const [d] = await store.claimDeliveries(1, 60_000, T0 + 1);
    const out = await deliver(d!, deps(failWith(new DeliveryError('DELIVERY_SERVER_ERROR', '503')), { now: () => T0 + 2 }));
    expect(out).toMatchObject({ status: 'retry', nextAttemptAt: T0 + 1002 });
    await store.completeDelivery(d!, out);
    await store.close();

    const reopened = await openSqliteStore(file); // the process restarted
    await reopened.releaseAllLeases();
    expect(await reopened.claimDeliveries(1, 60_000, T0 + 1001)).toEqual([]);
    const [again] = await reopened.claimDeliveries(1, 60_000, T0 + 1002);
    expect(again).toMatchObject({ id: d!.id, attempts: 2, idempotencyKey: 'k' });
    await reopened.close();
  });
});

describe('a hold that comes after the box left (real warehouse simulator, shipped mapping, SQLite store)', () => {
  it('the release is answered 409 already_shipped: the delivery completes, nothing is dead-lettered, the decision trail says the box left', async () => {
    let now = Date.parse('2026-12-29T09:00:00Z');
    const sim = await startWarehouseSimulator(0, { now: () => now });
    const dir = tempFiles({});
    const store = await openSqliteStore(join(dir, 'subhub.db'));
    try {
      const warehouse = {
        id: 'warehouse',
        config: { type: 'warehouse' },
        definition: warehouseConnector,
        pulls: {},
        actions: warehouseConnector.createActions!({ baseUrl: sim.url, allowHosts: ['127.0.0.1'] }, {
          resolveSecret: () => undefined,
        } as never),
      } as unknown as ConnectorRuntime;
      const shipped = MappingSet.fromPaths([join(__dirname, '..', '..', 'mappings')]);
      const created = JSON.parse(
        readFileSync(join(__dirname, '..', '..', 'mappings', 'fixtures', 'hub-subscription-created-coffee.json'), 'utf8'),
      ) as { subscription: { hubSubscriptionId: string } };
      const demandEvent = (status: 'reserved' | 'released') => ({
        ...created,
        type: 'stock.demand_changed',
        demand: {
          period: '2026-12-29',
          status,
          lines: status === 'reserved' ? [{ sku: 'COF-FLT-250', quantity: 1 }] : [],
          reason: status === 'released' ? 'the customer is blacklisted' : 'active',
        },
      });
      const attempt = async (event: unknown, key: string) => {
        await store.append({ source: 'hub', sourceEventId: key, receivedAt: now, headers: {}, body: '{}' });
        const [entry] = await store.claimInbox(1, 60_000, now);
        await store.completeInbox(
          entry!,
          {
            status: 'normalised',
            event: {
              eventId: key,
              type: 'stock.demand_changed',
              entityKey: created.subscription.hubSubscriptionId,
              body: JSON.stringify(event),
              deliveries: [
                {
                  route: 'shipment-reservation',
                  target: 'warehouse',
                  action: 'reserve',
                  mapping: 'hub.subscription-demand.to.warehouse-reservation',
                  idempotencyKey: key,
                },
              ],
            },
          },
          now,
        );
        const [d] = await store.claimDeliveries(1, 60_000, now);
        const out = await deliver(d!, {
          ...deps(async () => ({})),
          connectors: new Map([['warehouse', warehouse]]),
          mappings: shipped,
          now: () => now,
        });
        await store.completeDelivery(d!, out);
        return out;
      };
      expect(await attempt(demandEvent('reserved'), 'k-reserve')).toMatchObject({ status: 'done' });
      now = Date.parse('2026-12-30T09:00:00Z'); // the box of the 29th left last night
      expect(await attempt(demandEvent('released'), 'k-release')).toMatchObject({
        status: 'done',
        decisions: [expect.objectContaining({ outcome: 'already shipped: 2026-12-29' })],
      });
      expect(await store.counts()).toMatchObject({ deliveriesPending: 0, deadLettersOpen: 0 });
      expect((await store.domain.decisions({ subject: created.subscription.hubSubscriptionId })).map((d) => d.outcome)).toEqual([
        'already shipped: 2026-12-29',
      ]);
    } finally {
      await store.close();
      await sim.close();
    }
  });
});

describe('addInterval (the end of a skipped cycle)', () => {
  it.each([
    ['2027-01-31T08:00:00.000Z', 'month', 1, '2027-02-28T08:00:00.000Z'],
    ['2028-01-31T08:00:00.000Z', 'month', 1, '2028-02-29T08:00:00.000Z'],
    ['2026-12-15T08:00:00.000Z', 'month', 1, '2027-01-15T08:00:00.000Z'],
    ['2026-08-31T08:00:00.000Z', 'month', 6, '2027-02-28T08:00:00.000Z'],
    ['2028-02-29T08:00:00.000Z', 'year', 1, '2029-02-28T08:00:00.000Z'],
    ['2026-12-15T08:00:00.000Z', 'week', 2, '2026-12-29T08:00:00.000Z'],
  ] as const)('%s plus %s ×%i → %s', (from, unit, count, to) => {
    expect(addInterval(from, unit, count)).toBe(to);
  });
});
