/**
 * What the runtime should do next with a failure. The pipeline branches on this (and on `code`),
 * never on message text.
 * - `retryable`: transient (network, timeout, 5xx, 429): try again later.
 * - `permanent`: the target refused for good (other 4xx): dead-letter, no retry.
 * - `bad_input`: the event or its mapping cannot produce valid output: dead-letter at once, never retried.
 * - `config`: an operator-supplied file or setting is wrong: report it, do not page.
 * - `unexpected`: a bug: report and page.
 */
export type ErrorKind = 'retryable' | 'permanent' | 'bad_input' | 'config' | 'unexpected';

export interface HubErrorOptions {
  hint?: string;
  cause?: unknown;
}

/** Base of every error subhub raises on purpose. `code` is stable and documented in codes.ts. */
export class HubError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly hint?: string;

  constructor(code: string, kind: ErrorKind, message: string, options: HubErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HubError';
    this.code = code;
    this.kind = kind;
    if (options.hint !== undefined) this.hint = options.hint;
  }

  get retryable(): boolean {
    return this.kind === 'retryable';
  }
}

export function isHubError(e: unknown): e is HubError {
  return e instanceof HubError;
}
