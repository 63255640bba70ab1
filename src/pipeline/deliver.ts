import type { ConnectorRuntime } from '../connectors/registry';
import { isHubError } from '../errors/hub-error';
import type { MappingSet } from '../mapping/mapping-set';
import type { HubMetrics } from '../observability/metrics';
import { DeliveryError } from '../sdk';
import type { DeadLetterEntry, DeliveryOutcome, DeliveryRow } from '../store/ports';
import type { CircuitBreaker } from './circuit-breaker';
import { nextRetry, type RetrySchedule } from './retry-policy';
import { alreadyShipped, stockOutOutcome, type StockOutSettings } from './stock-out';
import type { HubEvent } from '../events';

export interface TargetGuards {
  breaker: CircuitBreaker;
  /** Resolves when the target's rate limit lets one call through. */
  acquire(): Promise<void>;
  timeoutMs: number;
}

export interface DeliverDeps {
  connectors: ReadonlyMap<string, ConnectorRuntime>;
  mappings: MappingSet;
  retry: RetrySchedule;
  guards(target: string): TargetGuards;
  metrics?: HubMetrics;
  now(): number;
  random?: () => number;
  /** Aborted when the hub stops with calls still in flight. */
  signal?: AbortSignal;
  /** The parsed canonical event of a delivery, shared by the deliveries of one event (mappings never mutate input). */
  parsedEvent?: (row: DeliveryRow) => unknown;
  /** What a warehouse stock-out leads to (stock.stockOut); without it a stock-out is retried like any retryable error. */
  stockOut?: StockOutSettings;
}

const CIRCUIT_STATE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * One delivery attempt: map the canonical event with the route's mapping, call the target's
 * action with the delivery's idempotency key, and decide what happens next. Mapping failures
 * and permanent refusals dead-letter at once; retryable failures follow the retry schedule
 * until it runs out. An open circuit defers the attempt without calling the target.
 */
export async function deliver(row: DeliveryRow, deps: DeliverDeps): Promise<DeliveryOutcome> {
  const now = deps.now();
  const dead = (stage: DeadLetterEntry['stage'], errorCode: string, errorMessage: string): DeliveryOutcome => ({
    status: 'dead',
    at: now,
    deadLetter: {
      stage,
      errorCode,
      errorMessage,
      source: row.source,
      sourceEventId: row.sourceEventId,
      eventId: row.eventId,
      route: row.route,
      target: row.target,
      mapping: row.mapping,
      idempotencyKey: row.idempotencyKey,
      attempts: row.attempts,
      firstAttemptAt: row.firstAttemptAt ?? now,
      lastAttemptAt: now,
      payload: row.eventBody,
    },
  });

  const connector = deps.connectors.get(row.target);
  const action = connector?.actions[row.action];
  if (!connector || !action) {
    const why = connector
      ? `connector ${row.target} (type ${connector.definition.type}) has no action "${row.action}"`
      : `connector ${row.target} is not configured or disabled`;
    return dead('route', 'ROUTE_UNKNOWN_TARGET', why);
  }

  let payload: unknown;
  try {
    const result = await deps.mappings.get(row.mapping).run(deps.parsedEvent ? deps.parsedEvent(row) : JSON.parse(row.eventBody));
    if (result.dropped) return { status: 'done', at: now };
    payload = result.output;
  } catch (e) {
    if (isHubError(e))
      return dead('map', e.code, 'toLine' in e && typeof e.toLine === 'function' ? (e.toLine as () => string)() : e.message);
    throw e;
  }

  const guards = deps.guards(row.target);
  if (!guards.breaker.allow(now)) {
    return {
      status: 'retry',
      at: now,
      nextAttemptAt: now + guards.breaker.openMs,
      error: 'CIRCUIT_OPEN: the circuit is open',
      refund: true,
    };
  }
  await guards.acquire();
  const started = process.hrtime.bigint();
  try {
    await action(payload, { idempotencyKey: row.idempotencyKey, attempt: row.attempts, timeoutMs: guards.timeoutMs, signal: deps.signal });
    guards.breaker.success();
    return { status: 'done', at: deps.now() };
  } catch (e) {
    const err =
      e instanceof DeliveryError ? e : new DeliveryError('DELIVERY_NETWORK', e instanceof Error ? e.message : String(e), { cause: e });
    // A rate limit is an answer, not a failure: the target is up and says when to come back.
    if (err.kind === 'retryable' && err.code !== 'DELIVERY_RATE_LIMITED') guards.breaker.failure(deps.now());
    else guards.breaker.success(); // a refusal is an answer: the target is up
    const at = deps.now();
    if (err.code === 'DELIVERY_ALREADY_SHIPPED')
      return alreadyShipped(
        row,
        (deps.parsedEvent ? deps.parsedEvent(row) : JSON.parse(row.eventBody)) as Partial<HubEvent>,
        at,
        err.message,
      );
    if (err.kind !== 'retryable') return dead('deliver', err.code, err.message);
    const paced = rateLimitedRetry(deps.retry, row, err, at);
    if (paced) return paced;
    if (err.code === 'DELIVERY_STOCK_OUT' && deps.stockOut) {
      const event = (deps.parsedEvent ? deps.parsedEvent(row) : JSON.parse(row.eventBody)) as Partial<HubEvent>;
      return (
        stockOutOutcome(row, event, deps.stockOut, at, err.message) ??
        dead(
          'deliver',
          'DELIVERY_EXHAUSTED',
          `gave up after ${row.attempts} attempt(s): the stock-out retry schedule ran out; last error ${err.code}: ${err.message}`,
        )
      );
    }
    const decision = nextRetry(deps.retry, row.attempts, row.firstAttemptAt ?? at, at, err.retryAfterMs, deps.random);
    if (!decision.retry)
      return dead(
        'deliver',
        'DELIVERY_EXHAUSTED',
        `gave up after ${row.attempts} attempt(s) (${decision.reason}); last error ${err.code}: ${err.message}`,
      );
    return { status: 'retry', at, nextAttemptAt: at + decision.delayMs, error: `${err.code}: ${err.message}` };
  } finally {
    deps.metrics?.deliverySeconds.observe({ target: row.target }, Number(process.hrtime.bigint() - started) / 1e9);
    deps.metrics?.circuit.set({ target: row.target }, CIRCUIT_STATE[guards.breaker.state]);
  }
}

/**
 * A rate limit that says how long to wait (Retry-After, Shopify's cost bucket) is pacing, not a
 * failed attempt: the delivery waits that long (capped by the schedule's maxDelayMs) and the
 * attempt is refunded, so a burst that outruns the target's budget drains at the target's pace
 * instead of using up its attempts. The schedule's maxAgeMs still bounds it.
 */
function rateLimitedRetry(schedule: RetrySchedule, row: DeliveryRow, err: DeliveryError, at: number): DeliveryOutcome | undefined {
  if (err.code !== 'DELIVERY_RATE_LIMITED' || err.retryAfterMs === undefined || !Number.isFinite(err.retryAfterMs)) return undefined;
  const delayMs = Math.min(schedule.maxDelayMs, Math.max(0, err.retryAfterMs));
  if (at + delayMs - (row.firstAttemptAt ?? at) > schedule.maxAgeMs) return undefined;
  return { status: 'retry', at, nextAttemptAt: at + delayMs, error: `${err.code}: ${err.message}`, refund: true };
}
