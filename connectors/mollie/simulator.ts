import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { simulatorKit, WebhookOutbox, type SimulatorLimiter, type SimulatorRateLimit } from '../../src/sdk';
import { amountProblem } from './api';
import { addInterval, intervalProblem, links, mollieDate, mollieId, mollieTime, paymentDetails, type Obj } from './simulator-objects';

/**
 * A stateful subset of the Mollie API v2 for tests and demos, spoken as Mollie speaks it: HAL
 * JSON (`resource`, `_links` with self/documentation/checkout, lists as `_embedded.<plural>`
 * with `count` and `next`/`previous` links, cursor `from` + `limit` ≤ 250), amounts as
 * `{currency, value: "10.00"}`, bearer API keys `test_…`/`live_…` (401 otherwise), Mollie's error
 * object `{status, title, detail, field?, _links}`, and `Idempotency-Key` on POST and DELETE
 * (the same key answers the first result). Resources: customers, their mandates (create, get,
 * list, revoke), payments (first, recurring on a valid mandate, one-off; get, list), their
 * subscriptions (create, get, list, cancel), all subscriptions, payment links.
 *
 * Every payment status change POSTs a classic webhook (`id=tr_…`, form-encoded) to the payment's
 * webhookUrl (a subscription's payments: the subscription's), else `webhookUrl` of the options,
 * retrying non-2xx answers; with `nextGen` it also POSTs a next-gen event (JSON, the payment
 * embedded) signed `X-Mollie-Signature: <hex HMAC-SHA256 of the raw body>` [event type names
 * unverified: `payment.<status>`].
 *
 * Simulation controls (not Mollie endpoints), JSON bodies:
 * `POST /_sim/subscriptions/:id/charge` {status: paid|failed, bankReasonCode?, failureReason?}
 * takes the subscription's next payment; `POST /_sim/payments/:id/:status` (paid, failed,
 * expired, canceled; same body) settles a payment (a paid first payment creates a valid mandate
 * and activates the customer's pending subscriptions); `POST /_sim/payments/:id/chargeback`;
 * `POST /_sim/mandates/:id/revoke` (invalid; subscriptions on it suspended);
 * `POST /_sim/payment-links/:id/pay` (the customer pays the link: a paid one-off payment).
 * Not simulated: refunds, captures, orders, methods, profiles, settlements, the checkout pages,
 * PATCH of payments or subscriptions, OAuth and `testmode`, balances; lists keep creation order.
 */
export interface MollieSimulatorOptions {
  /** Keys accepted (default: any `test_…`/`live_…` key). */
  apiKeys?: readonly string[];
  /** Where a payment without its own webhookUrl is reported. */
  webhookUrl?: string;
  /** Also send signed next-gen events here. */
  nextGen?: { url: string; secret: string };
  retryDelaysMs?: number[];
  now?: () => number;
  rateLimit?: SimulatorRateLimit;
}

export interface MollieSimulator {
  url: string;
  /** The API root for clients: `<url>/v2/`. */
  apiEndpoint: string;
  objects: Map<string, Obj>;
  /** Adds `n` active subscriptions to a new customer without API calls or webhooks (pagination tests); returns the customer id. */
  seedSubscriptions(n: number): string;
  deliveries: Array<{ kind: 'classic' | 'next-gen'; url: string; body: string; attempts: number; status: number }>;
  settled(): Promise<void>;
  limiter: SimulatorLimiter;
  close(): Promise<void>;
}

const KEY = /^Bearer ((test|live)_[A-Za-z0-9]+)$/;
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized Request',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
};
const FINAL = new Set(['paid', 'failed', 'expired', 'canceled']);

export async function startMollieSimulator(port = 0, options: MollieSimulatorOptions = {}, host = '127.0.0.1'): Promise<MollieSimulator> {
  const now = () => options.now?.() ?? Date.now();
  const objects = new Map<string, Obj>();
  /** Creation order per list: `customers`, `subscriptions` (all), `payment-links`, and `<cst>/<kind>` per customer. */
  const lists = new Map<string, string[]>();
  const listed = (key: string) => lists.get(key) ?? lists.set(key, []).get(key)!;
  const keep = (o: Obj, ...keys: string[]) => {
    objects.set(o.id, o);
    for (const k of keys) listed(k).push(o.id);
    return o;
  };
  const replies = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  const deliveries: MollieSimulator['deliveries'] = [];
  const outbox = new WebhookOutbox();
  let base = '';

  const err = (res: Response, status: number, detail: string, field?: string) =>
    void res
      .status(status)
      .type('application/hal+json')
      .json({
        status,
        title: TITLES[status] ?? 'Error',
        detail,
        ...(field ? { field } : {}),
        _links: { documentation: { href: 'https://docs.mollie.com/overview/handling-errors', type: 'text/html' } },
      });
  const get = (id: string, resource: string) => {
    const o = objects.get(id);
    return o && o.resource === resource ? o : undefined;
  };
  const customerOf = (req: Request, res: Response) => {
    const c = get(String(req.params.customerId), 'customer');
    if (!c) err(res, 404, `No customer exists with token ${String(req.params.customerId)}.`);
    return c;
  };
  const modeOf = (req: Request) => (String(req.header('authorization')).includes('live_') ? 'live' : 'test');

  /** One page of a list: `from` (an id, inclusive) and `limit` (1–250, default 50). */
  const page = (req: Request, res: Response, ids: readonly string[], key: string, path: string) => {
    const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 250) return err(res, 400, 'The limit must be between 1 and 250.', 'limit');
    const from = typeof req.query.from === 'string' ? ids.indexOf(req.query.from) : 0;
    if (from < 0) return err(res, 400, `Invalid "from" parameter: no ${key} with that id in this list.`, 'from');
    const slice = ids.slice(from, from + limit).map((id) => objects.get(id)!);
    const at = (i: number) => `${base}${path}?from=${ids[i]}&limit=${limit}`;
    res.type('application/hal+json').json({
      count: slice.length,
      _embedded: { [key]: slice },
      _links: {
        self: { href: `${base}${path}?${from > 0 ? `from=${ids[from]}&` : ''}limit=${limit}`, type: 'application/hal+json' },
        previous: from > 0 ? { href: at(Math.max(0, from - limit)), type: 'application/hal+json' } : null,
        next: from + limit < ids.length ? { href: at(from + limit), type: 'application/hal+json' } : null,
        documentation: { href: `https://docs.mollie.com/reference/list-${key.replace('_', '-')}`, type: 'text/html' },
      },
    });
  };

  const send = (kind: 'classic' | 'next-gen', url: string, body: string, headers: Record<string, string>) => {
    const record = { kind, url, body, attempts: 0, status: 0 };
    deliveries.push(record);
    outbox.post(
      url,
      body,
      () => ({ 'user-agent': 'Mollie.com Webhook Call', ...headers }),
      options.retryDelaysMs ?? [50, 200, 1000],
      record,
    );
  };
  /** A payment's status changed: the classic webhook (and the next-gen event, when configured). */
  const notify = (payment: Obj) => {
    const url = (payment.webhookUrl as string | undefined) ?? options.webhookUrl;
    if (url)
      send('classic', url, new URLSearchParams({ id: payment.id }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    if (options.nextGen) {
      const status =
        Number((payment.amountChargedBack as { value?: string } | undefined)?.value ?? 0) > 0 ? 'charged-back' : payment.status;
      const event = {
        resource: 'event',
        id: mollieId('event'),
        type: `payment.${String(status)}`,
        entityId: payment.id,
        createdAt: mollieTime(now()),
        _embedded: { entity: structuredClone(payment) },
        _links: { documentation: { href: 'https://docs.mollie.com/reference/webhooks-new', type: 'text/html' } },
      };
      const body = JSON.stringify(event);
      const signature = createHmac('sha256', options.nextGen.secret).update(body).digest('hex');
      send('next-gen', options.nextGen.url, body, { 'content-type': 'application/json', 'x-mollie-signature': signature });
    }
  };

  const newPayment = (req: Request, customer: Obj, fields: Record<string, unknown>): Obj => {
    const id = mollieId('tr');
    const p: Obj = {
      resource: 'payment',
      id,
      mode: modeOf(req),
      createdAt: mollieTime(now()),
      status: 'open',
      isCancelable: false,
      amount: fields.amount,
      description: fields.description,
      method: fields.method ?? null,
      metadata: fields.metadata ?? null,
      details: null,
      profileId: 'pfl_QkEhN94Ba',
      sequenceType: fields.sequenceType ?? 'oneoff',
      customerId: customer.id,
      ...(fields.mandateId ? { mandateId: fields.mandateId } : {}),
      ...(fields.subscriptionId ? { subscriptionId: fields.subscriptionId } : {}),
      ...(fields.redirectUrl ? { redirectUrl: fields.redirectUrl } : {}),
      ...(fields.webhookUrl ? { webhookUrl: fields.webhookUrl } : {}),
      locale: 'nl_NL',
    };
    return keep(p, `${customer.id}/payments`, 'payments');
  };
  const renderLinks = (p: Obj) => {
    const checkout =
      p.status === 'open'
        ? `https://www.mollie.com/checkout/test-mode?method=${String(p.method ?? 'ideal')}&token=${p.id.slice(3)}`
        : undefined;
    p._links = links(base, `payments/${p.id}`, 'get-payment', {
      checkout,
      customer: `${base}customers/${String(p.customerId)}`,
      mandate: p.mandateId ? `${base}customers/${String(p.customerId)}/mandates/${String(p.mandateId)}` : undefined,
      subscription: p.subscriptionId ? `${base}customers/${String(p.customerId)}/subscriptions/${String(p.subscriptionId)}` : undefined,
    });
    return p;
  };
  const validMandate = (customerId: string, mandateId?: string) => {
    const ids = listed(`${customerId}/mandates`);
    if (mandateId) return ids.includes(mandateId) && objects.get(mandateId)!.status === 'valid' ? objects.get(mandateId) : undefined;
    return ids.map((id) => objects.get(id)!).find((m) => m.status === 'valid');
  };
  const newMandate = (req: Request | undefined, customer: Obj, method: string, details: Record<string, unknown>): Obj => {
    const m: Obj = {
      resource: 'mandate',
      id: mollieId('mdt'),
      mode: req ? modeOf(req) : 'test',
      status: 'valid',
      method,
      details,
      mandateReference: `SUBHUB-${Math.floor(now() / 1000)}`,
      signatureDate: mollieDate(now()),
      createdAt: mollieTime(now()),
    };
    m._links = links(base, `customers/${customer.id}/mandates/${m.id}`, 'get-mandate', { customer: `${base}customers/${customer.id}` });
    keep(m, `${customer.id}/mandates`);
    // Subscriptions waiting for a mandate start now.
    for (const id of listed(`${customer.id}/subscriptions`)) {
      const s = objects.get(id)!;
      if (s.status === 'pending') Object.assign(s, { status: 'active', mandateId: m.id });
    }
    return m;
  };
  /** Settles a payment: status, timestamps, failure details, the mandate a paid first payment yields; then the webhook. */
  const settle = (p: Obj, status: string, failure: { bankReasonCode?: string; failureReason?: string } = {}) => {
    p.status = status;
    p[`${status}At`] = mollieTime(now());
    const method = p.method as string | null;
    p.details = paymentDetails(method, status === 'failed' ? failure : undefined) ?? p.details;
    if (status === 'paid' && p.sequenceType === 'first' && !p.mandateId) {
      const customer = objects.get(String(p.customerId))!;
      const m = newMandate(undefined, customer, method === 'creditcard' ? 'creditcard' : 'directdebit', {
        consumerName: 'A. de Vries',
        consumerAccount: 'NL55INGB0000000000',
        consumerBic: 'INGBNL2A',
      });
      p.mandateId = m.id;
    }
    renderLinks(p);
    notify(p);
  };

  const app = express();
  app.disable('x-powered-by');
  const kit = simulatorKit('mollie', options, (res, retryAfterSec) => {
    res.set('retry-after', String(retryAfterSec));
    err(res, 429, 'You have exceeded the rate limit of requests. Try again later.');
  });
  app.use(kit.handler);
  app.use(express.json({ limit: '1mb', type: () => true }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    base = `http://${req.get('host')}/v2/`;
    if (req.path.startsWith('/_sim/')) return next();
    const m = KEY.exec(req.header('authorization') ?? '');
    if (!m || (options.apiKeys && !options.apiKeys.includes(m[1]!)))
      return err(res, 401, 'Missing authentication, or failed to authenticate');
    const key = req.header('idempotency-key');
    if ((req.method === 'POST' || req.method === 'DELETE') && key) {
      const fingerprint = JSON.stringify([req.method, req.path, req.body ?? null]);
      const earlier = replies.get(key);
      if (earlier && earlier.fingerprint !== fingerprint)
        return err(res, 422, 'The Idempotency-Key was already used for another request.', 'Idempotency-Key');
      if (earlier) return void res.status(earlier.status).type('application/hal+json').json(earlier.body);
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        if (res.statusCode < 500) replies.set(key, { fingerprint, status: res.statusCode, body });
        return json(body);
      };
    }
    next();
  });
  const body = (req: Request) => (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});
  const checkAmount = (res: Response, amount: unknown) => {
    const problem = amountProblem(amount);
    if (problem) err(res, 422, `The amount is invalid: ${problem}.`, 'amount');
    return !problem;
  };

  app.post('/v2/customers', (req, res) => {
    const b = body(req);
    const c: Obj = {
      resource: 'customer',
      id: mollieId('cst'),
      mode: modeOf(req),
      name: b.name ?? null,
      email: b.email ?? null,
      locale: b.locale ?? null,
      metadata: b.metadata ?? null,
      createdAt: mollieTime(now()),
    };
    c._links = links(base, `customers/${c.id}`, 'get-customer');
    res.status(201).json(keep(c, 'customers'));
  });
  app.get('/v2/customers', (req, res) => page(req, res, listed('customers'), 'customers', 'customers'));
  app.get('/v2/customers/:customerId', (req, res) => {
    const c = customerOf(req, res);
    if (c) res.json(c);
  });

  app.post('/v2/customers/:customerId/mandates', (req, res) => {
    const c = customerOf(req, res);
    if (!c) return;
    const b = body(req);
    if (b.method !== 'directdebit') return err(res, 422, 'Only directdebit mandates can be created through the API here.', 'method');
    if (typeof b.consumerName !== 'string' || typeof b.consumerAccount !== 'string')
      return err(res, 422, 'The consumerName and consumerAccount are required.', 'consumerAccount');
    res.status(201).json(
      newMandate(req, c, 'directdebit', {
        consumerName: b.consumerName,
        consumerAccount: b.consumerAccount,
        consumerBic: b.consumerBic ?? null,
      }),
    );
  });
  app.get('/v2/customers/:customerId/mandates', (req, res) => {
    const c = customerOf(req, res);
    if (c) page(req, res, listed(`${c.id}/mandates`), 'mandates', `customers/${c.id}/mandates`);
  });
  app.get('/v2/customers/:customerId/mandates/:id', (req, res) => {
    const c = customerOf(req, res);
    if (!c) return;
    const m = get(req.params.id, 'mandate');
    if (!m || !listed(`${c.id}/mandates`).includes(m.id)) return err(res, 404, `No mandate exists with token ${req.params.id}.`);
    res.json(m);
  });
  app.delete('/v2/customers/:customerId/mandates/:id', (req, res) => {
    const c = customerOf(req, res);
    if (!c) return;
    const m = get(req.params.id, 'mandate');
    if (!m || !listed(`${c.id}/mandates`).includes(m.id)) return err(res, 404, `No mandate exists with token ${req.params.id}.`);
    revoke(m, c.id);
    res.status(204).end();
  });

  app.post('/v2/customers/:customerId/payments', (req, res) => {
    const c = customerOf(req, res);
    if (!c) return;
    const b = body(req);
    if (!checkAmount(res, b.amount)) return;
    if (typeof b.description !== 'string' || !b.description) return err(res, 422, 'The description is required.', 'description');
    const sequenceType = (b.sequenceType as string | undefined) ?? 'oneoff';
    if (!['oneoff', 'first', 'recurring'].includes(sequenceType)) return err(res, 422, 'The sequence type is invalid.', 'sequenceType');
    if (sequenceType === 'recurring') {
      const mandate = validMandate(c.id, b.mandateId as string | undefined);
      if (!mandate)
        return b.mandateId
          ? err(res, 422, `The mandate ${String(b.mandateId)} is not a valid mandate of this customer.`, 'mandateId')
          : err(res, 422, 'The customer has no valid mandate to charge a recurring payment on.', 'customerId');
      const p = newPayment(req, c, { ...b, sequenceType, mandateId: mandate.id, method: mandate.method });
      p.status = 'pending';
      p.details = paymentDetails(mandate.method as string);
      return void res.status(201).json(renderLinks(p));
    }
    if (typeof b.redirectUrl !== 'string') return err(res, 422, 'The redirect URL is required for this payment.', 'redirectUrl');
    res.status(201).json(renderLinks(newPayment(req, c, { ...b, sequenceType })));
  });
  app.get('/v2/customers/:customerId/payments', (req, res) => {
    const c = customerOf(req, res);
    if (c) page(req, res, listed(`${c.id}/payments`), 'payments', `customers/${c.id}/payments`);
  });
  app.get('/v2/payments/:id', (req, res) => {
    const p = get(req.params.id, 'payment');
    return p ? res.json(p) : err(res, 404, `No payment exists with token ${req.params.id}.`);
  });

  app.post('/v2/customers/:customerId/subscriptions', (req, res) => {
    const c = customerOf(req, res);
    if (!c) return;
    const b = body(req);
    if (!checkAmount(res, b.amount)) return;
    const bad = intervalProblem(b.interval);
    if (bad) return err(res, 422, bad, 'interval');
    if (typeof b.description !== 'string' || !b.description) return err(res, 422, 'The description is required.', 'description');
    const mine = listed(`${c.id}/subscriptions`).map((id) => objects.get(id)!);
    if (mine.some((s) => s.description === b.description && s.status !== 'canceled' && s.status !== 'completed'))
      return err(res, 422, "The description must be unique among the customer's subscriptions.", 'description');
    if (b.startDate !== undefined && (typeof b.startDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(b.startDate)))
      return err(res, 422, 'The start date must be a date (YYYY-MM-DD).', 'startDate');
    if (b.times !== undefined && (!Number.isInteger(b.times) || (b.times as number) < 1))
      return err(res, 422, 'The times must be a positive integer.', 'times');
    if (b.mandateId !== undefined && !validMandate(c.id, String(b.mandateId)))
      return err(res, 422, `The mandate ${String(b.mandateId)} is not a valid mandate of this customer.`, 'mandateId');
    const mandate = validMandate(c.id, b.mandateId as string | undefined);
    const startDate = (b.startDate as string | undefined) ?? mollieDate(now());
    const s: Obj = {
      resource: 'subscription',
      id: mollieId('sub'),
      mode: modeOf(req),
      createdAt: mollieTime(now()),
      status: mandate ? 'active' : 'pending',
      amount: b.amount,
      times: b.times ?? null,
      timesRemaining: b.times ?? null,
      interval: b.interval,
      startDate,
      nextPaymentDate: startDate,
      description: b.description,
      method: b.method ?? null,
      mandateId: mandate?.id ?? null,
      webhookUrl: b.webhookUrl ?? null,
      metadata: b.metadata ?? null,
      customerId: c.id,
    };
    s._links = links(base, `customers/${c.id}/subscriptions/${s.id}`, 'get-subscription', { customer: `${base}customers/${c.id}` });
    res.status(201).json(keep(s, `${c.id}/subscriptions`, 'subscriptions'));
  });
  app.get('/v2/customers/:customerId/subscriptions', (req, res) => {
    const c = customerOf(req, res);
    if (c) page(req, res, listed(`${c.id}/subscriptions`), 'subscriptions', `customers/${c.id}/subscriptions`);
  });
  const subscriptionOf = (req: Request, res: Response) => {
    const c = customerOf(req, res);
    if (!c) return undefined;
    const s = get(req.params.id as string, 'subscription');
    if (!s || s.customerId !== c.id) return void err(res, 404, `No subscription exists with token ${String(req.params.id)}.`);
    return s;
  };
  app.get('/v2/customers/:customerId/subscriptions/:id', (req, res) => {
    const s = subscriptionOf(req, res);
    if (s) res.json(s);
  });
  app.delete('/v2/customers/:customerId/subscriptions/:id', (req, res) => {
    const s = subscriptionOf(req, res);
    if (!s) return;
    if (s.status === 'canceled' || s.status === 'completed')
      return err(res, 422, `The subscription is ${String(s.status)} and cannot be canceled.`);
    Object.assign(s, { status: 'canceled', canceledAt: mollieTime(now()) });
    delete s.nextPaymentDate;
    res.json(s);
  });
  app.get('/v2/subscriptions', (req, res) => page(req, res, listed('subscriptions'), 'subscriptions', 'subscriptions'));

  app.post('/v2/payment-links', (req, res) => {
    const b = body(req);
    if (!checkAmount(res, b.amount)) return;
    if (typeof b.description !== 'string' || !b.description) return err(res, 422, 'The description is required.', 'description');
    if (b.expiresAt !== undefined && !Number.isFinite(Date.parse(String(b.expiresAt))))
      return err(res, 422, 'The expiry date is invalid.', 'expiresAt');
    const l: Obj = {
      resource: 'payment-link',
      id: mollieId('pl'),
      mode: modeOf(req),
      description: b.description,
      amount: b.amount,
      archived: false,
      redirectUrl: b.redirectUrl ?? null,
      webhookUrl: b.webhookUrl ?? null,
      createdAt: mollieTime(now()),
      paidAt: null,
      expiresAt: b.expiresAt ?? null,
    };
    l._links = links(base, `payment-links/${l.id}`, 'get-payment-link', {
      paymentLink: `https://paymentlink.mollie.com/payment/${l.id.slice(3)}/`,
    });
    res.status(201).json(keep(l, 'payment-links'));
  });
  app.get('/v2/payment-links/:id', (req, res) => {
    const l = get(req.params.id, 'payment-link');
    return l ? res.json(l) : err(res, 404, `No payment link exists with token ${req.params.id}.`);
  });

  // Simulation controls: what Mollie, the banks and the customers do on their own.
  const failureOf = (req: Request) => {
    const b = body(req);
    return { bankReasonCode: b.bankReasonCode as string | undefined, failureReason: b.failureReason as string | undefined };
  };
  app.post('/_sim/subscriptions/:id/charge', (req, res) => {
    const s = get(req.params.id, 'subscription');
    if (!s) return err(res, 404, `No subscription exists with token ${req.params.id}.`);
    if (s.status !== 'active') return err(res, 422, `The subscription is ${String(s.status)}: it takes no payment.`);
    const status = body(req).status ?? 'paid';
    if (status !== 'paid' && status !== 'failed') return err(res, 400, 'status must be paid or failed', 'status');
    const mandate = objects.get(String(s.mandateId)) ?? validMandate(String(s.customerId));
    if (!mandate) return err(res, 422, 'The subscription has no valid mandate.');
    const customer = objects.get(String(s.customerId))!;
    const p = newPayment(req, customer, {
      amount: s.amount,
      description: s.description,
      sequenceType: 'recurring',
      method: mandate.method,
      mandateId: mandate.id,
      subscriptionId: s.id,
      metadata: s.metadata,
      webhookUrl: s.webhookUrl ?? undefined,
    });
    s.nextPaymentDate = addInterval(String(s.nextPaymentDate ?? s.startDate), String(s.interval));
    if (typeof s.timesRemaining === 'number') {
      s.timesRemaining -= 1;
      if (s.timesRemaining === 0) Object.assign(s, { status: 'completed', nextPaymentDate: null });
    }
    settle(p, status as string, failureOf(req));
    res.json(p);
  });
  app.post('/_sim/payments/:id/chargeback', (req, res) => {
    const p = get(req.params.id, 'payment');
    if (!p) return err(res, 404, `No payment exists with token ${req.params.id}.`);
    if (p.status !== 'paid') return err(res, 422, 'Only a paid payment can be charged back.');
    p.amountChargedBack = p.amount;
    notify(p);
    res.json(p);
  });
  app.post('/_sim/payments/:id/:status', (req, res) => {
    const p = get(req.params.id, 'payment');
    if (!p) return err(res, 404, `No payment exists with token ${req.params.id}.`);
    const status = req.params.status;
    if (!FINAL.has(status)) return err(res, 400, 'status must be paid, failed, expired or canceled', 'status');
    if (FINAL.has(String(p.status))) return err(res, 422, `The payment is already ${String(p.status)}.`);
    settle(p, status, failureOf(req));
    res.json(p);
  });
  const revoke = (m: Obj, customerId: string) => {
    m.status = 'invalid';
    const other = validMandate(customerId);
    for (const id of listed(`${customerId}/subscriptions`)) {
      const s = objects.get(id)!;
      if (s.status === 'active' && (s.mandateId === m.id || !other)) s.status = 'suspended';
    }
  };
  app.post('/_sim/mandates/:id/revoke', (req, res) => {
    const m = get(req.params.id, 'mandate');
    if (!m) return err(res, 404, `No mandate exists with token ${req.params.id}.`);
    const customerId = /customers\/([^/]+)/.exec(String((m._links as { customer: { href: string } }).customer.href))![1]!;
    revoke(m, customerId);
    res.json(m);
  });
  app.post('/_sim/payment-links/:id/pay', (req, res) => {
    const l = get(req.params.id, 'payment-link');
    if (!l) return err(res, 404, `No payment link exists with token ${req.params.id}.`);
    const customer = keep({ resource: 'customer', id: mollieId('cst'), mode: 'test', createdAt: mollieTime(now()) }, 'customers');
    const p = newPayment(req, customer, {
      amount: l.amount,
      description: l.description,
      method: 'ideal',
      webhookUrl: l.webhookUrl ?? undefined,
    });
    p.details = { consumerName: 'A. de Vries', consumerAccount: 'NL55INGB0000000000', consumerBic: 'INGBNL2A' };
    l.paidAt = mollieTime(now());
    settle(p, 'paid');
    res.json(p);
  });
  app.use((req, res) => err(res, 404, `The resource ${req.method} ${req.path} does not exist.`));

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, (e?: Error) => (e ? reject(e) : resolve(s)));
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  base = `${url}/v2/`;
  return {
    url,
    apiEndpoint: base,
    objects,
    seedSubscriptions: (n) => {
      const c = keep({ resource: 'customer', id: mollieId('cst'), mode: 'test', createdAt: mollieTime(now()) }, 'customers');
      const m = newMandate(undefined, c, 'directdebit', {
        consumerName: 'Seed',
        consumerAccount: 'NL55INGB0000000000',
        consumerBic: 'INGBNL2A',
      });
      for (let i = 0; i < n; i++) {
        const s: Obj = {
          resource: 'subscription',
          id: mollieId('sub'),
          mode: 'test',
          createdAt: mollieTime(now()),
          status: 'active',
          amount: { currency: 'EUR', value: '24.90' },
          times: null,
          timesRemaining: null,
          interval: '1 month',
          startDate: mollieDate(now()),
          nextPaymentDate: mollieDate(now()),
          description: `Seeded subscription ${i + 1}`,
          method: 'directdebit',
          mandateId: m.id,
          webhookUrl: null,
          metadata: null,
          customerId: c.id,
        };
        s._links = links(base, `customers/${c.id}/subscriptions/${s.id}`, 'get-subscription', { customer: `${base}customers/${c.id}` });
        keep(s, `${c.id}/subscriptions`, 'subscriptions');
      }
      return c.id;
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
