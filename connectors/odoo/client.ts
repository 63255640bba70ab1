import { DeliveryError, sendJson, type SecretRef } from '../../src/sdk';
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';

/** Odoo exceptions that mean "this request is wrong" (never retried); anything else from the server may pass. */
const PERMANENT =
  /^odoo\.exceptions\.(AccessDenied|AccessError|ValidationError|UserError|MissingError|RedirectWarning)$|^builtins\.(ValueError|KeyError|AttributeError|TypeError)$/;

/**
 * One Odoo model method with named parameters, whatever the transport: `ids` are the records a
 * record method runs on (absent for `@api.model` methods such as search_read or create), the rest
 * the method's own parameters (`domain`, `fields`, `vals_list`, `vals`, …).
 */
export interface OdooCaller {
  call<T>(model: string, method: string, params?: { ids?: number[] } & Record<string, unknown>): Promise<T>;
}

export interface OdooClientOptions {
  baseUrl: string;
  db: string;
  login?: string;
  apiKey: SecretRef;
  timeoutMs: number;
  agents: { http: HttpAgent; https: HttpsAgent };
  resolveSecret(ref: SecretRef): string | undefined;
}

/**
 * The classic external JSON-RPC API (`POST /jsonrpc`, services `common` and `object`): stateless,
 * so db, uid and key travel with every call; the uid is looked up once. Odoo reports errors
 * inside a 200 answer; their exception name says whether a retry can help. Deprecated from
 * Odoo 19 (a warning on every call), to be removed later: `OdooJson2Client` replaces it.
 */
export class OdooClient implements OdooCaller {
  #uid: number | undefined;

  constructor(private readonly o: OdooClientOptions) {}

  /** Named parameters through execute_kw: the ids as its one positional argument, the rest as keyword arguments. */
  call<T>(model: string, method: string, params: { ids?: number[] } & Record<string, unknown> = {}): Promise<T> {
    const { ids, ...kwargs } = params;
    return this.executeKw<T>(model, method, ids ? [ids] : [], kwargs);
  }

  /** The server's version (`common.version`, no login): `server_serie` such as "18.0". */
  version(): Promise<{ server_serie?: string; server_version?: string }> {
    return this.#call('common', 'version', []);
  }

  async executeKw<T>(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<T> {
    const uid = await this.#login();
    return this.#call<T>('object', 'execute_kw', [this.o.db, uid, this.#key(), model, method, args, kwargs]);
  }

  async #login(): Promise<number> {
    if (this.#uid !== undefined) return this.#uid;
    if (!this.o.login)
      throw new DeliveryError('CONFIG_SECRET_MISSING', 'the Odoo JSON-RPC API needs options.login (or use options.api "json2")');
    const uid = await this.#call<number | false>('common', 'authenticate', [this.o.db, this.o.login, this.#key(), {}]);
    if (uid === false) throw new DeliveryError('DELIVERY_REJECTED', `Odoo refused login ${this.o.login} on database ${this.o.db}`);
    return (this.#uid = uid);
  }

  #key(): string {
    return odooKey(this.o);
  }

  async #call<T>(service: string, method: string, args: unknown[]): Promise<T> {
    const body = JSON.stringify({ jsonrpc: '2.0', method: 'call', id: Date.now(), params: { service, method, args } });
    const url = new URL('jsonrpc', this.o.baseUrl.endsWith('/') ? this.o.baseUrl : `${this.o.baseUrl}/`).toString();
    const res = await sendJson({ method: 'POST', url, headers: {}, body, timeoutMs: this.o.timeoutMs, agents: this.o.agents });
    let answer: { result?: T; error?: { message?: string; data?: { name?: string; message?: string } } };
    try {
      answer = JSON.parse(res.body ?? '') as typeof answer;
    } catch {
      throw new DeliveryError('DELIVERY_SERVER_ERROR', 'Odoo did not answer JSON-RPC');
    }
    if (answer.error) {
      const name = answer.error.data?.name ?? 'unknown';
      const message = `Odoo ${name}: ${answer.error.data?.message ?? answer.error.message ?? ''}`;
      if (name === 'odoo.exceptions.AccessDenied') this.#uid = undefined;
      throw new DeliveryError(PERMANENT.test(name) ? 'DELIVERY_REJECTED' : 'DELIVERY_SERVER_ERROR', message);
    }
    return answer.result as T;
  }
}

export function odooKey(o: Pick<OdooClientOptions, 'apiKey' | 'resolveSecret'>): string {
  const key = o.resolveSecret(o.apiKey);
  if (key === undefined)
    throw new DeliveryError(
      'CONFIG_SECRET_MISSING',
      `the Odoo API key (${'env' in o.apiKey ? `env ${o.apiKey.env}` : `file ${o.apiKey.file}`}) is not set`,
    );
  return key;
}
