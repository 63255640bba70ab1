// POST /webhooks/:connectorId over real HTTP on loopback against a real hub (docs/reliability.md S1–S4, R10;
// docs/providers.md §1.7): every answer is asserted by status and stable error code.
import { createHmac } from 'node:crypto';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { StoreUnavailableError } from '../../src/store/store-error';
import { fixture, shutDown } from '../helpers/fixtures';
import { errorCode, nowSec, postSigned, rawRequest, stripeHeader, stripeV1, type RawResponse } from '../helpers/http-raw';
import { failingAppendStore, tempSqliteStore } from '../helpers/store-faults';
import { eventually, startTarget } from '../helpers/target-server';
import { STRIPE_SECRET, startTestHub } from '../helpers/test-hub';

type Hub = Awaited<ReturnType<typeof startTestHub>>;
type StripeEvent = Record<string, unknown> & { id: string };

let seq = 0;
/** The fixture event with a fresh id (tests never share provider ids). */
const event = (extra: Record<string, unknown> = {}): StripeEvent => ({
  ...fixture<StripeEvent>('stripe-subscription-created.json'),
  id: `evt_http_${process.pid}_${++seq}`,
  ...extra,
});

const SMALL_LIMIT = { server: { host: '127.0.0.1', port: 0, maxBodyKb: 16 } };

describe('POST /webhooks/:connectorId answers (real hub, real HTTP)', () => {
  let hub: Hub | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  afterEach(async () => {
    await shutDown(hub, target);
    hub = undefined;
    target = undefined;
  });

  async function start(o: Partial<Parameters<typeof startTestHub>[0]> = {}): Promise<Hub> {
    target = await startTarget();
    hub = await startTestHub({ targetUrl: target.url, ...o });
    return hub;
  }

  const expectRejected = (res: RawResponse, status: number, code: string) => {
    expect({ status: res.status, code: errorCode(res) }).toEqual({ status, code });
  };

  describe('S1 signature matrix', () => {
    const payloadOf = (e: StripeEvent) => JSON.stringify(e);
    type Case = { name: string; build: (payload: string) => { body: string | Buffer; sig: string | undefined } };
    const rejected: Case[] = [
      { name: 'wrong secret', build: (p) => ({ body: p, sig: stripeHeader(p, { secret: 'whsec_someone_else' }) }) },
      {
        name: 'body changed by one byte after signing',
        build: (p) => {
          const body = Buffer.from(p);
          body[body.indexOf('"object"') + 1] ^= 0x01;
          return { body, sig: stripeHeader(p) };
        },
      },
      {
        name: 're-serialised JSON (same data, other whitespace)',
        build: (p) => ({ body: JSON.stringify(JSON.parse(p), null, 2), sig: stripeHeader(p) }),
      },
      {
        name: 're-serialised JSON (same data, reordered keys)',
        build: (p) => {
          const o = JSON.parse(p) as Record<string, unknown>;
          return { body: JSON.stringify(Object.fromEntries(Object.entries(o).reverse())), sig: stripeHeader(p) };
        },
      },
      { name: 'missing Stripe-Signature header', build: (p) => ({ body: p, sig: undefined }) },
      { name: 'empty Stripe-Signature header', build: (p) => ({ body: p, sig: '' }) },
      { name: 'garbage header', build: (p) => ({ body: p, sig: 'garbage;;==,,\u00ff' }) },
      { name: 'base64 garbage header', build: (p) => ({ body: p, sig: Buffer.from('not a signature at all').toString('base64') }) },
      { name: 'no t', build: (p) => ({ body: p, sig: `v1=${stripeV1(p, nowSec())}` }) },
      { name: 'non-numeric t', build: (p) => ({ body: p, sig: `t=abc,v1=${stripeV1(p, nowSec())}` }) },
      { name: 'unknown version only (v2)', build: (p) => ({ body: p, sig: `t=${nowSec()},v2=${stripeV1(p, nowSec())}` }) },
      { name: 'v0 only', build: (p) => ({ body: p, sig: `t=${nowSec()},v0=${stripeV1(p, nowSec())}` }) },
      {
        name: 'wrong-length signature (63 hex digits)',
        build: (p) => ({ body: p, sig: `t=${nowSec()},v1=${stripeV1(p, nowSec()).slice(0, 63)}` }),
      },
      { name: 'wrong-length signature (66 hex digits)', build: (p) => ({ body: p, sig: `t=${nowSec()},v1=${stripeV1(p, nowSec())}00` }) },
      { name: 'wrong-length signature (1 byte)', build: (p) => ({ body: p, sig: `t=${nowSec()},v1=00` }) },
      { name: 'empty v1', build: (p) => ({ body: p, sig: `t=${nowSec()},v1=` }) },
      {
        name: 'upper-case hex of the right digest',
        build: (p) => ({ body: p, sig: `t=${nowSec()},v1=${stripeV1(p, nowSec()).toUpperCase()}` }),
      },
      {
        name: 'HMAC of the body alone (no timestamp prefix)',
        build: (p) => ({ body: p, sig: `t=${nowSec()},v1=${createHmac('sha256', STRIPE_SECRET).update(p).digest('hex')}` }),
      },
      { name: 'valid digest but for another timestamp', build: (p) => ({ body: p, sig: `t=${nowSec()},v1=${stripeV1(p, nowSec() - 1)}` }) },
    ];

    it('a valid signature (official stripe package) → 202 accepted with an id', async () => {
      const h = await start();
      const e = event();
      const res = await postSigned(h.url, payloadOf(e), stripeHeader(payloadOf(e)));
      expect(res.status).toBe(202);
      const body = res.json<{ status: string; id: string }>();
      expect(body).toEqual({ status: 'accepted', id: expect.any(String) });
      expect((await h.store.findEvent('stripe', e.id))?.inbox.id).toBe(body.id);
    });

    it('two v1 signatures, one of them valid (rotation) → 202', async () => {
      const h = await start();
      const p = payloadOf(event());
      const t = nowSec();
      const res = await postSigned(h.url, p, `t=${t},v1=${stripeV1(p, t, 'whsec_old')},v1=${stripeV1(p, t)}`);
      expect(res.status).toBe(202);
    });

    it('rotation: either of two configured secrets verifies', async () => {
      const h = await start({
        config: {
          connectors: {
            stripe: {
              type: 'stripe',
              webhook: { secrets: [{ env: 'STRIPE_WEBHOOK_SECRET' }, { env: 'STRIPE_WEBHOOK_SECRET_OLD' }] },
              inbound: { mappings: { 'customer.subscription.created': 'stripe.customer-subscription.to.hub-event' } },
            },
            target: {
              type: 'http',
              options: {
                baseUrl: 'http://127.0.0.1:9',
                allowHosts: ['127.0.0.1'],
                actions: { notify: { method: 'POST', path: '/events' } },
              },
            },
          },
          routes: [],
        },
        env: { STRIPE_WEBHOOK_SECRET_OLD: 'whsec_previous_one' },
      });
      const a = payloadOf(event());
      const b = payloadOf(event());
      expect((await postSigned(h.url, a, stripeHeader(a))).status).toBe(202);
      expect((await postSigned(h.url, b, stripeHeader(b, { secret: 'whsec_previous_one' }))).status).toBe(202);
      const c = payloadOf(event());
      expectRejected(await postSigned(h.url, c, stripeHeader(c, { secret: 'whsec_not_configured' })), 401, 'WEBHOOK_SIGNATURE_INVALID');
    });

    it.each(rejected)('$name → 401 WEBHOOK_SIGNATURE_INVALID (never 500), nothing stored', async ({ build }) => {
      const h = await start();
      const e = event();
      const { body, sig } = build(payloadOf(e));
      const res = await postSigned(h.url, body, sig);
      expectRejected(res, 401, 'WEBHOOK_SIGNATURE_INVALID');
      expect(await h.store.findEvent('stripe', e.id)).toBeUndefined();
      expect(await h.store.listDeadLetters({})).toEqual([]);
    });

    it('error messages never echo the secret or the signature', async () => {
      const h = await start();
      const p = payloadOf(event());
      const sig = stripeHeader(p, { secret: 'whsec_someone_else' });
      const res = await postSigned(h.url, p, sig);
      expect(res.status).toBe(401);
      expect(res.text).not.toContain(/v1=([0-9a-f]+)/.exec(sig)![1]);
      expect(res.text).not.toContain('whsec_');
    });
  });

  describe('S2 timestamp window', () => {
    it('301 s old → 401; 301 s ahead → 401; 299 s old and 299 s ahead → 202', async () => {
      const h = await start();
      const at = async (offset: number) => {
        const p = JSON.stringify(event());
        return postSigned(h.url, p, stripeHeader(p, { timestamp: nowSec() + offset }));
      };
      const old = await at(-301);
      expectRejected(old, 401, 'WEBHOOK_SIGNATURE_INVALID');
      expect(old.json<{ error: { message: string } }>().error.message).toMatch(/older than the tolerance/);
      const ahead = await at(301);
      expectRejected(ahead, 401, 'WEBHOOK_SIGNATURE_INVALID');
      expect(ahead.json<{ error: { message: string } }>().error.message).toMatch(/future/);
      expect((await at(-299)).status).toBe(202);
      expect((await at(299)).status).toBe(202);
      expect((await at(0)).status).toBe(202);
    });

    it('the tolerance is configurable per connector (toleranceSec)', async () => {
      const h = await start({
        config: {
          connectors: {
            stripe: {
              type: 'stripe',
              webhook: { secrets: [{ env: 'STRIPE_WEBHOOK_SECRET' }], toleranceSec: 60 },
              inbound: { mappings: { 'customer.subscription.created': 'stripe.customer-subscription.to.hub-event' } },
            },
            target: {
              type: 'http',
              options: {
                baseUrl: 'http://127.0.0.1:9',
                allowHosts: ['127.0.0.1'],
                actions: { notify: { method: 'POST', path: '/events' } },
              },
            },
          },
          routes: [],
        },
      });
      const p1 = JSON.stringify(event());
      expectRejected(await postSigned(h.url, p1, stripeHeader(p1, { timestamp: nowSec() - 90 })), 401, 'WEBHOOK_SIGNATURE_INVALID');
      const p2 = JSON.stringify(event());
      expect((await postSigned(h.url, p2, stripeHeader(p2, { timestamp: nowSec() - 30 }))).status).toBe(202);
    });
  });

  describe('S3 replay and dedupe', () => {
    it('the same signed request 10× → 202 once, then 200 duplicate with the same id; one inbox row, one delivery', async () => {
      const h = await start();
      const e = event();
      const p = JSON.stringify(e);
      const sig = stripeHeader(p);
      const first = await postSigned(h.url, p, sig);
      expect(first.status).toBe(202);
      const { id } = first.json<{ id: string }>();
      for (let i = 0; i < 9; i++) {
        const again = await postSigned(h.url, p, sig);
        expect(again.status).toBe(200);
        expect(again.json()).toEqual({ status: 'duplicate', id });
      }
      // A fresh timestamp and signature for the same provider event id is still the same event.
      const resent = await postSigned(h.url, p, stripeHeader(p, { timestamp: nowSec() - 10 }));
      expect(resent.status).toBe(200);
      expect(resent.json()).toEqual({ status: 'duplicate', id });
      await target!.waitFor(1);
      await eventually(async () => (await h.store.findEvent('stripe', e.id))?.deliveries[0]?.status === 'done');
      const counts = await h.store.counts();
      expect(counts).toMatchObject({ inboxPending: 0, deliveriesPending: 0 });
      expect(target!.requests).toHaveLength(1);
      expect((await h.store.findEvent('stripe', e.id))?.deliveries).toHaveLength(1);
    });

    it('concurrent copies of one event → exactly one 202, the rest 200 duplicate, all with the same id', async () => {
      const h = await start();
      const p = JSON.stringify(event());
      const sig = stripeHeader(p);
      const answers = await Promise.all(Array.from({ length: 8 }, () => postSigned(h.url, p, sig)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 202]);
      expect(new Set(answers.map((a) => a.json<{ id: string }>().id)).size).toBe(1);
    });

    it('an old signed request replayed outside the window → 401, even for an event already stored', async () => {
      const h = await start();
      const p = JSON.stringify(event());
      expect((await postSigned(h.url, p, stripeHeader(p))).status).toBe(202);
      const captured = stripeHeader(p, { timestamp: nowSec() - 400 }); // what an attacker recorded earlier
      expectRejected(await postSigned(h.url, p, captured), 401, 'WEBHOOK_SIGNATURE_INVALID');
      const unseen = JSON.stringify(event());
      expectRejected(
        await postSigned(h.url, unseen, stripeHeader(unseen, { timestamp: nowSec() - 400 })),
        401,
        'WEBHOOK_SIGNATURE_INVALID',
      );
    });
  });

  describe('S4 body limits, content types and encodings', () => {
    const padded = (bytes: number) => JSON.stringify(event({ padding: 'x'.repeat(bytes) }));

    it('a body over server.maxBodyKb → 413 WEBHOOK_TOO_LARGE, judged before the signature', async () => {
      const h = await start({ config: SMALL_LIMIT });
      const big = padded(17 * 1024);
      expectRejected(await postSigned(h.url, big, stripeHeader(big)), 413, 'WEBHOOK_TOO_LARGE');
      expectRejected(await postSigned(h.url, big, 'garbage'), 413, 'WEBHOOK_TOO_LARGE');
      const fits = padded(10 * 1024);
      expect((await postSigned(h.url, fits, stripeHeader(fits))).status).toBe(202);
    });

    it('the limit is 16 KiB exactly: 16384 bytes pass the size check, 16385 bytes do not', async () => {
      const h = await start({ config: SMALL_LIMIT });
      const base = JSON.stringify(event({ padding: '' }));
      const ofSize = (n: number) => base.replace('"padding":""', `"padding":"${'y'.repeat(n - base.length)}"`);
      const exact = ofSize(16 * 1024);
      expect(Buffer.byteLength(exact)).toBe(16384);
      expect((await postSigned(h.url, exact, stripeHeader(exact))).status).toBe(202);
      const over = ofSize(16 * 1024 + 1);
      expect(Buffer.byteLength(over)).toBe(16385);
      expectRejected(await postSigned(h.url, over, stripeHeader(over)), 413, 'WEBHOOK_TOO_LARGE');
    });

    it('the default limit is 1 MiB', async () => {
      const h = await start();
      const under = padded(1000 * 1024);
      expect((await postSigned(h.url, under, stripeHeader(under))).status).toBe(202);
      const over = padded(1024 * 1024);
      expectRejected(await postSigned(h.url, over, stripeHeader(over)), 413, 'WEBHOOK_TOO_LARGE');
    });

    it('a gzip bomb (tiny compressed, 10 MiB inflated) → 413 on its inflated size', async () => {
      const h = await start({ config: SMALL_LIMIT });
      const inflated = Buffer.concat([
        Buffer.from('{"id":"evt_bomb","padding":"'),
        Buffer.alloc(10 * 1024 * 1024, 0x20),
        Buffer.from('"}'),
      ]);
      const bomb = gzipSync(inflated, { level: 9 });
      expect(bomb.length).toBeLessThan(16 * 1024);
      const res = await postSigned(h.url, bomb, `t=${nowSec()},v1=${stripeV1(inflated, nowSec())}`, { 'content-encoding': 'gzip' });
      expectRejected(res, 413, 'WEBHOOK_TOO_LARGE');
      expect(await h.store.findEvent('stripe', 'evt_bomb')).toBeUndefined();
    });

    it('a gzip body under the limit, signed over the inflated bytes → 202, and the event is processed', async () => {
      const h = await start({ config: SMALL_LIMIT });
      const e = event();
      const p = JSON.stringify(e);
      const res = await postSigned(h.url, gzipSync(p), stripeHeader(p), { 'content-encoding': 'gzip' });
      expect(res.status).toBe(202);
      await target!.waitFor(1);
      expect(target!.requests[0]!.body).toMatchObject({ sourceEventId: e.id, type: 'subscription.created' });
    });

    it('a gzip body whose signature covers the compressed bytes → 401 (signatures are over the inflated body)', async () => {
      const h = await start({ config: SMALL_LIMIT });
      const p = JSON.stringify(event());
      const gz = gzipSync(p);
      expectRejected(
        await postSigned(h.url, gz, `t=${nowSec()},v1=${stripeV1(gz, nowSec())}`, { 'content-encoding': 'gzip' }),
        401,
        'WEBHOOK_SIGNATURE_INVALID',
      );
    });

    it('deflate and br bodies are inflated by body-parser and accepted when signed over the inflated bytes', async () => {
      const h = await start({ config: SMALL_LIMIT });
      const a = JSON.stringify(event());
      expect((await postSigned(h.url, deflateSync(a), stripeHeader(a), { 'content-encoding': 'deflate' })).status).toBe(202);
      const b = JSON.stringify(event());
      expect((await postSigned(h.url, brotliCompressSync(b), stripeHeader(b), { 'content-encoding': 'br' })).status).toBe(202);
      const bomb = Buffer.concat([Buffer.from('{"id":"evt_br_bomb","padding":"'), Buffer.alloc(4 * 1024 * 1024, 0x20), Buffer.from('"}')]);
      expectRejected(await postSigned(h.url, brotliCompressSync(bomb), 'x', { 'content-encoding': 'br' }), 413, 'WEBHOOK_TOO_LARGE');
    });

    it.each(['compress', 'x-unknown', 'gzip, compress'])('Content-Encoding: %s → 415 WEBHOOK_UNSUPPORTED_MEDIA', async (encoding) => {
      const h = await start({ config: SMALL_LIMIT });
      const p = JSON.stringify(event());
      expectRejected(await postSigned(h.url, p, stripeHeader(p), { 'content-encoding': encoding }), 415, 'WEBHOOK_UNSUPPORTED_MEDIA');
    });

    it('Content-Encoding: gzip with bytes that are not gzip → 400 WEBHOOK_MALFORMED (never 500)', async () => {
      const h = await start({ config: SMALL_LIMIT });
      const p = JSON.stringify(event());
      expectRejected(await postSigned(h.url, p, stripeHeader(p), { 'content-encoding': 'gzip' }), 400, 'WEBHOOK_MALFORMED');
    });

    it.each([
      ['text/plain', 'text/plain'],
      ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
      ['application/jsonx', 'application/jsonx'],
      ['multipart/form-data; boundary=x', 'multipart/form-data'],
    ])('Content-Type %s → 415 WEBHOOK_UNSUPPORTED_MEDIA, checked before the signature', async (type) => {
      const h = await start();
      const p = JSON.stringify(event());
      const res = await rawRequest(`${h.url}/webhooks/stripe`, {
        headers: { 'content-type': type, 'stripe-signature': stripeHeader(p) },
        body: p,
      });
      expectRejected(res, 415, 'WEBHOOK_UNSUPPORTED_MEDIA');
    });

    it('no Content-Type at all → 415', async () => {
      const h = await start();
      const p = JSON.stringify(event());
      const res = await rawRequest(`${h.url}/webhooks/stripe`, { headers: { 'stripe-signature': stripeHeader(p) }, body: Buffer.from(p) });
      expectRejected(res, 415, 'WEBHOOK_UNSUPPORTED_MEDIA');
    });

    it('application/json with parameters or in upper case is accepted', async () => {
      const h = await start();
      for (const type of ['application/json; charset=utf-8', 'Application/JSON']) {
        const p = JSON.stringify(event());
        const res = await rawRequest(`${h.url}/webhooks/stripe`, {
          headers: { 'content-type': type, 'stripe-signature': stripeHeader(p) },
          body: p,
        });
        expect(res.status).toBe(202);
      }
    });
  });

  describe('malformed bodies, unknown connectors, missing secrets', () => {
    it('a verified body that is not JSON → 400 WEBHOOK_MALFORMED with the parse position, kept as a dead letter at stage verify', async () => {
      const h = await start();
      const body = '{"id":"evt_bad_json","type":"customer.subscription.created",}';
      const res = await postSigned(h.url, body, stripeHeader(body));
      expectRejected(res, 400, 'WEBHOOK_MALFORMED');
      expect(res.json<{ error: { message: string } }>().error.message).toMatch(/not JSON: .* at line 1, column 61$/);
      const dls = await h.store.listDeadLetters({ stage: 'verify' });
      expect(dls).toHaveLength(1);
      expect(dls[0]).toMatchObject({
        stage: 'verify',
        source: 'stripe',
        errorCode: 'WEBHOOK_MALFORMED',
        status: 'open',
        payload: body,
        attempts: 1,
      });
      expect(dls[0]!.sourceEventId).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(await h.store.findEvent('stripe', 'evt_bad_json')).toBeUndefined();
    });

    it.each([
      ['not json', 1, 1],
      ['', 1, 1],
      ['{"a":', 1, 6],
      ['{\n  "id": "evt_x",\n  "type" "x"\n}', 3, 10],
    ])('a verified body %j → 400 naming line %i, column %i of the problem', async (body, line, col) => {
      const h = await start();
      const res = await postSigned(h.url, body, stripeHeader(body));
      expectRejected(res, 400, 'WEBHOOK_MALFORMED');
      expect(res.json<{ error: { message: string } }>().error.message).toMatch(new RegExp(`at line ${line}, column ${col}$`));
    });

    it('a verified JSON event without a string "id" → 400 WEBHOOK_MALFORMED, dead letter at stage verify', async () => {
      const h = await start();
      for (const body of ['{"type":"customer.subscription.created"}', '{"id":42}', '[1,2,3]']) {
        expectRejected(await postSigned(h.url, body, stripeHeader(body)), 400, 'WEBHOOK_MALFORMED');
      }
      expect(await h.store.listDeadLetters({ stage: 'verify', status: 'open' })).toHaveLength(3);
    });

    it('an unverified malformed body is a 401, not a 400, and leaves no dead letter', async () => {
      const h = await start();
      expectRejected(await postSigned(h.url, '{not json', 'garbage'), 401, 'WEBHOOK_SIGNATURE_INVALID');
      expect(await h.store.listDeadLetters({})).toEqual([]);
    });

    it('unknown connector → 404 WEBHOOK_UNKNOWN_CONNECTOR; a connector without webhooks → 404', async () => {
      const h = await start();
      const p = JSON.stringify(event());
      expectRejected(await postSigned(h.url, p, stripeHeader(p), {}, 'nope'), 404, 'WEBHOOK_UNKNOWN_CONNECTOR');
      expectRejected(await postSigned(h.url, p, stripeHeader(p), {}, 'target'), 404, 'WEBHOOK_UNKNOWN_CONNECTOR');
      expectRejected(await postSigned(h.url, p, stripeHeader(p), {}, '__proto__'), 404, 'WEBHOOK_UNKNOWN_CONNECTOR');
    });

    it('no webhook secret configured → 401 no_secret for every request (fail closed), whatever the signature', async () => {
      const h = await start({ env: { STRIPE_WEBHOOK_SECRET: '' } });
      const p = JSON.stringify(event());
      const signed = await postSigned(h.url, p, stripeHeader(p));
      expectRejected(signed, 401, 'WEBHOOK_SIGNATURE_INVALID');
      expect(signed.json<{ error: { message: string } }>().error.message).toMatch(/no Stripe webhook secret/);
      const t = nowSec();
      expectRejected(await postSigned(h.url, p, `t=${t},v1=${stripeV1(p, t, '')}`), 401, 'WEBHOOK_SIGNATURE_INVALID');
      expectRejected(await postSigned(h.url, p, undefined), 401, 'WEBHOOK_SIGNATURE_INVALID');
      const metrics = await (await fetch(`${h.url}/metrics`)).text();
      expect(metrics).toContain('subhub_webhooks_rejected_total{connector="stripe",reason="no_secret"} 3');
    });
  });

  describe('R10 storage faults → 503, never 2xx without a commit', () => {
    const expect503 = (res: RawResponse) => {
      expectRejected(res, 503, 'STORE_UNAVAILABLE');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    };

    it('append rejecting with StoreUnavailableError → 503 + Retry-After; once the fault clears the same request → 202', async () => {
      const { store: inner } = await tempSqliteStore();
      let failing = true;
      const store = failingAppendStore(inner, () => failing);
      const h = await start({ store });
      const e = event();
      const p = JSON.stringify(e);
      const sig = stripeHeader(p);
      for (let i = 0; i < 3; i++) expect503(await postSigned(h.url, p, sig));
      expect(store.appendCalls).toBe(3);
      expect(await h.store.findEvent('stripe', e.id)).toBeUndefined();
      failing = false;
      const retried = await postSigned(h.url, p, sig);
      expect(retried.status).toBe(202);
      await target!.waitFor(1);
      expect(target!.requests).toHaveLength(1);
    });

    it('a closed database handle → append rejects with StoreUnavailableError and the answer is 503', async () => {
      const { store } = await tempSqliteStore();
      const h = await start({ store });
      store.db.close();
      await expect(
        store.append({ source: 'stripe', sourceEventId: 'evt_direct', receivedAt: Date.now(), headers: {}, body: '{}' }),
      ).rejects.toBeInstanceOf(StoreUnavailableError);
      const p = JSON.stringify(event());
      expect503(await postSigned(h.url, p, stripeHeader(p)));
    });

    it('SQLITE_FULL (disk full: max_page_count reached) → 503; after space is freed the event is accepted', async () => {
      const { store } = await tempSqliteStore();
      const h = await start({ store });
      const pages = store.db.pragma('page_count', { simple: true }) as number;
      store.db.pragma(`max_page_count = ${pages}`);
      const e = event({ padding: 'z'.repeat(64 * 1024) }); // needs new pages
      const p = JSON.stringify(e);
      const sig = stripeHeader(p);
      await expect(
        store.append({ source: 'stripe', sourceEventId: 'evt_full', receivedAt: Date.now(), headers: {}, body: p }),
      ).rejects.toThrow(/full/i);
      expect503(await postSigned(h.url, p, sig));
      expect(await h.store.findEvent('stripe', e.id)).toBeUndefined();
      store.db.pragma('max_page_count = 1073741823');
      expect((await postSigned(h.url, p, sig)).status).toBe(202);
    });

    it('SQLITE_READONLY (writes refused by the database) → 503', async () => {
      const { store } = await tempSqliteStore();
      const h = await start({ store });
      store.db.pragma('query_only = ON');
      const p = JSON.stringify(event());
      expect503(await postSigned(h.url, p, stripeHeader(p)));
      store.db.pragma('query_only = OFF');
      expect((await postSigned(h.url, p, stripeHeader(p))).status).toBe(202);
    });

    it('SQLITE_BUSY (another connection holds the write lock past busy_timeout) → 503; accepted once the lock is released', async () => {
      const { store, file } = await tempSqliteStore();
      store.db.pragma('busy_timeout = 50');
      const h = await start({ store });
      const other = new Database(file);
      other.exec('BEGIN IMMEDIATE');
      try {
        const p = JSON.stringify(event());
        const sig = stripeHeader(p);
        expect503(await postSigned(h.url, p, sig));
        other.exec('COMMIT');
        expect((await postSigned(h.url, p, sig)).status).toBe(202);
      } finally {
        if (other.inTransaction) other.exec('ROLLBACK');
        other.close();
      }
    });

    it('/readyz reports the store as unavailable (503) while it cannot be reached', async () => {
      const { store } = await tempSqliteStore();
      const h = await start({ store });
      expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
      (h.store as SqliteStore).db.close();
      const res = await fetch(`${h.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'not_ready', checks: { store: 'unavailable' } });
    });
  });
});
