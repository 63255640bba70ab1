import { DeliveryError, type Action, type ActionContext, type ActionResult } from '../../src/sdk';
import { amountProblem, type MollieApi, type MollieOptions } from './api';
import type { MolliePayment, MolliePaymentLink, MollieSubscription } from './types';

const DAY_MS = 86_400_000;

/** A non-empty string field of the payload, else MAPPING_REQUIRED_MISSING (the mapping left it out). */
function field(payload: unknown, name: string): string {
  const v = (payload as Record<string, unknown> | null)?.[name];
  if (typeof v !== 'string' || v === '') throw new DeliveryError('MAPPING_REQUIRED_MISSING', `the payload needs "${name}"`);
  return v;
}

function invalid(message: string): never {
  throw new DeliveryError('DELIVERY_INPUT_INVALID', message);
}

/** Currencies without minor units (ISO 4217 exponent 0); every other currency Mollie takes has 2. */
const NO_DECIMALS = new Set(['JPY', 'ISK', 'HUF']);

/**
 * The payload's amount as Mollie writes it: `amount {currency, value: "10.00"}`, or integer
 * `amountMinor` with `currency` (the hub's canonical amounts), turned into Mollie's decimal string here.
 */
function checkedAmount(payload: unknown): { currency: string; value: string } {
  const p = payload as { amount?: unknown; amountMinor?: unknown; currency?: unknown } | null;
  if (p?.amount === undefined && p?.amountMinor !== undefined) {
    if (!Number.isSafeInteger(p.amountMinor) || (p.amountMinor as number) <= 0) invalid('amountMinor must be a positive integer');
    if (typeof p.currency !== 'string' || !/^[A-Z]{3}$/.test(p.currency)) invalid('currency must be an ISO 4217 code in capitals (EUR)');
    const minor = p.amountMinor as number;
    const value = NO_DECIMALS.has(p.currency) ? String(minor) : `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
    return { currency: p.currency, value };
  }
  const amount = p?.amount;
  if (amount === undefined)
    throw new DeliveryError('MAPPING_REQUIRED_MISSING', 'the payload needs "amount" (or "amountMinor" and "currency")');
  const problem = amountProblem(amount);
  if (problem) invalid(problem);
  const a = amount as { currency: string; value: string };
  return { currency: a.currency, value: a.value };
}

/** Mollie's date-time form (`2026-05-01T10:00:00+00:00`). */
const mollieTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

/**
 * The Mollie actions. Each sends the delivery's idempotency key as `Idempotency-Key` (a
 * two-step action derives one key per step), so a retried delivery gets Mollie's first answer
 * instead of a second payment. Payloads are checked before anything is sent.
 */
export function mollieActions(o: MollieOptions, api: MollieApi): Record<string, Action> {
  const call = (ctx: ActionContext, step?: string) => ({
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
    idempotencyKey: step ? `${ctx.idempotencyKey}:${step}` : ctx.idempotencyKey,
  });
  const redirectUrl = (p: unknown): string => {
    const url = (p as { redirectUrl?: unknown } | null)?.redirectUrl ?? o.redirectUrl;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url))
      invalid('a checkout needs a redirectUrl (options.redirectUrl or the payload\'s "redirectUrl")');
    return url;
  };
  const webhook = o.webhookUrl ? { webhookUrl: o.webhookUrl } : {};
  const done = (status: number | undefined, externalId: string): ActionResult => ({ status: status ?? 201, externalId });

  return {
    /**
     * Charges the customer's mandate once (`sequenceType: recurring`): the hub's own retry of a
     * failed renewal. Payload {customerId, mandateId?, amount {currency, value}, description,
     * metadata {subhubInvoice, subscriptionId, …}}: the metadata lets the inbound mappings book
     * the retry's outcome on the unpaid invoice (the failed payment's id) and its subscription.
     * Without mandateId Mollie picks the customer's valid mandate.
     */
    chargeRecurring: async (p, ctx) => {
      const customerId = field(p, 'customerId');
      const amount = checkedAmount(p);
      const description = field(p, 'description');
      const metadata = (p as { metadata?: unknown }).metadata as Record<string, unknown> | undefined;
      for (const k of ['subhubInvoice', 'subscriptionId'])
        if (typeof metadata?.[k] !== 'string' || metadata[k] === '')
          throw new DeliveryError('MAPPING_REQUIRED_MISSING', `the payload needs "metadata.${k}"`);
      const mandateId = (p as { mandateId?: unknown }).mandateId;
      const payment = await api.post<MolliePayment>(
        `customers/${encodeURIComponent(customerId)}/payments`,
        {
          amount,
          description,
          sequenceType: 'recurring',
          ...(typeof mandateId === 'string' && mandateId ? { mandateId } : {}),
          metadata,
          ...webhook,
        },
        call(ctx),
      );
      return done(201, payment.id);
    },

    /**
     * A one-off link to settle an open amount (Payment Links API). Payload {amount, description,
     * expiresAt?}: without expiresAt the link lapses after options.paymentLinkExpiresDays (14).
     * Returns the link's URL.
     */
    createPaymentLink: async (p, ctx) => {
      const amount = checkedAmount(p);
      const description = field(p, 'description');
      const given = (p as { expiresAt?: unknown }).expiresAt;
      if (given !== undefined && (typeof given !== 'string' || !Number.isFinite(Date.parse(given))))
        invalid(`expiresAt must be an ISO 8601 time; got ${JSON.stringify(given)}`);
      const expiresAt = mollieTime(typeof given === 'string' ? Date.parse(given) : Date.now() + (o.paymentLinkExpiresDays ?? 14) * DAY_MS);
      const link = await api.post<MolliePaymentLink>(
        'payment-links',
        { amount, description, expiresAt, ...webhook, ...(o.redirectUrl ? { redirectUrl: o.redirectUrl } : {}) },
        call(ctx),
      );
      const url = link._links?.paymentLink?.href;
      if (!url) throw new DeliveryError('DELIVERY_NO_RESULT', `Mollie payment link ${link.id} has no _links.paymentLink`);
      return done(201, url);
    },

    /**
     * A new mandate for the customer: a €0.01 iDEAL payment with `sequenceType: first` (the
     * payment-method update of docs/dunning.md). Payload {customerId, description?, method?,
     * amount?, redirectUrl?}. Returns the checkout URL the customer must visit.
     */
    createFirstPayment: async (p, ctx) => {
      const customerId = field(p, 'customerId');
      const given = p as { amount?: unknown; method?: unknown; description?: unknown; metadata?: unknown };
      const amount = given.amount === undefined ? { currency: 'EUR', value: '0.01' } : checkedAmount(p);
      const method = given.method ?? 'ideal';
      if (typeof method !== 'string') invalid('method must be a Mollie method name such as "ideal"');
      const payment = await api.post<MolliePayment>(
        `customers/${encodeURIComponent(customerId)}/payments`,
        {
          amount,
          description: typeof given.description === 'string' && given.description ? given.description : 'Payment details update',
          sequenceType: 'first',
          method,
          redirectUrl: redirectUrl(p),
          ...webhook,
          ...(given.metadata !== undefined ? { metadata: given.metadata } : {}),
        },
        call(ctx),
      );
      const checkout = payment._links?.checkout?.href;
      if (!checkout) throw new DeliveryError('DELIVERY_NO_RESULT', `Mollie payment ${payment.id} has no checkout URL`);
      return done(201, checkout);
    },

    /** Cancels a subscription now (Mollie has no cancel-at-period-end). Payload {customerId, subscriptionId}. */
    cancelSubscription: async (p, ctx) => {
      const path = `customers/${encodeURIComponent(field(p, 'customerId'))}/subscriptions/${encodeURIComponent(field(p, 'subscriptionId'))}`;
      const s = await api.delete<MollieSubscription>(path, call(ctx));
      return done(200, s?.id ?? field(p, 'subscriptionId'));
    },

    /**
     * Mollie has no pause: cancel now, then create a subscription starting at `resumeDate` with
     * the same amount, interval, description, method, mandate, webhook and metadata, plus
     * `metadata.subhubSubscriptionId` (the hub's id, kept across every recreation) and
     * `metadata.pausedFrom` (the canceled id). Payload {customerId, subscriptionId, resumeDate
     * (YYYY-MM-DD)}. A retry after the cancel went through finds the subscription canceled and
     * only recreates (each step has its own idempotency key); a first attempt on a subscription
     * that is already canceled is refused, so a customer's own cancellation is never undone.
     */
    pauseSubscription: async (p, ctx) => {
      const customerId = field(p, 'customerId');
      const subscriptionId = field(p, 'subscriptionId');
      const resumeDate = field(p, 'resumeDate');
      if (!/^\d{4}-\d{2}-\d{2}$/.test(resumeDate) || !Number.isFinite(Date.parse(resumeDate)))
        invalid(`resumeDate must be a date (YYYY-MM-DD); got ${JSON.stringify(resumeDate)}`);
      const base = `customers/${encodeURIComponent(customerId)}/subscriptions`;
      const read = { timeoutMs: ctx.timeoutMs, signal: ctx.signal };
      const s = await api.get<MollieSubscription>(`${base}/${encodeURIComponent(subscriptionId)}`, {}, read);
      if (s.status === 'completed')
        throw new DeliveryError('DELIVERY_REJECTED', `Mollie subscription ${s.id} is completed: nothing to pause`);
      if (s.status === 'canceled' && ctx.attempt <= 1)
        throw new DeliveryError('DELIVERY_REJECTED', `Mollie subscription ${s.id} is already canceled: not recreating it`);
      if (s.status !== 'canceled') await api.delete(`${base}/${encodeURIComponent(s.id)}`, call(ctx, 'cancel'));
      const metadata = (s.metadata && typeof s.metadata === 'object' ? s.metadata : {}) as Record<string, unknown>;
      const created = await api.post<MollieSubscription>(
        base,
        {
          amount: s.amount,
          interval: s.interval,
          description: s.description,
          startDate: resumeDate,
          ...(s.times !== null && s.timesRemaining !== null ? { times: s.timesRemaining } : {}),
          ...(s.method ? { method: s.method } : {}),
          ...(s.mandateId ? { mandateId: s.mandateId } : {}),
          ...(s.webhookUrl ? { webhookUrl: s.webhookUrl } : webhook),
          metadata: { ...metadata, subhubSubscriptionId: metadata.subhubSubscriptionId ?? `mollie:${s.id}`, pausedFrom: s.id },
        },
        call(ctx, 'recreate'),
      );
      return done(201, created.id);
    },
  };
}
