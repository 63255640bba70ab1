/**
 * Canonical hub events: the JSON Schema (single source of truth), the types generated from it
 * (scripts/gen-types.ts) and a validator.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { joinPointer } from '../json/pointer';
import hubEventSchema from './hub-event.schema.json';
import type { HubEventType } from './hub-event.types';

export * from './hub-event.types';
export { hubEventSchema };

/** Every canonical event type, in schema order; read from the schema so the two cannot drift apart. */
export const HUB_EVENT_TYPES: readonly HubEventType[] = Object.freeze([...hubEventSchema.$defs.HubEventType.enum] as HubEventType[]);

export interface HubEventValidationError {
  /** RFC 6901 pointer into the validated value; for missing or unknown properties it names that property. */
  pointer: string;
  message: string;
}

export type HubEventValidationResult = { ok: true } | { ok: false; errors: HubEventValidationError[] };

let cachedValidator: ValidateFunction | undefined;

/** Compiled once on first use: compiling is slow, and the schema's $id may be registered only once per Ajv. */
function hubEventValidator(): ValidateFunction {
  if (!cachedValidator) {
    const ajv = new Ajv({ strict: true, allErrors: true });
    addFormats(ajv);
    cachedValidator = ajv.compile(hubEventSchema);
  }
  return cachedValidator;
}

/** Validates a value against the HubEvent schema, reporting every violation (not only the first). */
export function validateHubEvent(value: unknown): HubEventValidationResult {
  const validate = hubEventValidator();
  if (validate(value)) return { ok: true };
  // An "if" error only says a conditional branch failed; that branch's own errors say what.
  return { ok: false, errors: (validate.errors ?? []).filter((e) => e.keyword !== 'if').map(toValidationError) };
}

function toValidationError(error: ErrorObject): HubEventValidationError {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return {
        pointer: joinPointer(error.instancePath, String(params.missingProperty)),
        message: 'missing required property',
      };
    case 'additionalProperties':
      return {
        pointer: joinPointer(error.instancePath, String(params.additionalProperty)),
        message: 'unknown property',
      };
    case 'enum':
      return { pointer: error.instancePath, message: `must be one of ${formatValues(params.allowedValues)}` };
    case 'const':
      return { pointer: error.instancePath, message: `must be ${JSON.stringify(params.allowedValue)}` };
    default:
      return { pointer: error.instancePath, message: error.message ?? `fails ${error.keyword}` };
  }
}

function formatValues(values: unknown): string {
  return Array.isArray(values) ? values.map((v) => JSON.stringify(v)).join(', ') : String(values);
}
