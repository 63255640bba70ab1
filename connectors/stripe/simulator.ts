import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import {
  cancellation,
  periodBoundary,
  periodOf,
  renderCustomer,
  renderEvent,
  renderInvoice,
  renderInvoicePayment,
  renderPaymentIntent,
  renderPrice,
  renderSubscription,
  setPeriod,
  type Obj,
  type PriceInput,
} from './simulator-objects';
import { checkParams, PARAMS } from './simulator-params';
import { simulatorKit, WebhookOutbox, type SimulatorLimiter, type SimulatorRateLimit } from '../../src/sdk';

/**
 * A stateful subset of the Stripe API for tests and demos, spoken like Stripe at the API version
 * the `stripe` SDK pins (objects in simulator-objects.ts): form-encoded requests
 * (`items[0][price]=…`) checked like Stripe (simulator-params.ts: unknown parameters, bad enum
 * values and unparsable numbers are 400 with `param`), bearer secret keys, list objects with
 * `has_more` and `starting_after`, Stripe's error object, and `Idempotency-Key` replays. It keeps
 * customers, prices, subscriptions with items (periods in calendar months from the billing cycle
 * anchor, Stripe's end-of-month rule), invoices with their payments and PaymentIntents
 * (`expand[]=payments.data.payment.payment_intent`), and sends signed webhooks (Stripe-Signature
 * `t=…,v1=…`, `api_version` the version they are shaped as) for what changes, retrying non-2xx
 * answers like Stripe does (faster). Webhooks carry what Stripe's do: a failed invoice without
 * its payments.
 * Simulation controls (not Stripe endpoints): `POST /_sim/subscriptions/:id/fail_payment` makes
 * the next renewal (or, with `invoice`, a retry of an open invoice) fail as the JSON body says
 * (`payment_method_type`, `code`, `decline_code`, `final`: no further attempt);
 * `/_sim/subscriptions/:id/renew` starts the next period paid; `/_sim/invoices/:id/pay` pays an
 * open invoice (the customer fixed the payment method).
 * `seedSubscriptions` bulk-loads subscriptions for benchmarks and reconciliation tests: kept
 * compact and rendered as Stripe objects when read, so a million of them list quickly.
 */
export interface StripeSimulatorOptions {
  apiKey?: string;
  webhook?: { url: string; secret: string; retryDelaysMs?: number[] };
  now?: () => number;
  /** Requests per second before 429 (none by default). */
  rateLimit?: SimulatorRateLimit;
}

/** A bulk-loaded subscription (no invoice, no webhook). Prices not created through the API render as monthly prices without an amount. */
export interface SeedSubscription {
  id: string;
  customer: string;
  status: string;
  items: ReadonlyArray<{ price: string; quantity: number }>;
  /** Unix seconds. */
  currentPeriodStart: number;
  /** Unix seconds. */
  currentPeriodEnd: number;
  cancelAtPeriodEnd?: boolean;
  pauseCollection?: { behavior: string; resumes_at: number | null } | null;
  currency?: string;
}

export interface StripeSimulator {
  url: string;
  /** Objects by id. Seeded subscriptions appear here once read or changed through the API or `subscription(id)`. */
  objects: Map<string, Obj>;
  /** Adds subscriptions without invoices or webhooks, listed after the existing ones in the order given; returns how many were new. */
  seedSubscriptions(subs: Iterable<SeedSubscription>): number;
  /** The subscription as a mutable Stripe object (a seeded one is materialised): change it to make drift no webhook announces. */
  subscription(id: string): Obj | undefined;
  /** Adds a price (or a customer) under a given id, as the API would render it: for seeding from tables. */
  seedPrice(id: string, price: PriceInput): Obj;
  seedCustomer(id: string, customer: { email?: string | null; name?: string | null; metadata?: Record<string, string> }): Obj;
  /** Webhook deliveries: event type, attempts, final HTTP status. */
  deliveries: Array<{ eventId: string; type: string; attempts: number; status: number }>;
  /** Resolves when every webhook sent so far was delivered or given up. */
  settled(): Promise<void>;
  /** The rate limit (and `failNext` for injected 429s). */
  limiter: SimulatorLimiter;
  close(): Promise<void>;
}

/** A seeded subscription as the API renders it (`price` gives the stored price object, if any). */
export function renderSeedSubscription(s: SeedSubscription, price: (id: string) => Obj | undefined = () => undefined): Obj {
  const currency = s.currency ?? 'eur';
  const sub = renderSubscription({
    id: s.id,
    customer: s.customer,
    status: s.status,
    currency,
    created: s.currentPeriodStart,
    anchor: s.currentPeriodStart,
    periodStart: s.currentPeriodStart,
    periodEnd: s.currentPeriodEnd,
    items: s.items.map((it, i) => ({
      id: `si_${s.id.replace(/^sub_/, '')}_${i}`,
      price:
        price(it.price) ??
        renderPrice(it.price, s.currentPeriodStart, {
          currency,
          unit_amount: null,
          product: `prod_${it.price.replace(/^price_/, '')}`,
          recurring: { interval: 'month', interval_count: 1 },
        }),
      quantity: it.quantity,
    })),
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    pauseCollection: s.pauseCollection ?? null,
  });
  return sub;
}

let counter = 0;
const newId = (prefix: string) => `${prefix}_sim${(Date.now() % 1e9).toString(36)}${(counter++).toString(36).padStart(4, '0')}`;

export async function startStripeSimulator(port = 0, options: StripeSimulatorOptions = {}, host = '127.0.0.1'): Promise<StripeSimulator> {
  const apiKey = options.apiKey ?? 'sk_test_simulator';
  const now = () => Math.floor((options.now?.() ?? Date.now()) / 1000);
  const objects = new Map<string, Obj>();
  const replies = new Map<string, { params: string; status: number; body: unknown }>();
  const deliveries: StripeSimulator['deliveries'] = [];
  const outbox = new WebhookOutbox();
  // Subscriptions in list order (creation order), with their positions and compact seeds.
  const subOrder: string[] = [];
  const subPosition = new Map<string, number>();
  const seeds: Array<SeedSubscription | undefined> = [];
  const addSubscription = (id: string, seed?: SeedSubscription) => {
    if (subPosition.has(id)) return false;
    subPosition.set(id, subOrder.length);
    subOrder.push(id);
    seeds.push(seed);
    return true;
  };
  const renderSeed = (s: SeedSubscription): Obj => renderSeedSubscription(s, (id) => objects.get(id));
  /** A subscription by list position: the live object, else its seed rendered (not stored: listing stays cheap). */
  const subscriptionAt = (pos: number): Obj | undefined => {
    const seed = seeds[pos];
    return objects.get(subOrder[pos]!) ?? (seed && renderSeed(seed));
  };
  /** A seeded subscription becomes a stored object the first time it is read by id or changed. */
  const materialise = (id: string): Obj | undefined => {
    const pos = subPosition.get(id);
    const seed = pos === undefined ? undefined : seeds[pos];
    if (!seed || objects.has(id)) return undefined;
    const o = renderSeed(seed);
    objects.set(id, o);
    seeds[pos!] = undefined;
    return o;
  };

  const err = (res: Response, status: number, type: string, message: string, extra: Record<string, unknown> = {}) =>
    void res.status(status).json({ error: { type, message, ...extra } });
  const missing = (res: Response, id: string, param = 'id') =>
    err(res, 404, 'invalid_request_error', `No such object: '${id}'`, { code: 'resource_missing', param });
  const get = (id: string, object: string) => {
    const o = objects.get(id) ?? materialise(id);
    return o && o.object === object ? o : undefined;
  };
  const list = (req: Request, all: Obj[], url: string) => {
    const limit = Math.min(100, Math.max(1, Number(req.query.limit ?? 10) || 10));
    const after = typeof req.query.starting_after === 'string' ? all.findIndex((o) => o.id === req.query.starting_after) + 1 : 0;
    const data = all.slice(after, after + limit);
    return { object: 'list', data, has_more: after + limit < all.length, url };
  };

  const emit = (type: string, object: Obj, previous?: Record<string, unknown>) => {
    if (!options.webhook) return;
    const event = renderEvent(newId('evt'), type, now(), object, previous, newId('req')) as { id: string };
    const { url, secret, retryDelaysMs = [50, 200, 1000] } = options.webhook;
    const record = { eventId: event.id, type, attempts: 0, status: 0 };
    deliveries.push(record);
    const payload = JSON.stringify(event);
    outbox.post(
      url,
      payload,
      () => {
        // The signature is dated when it is sent (wall clock, checked against the receiver's
        // tolerance); `created` is business time, which a simulated clock may move.
        const t = Math.floor(Date.now() / 1000);
        const sig = createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
        return {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': `t=${t},v1=${sig}`,
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        };
      },
      retryDelaysMs,
      record,
    );
  };

  const recurringOf = (sub: Obj) =>
    (sub.items as { data: Array<{ price: Obj }> }).data[0]!.price.recurring as { interval?: string; interval_count?: number } | null;
  /** The end of the period after the current one: the next boundary counted from the billing cycle anchor (calendar months). */
  const nextBoundary = (sub: Obj, after: number) => {
    const anchor = sub.billing_cycle_anchor as number;
    let k = 1;
    while (periodBoundary(anchor, recurringOf(sub), k) <= after) k++;
    return periodBoundary(anchor, recurringOf(sub), k);
  };
  /** Payments of each invoice (listed under invoice.payments on request), newest first, and their PaymentIntents (in `objects`). */
  const payments = new Map<string, Obj[]>();
  const customerOf = (id: string) => objects.get(id);
  let invoiceNumber = 0;
  /** A renewal or creation invoice with its first payment (succeeded, or failed as `error` says). */
  const invoiceFor = (sub: Obj, reason: string, paid: boolean, method = 'card', error?: Record<string, unknown>): Obj => {
    const inv = renderInvoice({
      id: newId('in'),
      number: `SIM-${String(++invoiceNumber).padStart(4, '0')}`,
      customer: customerOf(sub.customer as string),
      customerId: sub.customer as string,
      subscription: sub,
      reason,
      paid,
      now: now(),
      hostedUrl: `https://invoice.stripe.test/i/${newId('inv')}`,
      lineIds: (sub.items as { data: unknown[] }).data.map(() => newId('il')),
    });
    objects.set(inv.id, inv);
    sub.latest_invoice = inv.id;
    if ((inv.amount_due as number) > 0) attempt(inv, method, error);
    return inv;
  };
  /** One payment attempt of an invoice: Stripe keeps one PaymentIntent per invoice and records the last error on it. */
  const attempt = (inv: Obj, method: string, error?: Record<string, unknown>) => {
    const listed = payments.get(inv.id) ?? [];
    const previous = listed[0] && objects.get((listed[0].payment as { payment_intent: string }).payment_intent);
    const pi = renderPaymentIntent(previous?.id ?? newId('pi'), inv, now(), method, error);
    objects.set(pi.id, pi);
    const record = renderInvoicePayment(listed[0]?.id ?? newId('inpay'), inv, pi.id, now(), !error);
    payments.set(inv.id, [record]);
  };
  /** The invoice as retrieved: `payments` only when asked for (`expand[]=payments…`), PaymentIntents expanded when the path says so. */
  const renderForRead = (inv: Obj, expand: string[]): Obj => {
    if (!expand.some((e) => e === 'payments' || e.startsWith('payments.'))) return inv;
    const deep = expand.includes('payments.data.payment.payment_intent');
    const data = (payments.get(inv.id) ?? []).map((p) => {
      const id = (p.payment as { payment_intent: string }).payment_intent;
      return deep ? { ...p, payment: { ...(p.payment as object), payment_intent: objects.get(id) ?? id } } : p;
    });
    return { ...inv, payments: { object: 'list', data, has_more: false, url: '/v1/invoice_payments' } };
  };
  const expandOf = (req: Request): string[] => {
    const e = (req.query.expand ?? (req.body as Record<string, unknown> | undefined)?.expand) as unknown;
    return (Array.isArray(e) ? e : e && typeof e === 'object' ? Object.values(e) : e ? [e] : []).map(String);
  };
  /** The renewal's attempt failing the way the body says (card decline or SEPA return): Stripe's last_payment_error. */
  const failure = (body: Record<string, unknown>) => {
    const method = body.payment_method_type === 'sepa_debit' ? 'sepa_debit' : 'card';
    const code = String(body.code ?? (method === 'card' ? 'card_declined' : 'insufficient_funds'));
    return {
      method,
      error: {
        type: method === 'card' ? 'card_error' : 'invalid_request_error',
        code,
        ...(method === 'card' ? { decline_code: String(body.decline_code ?? 'insufficient_funds') } : {}),
        message: String(body.message ?? 'The payment failed.'),
        payment_method: { id: newId('pm'), object: 'payment_method', type: method },
      },
    };
  };

  /** Moves the subscription into its next period; returns the previous period (for previous_attributes, on the items). */
  const renewPeriod = (s: Obj) => {
    const { start, end } = periodOf(s);
    const items = structuredClone(s.items) as { data: Array<Record<string, unknown>> };
    setPeriod(s, end, nextBoundary(s, end));
    return { items: { data: items.data.map((it) => ({ id: it.id, current_period_start: start, current_period_end: end })) } };
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  // Stripe's answer to too many requests: 429 with its error object (no Retry-After).
  const kit = simulatorKit(
    'stripe',
    options,
    (res) =>
      void res
        .status(429)
        .set('stripe-rate-limited-reason', 'global-rate')
        .json({
          error: {
            type: 'invalid_request_error',
            message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
          },
        }),
  );
  app.use(kit.handler);
  app.use(express.urlencoded({ extended: true, limit: '1mb' }));
  app.use((req, res, next) => {
    if (req.path.startsWith('/_sim/')) return next();
    if (req.header('authorization') !== `Bearer ${apiKey}`) return err(res, 401, 'invalid_request_error', 'Invalid API Key provided');
    // Parameters checked like Stripe, before anything happens (an idempotent replay included).
    const route = `${req.method} ${req.path.replace(/^(\/v1\/(?:customers|subscriptions|invoices|payment_intents))\/[^/]+$/, '$1/:id')}`;
    const spec = PARAMS[route];
    if (spec) {
      const params = { ...(req.query as Record<string, unknown>), ...((req.body as Record<string, unknown> | undefined) ?? {}) };
      const [problem] = checkParams(params, spec);
      if (problem) return err(res, 400, 'invalid_request_error', problem.message, { param: problem.param, code: problem.code });
    }
    const key = req.header('idempotency-key');
    if (req.method === 'POST' && key) {
      const params = JSON.stringify([req.path, req.body]);
      const earlier = replies.get(key);
      if (earlier && earlier.params !== params)
        return err(
          res,
          400,
          'idempotency_error',
          'Keys for idempotent requests can only be used with the same parameters they were first used with.',
        );
      if (earlier) return void res.status(earlier.status).set('idempotent-replayed', 'true').json(earlier.body);
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        if (res.statusCode < 500) replies.set(key, { params, status: res.statusCode, body });
        return json(body);
      };
    }
    next();
  });

  app.post('/v1/customers', (req, res) => {
    const c = renderCustomer(newId('cus'), now(), req.body as Record<string, unknown>);
    objects.set(c.id, c);
    res.json(c);
  });
  app.get('/v1/customers/:id', (req, res) => {
    const c = get(req.params.id, 'customer');
    return c ? res.json(c) : missing(res, req.params.id);
  });
  app.post('/v1/prices', (req, res) => {
    const b = req.body as Record<string, unknown> & {
      recurring?: { interval?: string; interval_count?: string; usage_type?: string };
      metadata?: Record<string, string>;
    };
    if (typeof b.currency !== 'string')
      return err(res, 400, 'invalid_request_error', 'Missing required param: currency.', { param: 'currency', code: 'parameter_missing' });
    if (b.unit_amount === undefined)
      return err(res, 400, 'invalid_request_error', 'Missing required param: unit_amount.', {
        param: 'unit_amount',
        code: 'parameter_missing',
      });
    if (b.recurring && !b.recurring.interval)
      return err(res, 400, 'invalid_request_error', 'Missing required param: recurring[interval].', {
        param: 'recurring[interval]',
        code: 'parameter_missing',
      });
    const p = renderPrice(newId('price'), now(), {
      currency: b.currency,
      unit_amount: Number(b.unit_amount),
      product: typeof b.product === 'string' ? b.product : newId('prod'),
      nickname: (b.nickname as string | undefined) ?? null,
      lookup_key: (b.lookup_key as string | undefined) ?? null,
      metadata: b.metadata,
      recurring: b.recurring
        ? { interval: b.recurring.interval!, interval_count: Number(b.recurring.interval_count ?? 1), usage_type: b.recurring.usage_type }
        : null,
    });
    objects.set(p.id, p);
    res.json(p);
  });
  app.post('/v1/subscriptions', (req, res) => {
    const b = req.body as {
      customer?: string;
      items?: Array<{ price?: string; quantity?: string }>;
      metadata?: Record<string, string>;
      trial_end?: string;
      cancel_at_period_end?: string;
    };
    if (!b.customer)
      return err(res, 400, 'invalid_request_error', 'Missing required param: customer.', { param: 'customer', code: 'parameter_missing' });
    if (!get(b.customer, 'customer')) return missing(res, String(b.customer), 'customer');
    const itemsIn = (Array.isArray(b.items) ? b.items : Object.values(b.items ?? {})) as Array<{ price?: string; quantity?: string }>;
    if (itemsIn.length === 0)
      return err(res, 400, 'invalid_request_error', 'Missing required param: items.', { param: 'items', code: 'parameter_missing' });
    const items = [];
    for (const [i, it] of itemsIn.entries()) {
      const price = it.price ? get(it.price, 'price') : undefined;
      if (!price) return missing(res, String(it.price), `items[${i}][price]`);
      if (!price.recurring)
        return err(
          res,
          400,
          'invalid_request_error',
          `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`,
          { param: `items[${i}][price]` },
        );
      items.push({ id: newId('si'), price, quantity: Number(it.quantity ?? 1) });
    }
    const start = now();
    const trialEnd = b.trial_end === undefined ? undefined : b.trial_end === 'now' ? start : Number(b.trial_end);
    if (trialEnd !== undefined && trialEnd < start)
      return err(res, 400, 'invalid_request_error', 'Invalid timestamp: must be an integer Unix timestamp in the future.', {
        param: 'trial_end',
      });
    const trialing = trialEnd !== undefined && trialEnd > start;
    const sub = renderSubscription({
      id: newId('sub'),
      customer: b.customer,
      status: trialing ? 'trialing' : 'active',
      currency: items[0]!.price.currency as string,
      created: start,
      anchor: trialing ? trialEnd : start,
      periodStart: start,
      periodEnd: trialing ? trialEnd : start,
      items,
      metadata: b.metadata,
      trialStart: trialing ? start : null,
      trialEnd: trialing ? trialEnd : null,
      cancelAtPeriodEnd: b.cancel_at_period_end === 'true',
    });
    if (!trialing) setPeriod(sub, start, nextBoundary(sub, start));
    if (sub.cancel_at_period_end) sub.cancel_at = periodOf(sub).end;
    objects.set(sub.id, sub);
    addSubscription(sub.id);
    // A trial's first invoice is for nothing: Stripe marks it paid at once. Its lines bill the trial
    // (the rendered items carry its period), at a price of 0.
    const inv = trialing
      ? invoiceFor(
          {
            ...sub,
            items: {
              ...(sub.items as object),
              data: (sub.items as { data: Obj[] }).data.map((it) => ({
                ...it,
                price: { ...(it.price as Obj), unit_amount: 0, unit_amount_decimal: '0' },
              })),
            },
          },
          'subscription_create',
          true,
        )
      : invoiceFor(sub, 'subscription_create', true);
    sub.latest_invoice = inv.id;
    res.json(sub);
    emit('customer.subscription.created', structuredClone(sub));
    emit('invoice.paid', structuredClone(inv));
  });
  app.get('/v1/subscriptions', (req, res) => {
    // Walks the list order from the cursor (no scan of every object), so pages stay cheap however many there are.
    const status = typeof req.query.status === 'string' && req.query.status !== 'all' ? req.query.status : undefined;
    const limit = Math.min(100, Math.max(1, Number(req.query.limit ?? 10) || 10));
    const after = typeof req.query.starting_after === 'string' ? subPosition.get(req.query.starting_after) : undefined;
    const data: Obj[] = [];
    let hasMore = false;
    for (let pos = after === undefined ? 0 : after + 1; pos < subOrder.length; pos++) {
      const o = subscriptionAt(pos);
      if (
        !o ||
        (status !== undefined && o.status !== status) ||
        (status === undefined && req.query.status !== 'all' && o.status === 'canceled')
      )
        continue;
      if (data.length === limit) {
        hasMore = true;
        break;
      }
      data.push(o);
    }
    res.json({ object: 'list', data, has_more: hasMore, url: '/v1/subscriptions' });
  });
  app.get('/v1/subscriptions/:id', (req, res) => {
    const s = get(req.params.id, 'subscription');
    return s ? res.json(s) : missing(res, req.params.id);
  });
  app.post('/v1/subscriptions/:id', (req, res) => {
    const s = get(req.params.id, 'subscription');
    if (!s) return missing(res, req.params.id);
    const b = req.body as {
      pause_collection?: string | { behavior?: string; resumes_at?: string };
      cancel_at_period_end?: string;
      cancellation_details?: { comment?: string; feedback?: string };
      metadata?: Record<string, string>;
    };
    if (typeof b.pause_collection === 'object' && !b.pause_collection.behavior)
      return err(res, 400, 'invalid_request_error', 'Missing required param: pause_collection[behavior].', {
        param: 'pause_collection[behavior]',
        code: 'parameter_missing',
      });
    if (s.status === 'canceled')
      return err(res, 400, 'invalid_request_error', 'A canceled subscription can only update its cancellation_details and metadata.', {
        param: Object.keys(b)[0],
      });
    const previous: Record<string, unknown> = {};
    if (b.pause_collection !== undefined) {
      previous.pause_collection = s.pause_collection;
      s.pause_collection =
        typeof b.pause_collection === 'string'
          ? null
          : {
              behavior: b.pause_collection.behavior,
              resumes_at: b.pause_collection.resumes_at ? Number(b.pause_collection.resumes_at) : null,
            };
    }
    if (b.cancel_at_period_end !== undefined) {
      previous.cancel_at_period_end = s.cancel_at_period_end;
      previous.cancel_at = s.cancel_at;
      previous.cancellation_details = s.cancellation_details;
      s.cancel_at_period_end = b.cancel_at_period_end === 'true';
      s.cancel_at = s.cancel_at_period_end ? periodOf(s).end : null;
      s.cancellation_details = s.cancel_at_period_end
        ? cancellation('cancellation_requested', b.cancellation_details?.feedback ?? null, b.cancellation_details?.comment ?? null)
        : cancellation(null);
    } else if (b.cancellation_details) {
      previous.cancellation_details = s.cancellation_details;
      s.cancellation_details = { ...(s.cancellation_details as object), ...b.cancellation_details };
    }
    if (b.metadata !== undefined) {
      previous.metadata = s.metadata;
      s.metadata = { ...(s.metadata as object), ...b.metadata };
    }
    res.json(s);
    emit('customer.subscription.updated', structuredClone(s), previous);
  });
  app.delete('/v1/subscriptions/:id', (req, res) => {
    const s = get(req.params.id, 'subscription');
    if (!s) return missing(res, req.params.id);
    if (s.status === 'canceled')
      return err(res, 400, 'invalid_request_error', `No such subscription: '${s.id}'; it is already canceled.`, { param: 'id' });
    const details = (
      { ...(req.query as object), ...((req.body as object | undefined) ?? {}) } as {
        cancellation_details?: { comment?: string; feedback?: string };
      }
    ).cancellation_details;
    Object.assign(s, {
      status: 'canceled',
      canceled_at: now(),
      ended_at: now(),
      cancellation_details: cancellation('cancellation_requested', details?.feedback ?? null, details?.comment ?? null),
    });
    res.json(s);
    emit('customer.subscription.deleted', structuredClone(s));
  });
  app.get('/v1/invoices/:id', (req, res) => {
    const i = get(req.params.id, 'invoice');
    return i ? res.json(renderForRead(i, expandOf(req))) : missing(res, req.params.id);
  });
  app.get('/v1/invoices', (req, res) => {
    const subscriptionOf = (o: Obj) =>
      (o.parent as { subscription_details?: { subscription?: string } } | null)?.subscription_details?.subscription;
    const all = [...objects.values()].filter(
      (o) => o.object === 'invoice' && (typeof req.query.subscription !== 'string' || subscriptionOf(o) === req.query.subscription),
    );
    res.json(list(req, all, '/v1/invoices'));
  });
  app.get('/v1/payment_intents/:id', (req, res) => {
    const pi = get(req.params.id, 'payment_intent');
    return pi ? res.json(pi) : missing(res, req.params.id, 'intent');
  });
  app.post('/v1/billing_portal/sessions', (req, res) => {
    const customer = req.body.customer as string | undefined;
    if (!customer)
      return err(res, 400, 'invalid_request_error', 'Missing required param: customer.', { param: 'customer', code: 'parameter_missing' });
    if (!get(customer, 'customer')) return missing(res, String(customer), 'customer');
    res.json({
      id: newId('bps'),
      object: 'billing_portal.session',
      configuration: 'bpc_sim',
      created: now(),
      customer,
      flow: req.body.flow_data ?? null,
      livemode: false,
      locale: req.body.locale ?? null,
      on_behalf_of: null,
      return_url: req.body.return_url ?? null,
      url: `https://billing.stripe.test/p/session/${newId('live')}`,
    });
  });
  // Simulation controls (not Stripe endpoints): what Stripe's billing engine does on its own.
  app.post('/_sim/subscriptions/:id/fail_payment', express.json(), (req, res) => {
    const s = get(req.params.id, 'subscription');
    if (!s) return missing(res, req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    // A retry of the open invoice (body.invoice) or the next renewal's first attempt.
    const open = typeof body.invoice === 'string' ? get(body.invoice, 'invoice') : undefined;
    if (typeof body.invoice === 'string' && !open) return missing(res, body.invoice, 'invoice');
    const { method, error } = failure(body);
    const period = open ? {} : renewPeriod(s);
    const inv = open ?? invoiceFor(s, 'subscription_cycle', false, method, error);
    if (open) {
      inv.attempt_count = (inv.attempt_count as number) + 1;
      attempt(inv, method, error);
    }
    // `final`: Stripe gives up on the invoice (its retries are exhausted, or it never retries this failure).
    inv.next_payment_attempt = body.final === true ? null : now() + 3 * 86400;
    const previous = { status: s.status };
    s.status = 'past_due';
    res.json(inv);
    // As Stripe delivers it: the invoice without its payments (a receiver reads them through the API).
    emit('invoice.payment_failed', structuredClone(inv));
    if (previous.status !== 'past_due' || !open) emit('customer.subscription.updated', structuredClone(s), { ...previous, ...period });
  });
  /** The next period starts: the renewal invoice is paid (invoice.paid, then customer.subscription.updated). */
  app.post('/_sim/subscriptions/:id/renew', (req, res) => {
    const s = get(req.params.id, 'subscription');
    if (!s) return missing(res, req.params.id);
    if (s.status === 'canceled' || s.pause_collection)
      return err(
        res,
        400,
        'invalid_request_error',
        `Subscription ${s.id} does not renew (${s.status === 'canceled' ? 'canceled' : 'collection paused'}).`,
      );
    const previous: Record<string, unknown> = renewPeriod(s);
    if (s.status === 'trialing') {
      previous.status = 'trialing';
      s.status = 'active';
    }
    const inv = invoiceFor(s, 'subscription_cycle', true);
    res.json(inv);
    emit('invoice.paid', structuredClone(inv));
    emit('customer.subscription.updated', structuredClone(s), previous);
  });
  /** An open invoice gets paid (the customer updated the payment method; Stripe retried). */
  app.post('/_sim/invoices/:id/pay', (req, res) => {
    const inv = get(req.params.id, 'invoice');
    if (!inv) return missing(res, req.params.id);
    if (inv.status === 'paid') return err(res, 400, 'invalid_request_error', 'Invoice is already paid.');
    Object.assign(inv, {
      status: 'paid',
      amount_paid: inv.amount_due,
      amount_remaining: 0,
      next_payment_attempt: null,
      attempt_count: (inv.attempt_count as number) + 1,
      auto_advance: false,
    });
    inv.status_transitions = { ...(inv.status_transitions as object), paid_at: now() };
    attempt(inv, 'card');
    const s = get((inv.parent as { subscription_details: { subscription: string } }).subscription_details.subscription, 'subscription');
    res.json(inv);
    emit('invoice.paid', structuredClone(inv));
    if (s && s.status === 'past_due') {
      s.status = 'active';
      emit('customer.subscription.updated', structuredClone(s), { status: 'past_due' });
    }
  });
  app.use((req, res) => err(res, 404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${req.path}).`));

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s))); // Express 5 passes a listen error (EADDRINUSE) here
  });
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    objects,
    seedSubscriptions: (subs) => {
      let n = 0;
      for (const s of subs) if (!objects.has(s.id) && addSubscription(s.id, s)) n++;
      return n;
    },
    subscription: (id) => get(id, 'subscription'),
    seedPrice: (id, price) => {
      const p = renderPrice(id, now(), price);
      objects.set(id, p);
      return p;
    },
    seedCustomer: (id, customer) => {
      const c = renderCustomer(id, now(), customer);
      objects.set(id, c);
      return c;
    },
    deliveries,
    limiter: kit.limiter,
    settled: () => outbox.settled(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
