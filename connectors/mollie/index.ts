import { defineConnector, outboundUrlCheck, PullPacer, SECRET_REF_SCHEMA } from '../../src/sdk';
import { mollieActions } from './actions';
import { mollieApi, type MollieOptions } from './api';
import { enrichMollie, mollieFetchedKey } from './enrich';
import { molliePulls } from './pulls';

export { mollieFetchedKey } from './enrich';
export type { MollieEnrichment } from './types';

const HTTP_URL = { type: 'string', pattern: '^https?://[^\\s]+$' };

/**
 * Mollie (billing). Inbound: Mollie's webhooks carry only an id (`id=tr_…`), so every inbound
 * event is enriched first (`*`): the payment with its subscription and mandate, read through the
 * API (enrich.ts); the mappings `mollie.*` read `enrichment`. Outbound (actions.ts), each with
 * the delivery's Idempotency-Key: chargeRecurring (the hub's retry of a failed renewal: Mollie
 * has no dunning of its own), createPaymentLink (one-off settlement), createFirstPayment (a new
 * mandate: the payment-method update), cancelSubscription, pauseSubscription (cancel, then
 * recreate at the resume date: Mollie has no pause). Pulls: subscriptions, mandates, through a
 * PullPacer. Calls go through api.ts (why not the official client's transport: see there).
 */
export const mollieConnector = defineConnector({
  type: 'mollie',
  kind: 'billing',
  description: 'Mollie: recurring payments, subscriptions, mandates and payment links.',
  // Classic webhooks post only `id=tr_…` (unsigned: the enricher fetches the truth); next-gen ones are
  // signed (X-Mollie-Signature). The same id arrives for every status change: one effect per (id, fetched status).
  webhook: { scheme: 'mollie', mappingInput: 'body', fetchedStateKey: mollieFetchedKey },
  optionsSchema: {
    type: 'object',
    properties: {
      apiKey: SECRET_REF_SCHEMA,
      apiEndpoint: HTTP_URL,
      webhookUrl: HTTP_URL,
      redirectUrl: HTTP_URL,
      paymentLinkExpiresDays: { type: 'integer', minimum: 1, maximum: 365, default: 14 },
      allowHosts: { type: 'array', items: { type: 'string', minLength: 1 } },
    },
    additionalProperties: false,
  },
  checkOptions(raw) {
    const o = raw as MollieOptions;
    return outboundUrlCheck(o.apiEndpoint, o.allowHosts, '/apiEndpoint', 'a local simulator');
  },
  createActions: (raw, deps) => mollieActions(raw as MollieOptions, mollieApi(raw as MollieOptions, deps.resolveSecret)),
  createEnrichers(raw, deps) {
    const api = mollieApi(raw as MollieOptions, deps.resolveSecret);
    return { '*': (event, ctx) => enrichMollie(api, event, ctx) };
  },
  createPulls: (raw, deps) => molliePulls(mollieApi(raw as MollieOptions, deps.resolveSecret), new PullPacer(deps.pull)),
});
