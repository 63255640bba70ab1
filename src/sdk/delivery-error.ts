import { kindOf, type ErrorCode } from '../errors/codes';
import { HubError } from '../errors/hub-error';

/**
 * How a connector action reports a failed call. The code says what the pipeline does next:
 * retryable codes are retried on the route's schedule (honouring `retryAfterMs`, clamped),
 * permanent ones go to the dead letters at once.
 */
export class DeliveryError extends HubError {
  readonly retryAfterMs?: number;
  readonly status?: number;

  constructor(code: ErrorCode, message: string, options: { retryAfterMs?: number; status?: number; cause?: unknown } = {}) {
    super(code, kindOf(code), message, { cause: options.cause });
    this.name = 'DeliveryError';
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.status !== undefined) this.status = options.status;
  }
}
