import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { standardWebhooksVerifier } from '../../src/ingest/verifiers';
import type { ActionContext } from '../../src/sdk';
import { httpConnector } from './index';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const ctx: ActionContext = { idempotencyKey: 'stripe:evt_1/route.a', attempt: 1, timeoutMs: 2000 };

describe('generic HTTP target', () => {
  let server: Server;
  let base = '';
  const seen: Seen[] = [];
  let status = 200;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        res.statusCode = status;
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    seen.length = 0;
    status = 200;
  });

  const build = (options: Record<string, unknown>, env: Record<string, string> = {}) =>
    httpConnector.createActions!(
      { baseUrl: base, allowHosts: ['127.0.0.1'], ...options },
      { resolveSecret: (ref) => ('env' in ref ? env[ref.env] : undefined) },
    );

  it('sends the payload as JSON with the idempotency key, the configured headers and a templated path', async () => {
    const a = build({ headers: { 'x-tenant': 'coffee' }, actions: { put: { method: 'PUT', path: '/orders/{{order.ref}}/lines' } } });
    await a.put!({ order: { ref: 'SO 42/7' }, qty: 2 }, ctx);
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/orders/SO%2042%2F7/lines', body: '{"order":{"ref":"SO 42/7"},"qty":2}' });
    expect(seen[0]!.headers).toMatchObject({
      'idempotency-key': ctx.idempotencyKey,
      'x-tenant': 'coffee',
      'content-type': 'application/json',
    });
  });

  it('a path placeholder missing from the payload is bad input (never sent)', async () => {
    const a = build({ actions: { put: { method: 'PUT', path: '/orders/{{ref}}' } } });
    await expect(a.put!({}, ctx)).rejects.toMatchObject({ code: 'MAPPING_REQUIRED_MISSING', kind: 'bad_input' });
    expect(seen).toHaveLength(0);
  });

  it('bearer and basic auth take their secrets from references', async () => {
    await build({ auth: { bearer: { env: 'TOKEN' } }, actions: { send: { method: 'POST', path: '/x' } } }, { TOKEN: 't0k3n' }).send!(
      {},
      ctx,
    );
    expect(seen[0]!.headers.authorization).toBe('Bearer t0k3n');
    await build(
      { auth: { basic: { username: 'erp', password: { env: 'PW' } } }, actions: { send: { method: 'POST', path: '/x' } } },
      { PW: 'pa:ss' },
    ).send!({}, ctx);
    expect(seen[1]!.headers.authorization).toBe(`Basic ${Buffer.from('erp:pa:ss').toString('base64')}`);
  });

  it('signs with the Standard Webhooks scheme, verifiable by the same scheme on the other side', async () => {
    const secret = `whsec_${Buffer.from('a-very-secret-key-for-tests').toString('base64')}`;
    await build(
      { auth: { standardWebhooks: { secret: { env: 'SIGNING' } } }, actions: { send: { method: 'POST', path: '/hook' } } },
      { SIGNING: secret },
    ).send!({ type: 'subscription.renewed', n: 1 }, ctx);
    const s = seen[0]!;
    expect(s.headers['webhook-id']).toBe('stripe:evt_1/route_a');
    const verdict = standardWebhooksVerifier.verify({
      rawBody: Buffer.from(s.body),
      headers: s.headers,
      secrets: [secret],
      nowSec: Math.floor(Date.now() / 1000),
      toleranceSec: 300,
    });
    expect(verdict).toMatchObject({ ok: true, dedupeId: 'stripe:evt_1/route_a' });
  });

  it('a missing secret fails the delivery without sending, naming the reference but no value', async () => {
    const a = build({ auth: { bearer: { env: 'UNSET_TOKEN' } }, actions: { send: { method: 'POST', path: '/x' } } });
    const err = await a.send!({}, ctx).catch((e: Error & { code: string }) => e);
    expect(err).toMatchObject({ code: 'CONFIG_SECRET_MISSING', kind: 'config' });
    expect((err as Error).message).toContain('env UNSET_TOKEN');
    expect(seen).toHaveLength(0);
  });

  it.each([
    [500, 'DELIVERY_SERVER_ERROR', 'retryable'],
    [408, 'DELIVERY_SERVER_ERROR', 'retryable'],
    [429, 'DELIVERY_RATE_LIMITED', 'retryable'],
    [410, 'DELIVERY_GONE', 'permanent'],
    [422, 'DELIVERY_REJECTED', 'permanent'],
  ])('classifies HTTP %i as %s (%s)', async (code, errorCode, kind) => {
    status = code;
    const a = build({ actions: { send: { method: 'POST', path: '/x' } } });
    await expect(a.send!({}, ctx)).rejects.toMatchObject({ code: errorCode, kind });
  });

  it('a closed port is a retryable network error; a silent target a timeout', async () => {
    const closed = httpConnector.createActions!(
      { baseUrl: 'http://127.0.0.1:9', allowHosts: ['127.0.0.1'], actions: { send: { method: 'POST', path: '/' } } },
      { resolveSecret: () => undefined },
    );
    await expect(closed.send!({}, ctx)).rejects.toMatchObject({ code: 'DELIVERY_NETWORK', kind: 'retryable' });
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const a = httpConnector.createActions!(
        {
          baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
          allowHosts: ['127.0.0.1'],
          actions: { send: { method: 'POST', path: '/' } },
        },
        { resolveSecret: () => undefined },
      );
      await expect(a.send!({}, { ...ctx, timeoutMs: 100 })).rejects.toMatchObject({ code: 'DELIVERY_TIMEOUT', kind: 'retryable' });
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });
});
