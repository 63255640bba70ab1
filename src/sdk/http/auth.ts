import { createHmac } from 'node:crypto';
import type { SecretRef } from '../secret-ref';
import { DeliveryError } from '../delivery-error';

/** JSON Schema of a secret reference in a connector's options: {"env": "NAME"} or {"file": "/path"}. */
export const SECRET_REF_SCHEMA = {
  type: 'object',
  properties: { env: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$' }, file: { type: 'string', minLength: 1 } },
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: false,
};

/** JSON Schema of `auth` in a connector's options (bearer, basic, or Standard Webhooks signing). */
export const AUTH_SCHEMA = {
  oneOf: [
    { type: 'object', properties: { bearer: SECRET_REF_SCHEMA }, required: ['bearer'], additionalProperties: false },
    {
      type: 'object',
      properties: {
        basic: {
          type: 'object',
          properties: { username: { type: 'string', minLength: 1 }, password: SECRET_REF_SCHEMA },
          required: ['username', 'password'],
          additionalProperties: false,
        },
      },
      required: ['basic'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: {
        standardWebhooks: { type: 'object', properties: { secret: SECRET_REF_SCHEMA }, required: ['secret'], additionalProperties: false },
      },
      required: ['standardWebhooks'],
      additionalProperties: false,
    },
  ],
};

/** How an HTTP target authenticates. Secrets are references, resolved per call. */
export type HttpAuth =
  { bearer: SecretRef } | { basic: { username: string; password: SecretRef } } | { standardWebhooks: { secret: SecretRef } };

/**
 * The auth headers of one request. `standardWebhooks` signs like the Standard Webhooks spec:
 * webhook-id (the delivery's idempotency key, stable across retries), webhook-timestamp, and
 * webhook-signature `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the secret
 * (`whsec_<base64>` or raw). A secret that is not set fails the delivery (it never goes out
 * unsigned); the error names the reference, never a value.
 */
export function authHeaders(
  auth: HttpAuth | undefined,
  body: string,
  idempotencyKey: string,
  nowSec: number,
  resolve: (ref: SecretRef) => string | undefined,
): Record<string, string> {
  if (!auth) return {};
  const secret = (ref: SecretRef): string => {
    const v = resolve(ref);
    if (v === undefined)
      throw new DeliveryError(
        'CONFIG_SECRET_MISSING',
        `the target's secret (${'env' in ref ? `env ${ref.env}` : `file ${ref.file}`}) is not set`,
      );
    return v;
  };
  if ('bearer' in auth) return { authorization: `Bearer ${secret(auth.bearer)}` };
  if ('basic' in auth)
    return { authorization: `Basic ${Buffer.from(`${auth.basic.username}:${secret(auth.basic.password)}`).toString('base64')}` };
  const raw = secret(auth.standardWebhooks.secret);
  const key = raw.startsWith('whsec_') ? Buffer.from(raw.slice(6), 'base64') : Buffer.from(raw);
  const id = idempotencyKey.replace(/\./g, '_'); // the spec forbids "." in ids: it would make the signed content ambiguous
  const timestamp = String(nowSec);
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
