import type { ErrorObject } from 'ajv';
import { kindOf, type ErrorCode } from '../errors/codes';
import { LocatedError } from '../errors/located-error';
import type { LocatedJson } from './located-json';
import { joinPointer } from './pointer';
import { closest } from './suggest';

/**
 * Turns ajv errors into one located, readable error per problem: what was found, what was
 * expected, and a hint (a close match for a misspelt key or value). Structural noise
 * (`if`, and `oneOf`/`anyOf` summaries when a more precise error exists) is dropped.
 */
export function schemaErrorsToLocated(
  errors: readonly ErrorObject[],
  doc: (Pick<LocatedJson, 'file' | 'locate'> & { fileOf?(pointer: string): string }) | undefined,
  code: ErrorCode = 'SCHEMA_INVALID',
  file?: string,
): LocatedError[] {
  const precise = errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'then' && e.keyword !== 'else');
  const out = new Map<string, LocatedError>();
  for (const e of precise) {
    if (
      (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'allOf') &&
      precise.some((o) => o !== e && o.instancePath.startsWith(e.instancePath) && o.keyword !== e.keyword)
    ) {
      continue;
    }
    // ajv reports a bad key twice: once as `propertyNames` on the object, once for the key itself.
    if (
      e.keyword === 'propertyNames' &&
      precise.some((o) => o !== e && o.propertyName !== undefined && o.instancePath === e.instancePath)
    ) {
      continue;
    }
    const { pointer, at, message, hint, code: specific } = describeError(e);
    const loc = doc?.locate(pointer, at);
    const key = `${pointer}\0${message}`;
    const c = specific ?? code;
    if (!out.has(key)) {
      const where = { file: doc?.fileOf?.(pointer) ?? doc?.file ?? file, pointer, line: loc?.line, col: loc?.col };
      out.set(key, new LocatedError(c, kindOf(c), message, where, hint === undefined ? {} : { hint }));
    }
  }
  return [...out.values()];
}

function describeError(e: ErrorObject): { pointer: string; at: 'key' | 'value'; message: string; hint?: string; code?: ErrorCode } {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = closest(key, allowed);
      return {
        pointer: joinPointer(e.instancePath, key),
        at: 'key',
        message: key.startsWith('$') ? `unexpected key "${key}" (an operator node holds exactly one $operator)` : `unknown key "${key}"`,
        hint: guess ? `did you mean "${guess}"?` : allowed.length > 0 ? `allowed here: ${allowed.join(', ')}` : undefined,
      };
    }
    case 'required':
      return { pointer: e.instancePath, at: 'value', message: `missing required key "${String(params.missingProperty)}"` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => String(v));
      if (e.propertyName !== undefined) {
        const guess = closest(e.propertyName, allowed);
        return {
          pointer: joinPointer(e.instancePath, e.propertyName),
          at: 'key',
          message: `unknown operator "${e.propertyName}"`,
          code: 'MAPPING_UNKNOWN_OPERATOR',
          hint: guess ? `did you mean "${guess}"?` : 'see mappings/README.md for the operators',
        };
      }
      const guess = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
      return {
        pointer: e.instancePath,
        at: 'value',
        message: `expected one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}; got ${JSON.stringify(e.data)}`,
        hint: guess ? `did you mean "${guess}"?` : undefined,
      };
    }
    case 'type':
      return { pointer: e.instancePath, at: 'value', message: `expected ${String(params.type)}, got ${jsonType(e.data)}` };
    case 'const':
      return {
        pointer: e.instancePath,
        at: 'value',
        message: `expected ${JSON.stringify(params.allowedValue)}, got ${JSON.stringify(e.data)}`,
      };
    case 'pattern':
      if (e.propertyName !== undefined) {
        return {
          pointer: joinPointer(e.instancePath, e.propertyName),
          at: 'key',
          message: `invalid key "${e.propertyName}": must match ${String(params.pattern)}`,
        };
      }
      return { pointer: e.instancePath, at: 'value', message: `${JSON.stringify(e.data)} does not match ${String(params.pattern)}` };
    case 'propertyNames':
      return {
        pointer: joinPointer(e.instancePath, String(params.propertyName)),
        at: 'key',
        message: `invalid key "${String(params.propertyName)}"`,
      };
    case 'oneOf':
      return {
        pointer: e.instancePath,
        at: 'value',
        message: params.passingSchemas ? 'matches more than one allowed form' : 'matches none of the allowed forms',
      };
    default:
      return { pointer: e.instancePath, at: 'value', message: e.message ?? e.keyword };
  }
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}
