import { defineConnector, guardedLookup, urlProblem, type Action, type SecretRef } from '../../src/sdk';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { sendJson } from './send';

interface HttpTargetOptions {
  baseUrl: string;
  allowHosts?: string[];
  headers?: Record<string, string>;
  auth?: { bearer: SecretRef };
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
 * Any REST target: each action is a method and a path under `baseUrl`; the mapped payload is the
 * JSON body and the delivery's idempotency key goes in the Idempotency-Key header.
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
      auth: { type: 'object', properties: { bearer: SECRET_REF }, required: ['bearer'], additionalProperties: false },
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
      actions[name] = (payload, ctx) => {
        const token = options.auth ? deps.resolveSecret(options.auth.bearer) : undefined;
        const headers: Record<string, string> = { ...options.headers, 'idempotency-key': ctx.idempotencyKey };
        if (token !== undefined) headers.authorization = `Bearer ${token}`;
        return sendJson({ method: spec.method, url: new URL(spec.path.replace(/^\//, ''), withSlash(options.baseUrl)).toString(), headers, body: payload, timeoutMs: ctx.timeoutMs, signal: ctx.signal, agents });
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
