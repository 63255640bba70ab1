import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { restTooMany, simulatorKit, type SimulatorLimiter, type SimulatorRateLimit } from '../../src/sdk';

/**
 * An Odoo external-API simulator speaking both APIs: the External JSON-2 API of Odoo 19+
 * (`POST /json/2/<model>/<method>`, named parameters, `Authorization: bearer <key>`, optional
 * `X-Odoo-Database`; errors as 4xx/5xx `{name, message, arguments, context, debug}`) and the classic JSON-RPC envelope at POST /jsonrpc:
 * `common.version`, `common.authenticate`, `object.execute_kw` with search, search_read,
 * search_count, read, create (x2many `[0, 0, vals]` commands), write, unlink, fields_get, action_confirm and
 * button_confirm (a purchase order then has receipt_status `pending`), on in-memory res.partner, product.product, sale.order(.line),
 * purchase.order(.line) and stock.quant. Errors use Odoo's shape: `{"error": {"code": 200,
 * "message": "Odoo Server Error", "data": {"name": "odoo.exceptions.…", "message": …}}}`.
 */
export interface OdooSimulatorOptions {
  db?: string;
  login?: string;
  apiKey?: string;
  /** Requests per second before 429 with Retry-After (none by default). */
  rateLimit?: SimulatorRateLimit;
  /** The server serie `common.version` reports (default "19.0"). */
  version?: string;
}

type Row = Record<string, unknown> & { id: number };
type Domain = Array<[string, string, unknown] | '&' | '|'>;

export interface OdooSimulator {
  url: string;
  models: Map<string, Map<number, Row>>;
  /** Model calls seen, with the API that carried them. */
  calls: Array<{ model: string; method: string; api: 'jsonrpc' | 'json2' }>;
  /** Makes the next n calls fail like a database serialization conflict (a retryable server error). */
  failNext(n: number): void;
  /** The rate limit (and `failNext` for injected 429s). */
  limiter: SimulatorLimiter;
  close(): Promise<void>;
}

class OdooError extends Error {
  constructor(
    readonly odooName: string,
    message: string,
  ) {
    super(message);
  }
}

const MODELS = ['res.partner', 'product.product', 'sale.order', 'sale.order.line', 'purchase.order', 'purchase.order.line', 'stock.quant'];

export async function startOdooSimulator(port = 0, options: OdooSimulatorOptions = {}, host = '127.0.0.1'): Promise<OdooSimulator> {
  const db = options.db ?? 'subscriptions';
  const login = options.login ?? 'hub-bot';
  const apiKey = options.apiKey ?? 'odoo-api-key';
  const UID = 2;
  const serie = options.version ?? '19.0';
  const models = new Map(MODELS.map((m) => [m, new Map<number, Row>()]));
  const calls: OdooSimulator['calls'] = [];
  let nextId = 1000;
  let failures = 0;
  const table = (model: string) => {
    const t = models.get(model);
    if (!t) throw new OdooError('builtins.KeyError', `Object ${model} doesn't exist`);
    return t;
  };
  const matches = (row: Row, domain: Domain): boolean =>
    domain.every((term) => {
      if (typeof term === 'string') return true; // explicit '&' (the default); '|' is not simulated
      const [field, op, value] = term;
      const v = row[field];
      if (op === '=') return v === value;
      if (op === '!=') return v !== value;
      if (op === 'in') return Array.isArray(value) && value.includes(v);
      if (op === 'not in') return Array.isArray(value) && !value.includes(v);
      // =like: SQL LIKE on the whole value (% any run, _ one character), case-sensitive.
      if (op === '=like')
        return (
          typeof v === 'string' &&
          typeof value === 'string' &&
          new RegExp(
            `^${value
              .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
              .replace(/%/g, '.*')
              .replace(/_/g, '.')}$`,
            's',
          ).test(v)
        );
      throw new OdooError('builtins.ValueError', `Invalid domain operator ${op}`);
    });
  const search = (model: string, domain: Domain, kw: Record<string, unknown>) => {
    const rows = [...table(model).values()].filter((r) => matches(r, domain)).sort((a, b) => a.id - b.id);
    const offset = Number(kw.offset ?? 0);
    const limit = kw.limit === undefined || kw.limit === false ? rows.length : Number(kw.limit);
    return rows.slice(offset, offset + limit);
  };
  const pick = (row: Row, fields?: unknown) =>
    Array.isArray(fields) && fields.length > 0
      ? Object.fromEntries([['id', row.id], ...fields.map((f) => [f, row[f] ?? false])])
      : { ...row };
  const create = (model: string, vals: Record<string, unknown>): number => {
    const id = nextId++;
    const row: Row = { ...vals, id };
    if (model === 'sale.order' || model === 'purchase.order') {
      const partner = vals.partner_id;
      if (typeof partner !== 'number' || !table('res.partner').has(partner))
        throw new OdooError('odoo.exceptions.ValidationError', `The partner ${String(partner)} does not exist.`);
      row.state = 'draft';
      row.name = `${model === 'sale.order' ? 'S' : 'P'}${String(id).padStart(5, '0')}`;
      const lineModel = `${model}.line`;
      const lines = Array.isArray(vals.order_line) ? (vals.order_line as unknown[]) : [];
      row.order_line = lines.map((cmd) => {
        if (!Array.isArray(cmd) || cmd[0] !== 0)
          throw new OdooError('odoo.exceptions.ValidationError', 'Only [0, 0, values] line commands are simulated');
        const lv = cmd[2] as Record<string, unknown>;
        if (typeof lv.product_id !== 'number' || !table('product.product').has(lv.product_id))
          throw new OdooError('odoo.exceptions.ValidationError', `The product ${String(lv.product_id)} does not exist.`);
        return create(lineModel, { ...lv, order_id: id });
      });
    }
    table(model).set(id, row);
    return id;
  };
  /** JSON-RPC's execute_kw (positional arguments, then keyword arguments) as the named parameters of JSON-2. */
  const named = (method: string, args: unknown[], kw: Record<string, unknown>): Record<string, unknown> => {
    const first: Record<string, string> = {
      search: 'domain',
      search_count: 'domain',
      search_read: 'domain',
      create: 'vals_list',
      fields_get: 'allfields',
    };
    if (first[method])
      return {
        ...(args.length > 0 ? { [first[method]]: args[0] } : {}),
        ...(args.length > 1 && method === 'search_read' ? { fields: args[1] } : {}),
        ...kw,
      };
    return { ids: args[0], ...(args.length > 1 ? { [method === 'read' ? 'fields' : 'vals']: args[1] } : {}), ...kw };
  };
  const execute = (model: string, method: string, p: Record<string, unknown>, api: 'jsonrpc' | 'json2'): unknown => {
    calls.push({ model, method, api });
    switch (method) {
      case 'search':
        return search(model, (p.domain ?? []) as Domain, p).map((r) => r.id);
      case 'search_count':
        return search(model, (p.domain ?? []) as Domain, {}).length;
      case 'search_read':
        return search(model, (p.domain ?? []) as Domain, p).map((r) => pick(r, p.fields));
      case 'read':
        return (p.ids as number[])
          .map((id) => table(model).get(id))
          .filter(Boolean)
          .map((r) => pick(r!, p.fields));
      case 'create': {
        const vals = p.vals_list;
        return Array.isArray(vals)
          ? vals.map((v) => create(model, v as Record<string, unknown>))
          : create(model, vals as Record<string, unknown>);
      }
      case 'fields_get': {
        // Only what the hub asks: whether purchase.order tracks receipts (Odoo 16+ with purchase_stock).
        const known: Record<string, Record<string, unknown>> = model === 'purchase.order'
          ? {
              receipt_status: { type: 'selection', string: 'Receipt Status' },
              date_planned: { type: 'datetime', string: 'Expected Arrival' },
            }
          : {};
        const wanted = Array.isArray(p.allfields) ? (p.allfields as string[]) : Object.keys(known);
        return Object.fromEntries(wanted.filter((f) => known[f]).map((f) => [f, known[f]]));
      }
      case 'unlink': {
        // Odoo deletes draft or cancelled purchase orders only.
        for (const id of (p.ids ?? []) as number[]) {
          const r = table(model).get(id);
          if (model === 'purchase.order' && r && r.state !== 'draft' && r.state !== 'cancel')
            throw new OdooError('odoo.exceptions.UserError', 'In order to delete a purchase order, you must cancel it first.');
          table(model).delete(id);
        }
        return true;
      }
      case 'write': {
        const ids = (p.ids ?? []) as number[];
        const missing = ids.filter((id) => !table(model).has(id));
        if (missing.length > 0)
          throw new OdooError(
            'odoo.exceptions.MissingError',
            `Record does not exist or has been deleted.\n(Record: ${model}(${missing.join(', ')}), User: 2)`,
          );
        for (const id of ids) Object.assign(table(model).get(id)!, p.vals);
        return true;
      }
      case 'action_confirm':
      case 'button_confirm':
        for (const id of (p.ids ?? []) as number[]) {
          const r = table(model).get(id);
          if (!r) throw new OdooError('odoo.exceptions.MissingError', `Record ${model}(${id}) does not exist`);
          r.state = method === 'action_confirm' ? 'sale' : 'purchase';
          // A confirmed purchase order waits for its receipt.
          if (method === 'button_confirm') r.receipt_status = 'pending';
        }
        return true;
      default:
        throw new OdooError('builtins.AttributeError', `The method '${method}' does not exist on the model '${model}'`);
    }
  };

  const app = express();
  const kit = simulatorKit('odoo', options, restTooMany);
  app.use(kit.handler);
  app.use(express.json({ limit: '5mb' }));
  app.post('/jsonrpc', (req, res) => {
    const { id = null, params } = (req.body ?? {}) as { id?: unknown; params?: { service?: string; method?: string; args?: unknown[] } };
    const reply = (result: unknown) => res.json({ jsonrpc: '2.0', id, result });
    try {
      if (failures > 0) {
        failures--;
        throw new OdooError('psycopg2.errors.SerializationFailure', 'could not serialize access due to concurrent update');
      }
      const args = params?.args ?? [];
      if (params?.service === 'common' && params.method === 'version')
        return reply({ server_version: serie, server_serie: serie, protocol_version: 1 });
      if (params?.service === 'common' && params.method === 'authenticate')
        return reply(args[0] === db && args[1] === login && args[2] === apiKey ? UID : false);
      if (params?.service === 'object' && params.method === 'execute_kw') {
        const [d, uid, key, model, method, positional, kw] = args as [
          string,
          number,
          string,
          string,
          string,
          unknown[],
          Record<string, unknown>?,
        ];
        if (d !== db || uid !== UID || key !== apiKey) throw new OdooError('odoo.exceptions.AccessDenied', 'Access Denied');
        return reply(execute(model, method, named(method, positional ?? [], kw ?? {}), 'jsonrpc'));
      }
      throw new OdooError('werkzeug.exceptions.NotFound', `unknown service ${params?.service}.${params?.method}`);
    } catch (e) {
      const err = e instanceof OdooError ? e : new OdooError('builtins.Exception', String(e));
      res.json({
        jsonrpc: '2.0',
        id,
        error: {
          code: 200,
          message: 'Odoo Server Error',
          data: { name: err.odooName, message: err.message, arguments: [err.message], debug: '' },
        },
      });
    }
  });
  // JSON-2: one model method per request, named parameters in the body, the API key as bearer token.
  app.post('/json/2/:model/:method', (req, res) => {
    const fail = (status: number, err: OdooError) =>
      res.status(status).json({ name: err.odooName, message: err.message, arguments: [err.message, status], context: {}, debug: '' });
    const auth = /^bearer (.+)$/i.exec(req.header('authorization') ?? '')?.[1];
    if (auth !== apiKey) return void fail(401, new OdooError('werkzeug.exceptions.Unauthorized', 'Invalid apikey'));
    const database = req.header('x-odoo-database');
    if (database !== undefined && database !== db)
      return void fail(404, new OdooError('werkzeug.exceptions.NotFound', `database ${database} not found`));
    try {
      if (failures > 0) {
        failures--;
        throw new OdooError('psycopg2.errors.SerializationFailure', 'could not serialize access due to concurrent update');
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      res.json(execute(String(req.params.model), String(req.params.method), body, 'json2'));
    } catch (e) {
      const err = e instanceof OdooError ? e : new OdooError('builtins.Exception', String(e));
      fail(statusOf(err.odooName), err);
    }
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s))); // Express 5 passes a listen error (EADDRINUSE) here
  });
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    models,
    calls,
    failNext: (n) => void (failures = n),
    limiter: kit.limiter,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The HTTP status Odoo's JSON-2 endpoint answers an exception with. */
function statusOf(name: string): number {
  if (/AccessDenied|Unauthorized/.test(name)) return 401;
  if (/AccessError/.test(name)) return 403;
  if (/MissingError|NotFound/.test(name)) return 404;
  if (/UserError|ValidationError|RedirectWarning/.test(name)) return 422;
  if (/^builtins\.(ValueError|KeyError|AttributeError|TypeError)$/.test(name)) return 400;
  return 500;
}
