import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import Stripe from 'stripe';
import { STRIPE_SECRET } from './test-hub';

const stripe = new Stripe('sk_test_subhub');

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed JSON body (throws when it is not JSON). */
  json<T = Record<string, unknown>>(): T;
}

/**
 * One HTTP request with exactly the headers given (node:http adds only Host and, for a body,
 * Content-Length): unlike fetch, no Content-Type is ever added on its own.
 */
export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body, 'utf8');
    const headers: Record<string, string | number> = { ...opts.headers };
    if (body !== undefined) headers['content-length'] = body.length;
    const req = request(url, { method: opts.method ?? 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    // A server may answer (413) before reading the whole body and close: the answer still counts.
    req.on('socket', (s) => s.on('error', () => undefined));
    req.end(body);
  });
}

/** A Stripe-Signature header made by the official package (timestamp defaults to now). */
export function stripeHeader(payload: string, opts: { secret?: string; timestamp?: number } = {}): string {
  return stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? STRIPE_SECRET, timestamp: opts.timestamp });
}

/** The hex v1 digest Stripe would send for these bytes (for hand-built headers). */
export function stripeV1(payload: string | Buffer, timestamp: number, secret = STRIPE_SECRET): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(payload).digest('hex');
}

export const nowSec = (): number => Math.floor(Date.now() / 1000);

/** POST to /webhooks/:connector with a JSON content type and the given Stripe-Signature (none when undefined). */
export function postSigned(
  hubUrl: string,
  body: string | Buffer,
  signature: string | undefined,
  extra: Record<string, string> = {},
  connector = 'stripe',
): Promise<RawResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
  if (signature !== undefined) headers['stripe-signature'] = signature;
  return rawRequest(`${hubUrl}/webhooks/${connector}`, { headers, body });
}

/** The `error.code` of a JSON error answer. */
export function errorCode(res: RawResponse): string | undefined {
  return res.json<{ error?: { code?: string } }>().error?.code;
}
