import { joinPointer } from './pointer';

export interface JsonDifference {
  pointer: string;
  kind: 'changed' | 'missing' | 'unexpected';
  expected?: unknown;
  actual?: unknown;
}

/** Structural differences between two JSON values, each at its JSON pointer. Key order is ignored. */
export function jsonDiff(expected: unknown, actual: unknown, pointer = '', out: JsonDifference[] = []): JsonDifference[] {
  // === rather than Object.is: JSON has no -0, and 0 written as JSON reads back as 0.
  if (expected === actual) return out;
  const bothArrays = Array.isArray(expected) && Array.isArray(actual);
  const bothObjects = isObject(expected) && isObject(actual);
  if (bothArrays) {
    const a = expected as unknown[];
    const b = actual as unknown[];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= b.length) out.push({ pointer: joinPointer(pointer, i), kind: 'missing', expected: a[i] });
      else if (i >= a.length) out.push({ pointer: joinPointer(pointer, i), kind: 'unexpected', actual: b[i] });
      else jsonDiff(a[i], b[i], joinPointer(pointer, i), out);
    }
  } else if (bothObjects) {
    const a = expected as Record<string, unknown>;
    const b = actual as Record<string, unknown>;
    const hasOwn = Object.prototype.hasOwnProperty;
    for (const k of Object.keys(a)) {
      if (!hasOwn.call(b, k)) out.push({ pointer: joinPointer(pointer, k), kind: 'missing', expected: a[k] });
      else jsonDiff(a[k], b[k], joinPointer(pointer, k), out);
    }
    for (const k of Object.keys(b))
      if (!hasOwn.call(a, k)) out.push({ pointer: joinPointer(pointer, k), kind: 'unexpected', actual: b[k] });
  } else {
    out.push({ pointer, kind: 'changed', expected, actual });
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** One readable line per difference, e.g. `/lines/0/sku: expected "A", got "B"`. */
export function formatDiff(diffs: readonly JsonDifference[]): string[] {
  const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));
  return diffs.map((d) => {
    const at = d.pointer || '/';
    if (d.kind === 'missing') return `${at}: expected ${show(d.expected)}, but it is missing`;
    if (d.kind === 'unexpected') return `${at}: unexpected ${show(d.actual)}`;
    return `${at}: expected ${show(d.expected)}, got ${show(d.actual)}`;
  });
}
