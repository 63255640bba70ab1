'use strict';
// A worked example of a customer's own connector (docs/writing-a-connector.md): sends customer
// notifications to an e-mail service's REST API. Plain JavaScript; it imports only the SDK.
const { defineConnector, sendJson, authHeaders, targetAgents, urlProblem, DeliveryError } = require('../../../dist/src/sdk');

exports.connector = defineConnector({
  type: 'mail-notify',
  kind: 'generic',
  description: 'Customer notifications through an e-mail service (POST /messages).',
  optionsSchema: {
    type: 'object',
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://' },
      from: { type: 'string', minLength: 3 },
      apiKey: {
        type: 'object',
        properties: { env: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$' } },
        required: ['env'],
        additionalProperties: false,
      },
      allowHosts: { type: 'array', items: { type: 'string' } },
    },
    required: ['baseUrl', 'from', 'apiKey'],
    additionalProperties: false,
  },
  checkOptions(options) {
    const problem = urlProblem(options.baseUrl, options.allowHosts || []);
    return problem ? [{ pointer: '/baseUrl', message: problem }] : [];
  },
  createActions(options, deps) {
    const agents = targetAgents(options.allowHosts || []);
    return {
      // payload: { to, template, variables } — produced by a mapping from a canonical event
      send: async (payload, ctx) => {
        if (!payload || typeof payload.to !== 'string') throw new DeliveryError('MAPPING_REQUIRED_MISSING', 'the payload needs "to"');
        const body = JSON.stringify({ from: options.from, ...payload });
        const headers = {
          'idempotency-key': ctx.idempotencyKey,
          ...authHeaders({ bearer: options.apiKey }, body, ctx.idempotencyKey, Math.floor(Date.now() / 1000), deps.resolveSecret),
        };
        return sendJson({
          method: 'POST',
          url: new URL('messages', options.baseUrl.replace(/\/?$/, '/')).toString(),
          headers,
          body,
          timeoutMs: ctx.timeoutMs,
          signal: ctx.signal,
          agents,
        });
      },
    };
  },
});
