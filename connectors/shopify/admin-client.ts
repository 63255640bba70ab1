import '@shopify/shopify-api/adapters/node';
import { ApiVersion, LogSeverity, shopifyApi } from '@shopify/shopify-api';
import { abstractFetch, setAbstractFetchFunc } from '@shopify/shopify-api/runtime';
import { DeliveryError } from '../../src/sdk';

/**
 * Shopify shops reached at another address than https://<shop> (local simulators). The Shopify
 * library always builds https://<shop>/admin/api/...; this one process-wide fetch wrapper sends
 * requests for the listed shops to their endpoint and leaves every other request alone.
 */
const endpoints = new Map<string, string>();
let wrapped = false;
function redirect(shop: string, endpoint: string): void {
  endpoints.set(shop.toLowerCase(), endpoint.replace(/\/$/, ''));
  if (wrapped) return;
  wrapped = true;
  const original = abstractFetch;
  setAbstractFetchFunc(((input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input.toString() : input.url);
    const target = endpoints.get(url.host.toLowerCase());
    return original(target ? `${target}${url.pathname}${url.search}` : input, init);
  }) as typeof abstractFetch);
}

interface Bucket {
  available: number;
  restoreRate: number;
  at: number;
}

/**
 * Admin GraphQL through @shopify/shopify-api, with Shopify's cost-based throttle honoured: a
 * local leaky bucket (resynced from every answer's `extensions.cost.throttleStatus`) makes a
 * call wait until its expected cost is available; a `THROTTLED` answer becomes
 * DELIVERY_RATE_LIMITED with the wait it needs. The bucket is per shop.
 */
export class ShopifyAdmin {
  readonly #client;
  readonly #bucket: Bucket = { available: Number.POSITIVE_INFINITY, restoreRate: 50, at: Date.now() };

  constructor(shop: string, accessToken: string, endpoint?: string) {
    if (endpoint) redirect(shop, endpoint);
    const api = shopifyApi({
      apiSecretKey: 'unused-for-custom-apps',
      apiVersion: ApiVersion.October26,
      isCustomStoreApp: true,
      adminApiAccessToken: accessToken,
      isEmbeddedApp: false,
      hostName: 'subhub.local',
      logger: { level: LogSeverity.Error, log: async () => undefined },
    });
    this.#client = new api.clients.Graphql({ session: api.session.customAppSession(shop) });
  }

  async request<T>(query: string, variables: Record<string, unknown>, expectedCost: number, timeoutMs: number): Promise<T> {
    const b = this.#bucket;
    const refilled = Math.min(Number.MAX_SAFE_INTEGER, b.available + ((Date.now() - b.at) / 1000) * b.restoreRate);
    if (refilled < expectedCost) {
      const waitMs = Math.ceil(((expectedCost - refilled) / b.restoreRate) * 1000);
      if (waitMs > timeoutMs) throw new DeliveryError('DELIVERY_RATE_LIMITED', `Shopify cost bucket needs ${waitMs} ms to cover ${expectedCost} points`, { retryAfterMs: waitMs });
      await new Promise((r) => setTimeout(r, waitMs));
    }
    let res: { data?: T; errors?: { message?: string; graphQLErrors?: Array<{ message?: string; extensions?: { code?: string } }>; networkStatusCode?: number }; extensions?: { cost?: { requestedQueryCost: number; throttleStatus: { currentlyAvailable: number; restoreRate: number } } } };
    try {
      res = (await this.#client.request(query, { variables, retries: 0 })) as typeof res;
    } catch (e) {
      // The library throws GraphQL errors (GraphqlQueryError, with the answer in `body`) and HTTP
      // errors (HttpResponseError, with the status in `response.code`).
      const body = (e as { body?: typeof res }).body;
      if (!body) throw classify(e);
      res = body;
    }
    const status = res.extensions?.cost?.throttleStatus;
    if (status) Object.assign(b, { available: status.currentlyAvailable, restoreRate: status.restoreRate, at: Date.now() });
    const codes = (res.errors?.graphQLErrors ?? []).map((g) => g.extensions?.code);
    if (codes.includes('THROTTLED')) {
      const needed = res.extensions?.cost?.requestedQueryCost ?? expectedCost;
      throw new DeliveryError('DELIVERY_RATE_LIMITED', 'Shopify answered THROTTLED', { retryAfterMs: Math.ceil(((needed - b.available) / b.restoreRate) * 1000) });
    }
    if (res.errors) throw classify(res.errors);
    return res.data as T;
  }
}

function classify(e: unknown): DeliveryError {
  const err = e as { message?: string; networkStatusCode?: number; response?: { status?: number; code?: number } };
  const status = err.networkStatusCode ?? err.response?.code ?? err.response?.status;
  const message = `Shopify: ${err.message ?? String(e)}`;
  if (status === 429) return new DeliveryError('DELIVERY_RATE_LIMITED', message, { status });
  if (status !== undefined && status >= 500) return new DeliveryError('DELIVERY_SERVER_ERROR', message, { status });
  if (status !== undefined && status >= 400) return new DeliveryError('DELIVERY_REJECTED', message, { status });
  if (status === undefined && !(e as { graphQLErrors?: unknown }).graphQLErrors) return new DeliveryError('DELIVERY_NETWORK', message, { cause: e });
  return new DeliveryError('DELIVERY_REJECTED', message, { status });
}
