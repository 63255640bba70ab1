import { StoreBusyError } from '../store/store-error';
import type { Logger } from './logger';
import type { HubMetrics } from './metrics';

/**
 * Logs a failed store operation by what it means for whoever reads the logs. Lock contention
 * (StoreBusyError) is expected under load and the work is retried: debug level, counted in
 * `subhub_store_busy_total{operation}`. Anything else is an error.
 */
export function logStoreFailure(
  deps: { logger: Logger; metrics?: HubMetrics },
  operation: string,
  message: string,
  e: unknown,
  context: Record<string, unknown> = {},
): void {
  const error = e instanceof Error ? e.message : String(e);
  if (e instanceof StoreBusyError) {
    deps.metrics?.storeBusy.inc({ operation });
    deps.logger.debug(`${message}: the store is busy (another connection is writing); retried`, { ...context, code: e.code, error });
  } else deps.logger.error(message, { ...context, error });
}
