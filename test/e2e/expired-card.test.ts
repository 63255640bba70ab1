/**
 * A renewal paid by an expired card, as Stripe delivers it at the API version the SDK pins: the
 * signed invoice.payment_failed webhook carries neither `payment_intent` nor `payments`. Over real
 * HTTP, the hub's enrichment step reads the invoice's PaymentIntent back from Stripe (the
 * simulator) with the official SDK, classes the failure as hard, and takes the hard-failure path:
 * a payment-details link to the customer, no hub-driven retry.
 */
import Stripe from 'stripe';
import { CUSTOMERS, monthContext } from '../../src/demo/month';
import { startDemoWorld, type DemoWorld } from '../../src/demo/world';
import type { HubEvent } from '../../src/events';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store';

jest.setTimeout(30_000);

describe('an expired card at renewal, webhook exactly as Stripe sends it (current API version)', () => {
  let world: DemoWorld;
  afterAll(() => world?.close());

  it('ends in the hard-failure path: failure read through the enrichment, payment-details link, no retry', async () => {
    world = await startDemoWorld({ silent: true });
    const ctx = monthContext(world);
    const sub = await ctx.stripe.subscriptions.create({
      customer: CUSTOMERS.dirk,
      items: [{ price: 'price_1QZx8kLkdIwHu7ixEsp1KgMo', quantity: 1 }],
    });
    await world.settle();
    world.clock.at(31);
    const r = await fetch(`${world.stripe.url}/_sim/subscriptions/${sub.id}/fail_payment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.' }),
    });
    const invoice = (await r.json()) as { id: string };
    await world.settle();

    // What arrived over HTTP: the webhook as Stripe shapes it at the SDK's version, nothing expanded.
    const store = world.hub.store as SqliteStore;
    const inbox = store.db.prepare(`SELECT body, status, enrichment FROM inbox WHERE event_type = 'invoice.payment_failed'`).get() as {
      body: string;
      status: string;
      enrichment: string;
    };
    const webhook = JSON.parse(inbox.body) as { api_version: string; data: { object: Record<string, unknown> } };
    expect(webhook.api_version).toBe(Stripe.API_VERSION);
    expect(webhook.data.object).toMatchObject({ id: invoice.id, parent: { subscription_details: { subscription: sub.id } } });
    expect(webhook.data.object).not.toHaveProperty('payment_intent');
    expect(webhook.data.object).not.toHaveProperty('payments');
    expect(webhook.data.object).not.toHaveProperty('subscription');
    // The enrichment step read the PaymentIntent back and kept it with the entry.
    expect(inbox.status).toBe('normalised');
    expect(JSON.parse(inbox.enrichment)).toMatchObject({
      payment_intent: { object: 'payment_intent', last_payment_error: { code: 'expired_card' } },
    });

    const found = await store.findEvent('stripe', (JSON.parse(inbox.body) as { id: string }).id);
    const event = JSON.parse(
      (store.db.prepare('SELECT body FROM events WHERE id = ?').get(found!.event!.id) as { body: string }).body,
    ) as HubEvent;
    expect(event.payment?.failure).toMatchObject({
      category: 'expired_or_invalid_card',
      providerCode: 'expired_card',
      hard: true,
      retryable: false,
    });

    // The dunning decision the hub derived: a payment-details link, and no retry (a hard decline does not heal by retrying).
    const dunning = (store.db.prepare(`SELECT body FROM events WHERE type = 'dunning.started'`).all() as Array<{ body: string }>).map(
      (e) => JSON.parse(e.body) as HubEvent,
    );
    expect(dunning).toHaveLength(1);
    expect(dunning[0]!.dunning?.decision).toMatchObject({
      sendPaymentUpdateLink: true,
      paymentUpdateUrl: expect.stringContaining('cus_DemoDirk04'),
    });
    expect(dunning[0]!.dunning?.decision).not.toHaveProperty('retryAt');
    const mails = world.mailbox.messages().filter((m) => m.to === 'dirk@example.com' && m.template === 'payment_failed');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.variables?.paymentUpdateUrl).toEqual(expect.stringContaining('cus_DemoDirk04'));
  });
});
