import Stripe from 'stripe';
import {
  followPaymentDetailsLink,
  mollieBounce,
  mollieCollect,
  mollieSignUp,
  payHubRetry,
  type MollieAccount,
  type MollieName,
} from './mollie';
import type { DemoWorld } from './world';

/** The demo business's customers: Stripe customer ids of tables/customer-xref.csv. */
export const CUSTOMERS = {
  anna: 'cus_DemoAnna01',
  bram: 'cus_DemoBram02',
  cleo: 'cus_DemoCleo03',
  dirk: 'cus_DemoDirk04',
  eva: 'cus_DemoEva05',
  finn: 'cus_DemoFinn06',
  greta: 'cus_DemoGreta07',
} as const;
export type CustomerName = keyof typeof CUSTOMERS;

const PRICE = {
  discoveryKitMonthly: 'price_1QZxC3LkdIwHu7ixDiscKitMo',
  espresso1kgMonthly: 'price_1QZx8kLkdIwHu7ixEsp1KgMo',
  filter250EveryTwoWeeks: 'price_1QZxA2LkdIwHu7ixFlt250Bw',
};

export interface MonthContext {
  stripe: Stripe;
  subs: Partial<Record<CustomerName, string>>;
  /** The open (unpaid) invoice per customer. */
  openInvoice: Partial<Record<CustomerName, string>>;
  /** The Mollie customers' ids (src/demo/mollie.ts). */
  mollie: Partial<Record<MollieName, MollieAccount>>;
}

export interface DemoStep {
  day: number;
  title: string;
  run(world: DemoWorld, ctx: MonthContext): Promise<void>;
}

async function sim(world: DemoWorld, path: string, body: unknown = {}): Promise<Record<string, unknown>> {
  const r = await fetch(`${world.stripe.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await r.json()) as Record<string, unknown>;
  if (!r.ok) throw new Error(`Stripe simulator ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * The coffee club sells through two storefronts on one Stripe account: the Dutch shop (no tag: the
 * Stripe connector's tenant, shipped from Amsterdam) and the German shop, whose checkout tags each
 * subscription it creates with `metadata.tenant = beans-de` (tables/tenants.json: shipped from
 * Düsseldorf). The mappings read the tenant from that metadata (mappings/stripe.tenant.json says
 * why metadata rather than a second Stripe connector).
 */
export const GERMAN_SHOP = { tenant: 'beans-de' } as const;

const signUp = async (
  ctx: MonthContext,
  who: CustomerName,
  price: string,
  quantity: number,
  extra: Pick<Stripe.SubscriptionCreateParams, 'metadata' | 'trial_end'> = {},
) => {
  const s = await ctx.stripe.subscriptions.create({ customer: CUSTOMERS[who], items: [{ price, quantity }], ...extra });
  ctx.subs[who] = s.id;
};
const mollieOf = (ctx: MonthContext, who: MollieName): MollieAccount => {
  const account = ctx.mollie[who];
  if (!account) throw new Error(`${who} has not signed up at Mollie`);
  return account;
};
const renew = (world: DemoWorld, ctx: MonthContext, who: CustomerName) => sim(world, `/_sim/subscriptions/${ctx.subs[who]}/renew`);
const fail = async (world: DemoWorld, ctx: MonthContext, who: CustomerName, failure: Record<string, unknown>) => {
  const inv = await sim(world, `/_sim/subscriptions/${ctx.subs[who]}/fail_payment`, {
    ...failure,
    ...(failure.retry ? { invoice: ctx.openInvoice[who] } : {}),
  });
  ctx.openInvoice[who] = inv.id as string;
};

/**
 * A month of a small coffee subscription business, as Stripe would report it: sign-ups,
 * renewals, a pause, a card decline that recovers after a payment-details update, a SEPA debit
 * that keeps bouncing until the customer is blacklisted, a big order that takes Amsterdam's filter
 * roast below its reorder point, and a German-shop order that takes Düsseldorf's espresso below its
 * own (two locations, planned apart). Two Dutch-shop customers pay through Mollie by SEPA direct
 * debit: Sanne's debit bounces for lack of funds and the hub retries it itself five days later
 * (Mollie does not retry); Bram in Ghent's bounces because his account is closed, and he gives a
 * new mandate through the link in the hub's mail. Every step only acts on Stripe or Mollie (the
 * simulators send the webhooks) or follows a mailed link; everything else is the hub's doing.
 */
export const MONTH: readonly DemoStep[] = [
  {
    day: 1,
    title:
      'Five customers sign up (Anna: discovery box; Bram: 2 × espresso 1 kg; Cleo: 2 × filter roast every two weeks; Dirk and Eva: 1 × filter roast, Eva pays by SEPA direct debit)',
    run: async (_w, ctx) => {
      await signUp(ctx, 'anna', PRICE.discoveryKitMonthly, 1);
      await signUp(ctx, 'bram', PRICE.espresso1kgMonthly, 2);
      await signUp(ctx, 'cleo', PRICE.filter250EveryTwoWeeks, 2);
      await signUp(ctx, 'dirk', PRICE.filter250EveryTwoWeeks, 1);
      await signUp(ctx, 'eva', PRICE.filter250EveryTwoWeeks, 1);
    },
  },
  {
    day: 3,
    title:
      'Sanne in Utrecht subscribes through Mollie to 2 × espresso 250 g every two weeks, by SEPA direct debit (mandate, subscription, first debit paid)',
    run: async (w, ctx) => {
      ctx.mollie.sanne = await mollieSignUp(w, 'sanne', {
        sku: 'COF-ESP-250',
        quantity: 2,
        amount: '19.80',
        interval: '2 weeks',
        description: 'Espresso Blend 250 g × 2, every two weeks',
      });
    },
  },
  {
    day: 4,
    title:
      'Bram in Ghent (Belgium) subscribes through Mollie to the single origin of the month every two weeks, by SEPA direct debit from his Belgian account',
    run: async (w, ctx) => {
      ctx.mollie['bram-ghent'] = await mollieSignUp(w, 'bram-ghent', {
        sku: 'COF-ORIGIN-250',
        quantity: 1,
        amount: '12.50',
        interval: '2 weeks',
        description: 'Single Origin of the Month 250 g, every two weeks',
      });
    },
  },
  {
    day: 5,
    title: 'Cleo pauses her deliveries',
    run: async (_w, ctx) => {
      await ctx.stripe.subscriptions.update(ctx.subs.cleo!, { pause_collection: { behavior: 'void' } });
    },
  },
  {
    day: 8,
    title: 'Café Finn signs up for 12 bags of filter roast every two weeks',
    run: (_w, ctx) => signUp(ctx, 'finn', PRICE.filter250EveryTwoWeeks, 12),
  },
  {
    day: 10,
    title:
      "Greta's office in Düsseldorf orders 4 × espresso 1 kg a month through the German shop, after a two-week trial: its first box, due when the trial ends, ships from Düsseldorf",
    run: (w, ctx) =>
      signUp(ctx, 'greta', PRICE.espresso1kgMonthly, 4, {
        metadata: { ...GERMAN_SHOP },
        trial_end: Math.floor(w.clock.now() / 1000) + 14 * 86_400,
      }),
  },
  {
    day: 15,
    title: "Renewal day: Dirk's card has expired, Eva's direct debit bounces (AM04, insufficient funds)",
    run: async (w, ctx) => {
      await fail(w, ctx, 'dirk', { code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.' });
      await fail(w, ctx, 'eva', { payment_method_type: 'sepa_debit', code: 'AM04', message: 'Insufficient funds (AM04).' });
    },
  },
  {
    day: 16,
    title: 'Dirk updates his card through the link; Stripe retries and the payment goes through',
    run: async (w, ctx) => {
      await sim(w, `/_sim/invoices/${ctx.openInvoice.dirk}/pay`);
      delete ctx.openInvoice.dirk;
    },
  },
  {
    day: 17,
    title:
      "Sanne's next direct debit bounces (AM04, insufficient funds): Mollie does not retry, so the hub schedules its own retry in 5 days",
    run: async (w, ctx) => void (await mollieBounce(w, mollieOf(ctx, 'sanne'), 'AM04')),
  },
  {
    day: 18,
    title: "Bram in Ghent's next direct debit bounces (AC04, account closed): no retry; the hub mails him a payment-details link",
    run: async (w, ctx) => void (await mollieBounce(w, mollieOf(ctx, 'bram-ghent'), 'AC04')),
  },
  {
    day: 19,
    title: 'Bram in Ghent follows the link: the hub opens a €0.01 iDEAL payment at Mollie, he pays it, and Mollie has a new mandate',
    run: async (w, ctx) => void (await followPaymentDetailsLink(w, 'bram-ghent', mollieOf(ctx, 'bram-ghent'))),
  },
  {
    day: 20,
    title:
      "Eva's direct debit is retried and bounces again; SEPA retries are capped, so Stripe gives up on that invoice (her first default)",
    run: (w, ctx) =>
      fail(w, ctx, 'eva', {
        payment_method_type: 'sepa_debit',
        code: 'AM04',
        message: 'Insufficient funds (AM04).',
        retry: true,
        final: true,
      }),
  },
  {
    day: 22,
    title: "Café Finn renews; Sanne's retry is due: the hub charges her again through Mollie, and the debit goes through",
    run: async (w, ctx) => {
      await renew(w, ctx, 'finn');
      // The hub requests the retry when its clock passes the scheduled time; the bank then collects it.
      await w.settle();
      await payHubRetry(w, mollieOf(ctx, 'sanne'));
    },
  },
  {
    day: 24,
    title: "Greta's trial ends: Stripe bills her first month, and Düsseldorf ships her box",
    run: async (w, ctx) => void (await renew(w, ctx, 'greta')),
  },
  {
    day: 29,
    title: "Renewal day: Dirk renews; Eva's next debit bounces too and Stripe does not retry it (her second default)",
    run: async (w, ctx) => {
      await renew(w, ctx, 'dirk');
      await fail(w, ctx, 'eva', { payment_method_type: 'sepa_debit', code: 'AM04', message: 'Insufficient funds (AM04).', final: true });
    },
  },
  {
    day: 31,
    title: "Anna and Bram renew (monthly plans); Sanne's direct debit through Mollie goes through",
    run: async (w, ctx) => {
      await renew(w, ctx, 'anna');
      await renew(w, ctx, 'bram');
      await mollieCollect(w, mollieOf(ctx, 'sanne'));
    },
  },
];

export function monthContext(world: DemoWorld): MonthContext {
  const url = new URL(world.stripe.url);
  const stripe = new Stripe(world.env.STRIPE_API_KEY!, {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
  });
  return { stripe, subs: {}, openInvoice: {}, mollie: {} };
}
