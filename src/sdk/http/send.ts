import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import axios, { AxiosError } from 'axios';
import pRetry, { AbortError } from 'p-retry';
import type { ActionResult } from '../connector';
import { DeliveryError } from '../delivery-error';

const TRANSIENT = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Sends one JSON request and classifies the answer: 2xx ok; 408/5xx retryable; 429 retryable
 * with Retry-After; 410 gone; other 3xx/4xx rejected (redirects are not followed). Transient
 * network errors get two quick in-process retries (p-retry) before counting as a failed attempt.
 */
/** GET a JSON document (for pull operations), classified like sendJson. */
export async function getJson<T>(req: {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  agents?: { http: HttpAgent; https: HttpsAgent };
}): Promise<T> {
  const r = await sendJson({ ...req, method: 'GET', body: '' });
  try {
    return JSON.parse(r.body ?? '') as T;
  } catch {
    throw new DeliveryError('DELIVERY_REJECTED', `${new URL(req.url).pathname} did not answer JSON`);
  }
}

export async function sendJson(req: {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The JSON text to send (exactly these bytes, as they may be signed). */
  body: string;
  timeoutMs: number;
  signal?: AbortSignal;
  agents?: { http: HttpAgent; https: HttpsAgent };
}): Promise<ActionResult & { body?: string }> {
  const res = await pRetry(
    async () => {
      try {
        return await axios.request({
          method: req.method,
          url: req.url,
          data: req.method === 'GET' ? undefined : req.body,
          headers: { 'content-type': 'application/json', ...req.headers },
          timeout: req.timeoutMs,
          signal: req.signal,
          httpAgent: req.agents?.http,
          httpsAgent: req.agents?.https,
          maxRedirects: 0,
          validateStatus: () => true,
          responseType: 'text',
          transitional: { clarifyTimeoutError: true },
        });
      } catch (e) {
        const code = (e as AxiosError).code ?? '';
        if (TRANSIENT.has(code)) throw e;
        throw new AbortError(e as Error);
      }
    },
    { retries: 2, minTimeout: 50, maxTimeout: 200, randomize: true, signal: req.signal },
  ).catch((e: unknown) => {
    throw networkError(e);
  });
  const status = res.status;
  if (status >= 200 && status < 300) return { status, body: typeof res.data === 'string' ? res.data : undefined };
  const snippet = typeof res.data === 'string' ? res.data.slice(0, 200) : '';
  const where = `${req.method} ${new URL(req.url).origin}${new URL(req.url).pathname}`;
  if (status === 429) {
    const retryAfter = res.headers['retry-after'] as string | undefined;
    throw new DeliveryError('DELIVERY_RATE_LIMITED', `${where} answered 429`, { status, retryAfterMs: retryAfterMs(retryAfter) });
  }
  if (status === 408 || status >= 500)
    throw new DeliveryError('DELIVERY_SERVER_ERROR', `${where} answered ${status}: ${snippet}`, { status });
  if (status === 410) throw new DeliveryError('DELIVERY_GONE', `${where} answered 410 Gone`, { status });
  throw new DeliveryError('DELIVERY_REJECTED', `${where} answered ${status}: ${snippet}`, { status });
}

function retryAfterMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function networkError(e: unknown): DeliveryError {
  const err = e as AxiosError;
  const code = err.code ?? '';
  if (code === 'ESSRF') return new DeliveryError('DELIVERY_BLOCKED', err.message, { cause: e });
  if (code === 'ETIMEDOUT' || code === 'ECONNABORTED')
    return new DeliveryError('DELIVERY_TIMEOUT', `no answer in time (${code})`, { cause: e });
  return new DeliveryError('DELIVERY_NETWORK', `cannot reach the target: ${code || err.message}`, { cause: e });
}
