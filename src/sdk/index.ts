/** The only import surface for connectors (lint enforces it): contracts, errors and helpers. */
export * from './connector';
export { DeliveryError } from './delivery-error';
export type { SecretRef } from '../config/secrets';
export { guardedLookup, isForbiddenAddress, urlProblem, OutboundBlockedError } from '../net/outbound-guard';
