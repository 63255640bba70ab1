import '@shopify/shopify-api/adapters/node';
import { ApiVersion, LogSeverity, shopifyApi, type GraphQLClientResponse } from '@shopify/shopify-api';
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

/**
 * The shop's cost bucket as this process sees it: points available now (refilled at
 * restoreRate, capped at maximumAvailable, like Shopify's), minus what calls already sent have
 * taken. Unknown (`known` false) until the first answer tells its size: meanwhile one call at a
 * time goes out.
 */
interface Bucket {
  available: number;
  maximum: number;
  restoreRate: number;
  at: number;
  known: boolean;
}

/**
 * Admin GraphQL through @shopify/shopify-api, with Shopify's cost-based throttle honoured: calls
 * queue (first in, first out) for their expected cost in a local leaky bucket resynced from
 * every answer's `extensions.cost.throttleStatus`, so a burst of calls drains at the shop's
 * restore rate instead of being THROTTLED. A queue longer than the call's timeout, or a
 * `THROTTLED` answer (another app spent the points), becomes DELIVERY_RATE_LIMITED with the wait
 * the bucket needs: the pipeline paces it, it is no failure. The bucket is per shop.
 */
export class ShopifyAdmin {
  readonly #client;
  readonly #bucket: Bucket = { available: 0, maximum: Number.POSITIVE_INFINITY, restoreRate: 50, at: Date.now(), known: false };
  /** Calls waiting for points, in order, and the timer that lets the head through. */
  readonly #queue: Array<{ cost: number; go: () => void }> = [];
  #timer: NodeJS.Timeout | undefined;
  /** Until the bucket is known: the first call in flight (the others wait for its answer). */
  #probe: Promise<unknown> | undefined;

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
    while (!this.#bucket.known) {
      if (this.#probe) {
        await this.#probe.catch(() => undefined);
        continue;
      }
      const probe = this.#send<T>(query, variables, expectedCost);
      this.#probe = probe;
      try {
        return await probe;
      } finally {
        this.#probe = undefined;
      }
    }
    await this.#take(expectedCost, timeoutMs);
    return this.#send<T>(query, variables, expectedCost);
  }

  /** Waits in line until the bucket covers `cost`, then takes it; refuses a wait longer than `timeoutMs`. */
  async #take(cost: number, timeoutMs: number): Promise<void> {
    this.#refill();
    const ahead = this.#queue.reduce((sum, w) => sum + w.cost, 0);
    const waitMs = Math.ceil(((ahead + cost - this.#bucket.available) / this.#bucket.restoreRate) * 1000);
    if (waitMs > timeoutMs)
      throw new DeliveryError('DELIVERY_RATE_LIMITED', `Shopify cost bucket needs ${waitMs} ms to cover ${cost} points`, {
        retryAfterMs: waitMs,
      });
    await new Promise<void>((go) => {
      this.#queue.push({ cost, go });
      this.#pump();
    });
  }

  /** Lets queued calls through while the bucket covers the head of the line; else sleeps until it will. */
  #pump(): void {
    if (this.#timer) return;
    this.#refill();
    const b = this.#bucket;
    while (this.#queue.length > 0 && b.available >= this.#queue[0]!.cost) {
      const w = this.#queue.shift()!;
      b.available -= w.cost;
      w.go();
    }
    if (this.#queue.length === 0) return;
    const waitMs = Math.ceil(((this.#queue[0]!.cost - b.available) / b.restoreRate) * 1000);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, waitMs);
  }

  #refill(): void {
    const b = this.#bucket;
    const now = Date.now();
    b.available = Math.min(b.maximum, b.available + ((now - b.at) / 1000) * b.restoreRate);
    b.at = now;
  }

  async #send<T>(query: string, variables: Record<string, unknown>, expectedCost: number): Promise<T> {
    const b = this.#bucket;
    // The SDK's published answer type: data, errors (GraphQL or HTTP) and extensions.cost.throttleStatus.
    let res: GraphQLClientResponse<T>;
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
    if (status?.currentlyAvailable !== undefined && status.restoreRate !== undefined) {
      // The shop's figure counts what other apps spent; ours counts calls still in flight: keep the lower.
      this.#refill();
      b.available = b.known ? Math.min(b.available, status.currentlyAvailable) : status.currentlyAvailable;
      b.restoreRate = status.restoreRate;
      if (status.maximumAvailable) b.maximum = status.maximumAvailable;
      b.known = true;
    }
    const codes = (res.errors?.graphQLErrors ?? []).map((g) => g.extensions?.code);
    if (codes.includes('THROTTLED')) {
      const needed = res.extensions?.cost?.requestedQueryCost ?? expectedCost;
      throw new DeliveryError('DELIVERY_RATE_LIMITED', 'Shopify answered THROTTLED', {
        retryAfterMs: Math.max(1, Math.ceil(((needed - b.available) / b.restoreRate) * 1000)),
      });
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
  if (status === undefined && !(e as { graphQLErrors?: unknown }).graphQLErrors)
    return new DeliveryError('DELIVERY_NETWORK', message, { cause: e });
  return new DeliveryError('DELIVERY_REJECTED', message, { status });
}
