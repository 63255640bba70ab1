import { HubError } from '../errors/hub-error';

/** The store could not commit (disk full, I/O error, locked): callers answer 503 and retry later. */
export class StoreUnavailableError extends HubError {
  constructor(cause: unknown) {
    super('STORE_UNAVAILABLE', 'retryable', `the store cannot commit: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}
