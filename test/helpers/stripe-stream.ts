import { fixture } from './fixtures';

/**
 * A deterministic stream of Stripe webhooks for many customers (issue 11's concurrency oracle):
 * per customer an ordered list of events (sign-up, plan and quantity changes, payment failures of
 * several kinds, recoveries, invoices given up on until the customer is blacklisted), built from
 * the shipped fixtures with ids, times, items and tenant changed. The same seed gives the same
 * stream, byte for byte; nothing reads the clock or Math.random.
 */

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** What a customer's story is: which domain outcome its events drive the hub to. */
export type Profile = 'happy' | 'recovered' | 'late' | 'warning' | 'suspended' | 'one_default' | 'blacklisted';

export interface CustomerStream {
  customer: string;
  profile: Profile;
  /** Stripe webhook events, oldest first: they must reach the hub in this order. */
  events: StripeEvent[];
}

export type StripeEvent = Record<string, unknown> & { id: string; type: string };

const DAY = 86_400;
const MONTH = 30 * DAY;
/** Business time of the stream: months after the wall clock of any plausible test run, so no delivery date is "today or earlier". */
const EPOCH = Date.UTC(2031, 0, 1) / 1000;
/** Prices of tables/stripe-price-sku.csv with their unit amounts (a kit among them: its demand is exploded by the BoM). */
const PRICES: ReadonlyArray<{ id: string; amount: number }> = [
  { id: 'price_1QZx8kLkdIwHu7ixEsp1KgMo', amount: 2490 },
  { id: 'price_1QZxA2LkdIwHu7ixFlt250Bw', amount: 850 },
  { id: 'price_1QZxB7LkdIwHu7ixDcf500Mo', amount: 1490 },
  { id: 'price_1QZxC3LkdIwHu7ixDiscKitMo', amount: 2990 },
];
/** Tenants of tables/tenants.json: two locations. */
const TENANTS = ['beans-nl', 'beans-de'];
const PROFILES: ReadonlyArray<[Profile, number]> = [
  ['happy', 0.22],
  ['recovered', 0.2],
  ['late', 0.1],
  ['warning', 0.1],
  ['suspended', 0.1],
  ['one_default', 0.1],
  ['blacklisted', 0.18],
];

interface Item {
  price: string;
  quantity: number;
}

/** One customer's subscription as the generator evolves it. */
class Story {
  readonly events: StripeEvent[] = [];
  readonly cus: string;
  readonly sub: string;
  readonly tenant: string;
  items: Item[];
  #seq = 0;
  #invoices = 0;

  constructor(
    readonly k: number,
    readonly rnd: () => number,
  ) {
    const tag = String(k).padStart(4, '0');
    this.cus = `cus_Oracle${tag}`;
    this.sub = `sub_Oracle${tag}`;
    this.tenant = TENANTS[k % TENANTS.length]!;
    this.items = [{ price: pick(rnd, PRICES).id, quantity: 1 + Math.floor(rnd() * 3) }];
  }

  /** Start of billing period `i` (period 0 starts at sign-up); customers are an hour apart. */
  periodStart(i: number): number {
    return EPOCH + this.k * 3600 + i * MONTH;
  }

  #id(kind: string): string {
    return `evt_Oracle${String(this.k).padStart(4, '0')}_${String(this.#seq++).padStart(2, '0')}_${kind}`;
  }

  #amount(): number {
    return this.items.reduce((n, i) => n + i.quantity * PRICES.find((p) => p.id === i.price)!.amount, 0);
  }

  /** A subscription event at `at` (epoch s) with the current items, in billing period `period`. */
  subscription(type: 'customer.subscription.created' | 'customer.subscription.updated', at: number, period: number): void {
    const e = fixture<StripeEvent>(
      type === 'customer.subscription.created' ? 'stripe-subscription-created.json' : 'stripe-subscription-updated-quantity.json',
    );
    const o = (e.data as { object: Record<string, unknown> }).object;
    const template = (o.items as { data: Array<Record<string, unknown>> }).data[0]!;
    const [start, end] = [this.periodStart(period), this.periodStart(period + 1)];
    Object.assign(o, {
      id: this.sub,
      customer: this.cus,
      metadata: { tenant: this.tenant },
      created: this.periodStart(0),
      start_date: this.periodStart(0),
      billing_cycle_anchor: this.periodStart(0),
      latest_invoice: null,
      status: 'active',
    });
    (o.items as { data: unknown[] }).data = this.items.map((it, n) => ({
      ...template,
      id: `si_${this.sub.slice(4)}_${n}`,
      created: this.periodStart(0),
      current_period_start: start,
      current_period_end: end,
      price: { ...(template.price as object), id: it.price },
      quantity: it.quantity,
      subscription: this.sub,
    }));
    if (type === 'customer.subscription.updated') (e.data as Record<string, unknown>).previous_attributes = { items: {} };
    this.events.push({ ...e, id: this.#id(type.split('.').pop()!), type, created: at });
  }

  /** A plan change (another price) or a quantity change, within period `period`. */
  change(at: number, period: number): void {
    const [kind, other] = [
      this.rnd(),
      pick(
        this.rnd,
        PRICES.filter((p) => p.id !== this.items[0]!.price),
      ).id,
    ];
    if (kind < 0.5) this.items = this.items.map((it) => ({ ...it, quantity: 1 + ((it.quantity + 1) % 4) }));
    else if (kind < 0.75 && this.items.length === 1) this.items = [...this.items, { price: other, quantity: 1 }];
    else this.items = [{ price: other, quantity: this.items[0]!.quantity }];
    this.subscription('customer.subscription.updated', at, period);
  }

  /** A new invoice id of this subscription. */
  newInvoice(): string {
    return `in_${this.sub.slice(4)}_${this.#invoices++}`;
  }

  /**
   * An invoice event at `at` (epoch s): the renewal invoice that opens billing period `period`,
   * `attempt` its attempt count; a failure carries its PaymentIntent with decline `code`.
   */
  invoice(
    type: 'invoice.payment_failed' | 'invoice.paid',
    invoiceId: string,
    period: number,
    at: number,
    o: { attempt: number; nextAttemptAt?: number | null; code?: string } = { attempt: 1 },
  ): void {
    const e = fixture<StripeEvent>(
      type === 'invoice.paid' ? 'stripe-invoice-paid-cycle.json' : 'stripe-invoice-payment-failed-expired-card.json',
    );
    const inv = (e.data as { object: Record<string, unknown> }).object;
    const template = (inv.lines as { data: Array<Record<string, unknown>> }).data[0]!;
    const amount = this.#amount();
    const [start, end] = [this.periodStart(period), this.periodStart(period + 1)];
    Object.assign(inv, {
      id: invoiceId,
      customer: this.cus,
      customer_email: `${this.cus}@example.test`,
      created: start,
      period_start: this.periodStart(period - 1),
      period_end: start,
      amount_due: amount,
      amount_paid: type === 'invoice.paid' ? amount : 0,
      amount_remaining: type === 'invoice.paid' ? 0 : amount,
      subtotal: amount,
      total: amount,
      attempt_count: o.attempt,
      next_payment_attempt: o.nextAttemptAt ?? null,
      hosted_invoice_url: `https://invoice.stripe.test/${invoiceId}`,
      parent: {
        quote_details: null,
        type: 'subscription_details',
        subscription_details: { metadata: { tenant: this.tenant }, subscription: this.sub },
      },
    });
    (inv.lines as { data: unknown[] }).data = this.items.map((it, n) => {
      const parent = template.parent as { subscription_item_details: Record<string, unknown> };
      return {
        ...template,
        id: `il_${invoiceId.slice(3)}_${n}`,
        invoice: invoiceId,
        amount: it.quantity * PRICES.find((p) => p.id === it.price)!.amount,
        quantity: it.quantity,
        period: { start, end },
        pricing: { ...(template.pricing as object), price_details: { price: it.price, product: 'prod_oracle' } },
        parent: {
          ...parent,
          subscription_item_details: {
            ...parent.subscription_item_details,
            subscription: this.sub,
            subscription_item: `si_${this.sub.slice(4)}_${n}`,
          },
        },
      };
    });
    if (type === 'invoice.payment_failed') {
      // The PaymentIntent expanded on the event (as older API versions sent it): no enrichment call to Stripe.
      const pi = fixture<{ payment_intent: Record<string, unknown> }>('stripe-enrichment-expired-card.json').payment_intent;
      const err = pi.last_payment_error as Record<string, unknown>;
      inv.payment_intent = {
        ...pi,
        id: `pi_${invoiceId.slice(3)}_${o.attempt}`,
        amount,
        customer: this.cus,
        last_payment_error: { ...err, code: o.code === 'expired_card' ? 'expired_card' : 'card_declined', decline_code: o.code },
      };
    }
    this.events.push({ ...e, id: this.#id(type.split('.').pop()!), type, created: at });
  }
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

function profileOf(rnd: () => number): Profile {
  let r = rnd();
  for (const [p, w] of PROFILES) if ((r -= w) < 0) return p;
  return 'happy';
}

/**
 * A customer's events by profile. Every failure is a renewal invoice of period ≥ 1 failing some
 * days into it; stages follow days since its first failure (policy: WARNING ≥ 3, SUSPENDED ≥ 14,
 * CANCELLATION ≥ 28); an insufficient-funds failure with no next attempt is a default; two defaults
 * within the window blacklist the customer.
 */
function storyOf(k: number, rnd: () => number, changes: number): CustomerStream {
  const s = new Story(k, rnd);
  const profile = profileOf(rnd);
  s.subscription('customer.subscription.created', s.periodStart(0), 0);
  for (let i = 0; i < changes; i++) s.change(s.periodStart(0) + (i + 1) * 2 * DAY, 0);
  const p1 = s.periodStart(1);
  const soft = rnd() < 0.5 ? 'insufficient_funds' : 'card_velocity_exceeded';
  const failing = (invoice: string, period: number, days: number[], last: 'retry' | 'given_up', code = soft) => {
    days.forEach((d, n) => {
      const at = s.periodStart(period) + d * DAY + 60;
      const isLast = n === days.length - 1;
      s.invoice('invoice.payment_failed', invoice, period, at, {
        attempt: n + 1,
        nextAttemptAt: isLast && last === 'given_up' ? null : at + 3 * DAY,
        code,
      });
    });
  };
  switch (profile) {
    case 'happy':
      s.invoice('invoice.paid', s.newInvoice(), 1, p1 + 60);
      break;
    case 'recovered': {
      const inv = s.newInvoice();
      failing(inv, 1, rnd() < 0.5 ? [0] : [0, 4], 'retry', rnd() < 0.3 ? 'expired_card' : soft);
      s.invoice('invoice.paid', inv, 1, p1 + 6 * DAY);
      break;
    }
    case 'late':
      failing(s.newInvoice(), 1, [0], 'retry', rnd() < 0.5 ? 'expired_card' : soft);
      break;
    case 'warning':
      failing(s.newInvoice(), 1, [0, 4], 'retry');
      break;
    case 'suspended':
      failing(s.newInvoice(), 1, [0, 5, 15], 'retry', rnd() < 0.5 ? 'expired_card' : soft);
      break;
    case 'one_default': {
      const inv = s.newInvoice();
      failing(inv, 1, [0, 3, 8], 'given_up');
      s.invoice('invoice.paid', inv, 1, p1 + 10 * DAY);
      break;
    }
    case 'blacklisted': {
      const first = s.newInvoice();
      failing(first, 1, [0, 3, 8], 'given_up');
      s.invoice('invoice.paid', first, 1, p1 + 10 * DAY);
      failing(s.newInvoice(), 2, [0, 3, 9], 'given_up');
      break;
    }
  }
  return { customer: `stripe:${s.cus}`, profile, events: s.events };
}

/** `customers` streams from `seed`, each with `changes` plan/quantity changes after sign-up. */
export function stripeStream(seed: number, customers: number, changes = 1): CustomerStream[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: customers }, (_, k) => storyOf(k, rnd, changes));
}
