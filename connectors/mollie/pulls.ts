import { PullPacer, type Pull } from '../../src/sdk';
import type { MollieApi } from './api';
import type { MollieMandate, MollieSubscription } from './types';

/** Mollie's largest page. */
const PAGE = 250;
/** A page read gets this long (pulls have no delivery context). */
const PULL_TIMEOUT_MS = 30_000;

/**
 * Reconciliation reads, page by page (cursor `from`, `limit` 250, following `_links.next`) at the
 * pacer's rate; a refused page (429, 5xx, timeout) is asked again from the same cursor. Memory
 * holds one page (and, for mandates, one page of customers) at a time.
 */
export function molliePulls(api: MollieApi, pacer: PullPacer): Record<string, Pull> {
  const call = { timeoutMs: PULL_TIMEOUT_MS };
  async function* pages<T>(path: string, key: string): AsyncGenerator<T> {
    let url: string | undefined = path;
    let query: Record<string, number | undefined> = { limit: PAGE };
    while (url) {
      const at: string = url;
      const page: { items: T[]; next?: string } = await pacer.page(() => api.page<T>(at, key, query, call));
      yield* page.items;
      url = page.next;
      query = {}; // the next link carries its own from/limit
    }
  }
  return {
    /** Every customer's subscriptions (`GET /v2/subscriptions`), every status. */
    subscriptions: () => pages<MollieSubscription>('subscriptions', 'subscriptions'),
    /**
     * Mandates, customer by customer (`customerId` narrows to one): each mandate with the
     * `customerId` it belongs to added (Mollie names it only in `_links.customer`).
     */
    mandates: async function* (params) {
      const one = params?.customerId;
      const customers = one ? oneCustomer(one) : pages<{ id: string }>('customers', 'customers');
      for await (const c of customers)
        for await (const m of pages<MollieMandate>(`customers/${encodeURIComponent(c.id)}/mandates`, 'mandates'))
          yield { ...m, customerId: c.id };
    },
  };
}

async function* oneCustomer(id: string): AsyncGenerator<{ id: string }> {
  yield { id };
}
