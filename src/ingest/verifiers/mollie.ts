// Mollie (docs/providers.md §3): two kinds of webhook arrive at the same URL.
// - Next-gen (signed): a JSON event, `X-Mollie-Signature` = hex HMAC-SHA256 of the raw body with the
//   shared secret. Mollie's docs compare the bare lower-case hex; mollie-api-php's SignatureValidator
//   strips a `sha256=` prefix first. Both forms are accepted.
// - Classic (unsigned by design): a form POST whose only parameter is `id=tr_…` (also sub_, mdt_, pl_,
//   ord_). Nothing in it is trusted: it only makes the hub fetch that object from Mollie's API (the
//   connector's enricher), so a forged id fetches Mollie's real object, whatever the sender claims.
import { anyDigestMatches, decodeDigest, fail, hmacSha256, parseJsonObject, rawBodyProblem, requireHeader, usableSecrets } from './common';
import type { VerifyInput, VerifyResult, WebhookVerifier } from './verifier';

const SIGNATURE_HEADER = 'x-mollie-signature';
const SIGNATURE_PREFIX = 'sha256=';
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** Largest classic body accepted, in bytes: `id=` and a 64-character id fit many times over. */
export const CLASSIC_MAX_BYTES = 1024;

/** The event type a classic notification is stored under, by id prefix (inbound mappings and enrichers are chosen by it). */
export const CLASSIC_EVENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  tr: 'payment',
  sub: 'subscription',
  mdt: 'mandate',
  pl: 'payment-link',
  ord: 'order',
});

/** Exactly one `id` parameter, a known prefix and 1–64 ASCII letters or digits: nothing else, not even a trailing `&`. */
const CLASSIC_BODY = /^id=(tr|sub|mdt|pl|ord)_([A-Za-z0-9]{1,64})$/;

/**
 * The object id of a classic body, or undefined. The pattern leaves nothing to percent-decode, so
 * the id is the text as received.
 */
export function classicObjectId(body: string): { id: string; eventType: string } | undefined {
  const m = CLASSIC_BODY.exec(body);
  return m ? { id: `${m[1]}_${m[2]}`, eventType: CLASSIC_EVENT_TYPES[m[1]!]! } : undefined;
}

function contentType(input: VerifyInput): string {
  const raw: unknown = input.headers['content-type'];
  const value = typeof raw === 'string' ? raw : '';
  return value.split(';')[0]!.trim().toLowerCase();
}

/**
 * No usable secret and `allowUnsigned` off: `no_secret` before anything else. A signature header
 * present → a next-gen event: it must verify against a configured secret (none usable: `no_secret`,
 * fail closed, whatever `allowUnsigned` says), then be a JSON object with a
 * string `id` (its dedupe id) and `type`. No signature → a classic notification, accepted only when
 * the connector opted in (`allowUnsigned`), sent as a form, and exactly one valid `id`; otherwise
 * `missing_header` (not opted in, or not a form) or `malformed_body`. A classic success is
 * `notifyOnly`: its dedupe id names the object, not the delivery.
 *
 * Next-gen events carry no signed timestamp, so `nowSec` and `toleranceSec` are unused and the event
 * id is the only replay defence (as for Shopify). The event body's fields beyond `id` and `type` are
 * [unverified] against Mollie's beta documentation.
 */
function verify(input: VerifyInput): VerifyResult {
  // Nothing could pass: no secret for signed events and classic ones not enabled.
  if (input.allowUnsigned !== true && usableSecrets(input.secrets).length === 0)
    return fail(
      'no_secret',
      'no Mollie webhook secret is configured and classic unsigned webhooks are not enabled; rejecting (fail closed)',
    );
  const bodyProblem = rawBodyProblem(input.rawBody);
  if (bodyProblem) return bodyProblem;
  const present = input.headers[SIGNATURE_HEADER] !== undefined;
  if (present) return verifySigned(input);

  if (input.allowUnsigned !== true)
    return fail(
      'missing_header',
      'x-mollie-signature header is missing (classic unsigned webhooks are not enabled: webhook.allowUnsigned)',
    );
  if (contentType(input) !== FORM_CONTENT_TYPE)
    return fail('missing_header', `x-mollie-signature header is missing; an unsigned webhook must be a ${FORM_CONTENT_TYPE} body`);
  if (input.rawBody.length > CLASSIC_MAX_BYTES) return fail('malformed_body', `a classic webhook body exceeds ${CLASSIC_MAX_BYTES} bytes`);
  const classic = classicObjectId(input.rawBody.toString('latin1'));
  if (!classic)
    return fail(
      'malformed_body',
      'a classic webhook must be exactly one "id" parameter: tr_, sub_, mdt_, pl_ or ord_ and 1-64 letters or digits',
    );
  return { ok: true, dedupeId: classic.id, eventType: classic.eventType, notifyOnly: true };
}

function verifySigned(input: VerifyInput): VerifyResult {
  const secrets = usableSecrets(input.secrets);
  if (secrets.length === 0) return fail('no_secret', 'no Mollie webhook secret is configured; rejecting a signed webhook (fail closed)');
  const header = requireHeader(input.headers, SIGNATURE_HEADER);
  if (!header.ok) return header.result;
  const claimed = header.value.startsWith(SIGNATURE_PREFIX) ? header.value.slice(SIGNATURE_PREFIX.length) : header.value;
  const expected = secrets.map((secret) => hmacSha256(secret, input.rawBody));
  if (!anyDigestMatches(expected, [decodeDigest(claimed, 'hex')]))
    return fail('bad_signature', 'X-Mollie-Signature does not match the body for any configured secret');

  const event = parseJsonObject(input.rawBody);
  const id = event?.['id'];
  const type = event?.['type'];
  if (typeof id !== 'string' || id === '') return fail('malformed_body', 'a signed Mollie event must be a JSON object with a string "id"');
  return { ok: true, dedupeId: id, eventType: typeof type === 'string' ? type : undefined };
}

export const mollieVerifier: WebhookVerifier = Object.freeze({ scheme: 'mollie', verify });
