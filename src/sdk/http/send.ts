import { request as httpRequest, type Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import pRetry, { AbortError } from 'p-retry';
import type { ActionResult } from '../connector';
import { DeliveryError } from '../delivery-error';

const TRANSIENT = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

/** One JSON request to a target. */
export interface JsonRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The JSON text to send (exactly these bytes, as they may be signed). */
  body: string;
  timeoutMs: number;
  signal?: AbortSignal;
  agents?: { http: HttpAgent; https: HttpsAgent };
}

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

/**
 * Sends one JSON request and classifies the answer: 2xx ok; 408/5xx retryable; 429 retryable
 * with Retry-After; 410 gone; other 3xx/4xx rejected (redirects are not followed). Transient
 * network errors get two quick in-process retries (p-retry) before counting as a failed attempt.
 */
export async function sendJson(req: JsonRequest): Promise<ActionResult & { body?: string }> {
  const res = await pRetry(
    async () => {
      try {
        return await exchange(req);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (TRANSIENT.has(code)) throw e;
        throw new AbortError(e as Error);
      }
    },
    { retries: 2, minTimeout: 50, maxTimeout: 200, randomize: true, signal: req.signal },
  ).catch((e: unknown) => {
    throw networkError(e);
  });
  const status = res.status;
  if (status >= 200 && status < 300) return { status, body: res.body };
  const snippet = res.body.slice(0, 200);
  const where = `${req.method} ${new URL(req.url).origin}${new URL(req.url).pathname}`;
  if (status === 429) {
    const retryAfter = res.headers['retry-after'];
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

/**
 * One request and its whole answer as text, on node:http(s) with the target's agents (kept-alive
 * pools whose name lookups pass the SSRF guard). Redirects are answers, never followed. Past
 * `timeoutMs` (from the start until the last byte) the request is destroyed with ETIMEDOUT; an
 * aborted `signal` ends it with ABORT_ERR.
 */
function exchange(req: JsonRequest): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const https = url.protocol === 'https:';
    const body = req.method === 'GET' ? undefined : Buffer.from(req.body, 'utf8');
    const headers: Record<string, string | number> = { 'content-type': 'application/json', ...req.headers };
    if (body) headers['content-length'] = body.length;
    const options = {
      method: req.method,
      headers,
      signal: req.signal,
      ...(req.agents ? { agent: https ? req.agents.https : req.agents.http } : {}),
    };
    const r = (https ? httpsRequest : httpRequest)(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    const timer = setTimeout(
      () => r.destroy(Object.assign(new Error(`timeout of ${req.timeoutMs} ms exceeded`), { code: 'ETIMEDOUT' })),
      req.timeoutMs,
    );
    r.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    r.end(body);
  });
}

function networkError(e: unknown): DeliveryError {
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? '';
  if (code === 'ESSRF') return new DeliveryError('DELIVERY_BLOCKED', err.message, { cause: e });
  if (code === 'ETIMEDOUT') return new DeliveryError('DELIVERY_TIMEOUT', `no answer in time (${code})`, { cause: e });
  return new DeliveryError('DELIVERY_NETWORK', `cannot reach the target: ${code || err.message}`, { cause: e });
}
