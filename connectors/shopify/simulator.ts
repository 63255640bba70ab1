import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { simulatorKit, type SimulatorLimiter, type SimulatorRateLimit } from '../../src/sdk';

/**
 * A Shopify Admin GraphQL simulator for the operations the hub uses, at
 * POST /admin/api/<version>/graphql.json with `X-Shopify-Access-Token`:
 * `inventoryMoveQuantities` (with `@idempotent(key:)`, `changeFromQuantity` compare-and-swap and
 * the ledgerDocumentUri rules), `tagsAdd`, `tagsRemove`, and the `inventoryItem { inventoryLevel
 * { quantities } }` query. Every answer carries `extensions.cost` with a leaky bucket that
 * throttles like Shopify (`THROTTLED`) when a request costs more than is available.
 */
export interface ShopifySimulatorOptions {
  accessToken?: string;
  maximumAvailable?: number;
  restoreRate?: number;
  now?: () => number;
  /** Requests per second before THROTTLED, on top of the cost bucket (none by default). */
  rateLimit?: SimulatorRateLimit;
}

export interface ShopifySimulator {
  url: string;
  /** Quantities by `${inventoryItemId}|${locationId}|${name}`. */
  quantities: Map<string, number>;
  tags: Map<string, Set<string>>;
  /** How many mutations were applied (an idempotent replay applies nothing). */
  applied: number;
  /** Drains the cost bucket, for throttling tests. */
  drain(): void;
  /** The request rate limit (and `failNext` for injected THROTTLED answers). */
  limiter: SimulatorLimiter;
  close(): Promise<void>;
}

const MUTATION_COST = 10;
const QUERY_COST = 4;

export async function startShopifySimulator(
  port = 0,
  options: ShopifySimulatorOptions = {},
  host = '127.0.0.1',
): Promise<ShopifySimulator> {
  const token = options.accessToken ?? 'shpat_simulator';
  const max = options.maximumAvailable ?? 1000;
  const rate = options.restoreRate ?? 100;
  const now = options.now ?? Date.now;
  const quantities = new Map<string, number>();
  const tags = new Map<string, Set<string>>();
  const idempotent = new Map<string, unknown>();
  let available = max;
  let last = now();
  const state = { applied: 0 };

  const refill = () => {
    const t = now();
    available = Math.min(max, available + ((t - last) / 1000) * rate);
    last = t;
  };
  const cost = (requested: number, actual: number) => ({
    requestedQueryCost: requested,
    actualQueryCost: actual,
    throttleStatus: { maximumAvailable: max, currentlyAvailable: Math.floor(available), restoreRate: rate },
  });

  const moveQuantities = (input: { reason?: string; referenceDocumentUri?: string; changes?: Array<Record<string, unknown>> }) => {
    const userErrors: Array<{ field: string[]; message: string; code: string }> = [];
    const changes = input.changes ?? [];
    if (!input.referenceDocumentUri)
      userErrors.push({ field: ['input', 'referenceDocumentUri'], message: 'is required', code: 'INVALID_REFERENCE_DOCUMENT' });
    changes.forEach((c, i) => {
      for (const side of ['from', 'to'] as const) {
        const t = c[side] as
          { name?: string; ledgerDocumentUri?: string | null; locationId?: string; changeFromQuantity?: number | null } | undefined;
        if (!t) continue;
        if (t.name === 'available' && t.ledgerDocumentUri)
          userErrors.push({
            field: ['input', 'changes', String(i), side, 'ledgerDocumentUri'],
            message: 'is not allowed for available',
            code: 'INVALID_QUANTITY_DOCUMENT',
          });
        if (t.name !== 'available' && !t.ledgerDocumentUri)
          userErrors.push({
            field: ['input', 'changes', String(i), side, 'ledgerDocumentUri'],
            message: 'is required',
            code: 'INVALID_QUANTITY_DOCUMENT',
          });
        const k = `${String(c.inventoryItemId)}|${t.locationId}|${t.name}`;
        if (t.changeFromQuantity !== null && t.changeFromQuantity !== undefined && t.changeFromQuantity !== (quantities.get(k) ?? 0)) {
          userErrors.push({
            field: ['input', 'changes', String(i), side, 'changeFromQuantity'],
            message: 'The quantity changed',
            code: 'CHANGE_FROM_QUANTITY_STALE',
          });
        }
      }
    });
    if (userErrors.length > 0) return { inventoryAdjustmentGroup: null, userErrors };
    for (const c of changes) {
      const q = Number(c.quantity);
      const from = c.from as { locationId: string; name: string };
      const to = c.to as { locationId: string; name: string };
      const fk = `${String(c.inventoryItemId)}|${from.locationId}|${from.name}`;
      const tk = `${String(c.inventoryItemId)}|${to.locationId}|${to.name}`;
      quantities.set(fk, (quantities.get(fk) ?? 0) - q);
      quantities.set(tk, (quantities.get(tk) ?? 0) + q);
    }
    state.applied++;
    return {
      inventoryAdjustmentGroup: {
        reason: input.reason,
        referenceDocumentUri: input.referenceDocumentUri,
        changes: changes.map((c) => ({ quantityAfterChange: null, delta: c.quantity })),
      },
      userErrors: [],
    };
  };

  const app = express();
  // Too many requests, Shopify's way: a 200 with a THROTTLED error and the bucket's state.
  const kit = simulatorKit(
    'shopify',
    options,
    (res) =>
      void res.json({
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: { cost: cost(QUERY_COST, 0) },
      }),
  );
  app.use(kit.handler);
  app.use(express.json({ limit: '1mb' }));
  app.post('/admin/api/:version/graphql.json', (req, res) => {
    if (req.header('x-shopify-access-token') !== token)
      return void res.status(401).json({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    const { query = '', variables = {} } = req.body as { query?: string; variables?: Record<string, unknown> };
    const isMutation = /^\s*mutation\b/.test(query);
    const requested = isMutation ? MUTATION_COST : QUERY_COST;
    refill();
    if (available < requested) {
      return void res.json({
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: { cost: cost(requested, 0) },
      });
    }
    available -= requested;
    const key = /@idempotent\(key:\s*\$(\w+)\)/.exec(query)?.[1];
    const idemKey = key ? String(variables[key]) : undefined;
    let data: unknown;
    if (query.includes('inventoryMoveQuantities')) {
      if (idemKey && idempotent.has(idemKey)) data = idempotent.get(idemKey);
      else {
        data = { inventoryMoveQuantities: moveQuantities(variables.input as never) };
        if (idemKey) idempotent.set(idemKey, data);
      }
    } else if (/\btags(Add|Remove)\b/.test(query)) {
      const id = String(variables.id);
      const set = tags.get(id) ?? new Set<string>();
      for (const t of (variables.tags as string[]) ?? []) {
        if (query.includes('tagsAdd')) set.add(t);
        else set.delete(t);
      }
      tags.set(id, set);
      state.applied++;
      data = { [query.includes('tagsAdd') ? 'tagsAdd' : 'tagsRemove']: { node: { id }, userErrors: [] } };
    } else if (query.includes('inventoryItem')) {
      const item = String(variables.inventoryItemId);
      const location = String(variables.locationId);
      const names = (variables.names as string[]) ?? ['available', 'reserved', 'on_hand'];
      data = {
        inventoryItem: {
          id: item,
          inventoryLevel: { quantities: names.map((name) => ({ name, quantity: quantities.get(`${item}|${location}|${name}`) ?? 0 })) },
        },
      };
    } else {
      return void res.json({
        errors: [{ message: 'The simulator does not know this operation', extensions: { code: 'UNKNOWN_OPERATION' } }],
        extensions: { cost: cost(requested, requested) },
      });
    }
    res.json({ data, extensions: { cost: cost(requested, requested) } });
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s))); // Express 5 passes a listen error (EADDRINUSE) here
  });
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    quantities,
    tags,
    get applied() {
      return state.applied;
    },
    limiter: kit.limiter,
    drain: () => {
      refill();
      available = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
