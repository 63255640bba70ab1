// Operator overrides per customer over the admin API (PUT /admin/api/customers/:id/overrides) and
// the customer page (GET /admin/api/customers/:id): a real hub with the shipped Stripe inbound
// mappings and dunning policy, signed webhooks over loopback, business time on a test clock.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HubConfig } from '../../src/config/config.types';
import type { CustomerRecord, DecisionRecord, DunningRecord } from '../../src/domain/ports';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { errorCode, rawRequest, type RawResponse } from '../helpers/http-raw';
import { eventually, startTarget } from '../helpers/target-server';
import { startTestHub } from '../helpers/test-hub';

type Hub = Awaited<ReturnType<typeof startTestHub>>;
type StripeEvent = Record<string, unknown> & { id: string };
const ROOT = join(__dirname, '..', '..');
const shipped = JSON.parse(readFileSync(join(ROOT, 'config', 'hub.json'), 'utf8')) as HubConfig;
const fixture = (name: string) => JSON.parse(readFileSync(join(ROOT, 'mappings', 'fixtures', name), 'utf8')) as StripeEvent;
const TOKEN = 'adm_customers_0123456789abcdef0123';
const SUB = 'stripe:sub_1QxYyzLkdIwHu7ixQm4RtB2K';
const CUSTOMER = 'stripe:cus_RbX4pQ8mZt2LwA';
/** When the fixture's renewal failed (3-D Secure required): the dunning cycle starts then, stage LATE. */
const FAILED_AT = Date.parse('2025-12-24T17:00:06.000Z');
const DAY = 86_400_000;

interface CustomerPage {
  customer: CustomerRecord;
  overrides: { config: unknown; operator: unknown };
  subscriptions: Array<{ hubSubscriptionId: string }>;
  dunning: DunningRecord[];
  decisions: DecisionRecord[];
}

describe('/admin/api/customers: operator overrides (goodwill, grace days)', () => {
  let hub: Hub | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  let now = FAILED_AT;
  afterEach(async () => {
    await hub?.stop();
    await target?.close();
    hub = target = undefined;
  });

  /** A hub whose customer CUSTOMER is in dunning since FAILED_AT (stage LATE); business time is `now`. */
  async function inDunning(customers: Record<string, unknown> = {}): Promise<Hub> {
    now = FAILED_AT;
    target = await startTarget();
    const h = (hub = await startTestHub({
      targetUrl: target.url,
      config: {
        connectors: {
          stripe: { ...shipped.connectors!.stripe!, options: undefined },
          target: {
            type: 'http',
            options: { baseUrl: target.url, allowHosts: ['127.0.0.1'], actions: { notify: { method: 'POST', path: '/events' } } },
          },
        },
        dunning: { ...shipped.dunning, customers },
      },
      env: { SUBHUB_ADMIN_TOKEN: TOKEN },
      clock: () => now,
    }));
    for (const name of ['stripe-subscription-created.json', 'stripe-invoice-payment-action-required-renewal.json']) {
      const e = fixture(name);
      expect((await h.postStripe(e)).status).toBe(202);
      await eventually(async () => (await h.store.findEvent('stripe', e.id))?.inbox.status === 'normalised');
    }
    expect(await h.store.domain.dunning(SUB)).toMatchObject({ stage: 'LATE' });
    return h;
  }

  const api = (h: Hub, path: string, o: { method?: string; body?: string; headers?: Record<string, string>; token?: string } = {}) =>
    rawRequest(`${h.url}/admin/api${path}`, {
      method: o.method ?? 'GET',
      headers: {
        authorization: `Bearer ${o.token ?? TOKEN}`,
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...o.headers,
      },
      body: o.body,
    });
  const put = (h: Hub, body: unknown, id = CUSTOMER) =>
    api(h, `/customers/${encodeURIComponent(id)}/overrides`, {
      method: 'PUT',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'x-subhub-actor': 'ops@example.com' },
    });
  const expectError = (res: RawResponse, status: number, code: string) =>
    expect({ status: res.status, code: errorCode(res) }).toEqual({ status, code });

  it('goodwill on a customer in dunning: the cycle turns GOODWILL at once; decision, audit and the customer page say who did it', async () => {
    const h = await inDunning();
    now = FAILED_AT + 20 * DAY;
    const res = await put(h, { goodwill: true });
    expect(res.status).toBe(200);
    const body = res.json<{ customer: CustomerRecord; dunning: DunningRecord[] }>();
    expect(body.customer.overrides).toEqual({ goodwill: true, setBy: 'ops@example.com', setAt: new Date(now).toISOString() });
    expect(body.dunning).toEqual([expect.objectContaining({ subscriptionId: SUB, stage: 'GOODWILL', deliver: true })]);
    expect(await h.store.domain.dunning(SUB)).toMatchObject({ stage: 'GOODWILL' });

    const page = (await api(h, `/customers/${encodeURIComponent(CUSTOMER)}`)).json<CustomerPage>();
    expect(page.customer.id).toBe(CUSTOMER);
    expect(page.overrides).toEqual({ config: null, operator: body.customer.overrides });
    expect(page.subscriptions.map((s) => s.hubSubscriptionId)).toEqual([SUB]);
    expect(page.dunning.map((d) => d.stage)).toEqual(['GOODWILL']);
    // Newest first, the customer's and the subscription's together.
    expect(page.decisions.slice(0, 2)).toEqual([
      expect.objectContaining({
        subject: `customer:${CUSTOMER}`,
        outcome: 'overrides set',
        rule: expect.stringContaining('operator ops@example.com set goodwill on'),
      }),
      expect.objectContaining({ subject: SUB, outcome: 'GOODWILL' }),
    ]);
    expect(page.decisions.map((d) => d.subject)).toContain(SUB);
    const ats = page.decisions.map((d) => d.at);
    expect([...ats].sort().reverse()).toEqual(ats);
    expect((h.store as SqliteStore).db.prepare('SELECT actor, action, subject FROM audit').all()).toEqual([
      { actor: 'ops@example.com', action: 'customer.overrides', subject: CUSTOMER },
    ]);
  });

  it('grace days shift a stage: 16 days unpaid is WARNING with 3 grace days, SUSPENDED with none', async () => {
    const h = await inDunning();
    now = FAILED_AT + 16 * DAY;
    expect((await put(h, { graceDays: 3 })).json<{ dunning: DunningRecord[] }>().dunning[0]).toMatchObject({ stage: 'WARNING' });
    expect((await put(h, { graceDays: 0 })).json<{ dunning: DunningRecord[] }>().dunning[0]).toMatchObject({
      stage: 'SUSPENDED',
      deliver: false,
    });
  });

  it("config's override still applies when the record has none; the operator's wins when set; {} removes it", async () => {
    const h = await inDunning({ [CUSTOMER]: { graceDays: 10 } });
    now = FAILED_AT + 16 * DAY;
    // Config's 10 grace days: 6 days, WARNING (a change the route decides at once, like the nightly review would).
    expect((await put(h, {})).json<{ customer: CustomerRecord; dunning: DunningRecord[] }>()).toMatchObject({
      customer: { id: CUSTOMER },
      dunning: [{ stage: 'WARNING' }],
    });
    expect((await h.store.domain.customer(CUSTOMER))?.overrides).toBeUndefined();
    const page = (await api(h, `/customers/${encodeURIComponent(CUSTOMER)}`)).json<CustomerPage>();
    expect(page.overrides).toEqual({ config: { graceDays: 10 }, operator: null });
    expect((await put(h, { graceDays: 0 })).json<{ dunning: DunningRecord[] }>().dunning[0]).toMatchObject({ stage: 'SUSPENDED' });
    expect((await put(h, {})).json<{ dunning: DunningRecord[] }>().dunning[0]).toMatchObject({ stage: 'WARNING' });
  });

  it('bad bodies → 400 ADMIN_BAD_BODY (nothing changes); oversized → 413; unknown customer → 404; no token → 401', async () => {
    const h = await inDunning();
    for (const body of [
      '{"goodwill": true',
      '[]',
      'null',
      { goodwill: 'yes' },
      { graceDays: -1 },
      { graceDays: 366 },
      { graceDays: 1.5 },
      { goodwill: true, blacklisted: false },
    ]) {
      expectError(await put(h, body), 400, 'ADMIN_BAD_BODY');
    }
    // Not JSON at all, and no body.
    expectError(
      await api(h, `/customers/${encodeURIComponent(CUSTOMER)}/overrides`, {
        method: 'PUT',
        body: 'goodwill=true',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      400,
      'ADMIN_BAD_BODY',
    );
    expectError(await api(h, `/customers/${encodeURIComponent(CUSTOMER)}/overrides`, { method: 'PUT' }), 400, 'ADMIN_BAD_BODY');
    expectError(await put(h, JSON.stringify({ goodwill: true, pad: 'x'.repeat(300 * 1024) })), 413, 'ADMIN_BODY_TOO_LARGE');
    expect((await h.store.domain.customer(CUSTOMER))?.overrides).toBeUndefined();
    expect(await h.store.domain.dunning(SUB)).toMatchObject({ stage: 'LATE' });

    expectError(await put(h, { goodwill: true }, 'stripe:cus_nobody'), 404, 'ADMIN_NOT_FOUND');
    expectError(await api(h, '/customers/stripe%3Acus_nobody'), 404, 'ADMIN_NOT_FOUND');
    expectError(
      await api(h, `/customers/${encodeURIComponent(CUSTOMER)}/overrides`, { method: 'PUT', body: '{}', token: 'wrong' }),
      401,
      'ADMIN_UNAUTHORIZED',
    );
  });
});
