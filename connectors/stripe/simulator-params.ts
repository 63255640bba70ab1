/**
 * Request parameters checked as Stripe checks them: an unknown parameter, a value outside an enum,
 * or a number, boolean or time that does not parse is a 400 `invalid_request_error` naming the
 * parameter (`param`, in Stripe's bracket form: `items[0][price]`). Specs cover what the simulator
 * serves; each lists every parameter Stripe accepts there that the simulator understands or ignores.
 */
export type ParamSpec =
  | 'string'
  | 'integer'
  | 'boolean'
  | 'timestamp'
  | 'map'
  | 'expand'
  | { enum: readonly string[] }
  | { oneOf: readonly ParamSpec[] }
  | { object: Record<string, ParamSpec> }
  | { array: ParamSpec };

export interface ParamProblem {
  param: string;
  message: string;
  code: string;
}

const INTERVALS = { enum: ['day', 'week', 'month', 'year'] } as const;
const EMPTY = { enum: [''] } as const;
/** `cancellation_details` of a subscription update or cancel: a comment and one of Stripe's feedback values. */
const CANCELLATION_DETAILS: ParamSpec = {
  object: {
    comment: 'string',
    feedback: {
      enum: ['customer_service', 'low_quality', 'missing_features', 'other', 'switched_service', 'too_complex', 'too_expensive', 'unused'],
    },
  },
};
const PAGE = { limit: 'integer', starting_after: 'string', ending_before: 'string', expand: 'expand' } as const;

/** Parameters by route ("METHOD path" with `:id`). */
export const PARAMS: Record<string, Record<string, ParamSpec>> = {
  'POST /v1/customers': { email: 'string', name: 'string', description: 'string', phone: 'string', metadata: 'map', expand: 'expand' },
  'GET /v1/customers/:id': { expand: 'expand' },
  'POST /v1/prices': {
    currency: 'string',
    unit_amount: 'integer',
    product: 'string',
    nickname: 'string',
    lookup_key: 'string',
    active: 'boolean',
    metadata: 'map',
    tax_behavior: { enum: ['exclusive', 'inclusive', 'unspecified'] },
    recurring: { object: { interval: INTERVALS, interval_count: 'integer', usage_type: { enum: ['licensed', 'metered'] } } },
    expand: 'expand',
  },
  'POST /v1/subscriptions': {
    customer: 'string',
    items: { array: { object: { price: 'string', quantity: 'integer', metadata: 'map' } } },
    metadata: 'map',
    trial_end: { oneOf: ['timestamp', { enum: ['now'] }] },
    collection_method: { enum: ['charge_automatically', 'send_invoice'] },
    payment_behavior: { enum: ['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'] },
    default_payment_method: 'string',
    cancel_at_period_end: 'boolean',
    expand: 'expand',
  },
  'GET /v1/subscriptions': {
    ...PAGE,
    customer: 'string',
    price: 'string',
    status: {
      enum: ['active', 'all', 'canceled', 'ended', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'],
    },
  },
  'GET /v1/subscriptions/:id': { expand: 'expand' },
  'POST /v1/subscriptions/:id': {
    pause_collection: {
      oneOf: [EMPTY, { object: { behavior: { enum: ['keep_as_draft', 'mark_uncollectible', 'void'] }, resumes_at: 'timestamp' } }],
    },
    cancel_at_period_end: 'boolean',
    cancellation_details: CANCELLATION_DETAILS,
    proration_behavior: { enum: ['always_invoice', 'create_prorations', 'none'] },
    metadata: 'map',
    expand: 'expand',
  },
  'DELETE /v1/subscriptions/:id': {
    invoice_now: 'boolean',
    prorate: 'boolean',
    cancellation_details: CANCELLATION_DETAILS,
    expand: 'expand',
  },
  'GET /v1/invoices': {
    ...PAGE,
    customer: 'string',
    subscription: 'string',
    status: { enum: ['draft', 'open', 'paid', 'uncollectible', 'void'] },
    collection_method: { enum: ['charge_automatically', 'send_invoice'] },
  },
  'GET /v1/invoices/:id': { expand: 'expand' },
  'GET /v1/payment_intents/:id': { expand: 'expand', client_secret: 'string' },
  'POST /v1/billing_portal/sessions': {
    customer: 'string',
    return_url: 'string',
    configuration: 'string',
    locale: 'string',
    flow_data: {
      object: {
        type: { enum: ['payment_method_update', 'subscription_cancel', 'subscription_update', 'subscription_update_confirm'] },
        after_completion: {
          object: {
            type: { enum: ['hosted_confirmation', 'portal_homepage', 'redirect'] },
            redirect: { object: { return_url: 'string' } },
            hosted_confirmation: { object: { custom_message: 'string' } },
          },
        },
        subscription_cancel: { object: { subscription: 'string' } },
      },
    },
    expand: 'expand',
  },
};

/** The problems of `params` against `spec`; empty when Stripe would accept them. */
export function checkParams(params: Record<string, unknown>, spec: Record<string, ParamSpec>): ParamProblem[] {
  const problems: ParamProblem[] = [];
  for (const [key, value] of Object.entries(params)) {
    const s = spec[key];
    if (!s) problems.push({ param: key, message: `Received unknown parameter: ${key}`, code: 'parameter_unknown' });
    else check(value, s, key, problems);
  }
  return problems;
}

function check(value: unknown, spec: ParamSpec, param: string, out: ParamProblem[]): void {
  const bad = (message: string, code = 'parameter_invalid') => void out.push({ param, message, code });
  if (typeof spec === 'string') {
    switch (spec) {
      case 'string':
        return typeof value === 'string' ? undefined : bad(`Invalid string: ${param} must be a string`);
      case 'integer':
        return typeof value === 'string' && /^-?\d+$/.test(value)
          ? undefined
          : bad(`Invalid integer: ${String(value)}`, 'parameter_invalid_integer');
      case 'boolean':
        return value === 'true' || value === 'false' ? undefined : bad(`Invalid boolean: ${String(value)}`);
      case 'timestamp':
        return typeof value === 'string' && /^\d+$/.test(value)
          ? undefined
          : bad(`Invalid timestamp: must be an integer Unix timestamp in the future (got ${String(value)})`, 'parameter_invalid_integer');
      case 'map':
        if (value === '') return undefined;
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad(`Invalid object: ${param} must be a hash`);
        for (const [k, v] of Object.entries(value))
          if (typeof v !== 'string')
            out.push({ param: `${param}[${k}]`, message: `Invalid string: ${param}[${k}]`, code: 'parameter_invalid' });
        return;
      case 'expand': {
        const list = Array.isArray(value) ? value : typeof value === 'object' && value !== null ? Object.values(value) : [value];
        return list.every((x) => typeof x === 'string') ? undefined : bad(`Invalid array: ${param} must be a list of strings`);
      }
    }
  }
  if ('enum' in spec)
    return typeof value === 'string' && spec.enum.includes(value)
      ? undefined
      : bad(`Invalid ${param}: must be one of ${spec.enum.join(', ')}`);
  if ('oneOf' in spec) {
    for (const option of spec.oneOf) {
      const probe: ParamProblem[] = [];
      check(value, option, param, probe);
      if (probe.length === 0) return;
      if (value !== '' && typeof value === 'object' && typeof option === 'object' && 'object' in option) return void out.push(...probe);
    }
    return bad(`Invalid ${param}: ${JSON.stringify(value)} is not an accepted value`);
  }
  if ('array' in spec) {
    const list = Array.isArray(value)
      ? value
      : typeof value === 'object' && value !== null && Object.keys(value).every((k) => /^\d+$/.test(k))
        ? Object.values(value)
        : undefined;
    if (!list) return bad(`Invalid array: ${param} must be an array`);
    list.forEach((v, i) => check(v, spec.array, `${param}[${i}]`, out));
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad(`Invalid object: ${param} must be a hash`);
  for (const [k, v] of Object.entries(value)) {
    const s = spec.object[k];
    if (!s) out.push({ param: `${param}[${k}]`, message: `Received unknown parameter: ${param}[${k}]`, code: 'parameter_unknown' });
    else check(v, s, `${param}[${k}]`, out);
  }
}
