import type { CompileContext } from './compile-context';
import { runtimeError } from './compile-context';
import { COMMON_PARAMS, OPERATORS_BY_NAME } from './operators';
import type { Evaluator } from './scope';

const FORBIDDEN_OUTPUT_KEYS = new Set(['__proto__']);

/**
 * Compiles one (schema-valid) mapping node into a closure:
 * - a JSON scalar is a constant;
 * - an array is an array of nodes (missing results are left out);
 * - an object with a `$operator` key is that operator, with its parameters beside it;
 * - any other object is an output template whose values are nodes (missing values are left out).
 */
export function compileNode(value: unknown, pointer: string, cc: CompileContext): Evaluator {
  if (value === null || typeof value !== 'object') {
    const ev: Evaluator = () => value;
    ev.constant = { value };
    return ev;
  }
  if (Array.isArray(value)) {
    const evs = value.map((item, i) => cc.node(item, cc.child(pointer, i)));
    return (s) => {
      const out: unknown[] = [];
      for (const ev of evs) {
        const v = ev(s);
        if (v !== undefined) out.push(v);
      }
      return out;
    };
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  const op = keys.find((k) => k.startsWith('$'));
  return op === undefined ? compileTemplate(obj, keys, pointer, cc) : compileOperator(obj, op, keys, pointer, cc);
}

function compileTemplate(obj: Record<string, unknown>, keys: string[], pointer: string, cc: CompileContext): Evaluator {
  const names: string[] = [];
  const evs: Evaluator[] = [];
  for (const k of keys) {
    if (FORBIDDEN_OUTPUT_KEYS.has(k)) {
      cc.error(
        'MAPPING_FORBIDDEN_KEY',
        cc.child(pointer, k),
        `output key "${k}" is not allowed`,
        'it would replace the prototype of the output object',
      );
      continue;
    }
    names.push(k);
    evs.push(cc.node(obj[k], cc.child(pointer, k)));
  }
  const n = names.length;
  return (s) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const v = evs[i]!(s);
      if (v !== undefined) out[names[i]!] = v;
    }
    return out;
  };
}

function compileOperator(obj: Record<string, unknown>, op: string, keys: string[], pointer: string, cc: CompileContext): Evaluator {
  const def = OPERATORS_BY_NAME.get(op);
  if (!def) return cc.error('MAPPING_UNKNOWN_OPERATOR', cc.child(pointer, op), `unknown operator ${op}`);
  const params: Record<string, unknown> = {};
  for (const k of keys) if (k !== op) params[k] = obj[k];
  const info = cc.info(pointer, op);
  const ev = def.compile({ arg: obj[op], params, pointer, argPointer: cc.child(pointer, op), info }, cc);

  const hasDefault = 'default' in params;
  const fallback = params.default;
  const required = params.required === true && !def.ownsRequired;
  if (!hasDefault && !required) return ev;
  if (hasDefault && fallback !== null && typeof fallback === 'object') {
    cc.error(
      'MAPPING_BAD_ARGUMENT',
      cc.child(pointer, 'default'),
      'a default must be a string, number, boolean or null',
      'wrap objects in $literal and use $coalesce',
    );
  }
  const wrapped: Evaluator = (s) => {
    const v = ev(s);
    if (v !== undefined && v !== null) return v;
    if (hasDefault) return fallback;
    throw runtimeError(info, 'MAPPING_REQUIRED_MISSING', 'required value is missing', ev);
  };
  wrapped.inputPath = ev.inputPath;
  wrapped.inputRelative = ev.inputRelative;
  return wrapped;
}

/** Names of the parameters every operator accepts (for documentation and the schema). */
export const COMMON_PARAM_NAMES = Object.keys(COMMON_PARAMS);
