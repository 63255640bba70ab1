// Standard Webhooks verifier: the specification's published test vector plus HMACs made with node:crypto.
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { standardWebhooksVerifier } from './standard-webhooks';
import type { Headers, VerifyFailure, VerifyResult } from './verifier';

// Test vector of the Standard Webhooks specification (also used by its reference libraries).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: Buffer.from('{"test": 2432232314}'),
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const keyOf = (secret: string): Buffer => Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const OLD_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const NOW = 1_760_000_000;
const ID = 'msg_2b8Tq0pV9xR4mWc';
const BODY = Buffer.from(JSON.stringify({ type: 'subscription.renewed', timestamp: '2025-10-09T08:53:10.000Z', data: { id: 'sub_1' } }));

function sig(opts: { secret?: string; id?: string; ts?: number; body?: Buffer } = {}): string {
  const { secret = SECRET, id = ID, ts = NOW, body = BODY } = opts;
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${ts}.`).update(body).digest('base64')}`;
}
const headersFor = (signature: string | undefined, extra: Headers = {}): Headers => ({
  'webhook-id': ID,
  'webhook-timestamp': String(NOW),
  'webhook-signature': signature,
  ...extra,
});
const verify = (headers: Headers, body: Buffer = BODY, secrets = [SECRET], nowSec = NOW, toleranceSec = 300): VerifyResult =>
  standardWebhooksVerifier.verify({ rawBody: body, headers, secrets, nowSec, toleranceSec });
const outcome = (r: VerifyResult): 'ok' | VerifyFailure => (r.ok ? 'ok' : r.reason);

const tampered = Buffer.from(BODY);
tampered[5] ^= 0x20;
const validB64 = sig().slice(3);
const at = (ts: number): Headers => headersFor(sig({ ts }), { 'webhook-timestamp': String(ts) });

type Case = { name: string; headers: Headers; body?: Buffer; secrets?: string[]; expected: 'ok' | VerifyFailure };
const matrix: Case[] = [
  { name: 'valid with whsec_ secret', headers: headersFor(sig()), expected: 'ok' },
  { name: 'multiple signatures, one valid', headers: headersFor(`v1,${'A'.repeat(43)}= v1a,c29tZSBlZDI1NTE5 ${sig()}`), expected: 'ok' },
  { name: 'wrong version prefix (v2)', headers: headersFor(`v2,${validB64}`), expected: 'malformed_header' },
  { name: 'only v1a (ed25519) signatures', headers: headersFor(`v1a,${validB64}`), expected: 'malformed_header' },
  { name: 'no comma in the entry', headers: headersFor(validB64), expected: 'malformed_header' },
  { name: 'wrong secret', headers: headersFor(sig({ secret: `whsec_${randomBytes(32).toString('base64')}` })), expected: 'bad_signature' },
  { name: 'tampered body (one byte)', body: tampered, headers: headersFor(sig()), expected: 'bad_signature' },
  { name: 'signature for another webhook-id', headers: headersFor(sig({ id: 'msg_other' })), expected: 'bad_signature' },
  { name: 'bad base64', headers: headersFor('v1,!!!!not-base64!!!!'), expected: 'bad_signature' },
  { name: 'wrong-length signature', headers: headersFor(`v1,${validB64.slice(0, 40)}`), expected: 'bad_signature' },
  { name: 'timestamp 301 s old', headers: at(NOW - 301), expected: 'timestamp_out_of_window' },
  { name: 'timestamp 301 s ahead', headers: at(NOW + 301), expected: 'timestamp_out_of_window' },
  { name: 'timestamp 299 s old', headers: at(NOW - 299), expected: 'ok' },
  { name: 'timestamp 299 s ahead', headers: at(NOW + 299), expected: 'ok' },
  { name: 'timestamp exactly 300 s old', headers: at(NOW - 300), expected: 'ok' },
  { name: 'timestamp exactly 300 s ahead', headers: at(NOW + 300), expected: 'ok' },
  { name: 'non-numeric timestamp', headers: headersFor(sig(), { 'webhook-timestamp': '1760000000.5' }), expected: 'malformed_header' },
  { name: 'missing webhook-id', headers: headersFor(sig(), { 'webhook-id': undefined }), expected: 'missing_header' },
  { name: 'missing webhook-timestamp', headers: headersFor(sig(), { 'webhook-timestamp': undefined }), expected: 'missing_header' },
  { name: 'missing webhook-signature', headers: headersFor(undefined), expected: 'missing_header' },
  { name: 'webhook-id containing "."', headers: headersFor(sig({ id: 'a.b' }), { 'webhook-id': 'a.b' }), expected: 'malformed_header' },
  {
    name: 'rotation: signed with the old secret, both configured',
    headers: headersFor(sig({ secret: OLD_SECRET })),
    secrets: [SECRET, OLD_SECRET],
    expected: 'ok',
  },
  {
    name: 'rotation: sender signs with both secrets',
    headers: headersFor(`${sig({ secret: OLD_SECRET })} ${sig()}`),
    secrets: [SECRET],
    expected: 'ok',
  },
  { name: 'no secret', headers: headersFor(sig()), secrets: [], expected: 'no_secret' },
  {
    name: 'only unusable secrets (empty, not base64, empty key)',
    headers: headersFor(sig()),
    secrets: ['', 'whsec_not base64!', 'whsec_'],
    expected: 'no_secret',
  },
];

describe('standardWebhooksVerifier', () => {
  test.each(matrix)('$name → $expected', ({ headers, body = BODY, secrets = [SECRET], expected }) => {
    expect(outcome(verify(headers, body, secrets))).toBe(expected);
  });

  test('accepts the specification test vector, with or without the whsec_ prefix', () => {
    const headers = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature };
    for (const secret of [VECTOR.secret, VECTOR.secret.slice('whsec_'.length)]) {
      expect(verify(headers, VECTOR.body, [secret], VECTOR.timestamp)).toEqual({ ok: true, dedupeId: VECTOR.id, eventType: undefined });
    }
  });

  test('a verified delivery yields webhook-id, the body type and its timestamp', () => {
    expect(verify(headersFor(sig()))).toEqual({
      ok: true,
      dedupeId: ID,
      eventType: 'subscription.renewed',
      occurredAtSec: 1760000000 - 10,
    });
  });

  test('tolerance is configurable; NaN fails closed', () => {
    expect(outcome(verify(at(NOW - 61), BODY, [SECRET], NOW, 60))).toBe('timestamp_out_of_window');
    expect(outcome(verify(at(NOW + 61), BODY, [SECRET], NOW, 60))).toBe('timestamp_out_of_window');
    expect(outcome(verify(at(NOW - 60), BODY, [SECRET], NOW, 60))).toBe('ok');
    expect(outcome(verify(headersFor(sig()), BODY, [SECRET], NOW, NaN))).toBe('timestamp_out_of_window');
  });

  test('property: verify(sign(body)) is ok and any single-byte mutation is bad_signature', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (bytes, key, pos, delta) => {
          const body = Buffer.from(bytes);
          const secret = `whsec_${Buffer.from(key).toString('base64')}`;
          const headers = headersFor(sig({ secret, body }));
          expect(outcome(verify(headers, body, [secret]))).toBe('ok');
          const mutated = Buffer.from(body);
          mutated[pos % mutated.length] ^= delta;
          expect(outcome(verify(headers, mutated, [secret]))).toBe('bad_signature');
        },
      ),
    );
  });
});
