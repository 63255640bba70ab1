import { defineConnector, guardedLookup, urlProblem, type Action } from '../../src/sdk';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { authHeaders, type HttpAuth } from './auth';
import { fillPath } from './path-template';
import { sendJson } from './send';

interface HttpTargetOptions {
  baseUrl: string;
  allowHosts?: string[];
  headers?: Record<string, string>;
  auth?: HttpAuth;
  actions: Record<string, { method: 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string }>;
}

const SECRET_REF = {
  type: 'object',
  properties: { env: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$' }, file: { type: 'string', minLength: 1 } },
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: false,
};

/**
 * Any REST target: each action is a method and a path under `baseUrl` (with `{{field}}`
 * placeholders filled from the payload); the mapped payload is the JSON body, the delivery's
 * idempotency key goes in the Idempotency-Key header, and auth is bearer, basic, or a Standard
 * Webhooks signature. Outbound calls pass the SSRF guard.
 */
export const httpConnector = defineConnector({
  type: 'http',
  kind: 'generic',
  description: 'Generic HTTP target: JSON requests with an Idempotency-Key header.',
  optionsSchema: {
    type: 'object',
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://' },
      allowHosts: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Hosts or addresses allowed although local or private (simulators, an on-premises WMS).' },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      auth: {
        oneOf: [
          { type: 'object', properties: { bearer: SECRET_REF }, required: ['bearer'], additionalProperties: false },
          {
            type: 'object',
            properties: {
              basic: { type: 'object', properties: { username: { type: 'string', minLength: 1 }, password: SECRET_REF }, required: ['username', 'password'], additionalProperties: false },
            },
            required: ['basic'],
            additionalProperties: false,
          },
          {
            type: 'object',
            properties: { standardWebhooks: { type: 'object', properties: { secret: SECRET_REF }, required: ['secret'], additionalProperties: false } },
            required: ['standardWebhooks'],
            additionalProperties: false,
          },
        ],
      },
      actions: {
        type: 'object',
        minProperties: 1,
        additionalProperties: {
          type: 'object',
          properties: { method: { enum: ['POST', 'PUT', 'PATCH', 'DELETE'] }, path: { type: 'string', pattern: '^/' } },
          required: ['method', 'path'],
          additionalProperties: false,
        },
      },
    },
    required: ['baseUrl', 'actions'],
    additionalProperties: false,
  },
  checkOptions(raw) {
    const options = raw as unknown as HttpTargetOptions;
    const problem = urlProblem(options.baseUrl, lower(options.allowHosts));
    return problem ? [{ pointer: '/baseUrl', message: `outbound URL refused: ${problem}`, hint: 'list the host under "allowHosts" if it really is your target' }] : [];
  },
  createActions(raw, deps) {
    const options = raw as unknown as HttpTargetOptions;
    const allow = lower(options.allowHosts);
    // One pool of kept-alive connections per configured target; every name is resolved through the SSRF guard.
    const lookup = guardedLookup(allow);
    const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 64, lookup }), https: new HttpsAgent({ keepAlive: true, maxSockets: 64, lookup }) };
    const actions: Record<string, Action> = {};
    for (const [name, spec] of Object.entries(options.actions)) {
      actions[name] = async (payload, ctx) => {
        const body = JSON.stringify(payload);
        const headers: Record<string, string> = {
          ...options.headers,
          'idempotency-key': ctx.idempotencyKey,
          ...authHeaders(options.auth, body, ctx.idempotencyKey, Math.floor(Date.now() / 1000), deps.resolveSecret),
        };
        const url = new URL(fillPath(spec.path, payload).replace(/^\//, ''), withSlash(options.baseUrl)).toString();
        return sendJson({ method: spec.method, url, headers, body, timeoutMs: ctx.timeoutMs, signal: ctx.signal, agents });
      };
    }
    return actions;
  },
});

function lower(hosts: string[] | undefined): string[] {
  return (hosts ?? []).map((h) => h.toLowerCase());
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
