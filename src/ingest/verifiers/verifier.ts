// Contract shared by every inbound-webhook signature verifier.
//
// Verifiers are pure functions of their input: no clock, no I/O, no logging. They never throw for any
// header or body content; every signature problem is an `ok: false` result, which the HTTP layer maps to
// 401 (never 500). Messages name headers and reasons only: they never contain secrets or signature values.

/** Headers with lower-case names (as node:http gives them). */
export type Headers = Readonly<Record<string, string | string[] | undefined>>;

export interface VerifyInput {
  /** The exact bytes received (express.raw), never a parsed-and-re-serialised body. */
  rawBody: Buffer;
  headers: Headers;
  /** All currently accepted secrets (several during rotation). Empty strings are ignored; none left = fail closed. */
  secrets: readonly string[];
  /** Current time, Unix seconds (injected so tests can use a fixed clock). */
  nowSec: number;
  /** Allowed clock distance in seconds for schemes that sign a timestamp; callers default to DEFAULT_TOLERANCE_SEC. */
  toleranceSec: number;
  /**
   * The connector opted in to unsigned notifications (config `webhook.allowUnsigned`): only the
   * `mollie` scheme reads it, for Mollie's classic `id=…` webhooks. Absent or false: refused.
   */
  allowUnsigned?: boolean;
}

export type VerifyResult =
  | {
      ok: true;
      dedupeId: string;
      eventType: string | undefined;
      occurredAtSec?: number;
      /**
       * Set for an unsigned notification that only names an object (Mollie's classic `id=tr_…`):
       * `dedupeId` is then the object's id, which the sender repeats for every change of that object,
       * so it must not be the inbox key (the caller makes one per request). Nothing in such a body is
       * trusted: it can only make the hub fetch the named object from the provider.
       */
      notifyOnly?: true;
    }
  | { ok: false; reason: VerifyFailure; message: string };

/**
 * Why a webhook is refused. Every reason answers 401 except `malformed_body` (400, kept as a dead
 * letter): a body that cannot be what the scheme allows (a Mollie classic form that is not exactly
 * one valid `id`).
 */
export type VerifyFailure =
  'no_secret' | 'missing_header' | 'malformed_header' | 'bad_signature' | 'timestamp_out_of_window' | 'malformed_body';

export interface WebhookVerifier {
  readonly scheme: 'stripe' | 'shopify' | 'standard-webhooks' | 'mollie';
  verify(input: VerifyInput): VerifyResult;
}

/** Default timestamp tolerance: Stripe's DEFAULT_TOLERANCE and the Standard Webhooks reference library both use 300 s. */
export const DEFAULT_TOLERANCE_SEC = 300;
