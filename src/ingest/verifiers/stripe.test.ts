// Stripe verifier: signatures made by the official `stripe` package, and every accept/reject decision
// cross-checked against stripe.webhooks.constructEvent (docs/reliability.md S1/S2).
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import Stripe from 'stripe';
import { stripeVerifier } from './stripe';
import type { VerifyFailure, VerifyResult } from './verifier';

const stripe = new Stripe('sk_test_x');
const SECRET = 'whsec_test_secret_current';
const OLD_SECRET = 'whsec_test_secret_previous';
const NOW = 1_760_000_000;
const TOLERANCE = 300;
const EVENT = { id: 'evt_1Q2w3E', object: 'event', type: 'invoice.paid', created: NOW - 5, data: { object: { amount_paid: 1999 } } };
const PAYLOAD = JSON.stringify(EVENT);

function header({
  payload = PAYLOAD,
  secret = SECRET,
  timestamp = NOW,
}: { payload?: string; secret?: string; timestamp?: number } = {}): string {
  return stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}
const v1Of = (h: string): string => /v1=([0-9a-f]+)/.exec(h)?.[1] ?? '';

function verify(payload: string | Buffer, signature: string | undefined, secrets: string[] = [SECRET], nowSec = NOW): VerifyResult {
  const rawBody = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  return stripeVerifier.verify({ rawBody, headers: { 'stripe-signature': signature }, secrets, nowSec, toleranceSec: TOLERANCE });
}
const outcome = (r: VerifyResult): 'ok' | VerifyFailure => (r.ok ? 'ok' : r.reason);

/** The oracle: does the official library accept this delivery with any of the secrets? */
function stripeAccepts(payload: string | Buffer, signature: string, secrets: string[], nowSec: number): boolean {
  return secrets.some((secret) => {
    try {
      stripe.webhooks.constructEvent(payload, signature, secret, TOLERANCE, undefined, nowSec * 1000);
      return true;
    } catch {
      return false;
    }
  });
}

const tampered = Buffer.from(PAYLOAD);
tampered[tampered.indexOf('1999')] ^= 0x01; // one byte: 1999 → 0999
const signedWithOld = header({ secret: OLD_SECRET });

type Case = { name: string; payload?: string | Buffer; sig: string; secrets?: string[]; now?: number; expected: 'ok' | VerifyFailure };
const matrix: Case[] = [
  { name: 'valid', sig: header(), expected: 'ok' },
  { name: 'wrong secret', sig: header({ secret: 'whsec_someone_else' }), expected: 'bad_signature' },
  { name: 'tampered body (one byte)', payload: tampered, sig: header(), expected: 'bad_signature' },
  { name: 're-serialised JSON body', payload: JSON.stringify(JSON.parse(PAYLOAD), null, 1), sig: header(), expected: 'bad_signature' },
  { name: 'timestamp 301 s old', sig: header({ timestamp: NOW - 301 }), expected: 'timestamp_out_of_window' },
  { name: 'timestamp exactly at tolerance (300 s old)', sig: header({ timestamp: NOW - 300 }), expected: 'ok' },
  { name: 'timestamp 299 s old', sig: header({ timestamp: NOW - 299 }), expected: 'ok' },
  { name: 'timestamp 299 s ahead', sig: header({ timestamp: NOW + 299 }), expected: 'ok' },
  { name: 'multiple v1, one valid', sig: `t=${NOW},v1=${'0'.repeat(64)},v1=${v1Of(header())},v1=deadbeef`, expected: 'ok' },
  { name: 'v0 only', sig: header().replace('v1=', 'v0='), expected: 'malformed_header' },
  { name: 'missing t', sig: `v1=${v1Of(header())}`, expected: 'malformed_header' },
  { name: 'non-numeric t', sig: `t=abc,v1=${v1Of(header())}`, expected: 'malformed_header' },
  { name: 'empty header', sig: '', expected: 'missing_header' },
  { name: 'garbage header', sig: 'garbage;;==,,\u0000ü', expected: 'malformed_header' },
  { name: 'upper-case hex', sig: `t=${NOW},v1=${v1Of(header()).toUpperCase()}`, expected: 'bad_signature' },
  { name: 'truncated signature (wrong length)', sig: `t=${NOW},v1=${v1Of(header()).slice(0, 63)}`, expected: 'bad_signature' },
  { name: 'over-long signature', sig: `t=${NOW},v1=${v1Of(header())}00`, expected: 'bad_signature' },
  { name: 'non-hex signature of the right length', sig: `t=${NOW},v1=${'z'.repeat(64)}`, expected: 'bad_signature' },
  { name: 'rotation: old secret signed, both configured', sig: signedWithOld, secrets: [SECRET, OLD_SECRET], expected: 'ok' },
  { name: 'rotation: new secret signed, both configured', sig: header(), secrets: [OLD_SECRET, SECRET], expected: 'ok' },
  { name: 'rotation: old secret signed, already removed', sig: signedWithOld, secrets: [SECRET], expected: 'bad_signature' },
];

describe('stripeVerifier', () => {
  test.each(matrix)(
    '$name → $expected, as constructEvent decides',
    ({ payload = PAYLOAD, sig, secrets = [SECRET], now = NOW, expected }) => {
      const result = verify(payload, sig, secrets, now);
      expect(outcome(result)).toBe(expected);
      expect(result.ok).toBe(stripeAccepts(payload, sig, secrets, now));
    },
  );

  test('a verified event yields id, type and created from the body', () => {
    expect(verify(PAYLOAD, header())).toEqual({ ok: true, dedupeId: EVENT.id, eventType: EVENT.type, occurredAtSec: EVENT.created });
  });

  test('a verified body that is not a JSON object is ok with dedupeId "" (the HTTP layer answers 400)', () => {
    for (const body of ['not json', '[1,2]', '{"id": 42}']) {
      expect(verify(body, header({ payload: body }))).toEqual({ ok: true, dedupeId: '', eventType: undefined });
    }
  });

  test('missing header → missing_header; no secret (or only empty strings) → no_secret, whatever else is present', () => {
    expect(outcome(verify(PAYLOAD, undefined))).toBe('missing_header');
    expect(outcome(verify(PAYLOAD, header(), []))).toBe('no_secret');
    expect(outcome(verify(PAYLOAD, header({ secret: '' }), ['']))).toBe('no_secret');
    expect(outcome(verify(PAYLOAD, undefined, []))).toBe('no_secret');
  });

  test('stricter than stripe-node: a timestamp more than the tolerance in the future is rejected', () => {
    const sig = header({ timestamp: NOW + 301 });
    expect(stripeAccepts(PAYLOAD, sig, [SECRET], NOW)).toBe(true); // the library's check is one-sided
    expect(outcome(verify(PAYLOAD, sig))).toBe('timestamp_out_of_window');
    expect(outcome(verify(PAYLOAD, header({ timestamp: NOW + 300 })))).toBe('ok');
  });

  test('tolerance is configurable', () => {
    const rawBody = Buffer.from(PAYLOAD);
    const input = { rawBody, headers: { 'stripe-signature': header({ timestamp: NOW - 61 }) }, secrets: [SECRET], nowSec: NOW };
    expect(outcome(stripeVerifier.verify({ ...input, toleranceSec: 60 }))).toBe('timestamp_out_of_window');
    expect(outcome(stripeVerifier.verify({ ...input, toleranceSec: 61 }))).toBe('ok');
    expect(outcome(stripeVerifier.verify({ ...input, toleranceSec: NaN }))).toBe('timestamp_out_of_window'); // fails closed
  });

  test('messages never contain the secret or the signature', () => {
    const sig = header({ secret: 'whsec_someone_else' });
    const result = verify(PAYLOAD, sig);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).not.toContain(SECRET);
      expect(result.message).not.toContain(v1Of(sig));
    }
  });

  test('property: any body signed by the official library verifies; any single-byte mutation is bad_signature', () => {
    const sign = (body: Buffer, secret: string, t: number): string =>
      `t=${t},v1=${createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')}`;
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ minLength: 1, maxLength: 40 }), (text, secret) => {
        expect(outcome(verify(text, header({ payload: text, secret }), [secret]))).toBe('ok');
      }),
    );
    const bytes = fc.uint8Array({ minLength: 1, maxLength: 300 });
    fc.assert(
      fc.property(bytes, fc.string({ minLength: 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (raw, secret, pos, delta) => {
        const body = Buffer.from(raw);
        const sig = sign(body, secret, NOW);
        expect(outcome(verify(body, sig, [secret]))).toBe('ok');
        const mutated = Buffer.from(body);
        mutated[pos % mutated.length] ^= delta;
        expect(outcome(verify(mutated, sig, [secret]))).toBe('bad_signature');
      }),
    );
  });
});
