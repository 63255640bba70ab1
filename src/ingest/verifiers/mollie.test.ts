// Mollie verifier: classic unsigned `id=…` notifications and signed next-gen events (hex HMAC-SHA256
// of the raw body, made here with node:crypto as Mollie's docs describe it).
import { createHmac } from 'node:crypto';
import { classicObjectId, mollieVerifier } from './mollie';
import type { Headers, VerifyFailure, VerifyResult } from './verifier';

const SECRET = 'mollie_next_gen_secret_current';
const OLD_SECRET = 'mollie_next_gen_secret_previous';
const FORM = 'application/x-www-form-urlencoded';
const EVENT = Buffer.from(JSON.stringify({ resource: 'event', id: 'event_GvJ8WHrp5isUdRub9CJyH', type: 'payment-link.paid' }));

const hex = (body: Buffer, secret = SECRET): string => createHmac('sha256', secret).update(body).digest('hex');
const verify = (o: { body: Buffer | string; headers?: Headers; secrets?: string[]; allowUnsigned?: boolean }): VerifyResult =>
  mollieVerifier.verify({
    rawBody: typeof o.body === 'string' ? Buffer.from(o.body) : o.body,
    headers: o.headers ?? {},
    secrets: o.secrets ?? [SECRET],
    nowSec: 0,
    toleranceSec: 300,
    ...(o.allowUnsigned === undefined ? {} : { allowUnsigned: o.allowUnsigned }),
  });
const outcome = (r: VerifyResult): 'ok' | VerifyFailure => (r.ok ? 'ok' : r.reason);
const classic = (body: string, over: { headers?: Headers; allowUnsigned?: boolean; secrets?: string[] } = {}): VerifyResult =>
  verify({ body, headers: { 'content-type': FORM, ...over.headers }, allowUnsigned: over.allowUnsigned ?? true, secrets: over.secrets });

describe('mollie verifier: classic (unsigned) notifications', () => {
  it.each([
    ['id=tr_WDqYK6vllg', 'tr_WDqYK6vllg', 'payment'],
    ['id=sub_rVKGtNd6s3', 'sub_rVKGtNd6s3', 'subscription'],
    ['id=mdt_h3gAaD5zP', 'mdt_h3gAaD5zP', 'mandate'],
    ['id=pl_4Y0eZitmBnQ6IDoMqZQKh', 'pl_4Y0eZitmBnQ6IDoMqZQKh', 'payment-link'],
    ['id=ord_kEn1PlbGa', 'ord_kEn1PlbGa', 'order'],
    [`id=tr_${'a'.repeat(64)}`, `tr_${'a'.repeat(64)}`, 'payment'],
  ])('accepts %s as a notify-only entry for %s (type %s)', (body, id, type) => {
    expect(classic(body)).toEqual({ ok: true, dedupeId: id, eventType: type, notifyOnly: true });
  });

  it('accepts a form with a charset parameter and without any secret configured (nothing is signed)', () => {
    expect(outcome(classic('id=tr_1', { headers: { 'content-type': `${FORM}; charset=utf-8` }, secrets: [] }))).toBe('ok');
  });

  it.each([
    ['an empty body', ''],
    ['another parameter', 'ref=tr_1'],
    ['a second parameter', 'id=tr_1&status=paid'],
    ['the id twice', 'id=tr_1&id=tr_2'],
    ['a trailing &', 'id=tr_1&'],
    ['a trailing newline', 'id=tr_1\n'],
    ['an unknown prefix', 'id=cst_8wmqcHMN4U'],
    ['a prefix without an id', 'id=tr_'],
    ['an id longer than 64', `id=tr_${'a'.repeat(65)}`],
    ['percent-encoding', 'id=tr_%41bc'],
    ['a space', 'id=tr_a+b'],
    ['upper-case prefix', 'id=TR_abc'],
    ['JSON in a form', '{"id":"tr_1"}'],
    ['a body over 1024 bytes', `id=tr_1${'0'.repeat(1100)}`],
  ])('refuses %s as malformed (400, dead-lettered by the router)', (_name, body) => {
    expect(outcome(classic(body))).toBe('malformed_body');
  });

  it('refuses an unsigned webhook when the connector did not opt in (fail closed)', () => {
    expect(outcome(classic('id=tr_1', { allowUnsigned: false }))).toBe('missing_header');
    expect(outcome(verify({ body: 'id=tr_1', headers: { 'content-type': FORM } }))).toBe('missing_header');
  });

  it('refuses an unsigned JSON body even when unsigned classic webhooks are allowed: only a form may be unsigned', () => {
    const r = verify({ body: EVENT, headers: { 'content-type': 'application/json' }, allowUnsigned: true });
    expect(outcome(r)).toBe('missing_header');
  });

  it('classicObjectId reads only the strict pattern', () => {
    expect(classicObjectId('id=tr_abc')).toEqual({ id: 'tr_abc', eventType: 'payment' });
    expect(classicObjectId('id=tr_abc&x=1')).toBeUndefined();
  });
});

describe('mollie verifier: next-gen (signed) events', () => {
  const signed = (signature: string | undefined, o: { body?: Buffer; secrets?: string[]; allowUnsigned?: boolean } = {}) =>
    verify({
      body: o.body ?? EVENT,
      headers: { 'content-type': 'application/json', 'x-mollie-signature': signature },
      secrets: o.secrets,
      allowUnsigned: o.allowUnsigned,
    });

  it('accepts the bare hex HMAC (as Mollie documents it) and the sha256= form; the event id is the dedupe id', () => {
    for (const sig of [hex(EVENT), `sha256=${hex(EVENT)}`]) {
      expect(signed(sig)).toEqual({ ok: true, dedupeId: 'event_GvJ8WHrp5isUdRub9CJyH', eventType: 'payment-link.paid' });
    }
  });

  it('rotation: any configured secret may have signed', () => {
    expect(outcome(signed(hex(EVENT, OLD_SECRET), { secrets: [SECRET, OLD_SECRET] }))).toBe('ok');
    expect(outcome(signed(hex(EVENT, SECRET), { secrets: ['', OLD_SECRET, SECRET] }))).toBe('ok');
    expect(outcome(signed(hex(EVENT, OLD_SECRET), { secrets: [SECRET] }))).toBe('bad_signature');
  });

  const tampered = Buffer.from(EVENT);
  tampered[tampered.length - 3] ^= 0x01;
  const digest = createHmac('sha256', SECRET).update(EVENT).digest();
  it.each<[string, string | undefined, Buffer | undefined, VerifyFailure]>([
    ['wrong secret', hex(EVENT, 'someone_else'), undefined, 'bad_signature'],
    ['tampered body', hex(EVENT), tampered, 'bad_signature'],
    ['upper-case hex', hex(EVENT).toUpperCase(), undefined, 'bad_signature'],
    ['base64 instead of hex', digest.toString('base64'), undefined, 'bad_signature'],
    ['too short (31 bytes)', digest.subarray(0, 31).toString('hex'), undefined, 'bad_signature'],
    ['too long (33 bytes)', Buffer.concat([digest, Buffer.alloc(1)]).toString('hex'), undefined, 'bad_signature'],
    ['another prefix', `sha1=${hex(EVENT)}`, undefined, 'bad_signature'],
    ['empty header', '', undefined, 'missing_header'],
  ])('refuses %s', (_name, signature, body, expected) => {
    expect(outcome(signed(signature, { body, allowUnsigned: true }))).toBe(expected);
  });

  it('a signature present but no secret configured: refused (fail closed), also with unsigned webhooks allowed', () => {
    expect(outcome(signed(hex(EVENT), { secrets: [], allowUnsigned: true }))).toBe('no_secret');
    expect(outcome(signed(hex(EVENT, ''), { secrets: [''], allowUnsigned: true }))).toBe('no_secret');
  });

  it('a signed form body is not taken as a classic one: its signature must verify', () => {
    const body = Buffer.from('id=tr_1');
    const headers = { 'content-type': FORM, 'x-mollie-signature': hex(body, 'forged') };
    expect(outcome(verify({ body, headers, allowUnsigned: true }))).toBe('bad_signature');
  });

  it('a repeated signature header is malformed', () => {
    const r = verify({ body: EVENT, headers: { 'x-mollie-signature': [hex(EVENT), hex(EVENT)] } });
    expect(outcome(r)).toBe('malformed_header');
  });

  it('a correctly signed body that is not a JSON object with a string id is malformed (400, dead-lettered)', () => {
    for (const text of ['not json', '[1,2]', '{"type":"payment.paid"}', '{"id":42}']) {
      const body = Buffer.from(text);
      expect(outcome(signed(hex(body), { body }))).toBe('malformed_body');
    }
  });

  it('never throws on a body that is not a Buffer', () => {
    const r = mollieVerifier.verify({
      rawBody: 'id=tr_1' as unknown as Buffer,
      headers: {},
      secrets: [SECRET],
      nowSec: 0,
      toleranceSec: 1,
    });
    expect(outcome(r)).toBe('bad_signature');
  });
});
