import type { ConnectorRuntime } from '../connectors/registry';
import { DeliveryError } from '../sdk';
import type { DeadLetterEntry, InboxRow } from '../store/ports';
import type { TargetGuards } from './deliver';
import { nextRetry, type RetrySchedule } from './retry-policy';

export { withEnrichment } from '../mapping/enrichment-input';

/** What the enrichment step needs: the source connector's guards (shared with its deliveries) and the retry schedule. */
export interface EnrichDeps {
  guards(target: string): TargetGuards;
  retry: RetrySchedule;
  random?: () => number;
  /** Aborted when the hub stops with a fetch in flight. */
  signal?: AbortSignal;
}

/**
 * The outcome of the enrichment step for one inbox entry:
 * - `none`: the connector declares no enricher for this event type, or it had nothing to fetch;
 * - `ok`: the fetched data (`fresh` when fetched now, to be stored with the entry);
 * - `retry`: a retryable failure (or an open circuit) within the retry schedule;
 * - `dead`: a permanent failure, or the schedule ran out (a dead letter at stage `map`).
 */
export type EnrichOutcome =
  | { status: 'none' }
  | { status: 'ok'; value: unknown; fresh: boolean }
  | { status: 'retry'; nextAttemptAt: number; error: string }
  | { status: 'dead'; deadLetter: Pick<DeadLetterEntry, 'errorCode' | 'errorMessage' | 'mapping'> };

/**
 * Runs the connector's enricher for the entry's event type ("fetch on notify") under the same
 * circuit breaker, rate limit, timeout and retry schedule as a delivery to that connector. An
 * entry enriched before (a retry of the mapping, a replay) reuses what was stored: no new call,
 * the same data.
 */
export async function enrich(
  row: InboxRow,
  input: unknown,
  connector: ConnectorRuntime | undefined,
  deps: EnrichDeps,
  now: number,
): Promise<EnrichOutcome> {
  const enrichers = connector?.enrichers;
  const eventType = row.eventType ?? '';
  const enricher = enrichers?.[eventType] ?? enrichers?.['*'];
  if (!enricher) return { status: 'none' };
  if (row.enrichment !== undefined) return { status: 'ok', value: JSON.parse(row.enrichment) as unknown, fresh: false };
  const name = `${row.source}.enrich(${eventType})`;
  const guards = deps.guards(row.source);
  if (!guards.breaker.allow(now)) {
    return { status: 'retry', nextAttemptAt: now + guards.breaker.openMs, error: 'CIRCUIT_OPEN: the circuit is open' };
  }
  await guards.acquire();
  try {
    const value = await enricher(input, {
      idempotencyKey: `${row.source}/${row.sourceEventId}/enrich`,
      attempt: row.attempts,
      timeoutMs: guards.timeoutMs,
      signal: deps.signal,
    });
    guards.breaker.success();
    return value === undefined ? { status: 'none' } : { status: 'ok', value, fresh: true };
  } catch (e) {
    const err =
      e instanceof DeliveryError ? e : new DeliveryError('DELIVERY_NETWORK', e instanceof Error ? e.message : String(e), { cause: e });
    if (err.kind === 'retryable') guards.breaker.failure(now);
    else guards.breaker.success(); // a refusal is an answer: the provider is up
    if (err.kind !== 'retryable')
      return { status: 'dead', deadLetter: { mapping: name, errorCode: err.code, errorMessage: `enrichment ${name}: ${err.message}` } };
    const decision = nextRetry(deps.retry, row.attempts, row.receivedAt, now, err.retryAfterMs, deps.random);
    if (!decision.retry) {
      const message = `enrichment ${name} gave up after ${row.attempts} attempt(s) (${decision.reason}); last error ${err.code}: ${err.message}`;
      return { status: 'dead', deadLetter: { mapping: name, errorCode: 'DELIVERY_EXHAUSTED', errorMessage: message } };
    }
    return { status: 'retry', nextAttemptAt: now + decision.delayMs, error: `${err.code}: ${err.message}` };
  }
}
