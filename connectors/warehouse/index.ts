import {
  AUTH_SCHEMA,
  authHeaders,
  defineConnector,
  DeliveryError,
  fillPath,
  getJson,
  outboundUrlCheck,
  PullPacer,
  sendJson,
  targetAgents,
  type HttpAuth,
  type Pull,
} from '../../src/sdk';

interface WarehouseOptions {
  baseUrl: string;
  allowHosts?: string[];
  auth?: HttpAuth;
  timeoutMs?: number;
  paths?: { reservation?: string; reservations?: string; stock?: string };
}

const DEFAULT_PATHS = { reservation: '/reservations/{{reference}}', reservations: '/reservations', stock: '/stock' };

/**
 * A REST warehouse (WMS). `reserve` PUTs the desired state of one reservation (the payload of
 * hub.subscription-demand.to.warehouse-reservation: reference, warehouse, status, lines) at a
 * path templated from the payload, idempotent by reference and Idempotency-Key; a delivery that
 * already left answers 409 `already_shipped` (DELIVERY_ALREADY_SHIPPED), and the reservations
 * pull reports it with status `shipped`; pulls stream reservations and stock levels with cursor
 * pagination, paced (config `pull`) and resuming at the cursor after a 429. Base URL, auth and paths are options,
 * so the connector adapts to a real WMS; the simulator beside it speaks the default paths.
 */
export const warehouseConnector = defineConnector({
  type: 'warehouse',
  kind: 'warehouse',
  description: 'REST warehouse: stock levels and reservations for subscription shipments.',
  optionsSchema: {
    type: 'object',
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://' },
      allowHosts: { type: 'array', items: { type: 'string', minLength: 1 } },
      auth: AUTH_SCHEMA,
      timeoutMs: { type: 'integer', minimum: 1, maximum: 300_000 },
      paths: {
        type: 'object',
        properties: {
          reservation: { type: 'string', pattern: '^/' },
          reservations: { type: 'string', pattern: '^/' },
          stock: { type: 'string', pattern: '^/' },
        },
        additionalProperties: false,
      },
    },
    required: ['baseUrl'],
    additionalProperties: false,
  },
  checkOptions(raw) {
    const o = raw as unknown as WarehouseOptions;
    return outboundUrlCheck(o.baseUrl, o.allowHosts, '/baseUrl', 'your WMS');
  },
  createActions(raw, deps) {
    const o = raw as unknown as WarehouseOptions;
    const agents = targetAgents(o.allowHosts);
    const path = o.paths?.reservation ?? DEFAULT_PATHS.reservation;
    return {
      reserve: async (payload, ctx) => {
        const body = JSON.stringify(payload);
        const headers = {
          'idempotency-key': ctx.idempotencyKey,
          ...authHeaders(o.auth, body, ctx.idempotencyKey, Math.floor(Date.now() / 1000), deps.resolveSecret),
        };
        try {
          return await sendJson({
            method: 'PUT',
            url: join(o.baseUrl, fillPath(path, payload)),
            headers,
            body,
            timeoutMs: ctx.timeoutMs,
            signal: ctx.signal,
            agents,
          });
        } catch (e) {
          // A strict WMS refuses a reservation it cannot fill: the hub's stock-out policy decides what follows.
          if (e instanceof DeliveryError && e.status === 409 && e.message.includes('insufficient_stock'))
            throw new DeliveryError('DELIVERY_STOCK_OUT', e.message, { status: 409, cause: e });
          // The delivery already left the warehouse: nothing to change there; the hub records it (no retry, no dead letter).
          if (e instanceof DeliveryError && e.status === 409 && e.message.includes('already_shipped'))
            throw new DeliveryError('DELIVERY_ALREADY_SHIPPED', e.message, { status: 409, cause: e });
          throw e;
        }
      },
    };
  },
  createPulls(raw, deps) {
    const o = raw as unknown as WarehouseOptions;
    const agents = targetAgents(o.allowHosts);
    const pacer = new PullPacer(deps.pull);
    const pages = (path: string): Pull =>
      async function* (params = {}) {
        let cursor: string | null = null;
        do {
          const q = new URLSearchParams({ ...params, limit: '100', ...(cursor ? { cursor } : {}) });
          const headers = authHeaders(o.auth, '', 'pull', Math.floor(Date.now() / 1000), deps.resolveSecret);
          const page: { data: unknown[]; nextCursor: string | null } = await pacer.page(() =>
            getJson({ url: `${join(o.baseUrl, path)}?${q}`, headers, timeoutMs: o.timeoutMs ?? 10_000, agents }),
          );
          yield* page.data;
          cursor = page.nextCursor;
        } while (cursor);
      };
    return {
      reservations: pages(o.paths?.reservations ?? DEFAULT_PATHS.reservations),
      stockLevels: pages(o.paths?.stock ?? DEFAULT_PATHS.stock),
    };
  },
});

function join(base: string, path: string): string {
  return new URL(path.replace(/^\//, ''), base.endsWith('/') ? base : `${base}/`).toString();
}
