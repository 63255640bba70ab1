// Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` (docs/providers.md §1.7, stripe-node Webhooks.ts).
import {
  anyDigestMatches,
  decodeDigest,
  fail,
  hmacSha256,
  parseJsonObject,
  parseUnixSeconds,
  rawBodyProblem,
  requireHeader,
  timestampProblem,
  usableSecrets,
} from './common';
import type { VerifyInput, VerifyResult, WebhookVerifier } from './verifier';

const HEADER = 'stripe-signature';

interface StripeSignatureHeader {
  t: number;
  v1: string[];
}

/**
 * Parse the header as stripe-node does: comma-separated `key=value` items, `t` and every `v1` kept, `v0` and
 * unknown schemes ignored, no whitespace trimming. Stricter than stripe-node: `t` must be plain digits
 * (stripe-node's parseInt would take `12abc` as 12) and may appear only once (stripe-node keeps the last).
 * Returns a problem description instead of throwing.
 */
function parseHeader(value: string): StripeSignatureHeader | string {
  let t: number | undefined;
  let sawT = false;
  const v1: string[] = [];
  for (const item of value.split(',')) {
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq);
    const val = eq === -1 ? '' : item.slice(eq + 1);
    if (key === 't') {
      if (sawT) return 'Stripe-Signature has more than one t';
      sawT = true;
      t = parseUnixSeconds(val);
      if (t === undefined) return 'Stripe-Signature t is not a Unix timestamp';
    } else if (key === 'v1') {
      v1.push(val);
    }
  }
  if (t === undefined) return 'Stripe-Signature has no t';
  if (v1.length === 0) return 'Stripe-Signature has no v1 signature';
  return { t, v1 };
}

/**
 * Order of checks: secrets (fail closed), header presence and shape, signature, then timestamp window.
 * The signature is checked before the window (as stripe-node does) so `timestamp_out_of_window` is only
 * ever reported for authentic deliveries: it then signals clock skew or a replay, not a forgery.
 *
 * Window: stripe-node rejects only `now − t > tolerance`; future timestamps always pass there. We ALSO reject
 * `t − now > tolerance`, a deliberate stricter choice: Stripe stamps `t` when it sends, so a timestamp further
 * ahead than the tolerance means clock skew beyond tolerance or a forged clock, both suspicious.
 *
 * Success: `dedupeId` is the event `id` and `eventType` the event `type`, read from the JSON body only after
 * the signature is verified; `occurredAtSec` is the event's `created`. If the verified body is not a JSON
 * object (or has no string `id`), the result is still ok with `dedupeId: ''` and `eventType: undefined`:
 * the bytes are authentic but unusable, which the HTTP layer answers with 400, not 401.
 */
function verify(input: VerifyInput): VerifyResult {
  const secrets = usableSecrets(input.secrets);
  if (secrets.length === 0) return fail('no_secret', 'no Stripe webhook secret is configured; rejecting (fail closed)');
  const bodyProblem = rawBodyProblem(input.rawBody);
  if (bodyProblem) return bodyProblem;

  const header = requireHeader(input.headers, HEADER);
  if (!header.ok) return header.result;
  const parsed = parseHeader(header.value);
  if (typeof parsed === 'string') return fail('malformed_header', parsed);

  // Signed content is `${t}.${rawBody}` over the raw bytes; the secret (`whsec_…`) is the HMAC key as text.
  const prefix = `${parsed.t}.`;
  const expected = secrets.map((secret) => hmacSha256(secret, prefix, input.rawBody));
  const claimed = parsed.v1.map((sig) => decodeDigest(sig, 'hex'));
  if (!anyDigestMatches(expected, claimed)) {
    return fail('bad_signature', 'no v1 signature in Stripe-Signature matches the body for any configured secret');
  }

  const windowProblem = timestampProblem(input.nowSec, parsed.t, input.toleranceSec);
  if (windowProblem) return fail('timestamp_out_of_window', `Stripe-Signature ${windowProblem}`);

  const event = parseJsonObject(input.rawBody);
  const id = event?.['id'];
  const type = event?.['type'];
  const created = event?.['created'];
  return {
    ok: true,
    dedupeId: typeof id === 'string' ? id : '',
    eventType: typeof type === 'string' ? type : undefined,
    ...(Number.isSafeInteger(created) ? { occurredAtSec: created as number } : {}),
  };
}

export const stripeVerifier: WebhookVerifier = Object.freeze({ scheme: 'stripe', verify });
