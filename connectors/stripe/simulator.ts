import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { simulatorKit, type SimulatorLimiter, type SimulatorRateLimit } from '../../src/sdk';

/**
 * A stateful subset of the Stripe API for tests and demos, spoken like Stripe: form-encoded
 * requests (`items[0][price]=…`), bearer secret keys, list objects with `has_more` and
 * `starting_after`, Stripe's error object, and `Idempotency-Key` replays. It keeps customers,
 * prices, subscriptions with items and invoices, and sends signed webhooks (Stripe-Signature
 * `t=…,v1=…`) for what changes, retrying non-2xx answers like Stripe does (faster).
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

type Obj = Record<string, unknown> & { id: string };

/** A bulk-loaded subscription (no invoice, no webhook). Prices not created through the API render as `{id, object: 'price'}`. */
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
  return {
    id: s.id,
    object: 'subscription',
    customer: s.customer,
    status: s.status,
    currency: s.currency ?? 'eur',
    created: s.currentPeriodStart,
    start_date: s.currentPeriodStart,
    current_period_start: s.currentPeriodStart,
    current_period_end: s.currentPeriodEnd,
    cancel_at_period_end: s.cancelAtPeriodEnd === true,
    cancel_at: s.cancelAtPeriodEnd ? s.currentPeriodEnd : null,
    canceled_at: null,
    pause_collection: s.pauseCollection ?? null,
    collection_method: 'charge_automatically',
    metadata: {},
    items: {
      object: 'list',
      data: s.items.map((it, i) => ({ id: `si_${s.id.replace(/^sub_/, '')}_${i}`, object: 'subscription_item', price: price(it.price) ?? { id: it.price, object: 'price' }, quantity: it.quantity })),
      has_more: false,
    },
  };
}

let counter = 0;
const newId = (prefix: string) => `${prefix}_sim${(Date.now() % 1e9).toString(36)}${(counter++).toString(36).padStart(4, '0')}`;

export async function startStripeSimulator(port = 0, options: StripeSimulatorOptions = {}, host = '127.0.0.1'): Promise<StripeSimulator> {
  const apiKey = options.apiKey ?? 'sk_test_simulator';
  const now = () => Math.floor((options.now?.() ?? Date.now()) / 1000);
  const objects = new Map<string, Obj>();
  const replies = new Map<string, { params: string; status: number; body: unknown }>();
  const deliveries: StripeSimulator['deliveries'] = [];
  const inFlight = new Set<Promise<void>>();
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
  const missing = (res: Response, id: string, param = 'id') => err(res, 404, 'invalid_request_error', `No such object: '${id}'`, { code: 'resource_missing', param });
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
    const event = { id: newId('evt'), object: 'event', api_version: '2026-09-30.endive', created: now(), livemode: false, pending_webhooks: 1, type, data: { object, ...(previous ? { previous_attributes: previous } : {}) } };
    const { url, secret, retryDelaysMs = [50, 200, 1000] } = options.webhook;
    const record = { eventId: event.id, type, attempts: 0, status: 0 };
    deliveries.push(record);
    const payload = JSON.stringify(event);
    const send = async (): Promise<void> => {
      for (let i = 0; i <= retryDelaysMs.length; i++) {
        record.attempts++;
        // The signature is dated when it is sent (wall clock, checked against the receiver's
        // tolerance); `created` is business time, which a simulated clock may move.
        const t = Math.floor(Date.now() / 1000);
        const sig = createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
        try {
          const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': `t=${t},v1=${sig}`, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' }, body: payload });
          record.status = r.status;
          await r.arrayBuffer();
          if (r.ok) return;
        } catch {
          record.status = 0;
        }
        if (i < retryDelaysMs.length) await new Promise((res) => setTimeout(res, retryDelaysMs[i]));
      }
    };
    const p: Promise<void> = send().finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  const intervalDays = (sub: Obj) => {
    const price = (sub.items as { data: Array<{ price: Obj }> }).data[0]!.price;
    const r = price.recurring as { interval?: string; interval_count?: number } | null;
    const unit = r?.interval === 'year' ? 365 : r?.interval === 'week' ? 7 : r?.interval === 'day' ? 1 : 30;
    return unit * (r?.interval_count ?? 1);
  };
  let invoiceNumber = 0;
  const invoiceFor = (sub: Obj, reason: string, paid: boolean): Obj => {
    const items = (sub.items as { data: Array<{ price: Obj; quantity: number }> }).data;
    const amount = items.reduce((n, i) => n + (i.price.unit_amount as number) * i.quantity, 0);
    const period = { start: sub.current_period_start as number, end: sub.current_period_end as number };
    const inv: Obj = {
      id: newId('in'),
      object: 'invoice',
      number: `SIM-${String(++invoiceNumber).padStart(4, '0')}`,
      customer: sub.customer,
      subscription: sub.id,
      billing_reason: reason,
      collection_method: 'charge_automatically',
      currency: sub.currency,
      amount_due: amount,
      amount_paid: paid ? amount : 0,
      amount_remaining: paid ? 0 : amount,
      attempt_count: 1,
      attempted: true,
      status: paid ? 'paid' : 'open',
      hosted_invoice_url: `https://invoice.stripe.test/i/${newId('inv')}`,
      next_payment_attempt: paid ? null : now() + 3 * 86400,
      created: now(),
      period_start: period.start,
      period_end: period.end,
      status_transitions: { finalized_at: now(), paid_at: paid ? now() : null },
      lines: {
        object: 'list',
        data: items.map((i) => ({ id: newId('il'), object: 'line_item', type: 'subscription', subscription: sub.id, price: i.price, quantity: i.quantity, amount: (i.price.unit_amount as number) * i.quantity, proration: false, period })),
        has_more: false,
      },
    };
    objects.set(inv.id, inv);
    sub.latest_invoice = inv.id;
    return inv;
  };
  /** The renewal's attempt failing the way the body says (card decline or SEPA return), as Stripe reports it on the invoice. */
  const failure = (inv: Obj, body: Record<string, unknown>) => {
    const method = body.payment_method_type === 'sepa_debit' ? 'sepa_debit' : 'card';
    const code = String(body.code ?? (method === 'card' ? 'card_declined' : 'insufficient_funds'));
    return {
      id: newId('pi'),
      object: 'payment_intent',
      amount: inv.amount_due,
      currency: inv.currency,
      customer: inv.customer,
      created: now(),
      payment_method: null,
      payment_method_types: [method],
      status: 'requires_payment_method',
      last_payment_error: {
        type: method === 'card' ? 'card_error' : 'invalid_request_error',
        code,
        ...(method === 'card' ? { decline_code: String(body.decline_code ?? 'insufficient_funds') } : {}),
        message: String(body.message ?? 'The payment failed.'),
        payment_method: { id: newId('pm'), object: 'payment_method', type: method },
      },
    };
  };

  /** Moves the subscription into its next period; returns the previous period (for previous_attributes). */
  const renewPeriod = (s: Obj) => {
    const previous = { current_period_start: s.current_period_start, current_period_end: s.current_period_end };
    s.current_period_start = s.current_period_end;
    s.current_period_end = (s.current_period_end as number) + intervalDays(s) * 86400;
    return previous;
  };

  const app = express();
  app.disable('x-powered-by');
  // Stripe's answer to too many requests: 429 with its error object (no Retry-After).
  const kit = simulatorKit('stripe', options, (res) =>
    void res.status(429).set('stripe-rate-limited-reason', 'global-rate').json({ error: { type: 'invalid_request_error', message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.' } }),
  );
  app.use(kit.handler);
  app.use(express.urlencoded({ extended: true, limit: '1mb' }));
  app.use((req, res, next) => {
    if (req.path.startsWith('/_sim/')) return next();
    if (req.header('authorization') !== `Bearer ${apiKey}`) return err(res, 401, 'invalid_request_error', 'Invalid API Key provided');
    const key = req.header('idempotency-key');
    if (req.method === 'POST' && key) {
      const params = JSON.stringify([req.path, req.body]);
      const earlier = replies.get(key);
      if (earlier && earlier.params !== params) return err(res, 400, 'idempotency_error', 'Keys for idempotent requests can only be used with the same parameters they were first used with.');
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
    const c: Obj = { id: newId('cus'), object: 'customer', created: now(), email: req.body.email ?? null, name: req.body.name ?? null, metadata: req.body.metadata ?? {}, invoice_settings: { default_payment_method: null } };
    objects.set(c.id, c);
    res.json(c);
  });
  app.get('/v1/customers/:id', (req, res) => {
    const c = get(req.params.id, 'customer');
    return c ? res.json(c) : missing(res, req.params.id);
  });
  app.post('/v1/prices', (req, res) => {
    const b = req.body as Record<string, unknown> & { recurring?: { interval?: string; interval_count?: string } };
    const unit = Number(b.unit_amount);
    if (!Number.isInteger(unit) || typeof b.currency !== 'string') return err(res, 400, 'invalid_request_error', 'unit_amount (integer) and currency are required', { param: 'unit_amount' });
    const p: Obj = {
      id: newId('price'),
      object: 'price',
      active: true,
      currency: b.currency,
      unit_amount: unit,
      nickname: b.nickname ?? null,
      product: typeof b.product === 'string' ? b.product : newId('prod'),
      recurring: b.recurring ? { interval: b.recurring.interval ?? 'month', interval_count: Number(b.recurring.interval_count ?? 1), usage_type: 'licensed' } : null,
      type: b.recurring ? 'recurring' : 'one_time',
    };
    objects.set(p.id, p);
    res.json(p);
  });
  app.post('/v1/subscriptions', (req, res) => {
    const b = req.body as { customer?: string; items?: Array<{ price?: string; quantity?: string }>; metadata?: Record<string, string> };
    if (!b.customer || !get(b.customer, 'customer')) return missing(res, String(b.customer), 'customer');
    const itemsIn = (Array.isArray(b.items) ? b.items : Object.values(b.items ?? {})) as Array<{ price?: string; quantity?: string }>;
    if (itemsIn.length === 0) return err(res, 400, 'invalid_request_error', 'Missing required param: items.', { param: 'items' });
    const items = [];
    for (const [i, it] of itemsIn.entries()) {
      const price = it.price ? get(it.price, 'price') : undefined;
      if (!price) return missing(res, String(it.price), `items[${i}][price]`);
      items.push({ id: newId('si'), object: 'subscription_item', price, quantity: Number(it.quantity ?? 1) });
    }
    const start = now();
    const sub: Obj = {
      id: newId('sub'),
      object: 'subscription',
      customer: b.customer,
      status: 'active',
      currency: items[0]!.price.currency,
      created: start,
      start_date: start,
      current_period_start: start,
      current_period_end: start,
      cancel_at_period_end: false,
      cancel_at: null,
      canceled_at: null,
      pause_collection: null,
      collection_method: 'charge_automatically',
      metadata: b.metadata ?? {},
      items: { object: 'list', data: items, has_more: false },
    };
    sub.current_period_end = start + intervalDays(sub) * 86400;
    objects.set(sub.id, sub);
    addSubscription(sub.id);
    const inv = invoiceFor(sub, 'subscription_create', true);
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
      if (!o || (status !== undefined && o.status !== status)) continue;
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
    const b = req.body as { pause_collection?: string | { behavior?: string; resumes_at?: string }; cancel_at_period_end?: string };
    const previous: Record<string, unknown> = {};
    if (b.pause_collection !== undefined) {
      previous.pause_collection = s.pause_collection;
      s.pause_collection = b.pause_collection === '' ? null : { behavior: (b.pause_collection as { behavior?: string }).behavior ?? 'void', resumes_at: (b.pause_collection as { resumes_at?: string }).resumes_at ? Number((b.pause_collection as { resumes_at?: string }).resumes_at) : null };
    }
    if (b.cancel_at_period_end !== undefined) {
      previous.cancel_at_period_end = s.cancel_at_period_end;
      s.cancel_at_period_end = b.cancel_at_period_end === 'true';
      s.cancel_at = s.cancel_at_period_end ? s.current_period_end : null;
    }
    res.json(s);
    emit('customer.subscription.updated', structuredClone(s), previous);
  });
  app.delete('/v1/subscriptions/:id', (req, res) => {
    const s = get(req.params.id, 'subscription');
    if (!s) return missing(res, req.params.id);
    Object.assign(s, { status: 'canceled', canceled_at: now(), ended_at: now() });
    res.json(s);
    emit('customer.subscription.deleted', structuredClone(s));
  });
  app.get('/v1/invoices/:id', (req, res) => {
    const i = get(req.params.id, 'invoice');
    return i ? res.json(i) : missing(res, req.params.id);
  });
  app.get('/v1/invoices', (req, res) => {
    const all = [...objects.values()].filter((o) => o.object === 'invoice' && (typeof req.query.subscription !== 'string' || o.subscription === req.query.subscription));
    res.json(list(req, all, '/v1/invoices'));
  });
  app.post('/v1/billing_portal/sessions', (req, res) => {
    const customer = req.body.customer as string | undefined;
    if (!customer || !get(customer, 'customer')) return missing(res, String(customer), 'customer');
    res.json({ id: newId('bps'), object: 'billing_portal.session', customer, return_url: req.body.return_url ?? null, flow: req.body.flow_data ?? null, url: `https://billing.stripe.test/p/session/${newId('live')}` });
  });
  // Simulation controls (not Stripe endpoints): what Stripe's billing engine does on its own.
  app.post('/_sim/subscriptions/:id/fail_payment', express.json(), (req, res) => {
    const s = get(req.params.id, 'subscription');
    if (!s) return missing(res, req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    // A retry of the open invoice (body.invoice) or the next renewal's first attempt.
    const open = typeof body.invoice === 'string' ? get(body.invoice, 'invoice') : undefined;
    if (typeof body.invoice === 'string' && !open) return missing(res, body.invoice, 'invoice');
    const period = open ? {} : renewPeriod(s);
    const inv = open ?? invoiceFor(s, 'subscription_cycle', false);
    if (open) inv.attempt_count = (inv.attempt_count as number) + 1;
    // `final`: Stripe gives up on the invoice (its retries are exhausted, or it never retries this failure).
    inv.next_payment_attempt = body.final === true ? null : now() + 3 * 86400;
    const previous = { status: s.status };
    s.status = 'past_due';
    inv.last_finalization_error = null;
    inv.payment_intent = failure(inv, body);
    res.json(inv);
    emit('invoice.payment_failed', structuredClone(inv));
    if (previous.status !== 'past_due' || !open) emit('customer.subscription.updated', structuredClone(s), { ...previous, ...period });
  });
  /** The next period starts: the renewal invoice is paid (invoice.paid, then customer.subscription.updated). */
  app.post('/_sim/subscriptions/:id/renew', (req, res) => {
    const s = get(req.params.id, 'subscription');
    if (!s) return missing(res, req.params.id);
    if (s.status === 'canceled' || s.pause_collection) return err(res, 400, 'invalid_request_error', `Subscription ${s.id} does not renew (${s.status === 'canceled' ? 'canceled' : 'collection paused'}).`);
    const previous = renewPeriod(s);
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
    Object.assign(inv, { status: 'paid', amount_paid: inv.amount_due, amount_remaining: 0, next_payment_attempt: null, attempt_count: (inv.attempt_count as number) + 1 });
    inv.status_transitions = { ...(inv.status_transitions as object), paid_at: now() };
    const s = get(inv.subscription as string, 'subscription');
    res.json(inv);
    emit('invoice.paid', structuredClone(inv));
    if (s && s.status === 'past_due') {
      s.status = 'active';
      emit('customer.subscription.updated', structuredClone(s), { status: 'past_due' });
    }
  });
  app.use((req, res) => err(res, 404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${req.path}).`));

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, host, () => resolve(s));
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
    deliveries,
    limiter: kit.limiter,
    settled: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
