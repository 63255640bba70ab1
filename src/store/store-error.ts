import { HubError } from '../errors/hub-error';

/** The store could not commit (disk full, I/O error, locked): callers answer 503 and retry later. */
export class StoreUnavailableError extends HubError {
  constructor(cause: unknown, code: 'STORE_UNAVAILABLE' | 'STORE_BUSY' = 'STORE_UNAVAILABLE') {
    super(code, 'retryable', `the store cannot commit: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Lock contention ("database is locked"): another connection to the same file (the other thread,
 * a CLI command) held the write lock past the busy timeout. Expected under load: the work is
 * retried and nothing is lost, so it is counted and logged at debug, never paged.
 */
export class StoreBusyError extends StoreUnavailableError {
  constructor(cause: unknown) {
    super(cause, 'STORE_BUSY');
    this.name = 'StoreBusyError';
  }
}

/**
 * A store was used before its `init()` resolved (Store port: constructors do no I/O, `init()`
 * opens and migrates). Always a wiring bug, never a state of the database.
 */
export class StoreNotInitialisedError extends HubError {
  constructor(store: string) {
    super('STORE_NOT_INITIALISED', 'unexpected', `${store} was used before init(): await store.init() once before any other call`);
    this.name = 'StoreNotInitialisedError';
  }
}
