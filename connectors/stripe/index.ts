import Stripe from 'stripe';
import {
  defineConnector,
  DeliveryError,
  outboundUrlCheck,
  PullPacer,
  SECRET_REF_SCHEMA,
  targetAgents,
  type ActionResult,
  type SecretRef,
} from '../../src/sdk';

interface StripeOptions {
  /** Needed for actions and pulls only (webhooks need the webhook secret). */
  apiKey?: SecretRef;
  /** Where the API is (default api.stripe.com over https); the simulator: {host, port, protocol: "http"}. */
  api?: { host: string; port?: number; protocol?: 'http' | 'https' };
  allowHosts?: string[];
}

/**
 * Stripe (billing). Inbound: webhooks signed with Stripe-Signature; mappings receive the event
 * object. Outbound, through the official `stripe` SDK with the delivery's idempotency key:
 * createPortalSession (a payment-method update link), payLink (an invoice's hosted page),
 * pauseCollection / resumeCollection, cancel (now or at period end); payloads are checked before
 * they are sent. Enrichment: a failed invoice's PaymentIntent (see failedPaymentOf), a disputed
 * charge. Pull: subscriptions, page by page through a PullPacer (config `pull`: rate, retries of a
 * refused page). Retries of actions are the pipeline's (the SDK's own are off).
 */
export const stripeConnector = defineConnector({
  type: 'stripe',
  kind: 'billing',
  description: 'Stripe Billing: subscriptions, invoices and payments.',
  webhook: {
    scheme: 'stripe',
    mappingInput: 'body',
    // The customer: the event's object itself (customer.*), else the object's customer (an id, or expanded).
    partitionKey: (body) => {
      const object = (body as { data?: { object?: { object?: string; id?: unknown; customer?: unknown } } }).data?.object;
      if (!object) return undefined;
      if (object.object === 'customer' && typeof object.id === 'string') return object.id;
      const customer = object.customer;
      if (typeof customer === 'string') return customer;
      const id = (customer as { id?: unknown } | null | undefined)?.id;
      return typeof id === 'string' ? id : undefined;
    },
  },
  optionsSchema: {
    type: 'object',
    properties: {
      apiKey: SECRET_REF_SCHEMA,
      api: {
        type: 'object',
        properties: {
          host: { type: 'string', minLength: 1 },
          port: { type: 'integer', minimum: 1, maximum: 65535 },
          protocol: { enum: ['http', 'https'] },
        },
        required: ['host'],
        additionalProperties: false,
      },
      allowHosts: { type: 'array', items: { type: 'string', minLength: 1 } },
    },
    additionalProperties: false,
  },
  checkOptions(raw) {
    const o = raw as unknown as StripeOptions;
    const url = o.api ? `${o.api.protocol ?? 'https'}://${o.api.host}${o.api.port ? `:${o.api.port}` : ''}/` : undefined;
    return outboundUrlCheck(url, o.allowHosts, '/api/host', 'a local simulator');
  },
  createActions(raw, deps) {
    const client = clientOf(raw as unknown as StripeOptions, deps.resolveSecret);
    const field = (payload: unknown, name: string): string => {
      const v = (payload as Record<string, unknown> | null)?.[name];
      if (typeof v !== 'string' || v === '') throw new DeliveryError('MAPPING_REQUIRED_MISSING', `the payload needs "${name}"`);
      return v;
    };
    const call = async (
      fn: (s: Stripe) => Promise<{ id: string; url?: string | null; hosted_invoice_url?: string | null }>,
    ): Promise<ActionResult> => {
      try {
        const r = await fn(client());
        return { externalId: r.url ?? r.hosted_invoice_url ?? r.id };
      } catch (e) {
        throw classify(e);
      }
    };
    return {
      createPortalSession: (p, ctx) =>
        call((s) =>
          s.billingPortal.sessions.create(
            {
              customer: field(p, 'customer'),
              return_url: (p as { returnUrl?: string }).returnUrl,
              flow_data: { type: 'payment_method_update' },
            },
            { idempotencyKey: ctx.idempotencyKey, timeout: ctx.timeoutMs },
          ),
        ),
      payLink: async (p, ctx) => {
        const invoice = field(p, 'invoice');
        const r = await call((s) => s.invoices.retrieve(invoice, {}, { timeout: ctx.timeoutMs }));
        // A draft, or an invoice paid out of band, has no hosted page: no link to send.
        if (!r.externalId?.startsWith('https://'))
          throw new DeliveryError('DELIVERY_NO_RESULT', `Stripe invoice ${invoice} has no hosted_invoice_url: no pay link to send`);
        return r;
      },
      pauseCollection: async (p, ctx) => {
        const pause = pauseCollectionOf(p);
        return call((s) =>
          s.subscriptions.update(
            field(p, 'subscription'),
            { pause_collection: pause },
            { idempotencyKey: ctx.idempotencyKey, timeout: ctx.timeoutMs },
          ),
        );
      },
      resumeCollection: (p, ctx) =>
        call((s) =>
          s.subscriptions.update(
            field(p, 'subscription'),
            { pause_collection: '' },
            { idempotencyKey: ctx.idempotencyKey, timeout: ctx.timeoutMs },
          ),
        ),
      cancel: (p, ctx) =>
        call((s) =>
          (p as { atPeriodEnd?: boolean }).atPeriodEnd
            ? s.subscriptions.update(
                field(p, 'subscription'),
                { cancel_at_period_end: true },
                { idempotencyKey: ctx.idempotencyKey, timeout: ctx.timeoutMs },
              )
            : s.subscriptions.cancel(field(p, 'subscription'), {}, { idempotencyKey: ctx.idempotencyKey, timeout: ctx.timeoutMs }),
        ),
    };
  },
  createEnrichers(raw, deps) {
    const client = clientOf(raw as unknown as StripeOptions, deps.resolveSecret);
    return {
      'invoice.payment_failed': async (event, ctx) => {
        try {
          return await failedPaymentOf(event as StripeEvent, client, ctx.timeoutMs);
        } catch (e) {
          throw classify(e);
        }
      },
      // A dispute names its charge by id only; the charge names the customer the chargeback counts against.
      'charge.dispute.created': async (event, ctx) => {
        const charge = (event as { data?: { object?: { charge?: unknown } } }).data?.object?.charge;
        if (typeof charge !== 'string') return undefined;
        try {
          return { charge: await client().charges.retrieve(charge, {}, { timeout: ctx.timeoutMs }) };
        } catch (e) {
          throw classify(e);
        }
      },
    };
  },
  createPulls(raw, deps) {
    const client = clientOf(raw as unknown as StripeOptions, deps.resolveSecret);
    const pacer = new PullPacer(deps.pull);
    return {
      // Page by page at the pull's rate; a refused page (429, 5xx) is asked again from the same cursor.
      subscriptions: async function* () {
        let startingAfter: string | undefined;
        for (;;) {
          const page = await pacer.page(() =>
            client()
              .subscriptions.list({ limit: 100, status: 'all', ...(startingAfter ? { starting_after: startingAfter } : {}) })
              .catch((e: unknown) => Promise.reject(classify(e))),
          );
          yield* page.data;
          if (!page.has_more || page.data.length === 0) return;
          startingAfter = page.data.at(-1)!.id;
        }
      },
    };
  },
});

const PAUSE_BEHAVIORS = ['keep_as_draft', 'mark_uncollectible', 'void'] as const;

/** `pause_collection` from the payload, checked as Stripe would (behavior one of three, resumes_at a time) before anything is sent. */
function pauseCollectionOf(p: unknown): Stripe.SubscriptionUpdateParams.PauseCollection {
  const { behavior = 'void', resumesAt } = (p ?? {}) as { behavior?: unknown; resumesAt?: unknown };
  if (!PAUSE_BEHAVIORS.includes(behavior as 'void')) {
    throw new DeliveryError(
      'DELIVERY_INPUT_INVALID',
      `pause_collection.behavior must be one of ${PAUSE_BEHAVIORS.join(', ')}; got ${JSON.stringify(behavior)}`,
    );
  }
  if (resumesAt === undefined || resumesAt === null) return { behavior: behavior as 'void' };
  const at = typeof resumesAt === 'string' ? Date.parse(resumesAt) : NaN;
  if (!Number.isFinite(at))
    throw new DeliveryError('DELIVERY_INPUT_INVALID', `resumesAt must be an ISO 8601 time; got ${JSON.stringify(resumesAt)}`);
  return { behavior: behavior as 'void', resumes_at: Math.floor(at / 1000) };
}

interface StripeEvent {
  api_version?: string | null;
  data?: { object?: { id?: string; payment_intent?: unknown; payments?: unknown } };
}

/** API versions from this one on leave `payment_intent` off the invoice: its payments are listed under `payments`. */
const BASIL = '2025-03-31';

/**
 * The PaymentIntent of a failed invoice payment, which the webhook leaves out: from 2025-03-31.basil
 * on, the invoice re-read with `payments.data.payment.payment_intent` expanded (the payment with an
 * error, else the newest); before, the PaymentIntent whose id the invoice carries. `undefined` when
 * the event already carries it expanded, or has no invoice (then no client is made: no API key is needed). Mappings read `enrichment.payment_intent`.
 */
async function failedPaymentOf(
  event: StripeEvent,
  client: () => Stripe,
  timeout: number,
): Promise<{ payment_intent: Stripe.PaymentIntent | null } | undefined> {
  const inv = event.data?.object;
  if (!inv?.id) return undefined;
  if (typeof inv.payment_intent === 'string')
    return { payment_intent: await client().paymentIntents.retrieve(inv.payment_intent, {}, { timeout }) };
  const listed = (inv.payments as { data?: Array<{ payment?: { payment_intent?: unknown } }> } | undefined)?.data ?? [];
  if (inv.payment_intent != null || listed.some((x) => typeof x.payment?.payment_intent === 'object' && x.payment.payment_intent !== null))
    return undefined;
  // Before basil an invoice without a PaymentIntent id has none to read.
  if ((event.api_version ?? '') < BASIL && 'payment_intent' in inv) return undefined;
  const full = await client().invoices.retrieve(inv.id, { expand: ['payments.data.payment.payment_intent'] }, { timeout });
  const intents = (full.payments?.data ?? [])
    .map((x) => x.payment.payment_intent)
    .filter((pi): pi is Stripe.PaymentIntent => typeof pi === 'object' && pi !== null);
  return { payment_intent: intents.find((pi) => pi.last_payment_error) ?? intents[0] ?? null };
}

/** One SDK client per connector instance, made on first use (the key is resolved then). */
function clientOf(o: StripeOptions, resolveSecret: (ref: SecretRef) => string | undefined): () => Stripe {
  let stripe: Stripe | undefined;
  return () => {
    if (stripe) return stripe;
    const ref = o.apiKey;
    const key = ref ? resolveSecret(ref) : undefined;
    if (key === undefined) {
      const what = !ref ? 'no options.apiKey is configured' : `${'env' in ref ? `env ${ref.env}` : `file ${ref.file}`} is not set`;
      throw new DeliveryError('CONFIG_SECRET_MISSING', `the Stripe API key: ${what}`);
    }
    const agents = targetAgents(o.allowHosts);
    const protocol = o.api?.protocol ?? 'https';
    stripe = new Stripe(key, {
      maxNetworkRetries: 0,
      telemetry: false,
      httpAgent: protocol === 'http' ? agents.http : agents.https,
      ...(o.api ? { host: o.api.host, port: o.api.port, protocol } : {}),
    });
    return stripe;
  };
}

/** Stripe's errors → what the pipeline does next. */
function classify(e: unknown): DeliveryError {
  if (e instanceof DeliveryError) return e;
  const err = e as { type?: string; statusCode?: number; message?: string; headers?: Record<string, string> };
  const message = `Stripe ${err.type ?? 'error'}: ${err.message ?? String(e)}`;
  if (err.type === 'StripeConnectionError') return new DeliveryError('DELIVERY_NETWORK', message, { cause: e });
  if (err.statusCode === 429 || err.type === 'StripeRateLimitError') {
    const after = Number(err.headers?.['retry-after']);
    return new DeliveryError('DELIVERY_RATE_LIMITED', message, {
      status: 429,
      retryAfterMs: Number.isFinite(after) ? after * 1000 : undefined,
      cause: e,
    });
  }
  if ((err.statusCode ?? 0) >= 500 || err.type === 'StripeAPIError')
    return new DeliveryError('DELIVERY_SERVER_ERROR', message, { status: err.statusCode, cause: e });
  return new DeliveryError('DELIVERY_REJECTED', message, { status: err.statusCode, cause: e });
}
