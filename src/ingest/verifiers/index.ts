// Public surface of the webhook signature verifiers. The HTTP layer picks a verifier by scheme, passes the
// raw body, lower-cased headers, the source's secrets and the clock, and answers 401 for any `ok: false`.
import { mollieVerifier } from './mollie';
import { shopifyVerifier } from './shopify';
import { standardWebhooksVerifier } from './standard-webhooks';
import { stripeVerifier } from './stripe';
import type { WebhookVerifier } from './verifier';

export type { Headers, VerifyFailure, VerifyInput, VerifyResult, WebhookVerifier } from './verifier';
export { DEFAULT_TOLERANCE_SEC } from './verifier';
export { constantTimeEqual } from './constant-time';
export { mollieVerifier, shopifyVerifier, standardWebhooksVerifier, stripeVerifier };
export { CLASSIC_MAX_BYTES, FORM_CONTENT_TYPE, classicObjectId } from './mollie';

/** Every verifier, keyed by its scheme. */
export const verifiersByScheme: Readonly<Record<WebhookVerifier['scheme'], WebhookVerifier>> = Object.freeze({
  stripe: stripeVerifier,
  shopify: shopifyVerifier,
  'standard-webhooks': standardWebhooksVerifier,
  mollie: mollieVerifier,
});
