// Standard Webhooks v1.0.0: `webhook-id`, `webhook-timestamp`, `webhook-signature` (docs/providers.md §5,
// standard-webhooks spec and its reference JavaScript library). Used for generic sources.
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

const SECRET_PREFIX = 'whsec_';
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Key bytes of a secret written `whsec_<base64>`. As in the reference library the prefix is optional and the
 * rest is always base64-decoded. A secret that is not strict (padded) base64, or decodes to nothing, is
 * unusable and skipped; if no secret is usable the verifier fails closed with `no_secret`.
 */
function secretKey(secret: string): Buffer | undefined {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!STRICT_BASE64.test(encoded)) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length > 0 ? key : undefined;
}

/** The `v1` signatures of a space-separated `version,signature` list; other versions (e.g. `v1a`, ed25519) are ignored. */
function v1Signatures(header: string): string[] {
  const found: string[] = [];
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma !== -1 && entry.slice(0, comma) === 'v1') found.push(entry.slice(comma + 1));
  }
  return found;
}

/**
 * Order of checks: secrets (fail closed), the three headers (missing_header), their shape (malformed_header:
 * non-digit timestamp, an id containing `.`, which the spec forbids because it would make the signed content
 * ambiguous, or no `v1` entry at all, the same rule as Stripe's "no v1"), the signature (any secret × any v1),
 * then the window. The window is two-sided, ± toleranceSec, as the spec requires. As for Stripe, the signature
 * comes first so `timestamp_out_of_window` is only reported for authentic deliveries.
 *
 * Success: `dedupeId` is `webhook-id` (same on every retry; it is part of the signed content). `eventType` is
 * the body's `type` and `occurredAtSec` its ISO `timestamp` when the verified body is a JSON object that has
 * them; both are optional in this scheme.
 */
function verify(input: VerifyInput): VerifyResult {
  const keys = usableSecrets(input.secrets)
    .map(secretKey)
    .filter((key): key is Buffer => key !== undefined);
  if (keys.length === 0) return fail('no_secret', 'no usable Standard Webhooks secret is configured; rejecting (fail closed)');
  const bodyProblem = rawBodyProblem(input.rawBody);
  if (bodyProblem) return bodyProblem;

  const id = requireHeader(input.headers, 'webhook-id');
  if (!id.ok) return id.result;
  const timestampHeader = requireHeader(input.headers, 'webhook-timestamp');
  if (!timestampHeader.ok) return timestampHeader.result;
  const signatureHeader = requireHeader(input.headers, 'webhook-signature');
  if (!signatureHeader.ok) return signatureHeader.result;

  if (id.value.includes('.')) return fail('malformed_header', 'webhook-id must not contain "."');
  const timestamp = parseUnixSeconds(timestampHeader.value);
  if (timestamp === undefined) return fail('malformed_header', 'webhook-timestamp is not a Unix timestamp');
  const signatures = v1Signatures(signatureHeader.value);
  if (signatures.length === 0) return fail('malformed_header', 'webhook-signature has no v1 signature');

  const prefix = `${id.value}.${timestamp}.`;
  const expected = keys.map((key) => hmacSha256(key, prefix, input.rawBody));
  const claimed = signatures.map((sig) => decodeDigest(sig, 'base64'));
  if (!anyDigestMatches(expected, claimed)) {
    return fail('bad_signature', 'no v1 signature in webhook-signature matches the body for any configured secret');
  }

  const windowProblem = timestampProblem(input.nowSec, timestamp, input.toleranceSec);
  if (windowProblem) return fail('timestamp_out_of_window', `webhook-timestamp ${windowProblem}`);

  const body = parseJsonObject(input.rawBody);
  const type = body?.['type'];
  const occurredMs = typeof body?.['timestamp'] === 'string' ? Date.parse(body['timestamp']) : NaN;
  return {
    ok: true,
    dedupeId: id.value,
    eventType: typeof type === 'string' ? type : undefined,
    ...(Number.isFinite(occurredMs) ? { occurredAtSec: Math.floor(occurredMs / 1000) } : {}),
  };
}

export const standardWebhooksVerifier: WebhookVerifier = Object.freeze({ scheme: 'standard-webhooks', verify });
