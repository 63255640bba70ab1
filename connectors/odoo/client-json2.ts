import { DeliveryError, sendJson } from '../../src/sdk';
import { odooKey, type OdooCaller, type OdooClientOptions } from './client';

/**
 * Odoo's External JSON-2 API (Odoo 19+): `POST /json/2/<model>/<method>` with the named
 * parameters as the JSON body (`ids`, then the method's own), `Authorization: bearer <API key>`
 * and `X-Odoo-Database`. No login: the key identifies the user. Each call is its own transaction.
 * Errors come as 4xx/5xx with `{name, message, arguments, context, debug}`: the name and message
 * are kept (never the traceback), 4xx are permanent, 5xx retryable.
 */
export class OdooJson2Client implements OdooCaller {
  constructor(private readonly o: Omit<OdooClientOptions, 'login'>) {}

  async call<T>(model: string, method: string, params: { ids?: number[] } & Record<string, unknown> = {}): Promise<T> {
    const url = new URL(
      `json/2/${encodeURIComponent(model)}/${encodeURIComponent(method)}`,
      this.o.baseUrl.endsWith('/') ? this.o.baseUrl : `${this.o.baseUrl}/`,
    ).toString();
    const headers = { authorization: `bearer ${odooKey(this.o)}`, 'x-odoo-database': this.o.db, 'user-agent': 'subhub' };
    let res;
    try {
      res = await sendJson({
        method: 'POST',
        url,
        headers,
        body: JSON.stringify(params),
        timeoutMs: this.o.timeoutMs,
        agents: this.o.agents,
      });
    } catch (e) {
      throw explained(e);
    }
    try {
      return JSON.parse(res.body ?? '') as T;
    } catch {
      throw new DeliveryError('DELIVERY_SERVER_ERROR', `Odoo ${model}.${method} did not answer JSON`);
    }
  }
}

/** An Odoo error body read into the message: `Odoo <exception name>: <message>`. */
function explained(e: unknown): unknown {
  if (!(e instanceof DeliveryError) || e.status === undefined || e.status === 429) return e;
  const json = e.message.slice(e.message.indexOf('{'));
  const name = /"name":\s*"([^"]+)"/.exec(json)?.[1];
  const message = /"message":\s*"((?:[^"\\]|\\.)*)"/.exec(json)?.[1];
  if (!name) return e;
  const text = `Odoo ${name}: ${message ?? ''} (HTTP ${e.status})`;
  return new DeliveryError(e.status < 500 && e.status !== 408 ? 'DELIVERY_REJECTED' : 'DELIVERY_SERVER_ERROR', text, {
    status: e.status,
    cause: e,
  });
}
