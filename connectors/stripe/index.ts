import Stripe from 'stripe';
import { defineConnector, DeliveryError, outboundUrlCheck, PullPacer, SECRET_REF_SCHEMA, targetAgents, type ActionResult, type SecretRef } from '../../src/sdk';

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
 * pauseCollection / resumeCollection, cancel (now or at period end). Pull: subscriptions, with
 * page by page through a PullPacer (config `pull`: rate, retries of a refused page). Retries of
 * actions are the pipeline's (the SDK's own are off).
 */
export const stripeConnector = defineConnector({
  type: 'stripe',
  kind: 'billing',
  description: 'Stripe Billing: subscriptions, invoices and payments.',
  webhook: { scheme: 'stripe', mappingInput: 'body' },
  optionsSchema: {
    type: 'object',
    properties: {
      apiKey: SECRET_REF_SCHEMA,
      api: {
        type: 'object',
        properties: { host: { type: 'string', minLength: 1 }, port: { type: 'integer', minimum: 1, maximum: 65535 }, protocol: { enum: ['http', 'https'] } },
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
    const call = async (fn: (s: Stripe) => Promise<{ id: string; url?: string | null; hosted_invoice_url?: string | null }>): Promise<ActionResult> => {
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
            { customer: field(p, 'customer'), return_url: (p as { returnUrl?: string }).returnUrl, flow_data: { type: 'payment_method_update' } },
            { idempotencyKey: ctx.idempotencyKey, timeout: ctx.timeoutMs },
          ),
        ),
      payLink: (p, ctx) => call((s) => s.invoices.retrieve(field(p, 'invoice'), {}, { timeout: ctx.timeoutMs })),
      pauseCollection: (p, ctx) =>
        call((s) =>
          s.subscriptions.update(
            field(p, 'subscription'),
            {
              pause_collection: {
                behavior: ((p as { behavior?: string }).behavior ?? 'void') as 'void',
                ...(typeof (p as { resumesAt?: unknown }).resumesAt === 'string' ? { resumes_at: Math.floor(Date.parse((p as { resumesAt: string }).resumesAt) / 1000) } : {}),
              },
            },
            { idempotencyKey: ctx.idempotencyKey, timeout: ctx.timeoutMs },
          ),
        ),
      resumeCollection: (p, ctx) =>
        call((s) => s.subscriptions.update(field(p, 'subscription'), { pause_collection: '' }, { idempotencyKey: ctx.idempotencyKey, timeout: ctx.timeoutMs })),
      cancel: (p, ctx) =>
        call((s) =>
          (p as { atPeriodEnd?: boolean }).atPeriodEnd
            ? s.subscriptions.update(field(p, 'subscription'), { cancel_at_period_end: true }, { idempotencyKey: ctx.idempotencyKey, timeout: ctx.timeoutMs })
            : s.subscriptions.cancel(field(p, 'subscription'), {}, { idempotencyKey: ctx.idempotencyKey, timeout: ctx.timeoutMs }),
        ),
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
    return new DeliveryError('DELIVERY_RATE_LIMITED', message, { status: 429, retryAfterMs: Number.isFinite(after) ? after * 1000 : undefined, cause: e });
  }
  if ((err.statusCode ?? 0) >= 500 || err.type === 'StripeAPIError') return new DeliveryError('DELIVERY_SERVER_ERROR', message, { status: err.statusCode, cause: e });
  return new DeliveryError('DELIVERY_REJECTED', message, { status: err.statusCode, cause: e });
}
