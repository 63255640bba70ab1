import {
  AUTH_SCHEMA,
  authHeaders,
  defineConnector,
  fillPath,
  outboundUrlCheck,
  sendJson,
  targetAgents,
  type Action,
  type HttpAuth,
} from '../../src/sdk';

interface HttpTargetOptions {
  baseUrl: string;
  allowHosts?: string[];
  headers?: Record<string, string>;
  auth?: HttpAuth;
  actions: Record<string, { method: 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string }>;
}

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
      allowHosts: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        description: 'Hosts or addresses allowed although local or private (simulators, an on-premises WMS).',
      },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      auth: AUTH_SCHEMA,
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
    return outboundUrlCheck(options.baseUrl, options.allowHosts, '/baseUrl', 'your target');
  },
  createActions(raw, deps) {
    const options = raw as unknown as HttpTargetOptions;
    const agents = targetAgents(options.allowHosts);
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

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
