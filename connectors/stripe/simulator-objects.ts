import Stripe from 'stripe';

/**
 * The Stripe simulator's objects, shaped as the API version the `stripe` SDK pins (Stripe.API_VERSION,
 * 2025-10-29.clover): subscription periods on the items, full Price objects in items, invoices whose
 * subscription is under `parent.subscription_details` and whose lines carry `parent` and `pricing`
 * (no `payment_intent` and no `subscription` on the invoice; its payments are listed, only on
 * request, under `payments`). Every field Stripe returns is present (null or empty where the
 * simulator has nothing to say); test/connectors/stripe-mock.contract.test.ts compares the field
 * sets with Stripe's own mock server.
 */
export const SIM_API_VERSION: string = Stripe.API_VERSION;

export type Obj = Record<string, unknown> & { id: string };

export function renderCustomer(
  id: string,
  created: number,
  p: { email?: unknown; name?: unknown; description?: unknown; metadata?: unknown; phone?: unknown },
): Obj {
  return {
    id,
    object: 'customer',
    address: null,
    balance: 0,
    created,
    currency: null,
    default_source: null,
    delinquent: false,
    description: (p.description as string | undefined) ?? null,
    discount: null,
    email: (p.email as string | undefined) ?? null,
    invoice_prefix: id.replace(/^cus_/, '').slice(0, 8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: (p.metadata as Record<string, string> | undefined) ?? {},
    name: (p.name as string | undefined) ?? null,
    next_invoice_sequence: 1,
    phone: (p.phone as string | undefined) ?? null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

export interface PriceInput {
  currency: string;
  unit_amount: number | null;
  product: string;
  nickname?: string | null;
  recurring?: { interval: string; interval_count: number; usage_type?: string } | null;
  metadata?: Record<string, string>;
  lookup_key?: string | null;
}

export function renderPrice(id: string, created: number, p: PriceInput): Obj {
  return {
    id,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created,
    currency: p.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: p.lookup_key ?? null,
    metadata: p.metadata ?? {},
    nickname: p.nickname ?? null,
    product: p.product,
    recurring: p.recurring
      ? {
          interval: p.recurring.interval,
          interval_count: p.recurring.interval_count,
          meter: null,
          usage_type: p.recurring.usage_type ?? 'licensed',
        }
      : null,
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: p.recurring ? 'recurring' : 'one_time',
    unit_amount: p.unit_amount,
    unit_amount_decimal: p.unit_amount === null ? null : String(p.unit_amount),
  };
}

export interface SubscriptionInput {
  id: string;
  customer: string;
  status: string;
  currency: string;
  created: number;
  /** Unix seconds: where the billing periods are counted from. */
  anchor: number;
  periodStart: number;
  periodEnd: number;
  items: Array<{ id: string; price: Obj; quantity: number }>;
  metadata?: Record<string, string>;
  trialStart?: number | null;
  trialEnd?: number | null;
  cancelAtPeriodEnd?: boolean;
  pauseCollection?: { behavior: string; resumes_at: number | null } | null;
}

export function renderSubscription(s: SubscriptionInput): Obj {
  return {
    id: s.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: s.anchor,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_thresholds: null,
    cancel_at: s.cancelAtPeriodEnd ? s.periodEnd : null,
    cancel_at_period_end: s.cancelAtPeriodEnd === true,
    canceled_at: null,
    cancellation_details: s.cancelAtPeriodEnd ? cancellation('cancellation_requested') : cancellation(null),
    collection_method: 'charge_automatically',
    created: s.created,
    currency: s.currency,
    customer: s.customer,
    days_until_due: null,
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
    items: {
      object: 'list',
      data: s.items.map((it) => ({
        id: it.id,
        object: 'subscription_item',
        billing_thresholds: null,
        created: s.created,
        current_period_end: s.periodEnd,
        current_period_start: s.periodStart,
        discounts: [],
        metadata: {},
        price: it.price,
        quantity: it.quantity,
        subscription: s.id,
        tax_rates: [],
      })),
      has_more: false,
      total_count: s.items.length,
      url: `/v1/subscription_items?subscription=${s.id}`,
    },
    latest_invoice: null,
    livemode: false,
    metadata: s.metadata ?? {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: s.pauseCollection ?? null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: s.created,
    status: s.status,
    test_clock: null,
    transfer_data: null,
    trial_end: s.trialEnd ?? null,
    trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
    trial_start: s.trialStart ?? null,
  };
}

/** Subscription fields a caller changes by hand and the periods, which live on the items from basil on. */
export function periodOf(sub: Obj): { start: number; end: number } {
  const item = (sub.items as { data: Array<{ current_period_start: number; current_period_end: number }> }).data[0]!;
  return { start: item.current_period_start, end: item.current_period_end };
}

export function setPeriod(sub: Obj, start: number, end: number): void {
  for (const item of (sub.items as { data: Array<Record<string, unknown>> }).data) {
    item.current_period_start = start;
    item.current_period_end = end;
  }
}

export function cancellation(
  reason: string | null,
  feedback: string | null = null,
  comment: string | null = null,
): Record<string, unknown> {
  return { comment, feedback, reason };
}

export interface InvoiceInput {
  id: string;
  number: string;
  customer: Obj | undefined;
  customerId: string;
  subscription: Obj;
  reason: string;
  paid: boolean;
  now: number;
  hostedUrl: string;
  lineIds: string[];
}

/** A subscription invoice as the pinned version renders it. */
export function renderInvoice(i: InvoiceInput): Obj {
  const items = (i.subscription.items as { data: Array<{ id: string; price: Obj; quantity: number }> }).data;
  const period = periodOf(i.subscription);
  const amount = items.reduce((n, it) => n + Number(it.price.unit_amount ?? 0) * it.quantity, 0);
  const customer = i.customer;
  return {
    id: i.id,
    object: 'invoice',
    account_country: 'NL',
    account_name: 'subhub simulator',
    account_tax_ids: null,
    amount_due: amount,
    amount_overpaid: 0,
    amount_paid: i.paid ? amount : 0,
    amount_remaining: i.paid ? 0 : amount,
    amount_shipping: 0,
    application: null,
    attempt_count: amount === 0 ? 0 : 1,
    attempted: amount !== 0,
    auto_advance: !i.paid,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: i.reason,
    collection_method: 'charge_automatically',
    created: i.now,
    currency: i.subscription.currency,
    custom_fields: null,
    customer: i.customerId,
    customer_address: null,
    customer_email: (customer?.email as string | null | undefined) ?? null,
    customer_name: (customer?.name as string | null | undefined) ?? null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: i.now,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: i.hostedUrl,
    invoice_pdf: `${i.hostedUrl}/pdf`,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: {
      object: 'list',
      data: items.map((it, n) => ({
        id: i.lineIds[n],
        object: 'line_item',
        amount: Number(it.price.unit_amount ?? 0) * it.quantity,
        currency: i.subscription.currency,
        description: `${it.quantity} × ${String(it.price.nickname ?? it.price.product)}`,
        discount_amounts: [],
        discountable: true,
        discounts: [],
        invoice: i.id,
        livemode: false,
        metadata: {},
        parent: {
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: null,
            proration: false,
            proration_details: { credited_items: null },
            subscription: i.subscription.id,
            subscription_item: it.id,
          },
          type: 'subscription_item_details',
        },
        period: { end: period.end, start: period.start },
        pretax_credit_amounts: [],
        pricing: {
          price_details: { price: it.price.id, product: it.price.product },
          type: 'price_details',
          unit_amount_decimal: it.price.unit_amount_decimal ?? null,
        },
        quantity: it.quantity,
        subscription: i.subscription.id,
        taxes: [],
      })),
      has_more: false,
      total_count: items.length,
      url: `/v1/invoices/${i.id}/lines`,
    },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: i.number,
    on_behalf_of: null,
    // Stripe snapshots the subscription's metadata onto each invoice it creates for it.
    parent: {
      quote_details: null,
      subscription_details: {
        metadata: { ...((i.subscription.metadata as Record<string, string> | undefined) ?? {}) },
        subscription: i.subscription.id,
      },
      type: 'subscription_details',
    },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: i.now,
    period_start: i.now,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: i.paid ? 'paid' : 'open',
    status_transitions: { finalized_at: i.now, marked_uncollectible_at: null, paid_at: i.paid ? i.now : null, voided_at: null },
    subtotal: amount,
    subtotal_excluding_tax: amount,
    test_clock: null,
    total: amount,
    total_discount_amounts: [],
    total_excluding_tax: amount,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: i.now,
  };
}

/** A PaymentIntent of an invoice, succeeded or failed with `error` (Stripe's last_payment_error). */
export function renderPaymentIntent(id: string, inv: Obj, now: number, method: string, error?: Record<string, unknown>): Obj {
  return {
    id,
    object: 'payment_intent',
    amount: inv.amount_due,
    amount_capturable: 0,
    amount_received: error ? 0 : inv.amount_due,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${id}_secret_sim`,
    confirmation_method: 'automatic',
    created: now,
    currency: inv.currency,
    customer: inv.customer,
    description: 'Subscription update',
    last_payment_error: error ?? null,
    latest_charge: null,
    livemode: false,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_options: {},
    payment_method_types: [method],
    processing: null,
    receipt_email: null,
    setup_future_usage: 'off_session',
    status: error ? 'requires_payment_method' : 'succeeded',
  };
}

/** An invoice's payment record (listed under invoice.payments on request). */
export function renderInvoicePayment(id: string, inv: Obj, paymentIntent: string, now: number, paid: boolean): Obj {
  return {
    id,
    object: 'invoice_payment',
    amount_paid: paid ? inv.amount_due : null,
    amount_requested: inv.amount_due,
    created: now,
    currency: inv.currency,
    invoice: inv.id,
    is_default: true,
    livemode: false,
    payment: { payment_intent: paymentIntent, type: 'payment_intent' },
    status: paid ? 'paid' : 'open',
    status_transitions: { canceled_at: null, paid_at: paid ? now : null },
  };
}

/** Period boundary number `k` from the anchor: calendar months and years keep the anchor's day, clamped to the month's last day (Stripe's rule: Jan 31 → Feb 28/29 → Mar 31). Unix seconds. */
export function periodBoundary(
  anchor: number,
  recurring: { interval?: string; interval_count?: number } | null | undefined,
  k: number,
): number {
  const count = recurring?.interval_count ?? 1;
  const interval = recurring?.interval ?? 'month';
  if (interval === 'day' || interval === 'week') return anchor + k * count * (interval === 'day' ? 1 : 7) * 86_400;
  const a = new Date(anchor * 1000);
  const month = a.getUTCMonth() + k * count * (interval === 'year' ? 12 : 1);
  const lastDay = new Date(Date.UTC(a.getUTCFullYear(), month + 1, 0)).getUTCDate();
  return (
    Date.UTC(a.getUTCFullYear(), month, Math.min(a.getUTCDate(), lastDay), a.getUTCHours(), a.getUTCMinutes(), a.getUTCSeconds()) / 1000
  );
}

/** A webhook event claiming the version its object is shaped as. */
export function renderEvent(
  id: string,
  type: string,
  created: number,
  object: Obj,
  previous?: Record<string, unknown>,
  request: string | null = null,
): Record<string, unknown> {
  return {
    id,
    object: 'event',
    api_version: SIM_API_VERSION,
    created,
    data: { object, ...(previous ? { previous_attributes: previous } : {}) },
    livemode: false,
    pending_webhooks: 1,
    request: { id: request, idempotency_key: null },
    type,
  };
}
