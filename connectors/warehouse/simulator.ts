import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { restTooMany, simulatorKit, type SimulatorLimiter, type SimulatorRateLimit } from '../../src/sdk';

/**
 * A REST warehouse (WMS) simulator: reservations per reference (desired state, idempotent by
 * reference and by Idempotency-Key), stock levels per SKU and warehouse, cursor pagination and
 * JSON error bodies `{"error": {"code", "message"}}`. The warehouse connector's contract tests
 * and demos run against it; `npx subhub simulate warehouse --port N` starts it alone.
 */
export interface WarehouseSimulatorOptions {
  /** Bearer token required on every request (none: open). */
  token?: string;
  /** Refuse reservations beyond available stock with 409 insufficient_stock. */
  strictStock?: boolean;
  /** Requests per second before 429 with Retry-After (none by default). */
  rateLimit?: SimulatorRateLimit;
  /**
   * The warehouse's clock: with it, a reservation still reserved ships once its `deliveryDate`
   * is past (at the end of that day): status `shipped`, `shippedAt`, its units leave the stock on
   * hand, and a PUT to it answers 409 `already_shipped`. Without it nothing ships by itself.
   */
  now?: () => number;
}

interface Line {
  sku: string;
  quantity: number;
  description?: string;
}

interface Reservation {
  reference: string;
  warehouse: string;
  status: 'reserved' | 'released' | 'shipped';
  lines: Line[];
  version: number;
  updatedAt: string;
  [extra: string]: unknown;
}

export interface WarehouseSimulator {
  url: string;
  reservations: Map<string, Reservation>;
  stock: Map<string, number>;
  /** Requests seen, for tests: method, path, idempotency key. */
  requests: Array<{ method: string; path: string; idempotencyKey?: string }>;
  setStock(warehouse: string, sku: string, onHand: number): void;
  /** The rate limit (and `failNext` for injected 429s). */
  limiter: SimulatorLimiter;
  /** Ships every reserved delivery due before the simulator's today (runs before each request when `now` is set). */
  shipDue(): void;
  close(): Promise<void>;
}

const key = (warehouse: string, sku: string) => `${warehouse}\u0000${sku}`;
const fail = (res: Response, status: number, code: string, message: string) => void res.status(status).json({ error: { code, message } });

/** Ships the reserved deliveries whose date is before today by `now`: their units leave the stock. */
export function shipDue(state: Pick<WarehouseSimulator, 'reservations' | 'stock'>, now: number): void {
  const today = new Date(now).toISOString().slice(0, 10);
  for (const r of state.reservations.values()) {
    if (r.status !== 'reserved' || typeof r.deliveryDate !== 'string' || r.deliveryDate.slice(0, 10) >= today) continue;
    for (const l of r.lines) state.stock.set(key(r.warehouse, l.sku), (state.stock.get(key(r.warehouse, l.sku)) ?? 0) - l.quantity);
    Object.assign(r, { status: 'shipped', shippedAt: new Date(now).toISOString(), version: r.version + 1 });
  }
}

export function createWarehouseApp(
  state: Pick<WarehouseSimulator, 'reservations' | 'stock' | 'requests'>,
  options: WarehouseSimulatorOptions = {},
) {
  const app = express();
  const replies = new Map<string, { status: number; body: unknown }>();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  app.use((req, res, next) => {
    state.requests.push({ method: req.method, path: req.path, idempotencyKey: req.header('idempotency-key') });
    if (options.token && req.header('authorization') !== `Bearer ${options.token}`)
      return fail(res, 401, 'unauthorized', 'a valid bearer token is required');
    if (options.now) shipDue(state, options.now());
    next();
  });

  const reserved = (warehouse: string, sku: string, except?: string) =>
    [...state.reservations.values()]
      .filter((r) => r.status === 'reserved' && r.warehouse === warehouse && r.reference !== except)
      .reduce((n, r) => n + r.lines.filter((l) => l.sku === sku).reduce((m, l) => m + l.quantity, 0), 0);

  app.put('/reservations/:reference', (req, res) => {
    const idem = req.header('idempotency-key');
    const earlier = idem ? replies.get(idem) : undefined;
    if (earlier) return void res.status(earlier.status).set('idempotent-replayed', 'true').json(earlier.body);
    const b = req.body as Partial<Reservation>;
    const problems: string[] = [];
    if (typeof b.warehouse !== 'string' || !b.warehouse) problems.push('warehouse is required');
    if (b.status !== 'reserved' && b.status !== 'released') problems.push('status is reserved or released');
    if (!Array.isArray(b.lines)) problems.push('lines is an array');
    else
      b.lines.forEach((l, i) => {
        if (typeof l?.sku !== 'string' || !l.sku) problems.push(`lines[${i}].sku is required`);
        if (!Number.isInteger(l?.quantity) || l.quantity <= 0) problems.push(`lines[${i}].quantity is a positive integer`);
      });
    if (problems.length > 0) return fail(res, 400, 'invalid_request', problems.join('; '));
    const reference = String(req.params.reference);
    const shipped = state.reservations.get(reference);
    // A delivery that left cannot be reserved or released any more: the caller learns it did.
    if (shipped?.status === 'shipped') return fail(res, 409, 'already_shipped', `${reference} shipped at ${String(shipped.shippedAt)}`);
    if (options.strictStock && b.status === 'reserved') {
      for (const l of b.lines!) {
        const available = (state.stock.get(key(b.warehouse!, l.sku)) ?? 0) - reserved(b.warehouse!, l.sku, reference);
        if (l.quantity > available)
          return fail(res, 409, 'insufficient_stock', `${l.sku}: ${available} available, ${l.quantity} requested`);
      }
    }
    const prev = state.reservations.get(reference);
    const r: Reservation = { ...(b as Reservation), reference, version: (prev?.version ?? 0) + 1, updatedAt: new Date().toISOString() };
    state.reservations.set(reference, r);
    const status = prev ? 200 : 201;
    if (idem) replies.set(idem, { status, body: r });
    res.status(status).json(r);
  });

  app.get('/reservations/:reference', (req, res) => {
    const r = state.reservations.get(String(req.params.reference));
    if (!r) return fail(res, 404, 'not_found', 'no such reservation');
    res.json(r);
  });

  app.get('/reservations', (req, res) => {
    const all = [...state.reservations.values()].sort((a, b) => (a.reference < b.reference ? -1 : 1));
    page(
      req,
      res,
      all.map((r) => [r.reference, r] as const),
    );
  });

  app.get('/stock', (req, res) => {
    const warehouse = typeof req.query.warehouse === 'string' ? req.query.warehouse : undefined;
    const rows = [...state.stock.entries()]
      .map(([k, onHand]) => {
        const [w, sku] = k.split('\u0000') as [string, string];
        const r = reserved(w, sku);
        return { warehouse: w, sku, onHand, reserved: r, available: onHand - r };
      })
      .filter((r) => !warehouse || r.warehouse === warehouse)
      .sort((a, b) => (`${a.warehouse}/${a.sku}` < `${b.warehouse}/${b.sku}` ? -1 : 1));
    page(
      req,
      res,
      rows.map((r) => [`${r.warehouse}/${r.sku}`, r] as const),
    );
  });

  app.put('/stock/:warehouse/:sku', (req, res) => {
    const onHand = (req.body as { onHand?: unknown }).onHand;
    if (!Number.isInteger(onHand)) return fail(res, 400, 'invalid_request', 'onHand is an integer');
    state.stock.set(key(String(req.params.warehouse), String(req.params.sku)), onHand as number);
    res.json({ warehouse: req.params.warehouse, sku: req.params.sku, onHand });
  });

  app.use((_req, res) => fail(res, 404, 'not_found', 'no such route'));
  app.use((err: { status?: number; message?: string }, _req: Request, res: Response, _next: NextFunction) =>
    fail(res, err.status && err.status < 500 ? err.status : 500, 'invalid_request', err.message ?? 'error'),
  );
  return app;
}

/** Cursor pagination: `?limit=` (1–100, default 50) and `?cursor=` (the last key of the previous page). */
function page<T>(req: Request, res: Response, rows: ReadonlyArray<readonly [string, T]>): void {
  const limit = Math.min(100, Math.max(1, Number(req.query.limit ?? 50) || 50));
  const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
  const start = cursor === undefined ? 0 : rows.findIndex(([k]) => k > cursor);
  const slice = start < 0 ? [] : rows.slice(start, start + limit);
  const more = start >= 0 && start + limit < rows.length;
  res.json({ data: slice.map(([, r]) => r), nextCursor: more ? slice.at(-1)![0] : null });
}

export async function startWarehouseSimulator(
  port = 0,
  options: WarehouseSimulatorOptions = {},
  host = '127.0.0.1',
): Promise<WarehouseSimulator> {
  const state = {
    reservations: new Map<string, Reservation>(),
    stock: new Map<string, number>(),
    requests: [] as WarehouseSimulator['requests'],
  };
  const kit = simulatorKit('warehouse', options, restTooMany);
  const server: Server = await new Promise((resolve, reject) => {
    const s = express()
      .use(kit.handler, createWarehouseApp(state, options))
      .listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s))); // Express 5 passes a listen error (EADDRINUSE) here
  });
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    ...state,
    limiter: kit.limiter,
    setStock: (warehouse, sku, onHand) => void state.stock.set(key(warehouse, sku), onHand),
    shipDue: () => shipDue(state, options.now?.() ?? Date.now()),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
