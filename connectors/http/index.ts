import { defineConnector, type Action, type SecretRef } from '../../src/sdk';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { sendJson } from './send';

interface HttpTargetOptions {
  baseUrl: string;
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
  createActions(raw, deps) {
    const options = raw as unknown as HttpTargetOptions;
    // One pool of kept-alive connections per configured target.
    const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 64 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };
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

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
