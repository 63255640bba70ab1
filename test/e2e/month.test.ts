/**
 * The demo's scripted month end to end: real HTTP between the Stripe simulator (signed webhooks),
 * the hub (SQLite file, inline pipeline) and the Shopify, Odoo, warehouse and mail simulators.
 * Asserts every system's final state exactly; `subhub demo` prints the same summary.
 */
import { playMonth, type DemoResult } from '../../src/demo/run-demo';
import { DomainView } from '../../src/domain/domain-view';
import { DomainService } from '../../src/domain/domain-service';
import { domainSettings } from '../../src/domain/domain-settings';
import { runReconcile } from '../../src/composition/run-reconcile';
import { loadRuntime } from '../../src/runtime';
import { hubRetries, MOLLIE_CUSTOMERS } from '../../src/demo/mollie';

jest.setTimeout(60_000);
const ADMIN = 'adm_month_test_0123456789abcdef';

describe('a month of a subscription business, end to end', () => {
  let result: DemoResult;
  const lines: string[] = [];
  beforeAll(async () => {
    result = await playMonth((l) => lines.push(l), { adminToken: ADMIN });
  });
  afterAll(() => result?.world.close());

  it('records the stock demand of every next delivery per SKU, and the warehouse holds exactly that', () => {
    // Sanne's 2 × espresso 250 g and Bram in Ghent's single origin (Mollie) are Amsterdam's too.
    const expected = { 'COF-ESP-1KG': 6, 'COF-ESP-250': 3, 'COF-FLT-250': 14, 'COF-ORIGIN-250': 2 };
    expect(result.summary.demand).toEqual(expected);
    expect(result.summary.reservedAtWarehouse).toEqual(expected);
  });

  it("proposes one reorder of the filter roast (forecast 16 < min 20 → 48, a multiple of 12) as an Odoo draft to Amsterdam's receipts, with its trail", () => {
    expect(result.summary.proposals.filter((p) => p.sku === 'COF-FLT-250')).toEqual([
      {
        sku: 'COF-FLT-250',
        location: 'AMS1',
        quantity: 48,
        status: 'open',
        odooState: 'draft',
        pickingTypeId: 1,
        subscriptions: ['dirk', 'eva', 'finn'],
      },
    ]);
    const pos = [...result.world.odoo.models.get('purchase.order')!.values()].filter((o) => String(o.origin).includes(':COF-FLT-250:'));
    expect(pos).toHaveLength(1);
    expect(pos[0]).toMatchObject({ partner_id: 88, origin: 'subhub:reorder:COF-FLT-250:AMS1:2026-12-08', state: 'draft' });
    expect(String(pos[0]!.notes)).toContain('forecast 16 below min 20 within the 17-day horizon');
  });

  it('plans two locations apart: 120 bags of filter roast in Düsseldorf do not hide the shortage in Amsterdam, where the Dutch shop ships from', async () => {
    // Amsterdam opened with 30 and shipped 15 bags by the 31st; Düsseldorf's filter roast was not touched.
    expect(result.summary.onHandByLocation).toMatchObject({ 'AMS1 COF-FLT-250': 15, 'DUS1 COF-FLT-250': 120 });
    expect(result.summary.proposals.filter((p) => p.sku === 'COF-FLT-250').map((p) => p.location)).toEqual(['AMS1']);
    expect((await result.world.hub.store.domain.decisions({ kind: 'reorder' })).map((d) => d.outcome)).toEqual([
      'proposed 48 for AMS1',
      'proposed 24 for DUS1',
    ]);
  });

  it("ships the German shop's subscription from Düsseldorf: the tenant from Stripe's subscription metadata, the reservation at DE-DUS-02", async () => {
    const { world, ctx } = result;
    const greta = `stripe:${ctx.subs.greta!}`;
    // The subscription and every invoice of it (the trial's, the first paid month's) named tenant beans-de.
    expect((await world.hub.store.domain.loadUnit('stripe:cus_DemoGreta07')).subscriptions).toEqual([
      expect.objectContaining({ hubSubscriptionId: greta, tenantId: 'beans-de' }),
    ]);
    expect(await world.hub.store.domain.demand(greta, '2027-01-24')).toMatchObject({
      location: 'DUS1',
      status: 'reserved',
      lines: [{ sku: 'COF-ESP-1KG', quantity: 4 }],
    });
    const at = (period: string) => world.warehouse.reservations.get(`subhub:${greta}:${period}`);
    // The box due when the trial ended left Düsseldorf; the next one is held there, none in Amsterdam.
    expect(at('2026-12-24')).toMatchObject({ warehouse: 'DE-DUS-02', status: 'shipped' });
    expect(at('2027-01-24')).toMatchObject({
      warehouse: 'DE-DUS-02',
      status: 'reserved',
      lines: [expect.objectContaining({ sku: 'COF-ESP-1KG', quantity: 4 })],
    });
    expect(
      [...world.warehouse.reservations.values()].filter((r) => r.reference.startsWith(`subhub:${greta}:`) && r.warehouse !== 'DE-DUS-02'),
    ).toEqual([]);
    // Every other subscription ships from Amsterdam.
    expect(result.summary.demandByLocation).toEqual({
      'AMS1 COF-ESP-1KG': 2,
      'AMS1 COF-ESP-250': 3,
      'AMS1 COF-FLT-250': 14,
      'AMS1 COF-ORIGIN-250': 2,
      'DUS1 COF-ESP-1KG': 4,
    });
    expect(result.summary.reservedByLocation).toEqual(result.summary.demandByLocation);
  });

  it("proposes espresso for Düsseldorf only (12 on hand − Greta's 4 = 8 < min 10 → 24), addressed to its receipts (picking type 8); Amsterdam's 40 bags do not hide it", () => {
    // Düsseldorf opened with 12 and shipped Greta's 4 on the 24th; Amsterdam opened with 40, and Bram's boxes are due in January.
    expect(result.summary.onHandByLocation).toMatchObject({ 'AMS1 COF-ESP-1KG': 40, 'DUS1 COF-ESP-1KG': 8 });
    expect(result.summary.proposals.filter((p) => p.sku === 'COF-ESP-1KG')).toEqual([
      {
        sku: 'COF-ESP-1KG',
        location: 'DUS1',
        quantity: 24,
        status: 'open',
        odooState: 'draft',
        pickingTypeId: 8,
        subscriptions: ['greta'],
      },
    ]);
    const pos = [...result.world.odoo.models.get('purchase.order')!.values()].filter((o) => String(o.origin).includes(':COF-ESP-1KG:'));
    expect(pos).toEqual([
      expect.objectContaining({ partner_id: 88, origin: 'subhub:reorder:COF-ESP-1KG:DUS1:2026-12-10', state: 'draft', picking_type_id: 8 }),
    ]);
    expect(String(pos[0]!.notes)).toContain('DUS1: forecast 8 below min 10 within the 17-day horizon');
  });

  it('ends with Eva suspended and blacklisted (tagged in Shopify, flagged in Odoo, billing paused), Dirk recovered', () => {
    expect(result.summary.dunning).toEqual({ eva: 'SUSPENDED' });
    expect(result.summary.billing).toEqual({
      anna: 'active',
      bram: 'active',
      cleo: 'active, collection paused (void)',
      dirk: 'active',
      eva: 'past_due, collection paused (void)',
      finn: 'active',
      greta: 'active',
    });
    expect(result.summary.blacklisted).toEqual(['eva']);
    // SUSPENDED also blocks plan changes: the storefront reads the second tag.
    expect(result.summary.shopifyTags).toEqual({ 'gid://shopify/Customer/8805': ['subhub-blacklisted', 'subhub-changes-blocked'] });
    expect(result.summary.odooFlagged).toEqual(['eva@example.com']);
  });

  it('Sanne (Mollie, AM04): the hub retries 5 days after the bounce, charges once through Mollie with its metadata, and the paid retry resolves the cycle', async () => {
    const { world, ctx } = result;
    const sanne = ctx.mollie.sanne!;
    const failed = [...world.mollie.objects.values()].filter(
      (o) => o.resource === 'payment' && o.customerId === sanne.customer && o.status === 'failed',
    );
    expect(failed).toEqual([
      expect.objectContaining({ subscriptionId: sanne.subscription, details: expect.objectContaining({ bankReasonCode: 'AM04' }) }),
    ]);
    const retries = hubRetries(world, sanne);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({
      status: 'paid',
      sequenceType: 'recurring',
      amount: { currency: 'EUR', value: '19.80' },
      metadata: { subhubInvoice: failed[0]!.id, subscriptionId: sanne.subscription, subhubAttempt: 2 },
    });
    // Requested when the business clock passed the bounce + 5 days (sepaSoft [5, 12]), then resolved.
    const trail = await world.hub.store.domain.decisions({ subject: sanne.hubId });
    const requested = trail.find((d) => d.outcome === 'retry requested');
    expect(requested?.at).toBe(new Date(Date.parse(String(failed[0]!.createdAt)) + 5 * 86_400_000).toISOString());
    expect(trail.findIndex((d) => d.outcome === 'retry requested')).toBeLessThan(trail.findIndex((d) => d.outcome === 'CLEAR'));
    expect(await world.hub.store.domain.dunning(sanne.hubId)).toBeUndefined();
    expect(lines.some((l) => l.includes(`created by the hub: retry 2 of ${failed[0]!.id}) created, paid`))).toBe(true);
    expect(lines.some((l) => l.includes('sanne: dunning retry requested'))).toBe(true);
  });

  it('Bram in Ghent (Mollie, AC04): no retry; the mailed link makes a €0.01 iDEAL first payment; paid, a new mandate, the cycle resolved', async () => {
    const { world, ctx } = result;
    const bram = ctx.mollie['bram-ghent']!;
    expect(hubRetries(world, bram)).toEqual([]);
    const trail = (await world.hub.store.domain.decisions({ subject: bram.hubId })).map((d) => d.outcome);
    expect(trail).not.toContain('retry requested');
    expect(trail).toContain('CLEAR');
    expect(await world.hub.store.domain.dunning(bram.hubId)).toBeUndefined();
    const mail = world.mailbox.messages().find((m) => m.to === MOLLIE_CUSTOMERS['bram-ghent'].email && m.template === 'payment_failed');
    const link = mail?.variables?.paymentUpdateUrl as string;
    expect(link).toMatch(new RegExp(`^${world.hub.url}/links/payment-update/[A-Za-z0-9_-]{32}$`));
    const first = [...world.mollie.objects.values()].filter(
      (o) => o.resource === 'payment' && o.customerId === bram.customer && o.sequenceType === 'first',
    );
    expect(first).toEqual([expect.objectContaining({ status: 'paid', method: 'ideal', amount: { currency: 'EUR', value: '0.01' } })]);
    const mandates = [...world.mollie.objects.values()].filter((o) => o.resource === 'mandate' && o.id === first[0]!.mandateId);
    expect(mandates).toEqual([expect.objectContaining({ status: 'valid' })]);
    // The link is spent.
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(410);
  });

  it("ends with the Mollie customers' subscriptions as Mollie has them: active, next debit where the hub expects it", async () => {
    const { world, ctx } = result;
    expect(result.summary.mollieBilling).toEqual({
      'bram-ghent': 'active, next debit 2027-01-01; payments: 2 paid, 1 failed',
      sanne: 'active, next debit 2027-01-14; payments: 3 paid, 1 failed (hub retries: 1)',
    });
    for (const account of Object.values(ctx.mollie)) {
      const atMollie = world.mollie.objects.get(account.subscription)!;
      const hub = (await world.hub.store.domain.loadUnit(`mollie:${account.customer}`)).subscriptions[0]!;
      expect(hub).toMatchObject({ hubSubscriptionId: account.hubId });
      expect(hub.snapshot.status).toBe(atMollie.status);
      expect(hub.snapshot.nextRenewalAt?.slice(0, 10)).toBe(atMollie.nextPaymentDate);
    }
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^ {4}sanne +mollie +active, next debit 2027-01-14/)]));
  });

  it('sends the dunning notices with the right links, and one sale order per paid period', () => {
    // In order per customer (deliveries are ordered per subscription, not across them).
    const to = (who: string) =>
      result.world.mailbox
        .messages()
        .filter((m) => m.to === who)
        .map((m) => [m.template, Boolean(m.variables?.paymentUpdateUrl), Boolean(m.variables?.deliveriesOnHold)]);
    expect(result.summary.mails).toBe(9);
    expect(to('dirk@example.com')).toEqual([
      ['payment_failed', true, false],
      ['payment_recovered', false, false],
    ]);
    expect(to('eva@example.com')).toEqual([
      ['payment_failed', false, false],
      ['dunning_warning', false, false],
      ['dunning_suspended', false, true],
    ]);
    // Mollie: Sanne's soft bounce is retried by the hub (no link); Bram in Ghent's closed account needs new details.
    expect(to(MOLLIE_CUSTOMERS.sanne.email)).toEqual([
      ['payment_failed', false, false],
      ['payment_recovered', false, false],
    ]);
    expect(to(MOLLIE_CUSTOMERS['bram-ghent'].email)).toEqual([
      ['payment_failed', true, false],
      ['payment_recovered', false, false],
    ]);
    // 7 sign-ups (Greta's trial invoice bills 0, its box is an order all the same), Dirk's paid retry, Finn's renewal,
    // Greta's first paid month, Dirk's renewal, Anna's and Bram's renewals; on Mollie, Sanne's first debit and her
    // renewal on day 31, the period her bounced debit left unpaid once the hub's retry paid it (ordered like a
    // Stripe cycle invoice paid late), and the Belgian Bram's first debit (each Mollie customer names its Odoo
    // partner in its metadata).
    expect(result.summary.saleOrders).toBe(17);
  });

  it('keeps an audit trail with the rule behind every decision, and nothing dead-lettered', async () => {
    const trail = await result.world.hub.store.domain.decisions({ subject: `customer:stripe:cus_DemoEva05` });
    expect(trail).toEqual([
      expect.objectContaining({ kind: 'blacklist', outcome: 'blacklisted', rule: expect.stringContaining('2 defaults within 365 days') }),
    ]);
    expect(await result.world.hub.store.counts()).toEqual({
      inboxPending: 0,
      inboxDeferred: 0,
      outboxPending: 0,
      deliveriesPending: 0,
      deadLettersOpen: 0,
    });
  });

  it('the nightly job on the end state of the month: no dunning stage moves, no drift between the four systems', async () => {
    const { world } = result;
    const runtime = loadRuntime({ path: world.configPath, localPath: false, env: world.env });
    const report = await runReconcile({ runtime, store: world.hub.store, now: world.clock.now(), dryRun: true });
    expect(report.drift).toMatchObject({ total: 0 });
    // Stripe's 7 and Mollie's 2, each compared with the hub's subscriptions of its own provider.
    expect(report.checked).toMatchObject({ billingSubscriptions: 9, hubSubscriptions: 9, openProposals: 2, draftPurchaseOrders: 2 });
    const service = new DomainService(domainSettings(runtime.config));
    for (const open of await world.hub.store.domain.openDunning()) {
      const view = new DomainView(await world.hub.store.domain.loadUnit(open.customerId));
      expect(service.reviewDunning(view.dunningOfCustomer(open.customerId), view, world.clock.now()).dunning).toEqual([]);
    }
  });

  it('prints the story step by step and the same summary', () => {
    expect(lines.filter((l) => /^Day +\d+/.test(l))).toHaveLength(16);
    expect(lines).toContain('  Blacklisted customers: eva');
    expect(lines.some((l) => l.includes('COF-FLT-250: reorder proposed 48 for AMS1'))).toBe(true);
    expect(lines.some((l) => l.includes('COF-ESP-1KG: reorder proposed 24 for DUS1'))).toBe(true);
    // The per-location table: on hand, hub demand, reserved at the location's own warehouse.
    expect(
      lines
        .find((l) => l.trimStart().startsWith('DUS1 COF-ESP-1KG'))
        ?.trim()
        .split(/\s+/),
    ).toEqual(['DUS1', 'COF-ESP-1KG', '8', '4', '4']);
  });

  it("holds Eva's box of the 29th (suspended and blacklisted that morning): released at the warehouse before it ships, and never shipped", async () => {
    const { world, ctx } = result;
    const eva = `stripe:${ctx.subs.eva!}`;
    const dirk = `stripe:${ctx.subs.dirk!}`;
    expect(await world.hub.store.domain.demand(eva, '2026-12-29')).toMatchObject({
      status: 'released',
      lines: [],
      reason: expect.stringContaining('due today is stopped'),
    });
    expect((await world.hub.store.domain.decisions({ kind: 'demand', subject: eva })).map((d) => d.outcome)).toContain(
      'released for 2026-12-29 (was 1×COF-FLT-250)',
    );
    // The warehouse's reservations pull, read after the 29th has passed: Dirk's box of that day shipped, Eva's did not.
    const status = async (sub: string) => {
      const runtime = loadRuntime({ path: world.configPath, localPath: false, env: world.env });
      for await (const r of runtime.connectors.get('warehouse')!.pulls.reservations!()) {
        const x = r as { reference: string; status: string };
        if (x.reference === `subhub:${sub}:2026-12-29`) return x.status;
      }
      return undefined;
    };
    expect(await status(eva)).toBe('released');
    expect(await status(dirk)).toBe('shipped');
  });

  // Last: it changes the end state the tests above assert.
  it("an operator clears Eva's blacklist (admin API): untagged in Shopify, noted in Odoo; her shipments stay held while SUSPENDED", async () => {
    const { world } = result;
    const post = (id: string, token = ADMIN) =>
      fetch(`${world.hub.url}/admin/api/customers/${encodeURIComponent(id)}/clear-blacklist`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'x-subhub-actor': 'ops@coffee-club.example' },
      });
    expect((await post('stripe:cus_DemoEva05', 'wrong')).status).toBe(401);
    const res = await post('stripe:cus_DemoEva05');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'cleared', id: 'stripe:cus_DemoEva05', actor: 'ops@coffee-club.example' });
    await world.settle();
    expect(world.shopify.tags.get('gid://shopify/Customer/8805')).toEqual(new Set(['subhub-changes-blocked']));
    expect(world.odoo.models.get('res.partner')!.get(11)?.comment).toMatch(/^subhub: blacklist cleared on /);
    const eva = (await world.hub.store.domain.loadUnit('stripe:cus_DemoEva05')).subscriptions[0]!;
    const period = (eva.snapshot.nextRenewalAt ?? eva.snapshot.currentPeriodEnd)!.slice(0, 10);
    expect(await world.hub.store.domain.demand(eva.hubSubscriptionId, period)).toMatchObject({ status: 'released' });
    expect((await world.hub.store.domain.decisions({ subject: 'customer:stripe:cus_DemoEva05' })).map((d) => d.outcome)).toEqual([
      'blacklisted',
      'cleared',
    ]);
    expect((await post('stripe:cus_DemoEva05')).status).toBe(409);
    expect((await post('stripe:cus_nobody')).status).toBe(404);
  });
});
