// Robustness properties shared by every verifier: whatever arrives in the headers, `verify` returns a result
// (so the HTTP layer answers 401) and never throws (which would be a 500).
import fc from 'fast-check';
import { verifiersByScheme, type Headers, type WebhookVerifier } from './index';

const HEADER_NAMES = [
  'stripe-signature',
  'x-shopify-hmac-sha256',
  'x-shopify-webhook-id',
  'x-shopify-topic',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-mollie-signature',
  'content-type',
];

// Values that look a bit like real ones, so the parsers get past their first checks, mixed with arbitrary text.
const plausible = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    't=1760000000,v1=',
    'v1,',
    'v1a,',
    't=',
    '1760000000',
    'msg_1',
    '=',
    ',',
    ' ',
    'A'.repeat(43) + '=',
    'sha256=' + 'ab'.repeat(32),
    'application/x-www-form-urlencoded',
  ),
  fc
    .tuple(
      fc.array(fc.constantFrom('t=1760000000', 'v1=' + 'ab'.repeat(32), 'v0=00', 'v1,' + 'A'.repeat(43) + '=', 'x', '')),
      fc.constantFrom(',', ' ', '=', ', '),
    )
    .map(([parts, separator]) => parts.join(separator)),
);
const headerValue = fc.option(fc.oneof(plausible, fc.array(plausible, { maxLength: 3 })), { nil: undefined });
const headers: fc.Arbitrary<Headers> = fc.record(Object.fromEntries(HEADER_NAMES.map((name) => [name, headerValue])));
const secrets = fc.array(fc.oneof(fc.string(), fc.constant('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')), { maxLength: 3 });
const number = fc.oneof(fc.integer(), fc.double(), fc.constant(1_760_000_000));

describe.each(Object.values(verifiersByScheme).map((v): [string, WebhookVerifier] => [v.scheme, v]))('%s verifier', (scheme, verifier) => {
  test('is registered under its own scheme', () => {
    expect(verifiersByScheme[verifier.scheme]).toBe(verifier);
    expect(verifier.scheme).toBe(scheme);
  });

  test('property: verify never throws for arbitrary header strings, secrets, clock and body', () => {
    fc.assert(
      fc.property(
        headers,
        secrets,
        fc.uint8Array({ maxLength: 64 }),
        number,
        number,
        fc.boolean(),
        (h, s, body, nowSec, toleranceSec, allowUnsigned) => {
          const result = verifier.verify({ rawBody: Buffer.from(body), headers: h, secrets: s, nowSec, toleranceSec, allowUnsigned });
          expect(typeof result.ok).toBe('boolean');
          if (!result.ok) expect(result.message).not.toMatch(/whsec_MfKQ/);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('no secret → no_secret before anything else is looked at', () => {
    const result = verifier.verify({ rawBody: Buffer.from('{}'), headers: {}, secrets: [], nowSec: 0, toleranceSec: 300 });
    expect(result).toEqual({ ok: false, reason: 'no_secret', message: expect.any(String) });
  });

  test('a body that is not a Buffer (e.g. already parsed) is rejected, not thrown on', () => {
    const rawBody = { id: 'evt_1' } as unknown as Buffer;
    const result = verifier.verify({
      rawBody,
      headers: {},
      secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      nowSec: 0,
      toleranceSec: 300,
    });
    expect(result.ok).toBe(false);
  });
});
