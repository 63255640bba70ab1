/** The only import surface for connectors (lint enforces it): contracts, errors and helpers. */
export * from './connector';
export { DeliveryError } from './delivery-error';
export type { SecretRef } from './secret-ref';
export { guardedLookup, isForbiddenAddress, urlProblem, OutboundBlockedError } from '../net/outbound-guard';
export { sendJson, getJson } from './http/send';
export { authHeaders, AUTH_SCHEMA, SECRET_REF_SCHEMA, type HttpAuth } from './http/auth';
export { outboundUrlCheck } from './http/outbound-check';
export { fillPath } from './http/path-template';
export { targetAgents } from './http/agents';
export { PullPacer, DEFAULT_PULL_POLICY, type PullPolicy, type PullPacerClock } from './pull-pacer';
export {
  simulatorKit,
  restTooMany,
  WebhookOutbox,
  type SimulatorRateLimit,
  type SimulatorLimiter,
  type SimulatorIdentity,
} from './simulator-kit';
