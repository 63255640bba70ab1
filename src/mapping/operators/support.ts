import type { ErrorCode } from '../../errors/codes';
import { runtimeError, type CompileContext, type NodeInfo } from '../compile-context';
import type { Evaluator, Scope } from '../scope';
import type { OperatorNode } from './operator';

export function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeOf(v);
}

/** Throws a run-time error for `info`, naming the input path of `from` when it is a path node. */
export function fail(info: NodeInfo, code: ErrorCode, message: string, from?: Evaluator): never {
  throw runtimeError(info, code, message, from);
}

export function argEvaluator(n: OperatorNode, cc: CompileContext): Evaluator {
  return cc.node(n.arg, n.argPointer);
}

export function paramEvaluator(n: OperatorNode, cc: CompileContext, name: string): Evaluator | undefined {
  return n.params[name] === undefined ? undefined : cc.node(n.params[name], cc.child(n.pointer, name));
}

export function listEvaluators(n: OperatorNode, cc: CompileContext): Evaluator[] {
  return (n.arg as unknown[]).map((item, i) => cc.node(item, cc.child(n.argPointer, i)));
}

/**
 * An operator of one argument where null and undefined pass through unchanged ("missing in,
 * missing out"), so `default` and `required` on the node decide what a missing value means.
 */
export function unary(n: OperatorNode, cc: CompileContext, fn: (v: unknown, from: Evaluator, s: Scope) => unknown): Evaluator {
  const ev = argEvaluator(n, cc);
  const out: Evaluator = (s) => {
    const v = ev(s);
    return v === undefined || v === null ? v : fn(v, ev, s);
  };
  // A missing result comes from the argument's input: let `required` name that input.
  out.inputPath = ev.inputPath;
  out.inputRelative = ev.inputRelative;
  return out;
}

export function requireString(info: NodeInfo, v: unknown, from?: Evaluator): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return fail(info, 'MAPPING_TYPE', `expected a string, got ${describe(v)}`, from);
}

export function requireNumber(info: NodeInfo, v: unknown, from?: Evaluator): number {
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return v;
    return fail(info, 'MAPPING_NUMBER_INVALID', `expected a finite number, got ${v}`, from);
  }
  if (typeof v === 'string') return parseNumber(info, v, from);
  return fail(info, 'MAPPING_TYPE', `expected a number, got ${describe(v)}`, from);
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseNumber(info: NodeInfo, text: string, from?: Evaluator): number {
  const t = text.trim();
  if (!NUMERIC.test(t)) return fail(info, 'MAPPING_NUMBER_INVALID', `${describe(text)} is not a number`, from);
  const n = Number(t);
  if (!Number.isFinite(n)) return fail(info, 'MAPPING_NUMBER_INVALID', `${describe(text)} is out of range`, from);
  return n;
}

export function requireArray(info: NodeInfo, v: unknown, from?: Evaluator): unknown[] {
  if (Array.isArray(v)) return v;
  return fail(info, 'MAPPING_TYPE', `expected an array, got ${describe(v)}`, from);
}

/** Truthiness in conditions: false, null, missing, 0, NaN and "" are false; everything else is true. */
export function truthy(v: unknown): boolean {
  return !(v === undefined || v === null || v === false || v === 0 || v === '' || Number.isNaN(v));
}

/** Structural equality of JSON values (used by $eq, $in, $distinct). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const hasOwn = Object.prototype.hasOwnProperty;
  return ka.every((k) => hasOwn.call(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** JSON text with object keys sorted, so equal values (by jsonEqual) give equal text. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** Sets a key on a plain object without ever invoking the `__proto__` setter. */
export function safeSet(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Largest array an iteration operator accepts; larger inputs fail with MAPPING_LIMIT. */
export const MAX_ITERATION = 100_000;
/** Longest string a regex operator accepts; longer inputs fail with MAPPING_LIMIT. */
export const MAX_REGEX_INPUT = 100_000;
