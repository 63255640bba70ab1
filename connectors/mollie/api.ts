import { DeliveryError, sendJson, targetAgents, type SecretRef } from '../../src/sdk';
import type { MolliePage } from './types';

/** Mollie's API root; the simulator's is `http://127.0.0.1:<port>/v2/`. */
export const MOLLIE_API = 'https://api.mollie.com/v2/';

export interface MollieOptions {
  /** The API key (`test_…` or `live_…`), needed for actions, enrichment and pulls. */
  apiKey?: SecretRef;
  /** The API root (default https://api.mollie.com/v2/); a local simulator needs its host in `allowHosts`. */
  apiEndpoint?: string;
  /** Where Mollie reports the payments the connector creates (classic `id=tr_…` webhooks): the hub's /webhooks/<connector>. */
  webhookUrl?: string;
  /** Where the customer returns after a checkout (first payments, payment links). */
  redirectUrl?: string;
  /** Days a payment link stays payable (default 14). */
  paymentLinkExpiresDays?: number;
  allowHosts?: string[];
}

export interface MollieCall {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Sent as `Idempotency-Key` on POST and DELETE: Mollie answers a repeat with the first result. */
  idempotencyKey?: string;
}

/**
 * The Mollie API v2 over HTTP, as the connector uses it. Why not `@mollie/api-client` for the
 * calls: its transport fixes an HTTPS agent of its own (no plain-HTTP simulator, no SSRF-guarded
 * DNS), has no per-call timeout or abort signal, and retries 5xx answers itself (three tries, 2 s
 * apart), where the hub's pipeline owns retries. So calls go through the SDK's `sendJson` (the
 * connector's guarded kept-alive agents, the call's timeout and signal, 429/5xx/4xx classified
 * into DeliveryError codes, no retry but of a reset connection); the official client's wire
 * format is what the simulator is tested against (mollie-client.test.ts).
 */
export interface MollieApi {
  get<T>(path: string, query: Record<string, string | number | undefined>, call: MollieCall): Promise<T>;
  post<T>(path: string, body: unknown, call: MollieCall): Promise<T>;
  delete<T>(path: string, call: MollieCall): Promise<T>;
  /** One page of a list: its items under `_embedded[key]`, and the next page's URL when there is one. */
  page<T>(
    pathOrUrl: string,
    key: string,
    query: Record<string, string | number | undefined>,
    call: MollieCall,
  ): Promise<{ items: T[]; next?: string }>;
}

const KEY_FORMAT = /^(test|live)_[A-Za-z0-9]+$/;

/** One API per connector instance; the key is resolved (and its form checked) on each call, so a rotated key is picked up. */
export function mollieApi(o: MollieOptions, resolveSecret: (ref: SecretRef) => string | undefined): MollieApi {
  const root = new URL(o.apiEndpoint ?? MOLLIE_API);
  if (!root.pathname.endsWith('/')) root.pathname += '/';
  const agents = targetAgents(o.allowHosts);
  const key = (): string => {
    const ref = o.apiKey;
    const value = ref ? resolveSecret(ref) : undefined;
    const where = !ref ? 'no options.apiKey is configured' : 'env' in ref ? `env ${ref.env}` : `file ${ref.file}`;
    if (value === undefined)
      throw new DeliveryError('CONFIG_SECRET_MISSING', `the Mollie API key: ${!ref ? where : `${where} is not set`}`);
    // Never the value in a message: only what is wrong with it.
    if (!KEY_FORMAT.test(value.trim()))
      throw new DeliveryError('CONFIG_SECRET_MISSING', `the Mollie API key (${where}) must start with test_ or live_`);
    return value.trim();
  };
  const urlOf = (pathOrUrl: string, query: Record<string, string | number | undefined> = {}): string => {
    const url = /^https?:\/\//.test(pathOrUrl) ? new URL(pathOrUrl) : new URL(pathOrUrl.replace(/^\//, ''), root);
    // A `next` link must stay on the configured API: its host is what the SSRF check approved.
    if (url.origin !== root.origin) throw new DeliveryError('DELIVERY_REJECTED', `Mollie answered a link to another host (${url.origin})`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  };
  const request = async <T>(method: string, url: string, body: unknown, call: MollieCall): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${key()}`, accept: 'application/hal+json' };
    if (call.idempotencyKey && method !== 'GET') headers['idempotency-key'] = call.idempotencyKey;
    const r = await sendJson({
      method,
      url,
      headers,
      body: body === undefined ? '' : JSON.stringify(body),
      timeoutMs: call.timeoutMs,
      signal: call.signal,
      agents,
    });
    if (!r.body) return undefined as T;
    try {
      return JSON.parse(r.body) as T;
    } catch {
      throw new DeliveryError('DELIVERY_REJECTED', `${method} ${new URL(url).pathname} did not answer JSON`, { status: r.status });
    }
  };
  return {
    get: (path, query, call) => request('GET', urlOf(path, query), undefined, call),
    post: (path, body, call) => request('POST', urlOf(path), body, call),
    // An empty JSON object, as the official client sends: an empty body would go out as `""`.
    delete: (path, call) => request('DELETE', urlOf(path), {}, call),
    page: async <T>(pathOrUrl: string, key: string, query: Record<string, string | number | undefined>, call: MollieCall) => {
      const page = await request<MolliePage<T>>('GET', urlOf(pathOrUrl, query), undefined, call);
      const items = page?._embedded?.[key];
      if (!Array.isArray(items)) throw new DeliveryError('DELIVERY_REJECTED', `Mollie list ${pathOrUrl} has no _embedded.${key}`);
      const next = page._links?.next?.href;
      return next ? { items, next } : { items };
    },
  };
}

/** Mollie writes money as decimal strings; the connector checks a payload's amount before sending it. */
export function amountProblem(amount: unknown): string | undefined {
  const a = amount as { currency?: unknown; value?: unknown } | null | undefined;
  if (!a || typeof a !== 'object') return 'amount must be {currency, value}';
  if (typeof a.currency !== 'string' || !/^[A-Z]{3}$/.test(a.currency)) return 'amount.currency must be an ISO 4217 code in capitals (EUR)';
  if (typeof a.value !== 'string' || !/^\d+(\.\d{2,3})?$/.test(a.value)) return 'amount.value must be a decimal string such as "10.00"';
  return undefined;
}
