// /admin/api over real HTTP against a real hub (docs/reliability.md S5, R5): bearer token from
// SUBHUB_ADMIN_TOKEN (off without one), rate limit, event lookup and dead-letter handling.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import type { DeadLetter, EventStatus } from '../../src/store/ports';
import { spawnCliHub, writeCliHubConfig, type CliHub } from '../helpers/cli-hub';
import { errorCode, rawRequest, stripeHeader, postSigned, type RawResponse } from '../helpers/http-raw';
import { eventually, startTarget, type TargetReply } from '../helpers/target-server';
import { startTestHub } from '../helpers/test-hub';

type Hub = Awaited<ReturnType<typeof startTestHub>>;
type StripeEvent = Record<string, unknown> & { id: string };

const TOKEN = 'adm_0123456789abcdef0123456789abcdef';
const FIXTURE = readFileSync(join(__dirname, '..', '..', 'mappings', 'fixtures', 'stripe-subscription-created.json'), 'utf8');
let seq = 0;
const event = (): StripeEvent => ({ ...(JSON.parse(FIXTURE) as StripeEvent), id: `evt_admin_${process.pid}_${++seq}` });

describe('/admin/api (real hub, real HTTP)', () => {
  let hub: Hub | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  let cli: CliHub | undefined;
  afterEach(async () => {
    await hub?.stop();
    await target?.close();
    if (cli && cli.child.exitCode === null && cli.child.signalCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
    hub = undefined;
    target = undefined;
    cli = undefined;
  });

  async function start(
    o: { reply?: (n: number) => TargetReply; config?: Record<string, unknown>; env?: Record<string, string> } = {},
  ): Promise<Hub> {
    target = await startTarget(o.reply ? (_r, n) => o.reply!(n) : undefined);
    hub = await startTestHub({ targetUrl: target.url, config: o.config, env: { SUBHUB_ADMIN_TOKEN: TOKEN, ...o.env } });
    return hub;
  }

  const api = (
    h: Hub,
    path: string,
    o: { method?: string; headers?: Record<string, string>; token?: string | null } = {},
  ): Promise<RawResponse> => {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? TOKEN : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    return rawRequest(`${h.url}/admin/api${path}`, { method: o.method ?? 'GET', headers });
  };
  const expectError = (res: RawResponse, status: number, code: string) =>
    expect({ status: res.status, code: errorCode(res) }).toEqual({ status, code });

  describe('off without SUBHUB_ADMIN_TOKEN', () => {
    it.each([
      ['unset', {}],
      ['empty', { SUBHUB_ADMIN_TOKEN: '' }],
    ])('token %s → every /admin/api route is 404 ADMIN_API_OFF saying how to enable it, with or without a bearer', async (_name, env) => {
      target = await startTarget();
      hub = await startTestHub({ targetUrl: target.url, env });
      for (const [method, path] of [
        ['GET', '/events?source=stripe&sourceEventId=evt_1'],
        ['GET', '/dead-letters'],
        ['GET', '/dead-letters/x'],
        ['POST', '/dead-letters/x/replay'],
        ['POST', '/dead-letters/x/discard'],
      ] as const) {
        const off = await rawRequest(`${hub.url}/admin/api${path}`, { method });
        expectError(off, 404, 'ADMIN_API_OFF');
        expect(off.text).toContain('SUBHUB_ADMIN_TOKEN');
        expectError(
          await rawRequest(`${hub.url}/admin/api${path}`, { method, headers: { authorization: 'Bearer ' } }),
          404,
          'ADMIN_API_OFF',
        );
        expectError(
          await rawRequest(`${hub.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } }),
          404,
          'ADMIN_API_OFF',
        );
      }
    });

    it('the CLI says once in its log that the admin API is off; with a token it does not, and never logs the token', async () => {
      const { configPath } = writeCliHubConfig('http://127.0.0.1:9', { log: { level: 'info' } });
      cli = await spawnCliHub(configPath);
      expect((await rawRequest(`${cli.url}/admin/api/dead-letters`, { method: 'GET' })).status).toBe(404);
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
      expect(
        cli
          .stdout()
          .split('\n')
          .filter((l) => l.includes('admin API is off')),
      ).toHaveLength(1);

      cli = await spawnCliHub(configPath, { SUBHUB_ADMIN_TOKEN: TOKEN });
      const on = await rawRequest(`${cli.url}/admin/api/dead-letters`, { method: 'GET', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(on.status).toBe(200);
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
      expect(cli.stdout()).not.toContain('admin API is off');
      expect(cli.stdout() + cli.stderr()).not.toContain(TOKEN);
    }, 30_000); // two CLI hubs start one after the other: seconds each on a loaded machine
  });

  describe('bearer token', () => {
    it.each<[string, Record<string, string>]>([
      ['no Authorization header', {}],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['wrong token of the same length', { authorization: `Bearer ${TOKEN.slice(0, -1)}${TOKEN.endsWith('x') ? 'y' : 'x'}` }],
      ['a shorter token (prefix of the right one)', { authorization: `Bearer ${TOKEN.slice(0, 8)}` }],
      ['a longer token (the right one plus a byte)', { authorization: `Bearer ${TOKEN}0` }],
      ['the token without the Bearer scheme', { authorization: TOKEN }],
      ['Basic scheme', { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` }],
      ['token in another header', { 'x-admin-token': TOKEN }],
    ])('%s → 401 ADMIN_UNAUTHORIZED', async (_name, headers) => {
      const h = await start();
      for (const path of ['/dead-letters', '/events?source=stripe&sourceEventId=evt_x', '/dead-letters/x']) {
        expectError(await api(h, path, { token: null, headers }), 401, 'ADMIN_UNAUTHORIZED');
      }
      expectError(await api(h, '/dead-letters/x/replay', { method: 'POST', token: null, headers }), 401, 'ADMIN_UNAUTHORIZED');
    });

    it('the token in the query string is not accepted', async () => {
      const h = await start();
      expectError(await api(h, `/dead-letters?token=${TOKEN}&access_token=${TOKEN}`, { token: null }), 401, 'ADMIN_UNAUTHORIZED');
    });

    it('the right token → 200', async () => {
      const h = await start();
      const res = await api(h, '/dead-letters');
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ deadLetters: [] });
    });

    it('an unauthorised answer says nothing about the token', async () => {
      const h = await start();
      const res = await api(h, '/dead-letters', { token: TOKEN.slice(0, 10) });
      expect(res.status).toBe(401);
      expect(res.text).not.toContain(TOKEN.slice(0, 10));
      expect(res.headers['www-authenticate'] ?? '').not.toContain(TOKEN);
    });
  });

  describe('GET /admin/api/events', () => {
    it('shows a delivered event: inbox, canonical event and each delivery with its status', async () => {
      const h = await start();
      const e = event();
      expect((await h.postStripe(e)).status).toBe(202);
      await target!.waitFor(1);
      await eventually(async () => (await h.store.findEvent('stripe', e.id))?.deliveries[0]?.status === 'done');
      const res = await api(h, `/events?source=stripe&sourceEventId=${encodeURIComponent(e.id)}`);
      expect(res.status).toBe(200);
      const body = res.json<EventStatus>();
      expect(body.inbox).toMatchObject({
        source: 'stripe',
        sourceEventId: e.id,
        eventType: 'customer.subscription.created',
        status: 'normalised',
      });
      expect(body.event).toMatchObject({ type: 'subscription.created' });
      expect(body.deliveries).toEqual([expect.objectContaining({ route: 'to-target', target: 'target', status: 'done', attempts: 1 })]);
      expect(body.deadLetters).toEqual([]);
    });

    it('shows retries: the attempts of a delivery that needed two tries', async () => {
      const h = await start({ reply: (n) => (n === 1 ? { status: 503 } : { status: 200 }) });
      const e = event();
      await h.postStripe(e);
      await target!.waitFor(2);
      await eventually(async () => (await h.store.findEvent('stripe', e.id))?.deliveries[0]?.status === 'done');
      const body = (await api(h, `/events?source=stripe&sourceEventId=${e.id}`)).json<EventStatus>();
      expect(body.deliveries).toEqual([expect.objectContaining({ status: 'done', attempts: 2 })]);
    });

    it('400 ADMIN_BAD_QUERY without source and sourceEventId; 404 ADMIN_NOT_FOUND for an unknown event', async () => {
      const h = await start();
      expectError(await api(h, '/events'), 400, 'ADMIN_BAD_QUERY');
      expectError(await api(h, '/events?source=stripe'), 400, 'ADMIN_BAD_QUERY');
      expectError(await api(h, '/events?sourceEventId=evt_1'), 400, 'ADMIN_BAD_QUERY');
      expectError(await api(h, '/events?source=&sourceEventId='), 400, 'ADMIN_BAD_QUERY');
      expectError(await api(h, '/events?source=stripe&sourceEventId=a&sourceEventId=b'), 400, 'ADMIN_BAD_QUERY');
      expectError(await api(h, '/events?source=stripe&sourceEventId=evt_never_seen'), 404, 'ADMIN_NOT_FOUND');
    });
  });

  describe('the subscription domain', () => {
    it('GET /subscriptions/:id: the projection, the demand of the next delivery and the decision trail; 404 for an unknown id', async () => {
      const h = await start();
      const e = event();
      await h.postStripe(e);
      const id = 'stripe:sub_1QxYyzLkdIwHu7ixQm4RtB2K';
      await eventually(async () => (await h.store.domain.subscription(id)) !== undefined);
      const res = await api(h, `/subscriptions/${encodeURIComponent(id)}`);
      expect(res.status).toBe(200);
      const body = res.json<{
        subscription: { snapshot: { status: string } };
        nextDelivery: { status: string; lines: unknown[] };
        decisions: Array<{ kind: string; rule: string }>;
      }>();
      expect(body.subscription.snapshot.status).toBe('active');
      expect(body.nextDelivery).toMatchObject({
        status: 'reserved',
        lines: [
          { sku: 'COF-ESP-1KG', quantity: 2 },
          { sku: 'COF-ESP-250', quantity: 1 },
          { sku: 'COF-FLT-250', quantity: 1 },
          { sku: 'COF-ORIGIN-250', quantity: 1 },
        ],
      });
      expect(body.decisions).toEqual([expect.objectContaining({ kind: 'demand', rule: expect.stringContaining('ships') })]);
      expectError(await api(h, `/subscriptions/${encodeURIComponent('stripe:sub_unknown')}`), 404, 'ADMIN_NOT_FOUND');
    });

    it('GET /decisions: filtered by kind; 400 for an unknown kind or a bad limit', async () => {
      const h = await start();
      await h.postStripe(event());
      await eventually(async () => (await h.store.domain.decisions({ kind: 'demand' })).length === 1);
      expect((await api(h, '/decisions?kind=demand')).json<{ decisions: unknown[] }>().decisions).toHaveLength(1);
      expect((await api(h, '/decisions?kind=dunning')).json<{ decisions: unknown[] }>().decisions).toEqual([]);
      expectError(await api(h, '/decisions?kind=nonsense'), 400, 'ADMIN_BAD_QUERY');
      expectError(await api(h, '/decisions?limit=0'), 400, 'ADMIN_BAD_QUERY');
    });
  });

  describe('dead letters', () => {
    /** A target that refuses (422) while `refusing` is true. */
    function refusingTarget() {
      const state = { refusing: true };
      return { state, reply: (): TargetReply => (state.refusing ? { status: 422, body: { error: 'unknown sku' } } : { status: 201 }) };
    }
    async function deadLetterFor(h: Hub, e: StripeEvent): Promise<DeadLetter> {
      expect((await h.postStripe(e)).status).toBe(202);
      await eventually(async () => (await h.store.listDeadLetters({ source: 'stripe' })).some((d) => d.sourceEventId === e.id));
      return (await h.store.listDeadLetters({ source: 'stripe' })).find((d) => d.sourceEventId === e.id)!;
    }
    const auditRows = (h: Hub) =>
      (h.store as SqliteStore).db.prepare('SELECT at, actor, action, subject FROM audit ORDER BY rowid').all() as Array<{
        at: number;
        actor: string;
        action: string;
        subject: string;
      }>;

    it('list, filter by stage/status/source, and show one', async () => {
      const t = refusingTarget();
      const h = await start({ reply: t.reply });
      const e = event();
      const dl = await deadLetterFor(h, e);
      const bad = '{"id":"evt_unreadable",}';
      expect((await postSigned(h.url, bad, stripeHeader(bad))).status).toBe(400);

      const all = (await api(h, '/dead-letters')).json<{ deadLetters: DeadLetter[] }>().deadLetters;
      expect(all.map((d) => d.stage).sort()).toEqual(['deliver', 'verify']);
      const deliver = await api(h, '/dead-letters?stage=deliver&status=open');
      expect(deliver.status).toBe(200);
      expect(deliver.json<{ deadLetters: DeadLetter[] }>().deadLetters).toEqual([
        expect.objectContaining({
          id: dl.id,
          stage: 'deliver',
          source: 'stripe',
          sourceEventId: e.id,
          target: 'target',
          route: 'to-target',
          errorCode: 'DELIVERY_REJECTED',
          status: 'open',
          attempts: 1,
        }),
      ]);
      const verify = (await api(h, '/dead-letters?stage=verify')).json<{ deadLetters: DeadLetter[] }>().deadLetters;
      expect(verify).toEqual([expect.objectContaining({ stage: 'verify', errorCode: 'WEBHOOK_MALFORMED', payload: bad })]);
      expect((await api(h, '/dead-letters?status=replayed')).json()).toEqual({ deadLetters: [] });
      expect((await api(h, '/dead-letters?source=shopify')).json()).toEqual({ deadLetters: [] });
      expect((await api(h, '/dead-letters?source=stripe&limit=1')).json<{ deadLetters: DeadLetter[] }>().deadLetters).toHaveLength(1);

      const shown = await api(h, `/dead-letters/${dl.id}`);
      expect(shown.status).toBe(200);
      const one = shown.json<DeadLetter>();
      expect(one).toMatchObject({ id: dl.id, stage: 'deliver', status: 'open', mapping: 'test.payload', errorCode: 'DELIVERY_REJECTED' });
      expect(JSON.parse(one.payload)).toMatchObject({ type: 'subscription.created' });
      expect(one.firstAttemptAt).toEqual(expect.any(Number));
      expect(one.lastAttemptAt).toEqual(expect.any(Number));
      expectError(await api(h, '/dead-letters/01NOSUCHDEADLETTER'), 404, 'ADMIN_NOT_FOUND');
    });

    it.each(['stage=ingest', 'status=closed', 'limit=0', 'limit=1001', 'limit=abc', 'limit=1.5', 'stage=verify&stage=map'])(
      'bad filter %s → 400 ADMIN_BAD_QUERY',
      async (q) => {
        const h = await start();
        expectError(await api(h, `/dead-letters?${q}`), 400, 'ADMIN_BAD_QUERY');
      },
    );

    it('replay: 200 with the actor, the delivery is made again once; a second replay → 409 and changes nothing; audited', async () => {
      const t = refusingTarget();
      const h = await start({ reply: t.reply });
      const e = event();
      const dl = await deadLetterFor(h, e);
      t.state.refusing = false;
      const before = Date.now();
      const res = await api(h, `/dead-letters/${dl.id}/replay`, { method: 'POST', headers: { 'x-subhub-actor': 'ops@example.com' } });
      const after = Date.now();
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ status: 'replayed', id: dl.id, actor: 'ops@example.com' });
      await target!.waitFor(2);
      await eventually(async () => (await h.store.findEvent('stripe', e.id))?.deliveries[0]?.status === 'done');

      const again = await api(h, `/dead-letters/${dl.id}/replay`, { method: 'POST', headers: { 'x-subhub-actor': 'someone-else' } });
      expectError(again, 409, 'ADMIN_NOT_OPEN');
      const shown = (await api(h, `/dead-letters/${dl.id}`)).json<DeadLetter>();
      expect(shown).toMatchObject({ status: 'replayed', resolvedBy: 'ops@example.com' });
      expect(shown.resolvedAt).toBeGreaterThanOrEqual(before);
      expect(shown.resolvedAt).toBeLessThanOrEqual(after);
      expect(auditRows(h)).toEqual([expect.objectContaining({ actor: 'ops@example.com', action: 'dead_letter.replay', subject: dl.id })]);
      expect(await h.store.counts()).toMatchObject({ deliveriesPending: 0, deadLettersOpen: 0 });
      expect(target!.requests).toHaveLength(2);
      expect(target!.effects).toEqual([`stripe:${e.id}/to-target`]);
      expectError(await api(h, '/dead-letters/01NOSUCHDEADLETTER/replay', { method: 'POST' }), 404, 'ADMIN_NOT_FOUND');
    });

    it('discard: 200 (actor defaults to admin-api), then 409; a discarded letter cannot be replayed; audited', async () => {
      const t = refusingTarget();
      const h = await start({ reply: t.reply });
      const e = event();
      const dl = await deadLetterFor(h, e);
      const res = await api(h, `/dead-letters/${dl.id}/discard`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ status: 'discarded', id: dl.id, actor: 'admin-api' });
      expectError(await api(h, `/dead-letters/${dl.id}/discard`, { method: 'POST' }), 409, 'ADMIN_NOT_OPEN');
      expectError(await api(h, `/dead-letters/${dl.id}/replay`, { method: 'POST' }), 409, 'ADMIN_NOT_OPEN');
      expect((await api(h, `/dead-letters/${dl.id}`)).json<DeadLetter>()).toMatchObject({
        status: 'discarded',
        resolvedBy: 'admin-api',
        resolvedAt: expect.any(Number),
      });
      expect((await api(h, '/dead-letters?status=discarded')).json<{ deadLetters: DeadLetter[] }>().deadLetters.map((d) => d.id)).toEqual([
        dl.id,
      ]);
      expect((await api(h, '/dead-letters?status=open')).json()).toEqual({ deadLetters: [] });
      expect(auditRows(h)).toEqual([expect.objectContaining({ actor: 'admin-api', action: 'dead_letter.discard', subject: dl.id })]);
      expect(target!.requests).toHaveLength(1);
      expectError(await api(h, '/dead-letters/01NOSUCHDEADLETTER/discard', { method: 'POST' }), 404, 'ADMIN_NOT_FOUND');
    });

    it('concurrent replays of one letter: exactly one 200, the others 409, one audit row', async () => {
      const t = refusingTarget();
      const h = await start({ reply: t.reply, config: { admin: { ratePerMin: 1000 } } });
      const dl = await deadLetterFor(h, event());
      t.state.refusing = false;
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_x, i) =>
          api(h, `/dead-letters/${dl.id}/replay`, { method: 'POST', headers: { 'x-subhub-actor': `ops-${i}` } }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
      expect(auditRows(h).filter((r) => r.action === 'dead_letter.replay')).toHaveLength(1);
    });
  });

  describe('rate limit', () => {
    it('admin.ratePerMin 3: the 4th request of a burst → 429 ADMIN_RATE_LIMITED with Retry-After', async () => {
      const h = await start({ config: { admin: { ratePerMin: 3 } } });
      for (let i = 0; i < 3; i++) expect((await api(h, '/dead-letters')).status).toBe(200);
      const limited = await api(h, '/dead-letters');
      expectError(limited, 429, 'ADMIN_RATE_LIMITED');
      const retryAfter = Number(limited.headers['retry-after']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(20); // one token per 20 s at 3/min
    });

    it('failed logins count too: guessing tokens is throttled before the token is checked', async () => {
      const h = await start({ config: { admin: { ratePerMin: 3 } } });
      for (let i = 0; i < 3; i++) expect((await api(h, '/dead-letters', { token: `guess-${i}` })).status).toBe(401);
      expectError(await api(h, '/dead-letters', { token: 'guess-4' }), 429, 'ADMIN_RATE_LIMITED');
      expectError(await api(h, '/dead-letters'), 429, 'ADMIN_RATE_LIMITED');
    });

    it('default 120/min: a burst of 150 → at most 120 pass, the rest 429', async () => {
      const h = await start();
      const started = Date.now();
      const statuses = await Promise.all(Array.from({ length: 150 }, () => api(h, '/dead-letters').then((r) => r.status)));
      const refilled = Math.ceil(((Date.now() - started) / 1000) * 2); // 2 tokens/s come back during the burst
      const ok = statuses.filter((s) => s === 200).length;
      expect(ok).toBeGreaterThanOrEqual(120);
      expect(ok).toBeLessThanOrEqual(120 + refilled);
      expect(statuses.filter((s) => s !== 200).every((s) => s === 429)).toBe(true);
    });

    it('webhooks are not rate limited by the admin bucket', async () => {
      const h = await start({ config: { admin: { ratePerMin: 1 } } });
      expect((await api(h, '/dead-letters')).status).toBe(200);
      expect((await api(h, '/dead-letters')).status).toBe(429);
      expect((await h.postStripe(event())).status).toBe(202);
      expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    });
  });
});
