// Shopify verifier: real HMACs made with node:crypto as Shopify documents them (base64 of HMAC-SHA256 of the raw body).
import { createHmac } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { shopifyVerifier } from './shopify';
import type { Headers, VerifyFailure, VerifyResult } from './verifier';

const SECRET = 'shpss_current_client_secret';
const OLD_SECRET = 'shpss_previous_client_secret';
const BODY = Buffer.from(
  JSON.stringify({ id: 820982911946154500, admin_graphql_api_id: 'gid://shopify/Order/820982911946154508', total_price: '19.99' }),
);
const WEBHOOK_ID = 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043';

const sign = (body: Buffer, secret = SECRET): string => createHmac('sha256', secret).update(body).digest('base64');
const headersFor = (hmac: string | undefined, extra: Headers = {}): Headers => ({
  'x-shopify-hmac-sha256': hmac,
  'x-shopify-webhook-id': WEBHOOK_ID,
  'x-shopify-topic': 'orders/create',
  ...extra,
});
const verify = (headers: Headers, body: Buffer = BODY, secrets = [SECRET]): VerifyResult =>
  shopifyVerifier.verify({ rawBody: body, headers, secrets, nowSec: 0, toleranceSec: 300 });
const outcome = (r: VerifyResult): 'ok' | VerifyFailure => (r.ok ? 'ok' : r.reason);

const tampered = Buffer.from(BODY);
tampered[tampered.length - 3] ^= 0x01;
const digest = createHmac('sha256', SECRET).update(BODY).digest();
const GOOD = digest.toString('base64');

type Case = { name: string; headers: Headers; body?: Buffer; secrets?: string[]; expected: 'ok' | VerifyFailure };
const matrix: Case[] = [
  { name: 'valid', headers: headersFor(sign(BODY)), expected: 'ok' },
  { name: 'wrong secret', headers: headersFor(sign(BODY, 'shpss_someone_else')), expected: 'bad_signature' },
  { name: 'tampered body (one byte)', body: tampered, headers: headersFor(sign(BODY)), expected: 'bad_signature' },
  { name: 'missing hmac header', headers: headersFor(undefined), expected: 'missing_header' },
  { name: 'empty hmac header', headers: headersFor(''), expected: 'missing_header' },
  { name: 'missing webhook id', headers: headersFor(sign(BODY), { 'x-shopify-webhook-id': undefined }), expected: 'missing_header' },
  { name: 'non-base64 hmac', headers: headersFor('!!!! not base64 at all ~~~~ not base64 at all'), expected: 'bad_signature' },
  {
    name: 'base64 with a junk character Node would skip',
    headers: headersFor(`${GOOD.slice(0, 20)}$${GOOD.slice(20)}`),
    expected: 'bad_signature',
  },
  { name: 'wrong-length hmac (31 bytes)', headers: headersFor(digest.subarray(0, 31).toString('base64')), expected: 'bad_signature' },
  {
    name: 'wrong-length hmac (33 bytes)',
    headers: headersFor(Buffer.concat([digest, Buffer.alloc(1)]).toString('base64')),
    expected: 'bad_signature',
  },
  { name: 'hex instead of base64', headers: headersFor(digest.toString('hex')), expected: 'bad_signature' },
  {
    name: 'rotation: old secret signed, both configured',
    headers: headersFor(sign(BODY, OLD_SECRET)),
    secrets: [SECRET, OLD_SECRET],
    expected: 'ok',
  },
  { name: 'rotation: new secret signed, both configured', headers: headersFor(GOOD), secrets: [OLD_SECRET, SECRET], expected: 'ok' },
  { name: 'repeated hmac header', headers: headersFor(undefined, { 'x-shopify-hmac-sha256': [GOOD, GOOD] }), expected: 'malformed_header' },
  { name: 'no secret', headers: headersFor(sign(BODY)), secrets: [], expected: 'no_secret' },
  { name: 'only an empty secret', headers: headersFor(sign(Buffer.from(BODY), '')), secrets: [''], expected: 'no_secret' },
];

/** Send a real HTTP request with Shopify's mixed-case header names and return what node:http hands the server. */
async function roundTrip(headers: Record<string, string>): Promise<IncomingHttpHeaders> {
  let seen: IncomingHttpHeaders = {};
  const server = createServer((req, res) => {
    seen = req.headers;
    req.resume().on('end', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', headers }, (res) => res.resume().on('end', resolve));
      req.on('error', reject).end(BODY);
    });
    return seen;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('shopifyVerifier', () => {
  test.each(matrix)('$name → $expected', ({ headers, body = BODY, secrets = [SECRET], expected }) => {
    expect(outcome(verify(headers, body, secrets))).toBe(expected);
  });

  test('a verified delivery yields the webhook id as dedupe key and the topic as event type', () => {
    expect(verify(headersFor(sign(BODY)))).toEqual({ ok: true, dedupeId: WEBHOOK_ID, eventType: 'orders/create' });
    expect(verify(headersFor(sign(BODY), { 'x-shopify-topic': undefined }))).toEqual({
      ok: true,
      dedupeId: WEBHOOK_ID,
      eventType: undefined,
    });
  });

  test('header names: Shopify sends X-Shopify-Hmac-Sha256; node:http lower-cases it and the verifier accepts', async () => {
    const received = await roundTrip({
      'X-Shopify-Hmac-Sha256': sign(BODY),
      'X-Shopify-Webhook-Id': WEBHOOK_ID,
      'X-Shopify-Topic': 'orders/create',
    });
    expect(verify(received)).toEqual({ ok: true, dedupeId: WEBHOOK_ID, eventType: 'orders/create' });
  });

  test('contract: only lower-case names are read (callers pass node:http headers, not hand-built objects)', () => {
    expect(outcome(verify({ 'X-Shopify-Hmac-Sha256': sign(BODY), 'X-Shopify-Webhook-Id': WEBHOOK_ID }))).toBe('missing_header');
  });

  test('no timestamp exists: the clock and tolerance do not affect the result', () => {
    const headers = headersFor(sign(BODY));
    expect(shopifyVerifier.verify({ rawBody: BODY, headers, secrets: [SECRET], nowSec: NaN, toleranceSec: NaN }).ok).toBe(true);
  });

  test('property: verify(sign(body)) is ok and any single-byte mutation is bad_signature', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.string({ minLength: 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (bytes, secret, pos, delta) => {
          const body = Buffer.from(bytes);
          const headers = headersFor(sign(body, secret));
          expect(outcome(verify(headers, body, [secret]))).toBe('ok');
          const mutated = Buffer.from(body);
          mutated[pos % mutated.length] ^= delta;
          expect(outcome(verify(headers, mutated, [secret]))).toBe('bad_signature');
        },
      ),
    );
  });
});
