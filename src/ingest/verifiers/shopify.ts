// Shopify: `X-Shopify-Hmac-Sha256` = base64(HMAC-SHA256(raw body, app client secret)) (docs/providers.md §2.1).
import { anyDigestMatches, decodeDigest, fail, hmacSha256, optionalHeader, rawBodyProblem, requireHeader, usableSecrets } from './common';
import type { VerifyInput, VerifyResult, WebhookVerifier } from './verifier';

const HMAC_HEADER = 'x-shopify-hmac-sha256';
const WEBHOOK_ID_HEADER = 'x-shopify-webhook-id';
const TOPIC_HEADER = 'x-shopify-topic';

/**
 * Shopify signs the body only; there is no timestamp, so `nowSec`/`toleranceSec` are unused and dedupe on
 * `X-Shopify-Webhook-Id` (returned as `dedupeId`) is the ONLY replay defence. Note that the id and topic
 * headers are not covered by the HMAC either: a captured delivery replayed with a changed id passes this
 * check, so the inbox must not treat the id as authenticated.
 *
 * Rotation: after a client-secret change Shopify may keep using the old secret for up to an hour, so any
 * configured secret may match. Both the HMAC header and the webhook id are required (missing_header).
 */
function verify(input: VerifyInput): VerifyResult {
  const secrets = usableSecrets(input.secrets);
  if (secrets.length === 0) return fail('no_secret', 'no Shopify webhook secret is configured; rejecting (fail closed)');
  const bodyProblem = rawBodyProblem(input.rawBody);
  if (bodyProblem) return bodyProblem;

  const hmac = requireHeader(input.headers, HMAC_HEADER);
  if (!hmac.ok) return hmac.result;
  const webhookId = requireHeader(input.headers, WEBHOOK_ID_HEADER);
  if (!webhookId.ok) return webhookId.result;

  const expected = secrets.map((secret) => hmacSha256(secret, input.rawBody));
  if (!anyDigestMatches(expected, [decodeDigest(hmac.value, 'base64')])) {
    return fail('bad_signature', 'X-Shopify-Hmac-Sha256 does not match the body for any configured secret');
  }
  return { ok: true, dedupeId: webhookId.value, eventType: optionalHeader(input.headers, TOPIC_HEADER) };
}

export const shopifyVerifier: WebhookVerifier = Object.freeze({ scheme: 'shopify', verify });
