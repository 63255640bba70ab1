import express, { type Request, type Response, type Router } from 'express';
import type { DomainStore } from '../domain/ports';
import type { Action } from '../sdk';
import { TokenBucket } from '../util/token-bucket';
import { escapeHtml } from './console/pages';

export interface PaymentUpdateLinkDeps {
  domain: DomainStore;
  /** Per provider (the hub id's prefix): the connector action that makes the link's payment (Mollie: createFirstPayment). */
  actions: ReadonlyMap<string, Action>;
  /** Requests per minute per client address. */
  ratePerMin?: number;
  now?: () => number;
  logger?: { warn(message: string, meta?: Record<string, unknown>): void };
}

/**
 * `GET /links/payment-update/<token>`: the payment-details link of a dunning notice, for providers
 * where a new mandate comes from a first payment (Mollie). The token is a random capability held by
 * the open dunning cycle (valid while it is open, unguessable, never derived from ids); the link asks
 * the provider's action for a first payment of the customer (idempotent per token: clicking twice
 * gives the same checkout) and redirects there (303). A closed or unknown link answers 410, a
 * provider that is down 502, both as a short page for the customer; nothing about the customer is shown.
 */
export function paymentUpdateLinks(deps: PaymentUpdateLinkDeps): Router {
  const router = express.Router();
  const now = deps.now ?? Date.now;
  const buckets = new Map<string, TokenBucket>();
  const page = (res: Response, status: number, text: string) =>
    void res
      .status(status)
      .setHeader('content-security-policy', "default-src 'none'")
      .type('html')
      .send(`<!doctype html><html lang="en"><meta charset="utf-8"><title>Payment details</title><p>${escapeHtml(text)}</p></html>`);

  router.get('/links/payment-update/:token', async (req: Request, res: Response) => {
    const key = req.ip ?? 'unknown';
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size > 10_000) buckets.clear();
      const perMin = deps.ratePerMin ?? 30;
      buckets.set(key, (bucket = new TokenBucket(perMin / 60, perMin, now())));
    }
    if (bucket.take(now()) > 0) return page(res, 429, 'Too many requests: please try again in a minute.');
    const token = String(req.params.token);
    if (!/^[A-Za-z0-9_-]{20,64}$/.test(token))
      return page(res, 410, 'This link is not valid (any more). Please use the newest e-mail we sent you.');
    const cycle = (await deps.domain.openDunning()).find((d) => d.updateToken === token);
    if (!cycle) return page(res, 410, 'This link is not valid (any more). Please use the newest e-mail we sent you.');
    const provider = cycle.subscriptionId.slice(0, cycle.subscriptionId.indexOf(':'));
    const action = deps.actions.get(provider);
    const customer = await deps.domain.customer(cycle.customerId);
    const subscription = await deps.domain.subscription(cycle.subscriptionId);
    if (!action || !customer?.providerCustomerId) return page(res, 410, 'This link cannot be used here. Please contact us.');
    try {
      const result = await action(
        {
          customerId: customer.providerCustomerId,
          description: 'New payment details',
          // The provider's subscription id lets the paid payment's webhook name the subscription it repairs.
          metadata: {
            subhubSubscriptionId: cycle.subscriptionId,
            subhubPurpose: 'payment-update',
            ...(subscription ? { subscriptionId: subscription.snapshot.providerSubscriptionId } : {}),
          },
        },
        { idempotencyKey: `payment-update:${token}`, attempt: 1, timeoutMs: 10_000 },
      );
      if (!result.externalId || !/^https?:\/\//.test(result.externalId)) throw new Error('the provider gave no checkout address');
      res.redirect(303, result.externalId);
    } catch (e) {
      deps.logger?.warn('payment-details link failed', {
        subscription: cycle.subscriptionId,
        error: e instanceof Error ? e.message : String(e),
      });
      page(res, 502, 'We could not reach our payment provider. Please try again in a few minutes.');
    }
  });
  return router;
}
