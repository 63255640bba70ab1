import type { CompileContext } from '../compile-context';
import { MappingError } from '../mapping-error';
import type { Evaluator, Scope } from '../scope';
import { IDENTIFIER, NODE, NODE_LIST, type OperatorDef, type OperatorNode } from './operator';
import { canonicalJson, describe, fail, MAX_ITERATION, requireArray, requireNumber, safeSet, truthy, unary } from './support';

const ITEM_PARAMS = {
  as: { schema: IDENTIFIER, description: 'Name the element: readable as $name (and @ as always).' },
  index: { schema: IDENTIFIER, description: 'Name the 0-based position: readable as $name.' },
};

/**
 * Compiles the per-element node of an iteration operator in its own scope. `forEach` sets `@`
 * (and the named variables) for each element, calls `visit` with the node's result, and restores
 * `@` afterwards; errors from an element get the element's position prefixed to their input path.
 */
function iterate(n: OperatorNode, cc: CompileContext, paramName: string) {
  const source = cc.node(n.arg, n.argPointer);
  const spec = n.params[paramName];
  if (spec === undefined) return { source, forEach: undefined };
  let asSlot = -1;
  let indexSlot = -1;
  const each = cc.inIteration(() => {
    if (typeof n.params.as === 'string') asSlot = cc.declareVar(n.params.as);
    if (typeof n.params.index === 'string') indexSlot = cc.declareVar(n.params.index);
    return cc.node(spec, cc.child(n.pointer, paramName));
  });
  const forEach = (s: Scope, arr: unknown[], visit: (result: unknown, element: unknown) => void): void => {
    checkSize(n, arr, source);
    const saved = s.cur;
    let i = 0;
    try {
      for (; i < arr.length; i++) {
        const el = arr[i];
        s.cur = el;
        if (asSlot >= 0) s.vars[asSlot] = el;
        if (indexSlot >= 0) s.vars[indexSlot] = i;
        visit(each(s), el);
      }
    } catch (e) {
      if (e instanceof MappingError) prefixInputPath(e, source, i, n.params.as as string | undefined);
      throw e;
    } finally {
      s.cur = saved;
    }
  };
  return { source, forEach, each };
}

function prefixInputPath(e: MappingError, source: Evaluator, i: number, as?: string): void {
  // A path through the element's own name ($item.x) is a path into the element, like @.x.
  if (as !== undefined && e.inputPath !== undefined && !e.inputRelative) {
    const m = /^\$([A-Za-z_][A-Za-z0-9_-]*)(.*)$/.exec(e.inputPath);
    if (m && m[1] === as) {
      e.inputPath = `@${m[2]}`;
      e.inputRelative = true;
    }
  }
  if (e.inputPath !== undefined && !e.inputRelative) return;
  const base = `${source.inputPath ?? '<array>'}[${i}]`;
  const inner = e.inputPath === undefined || e.inputPath === '@' ? '' : e.inputPath.replace(/^@\.?/, '');
  e.inputPath = inner === '' ? base : inner.startsWith('[') ? `${base}${inner}` : `${base}.${inner}`;
  e.inputRelative = source.inputRelative === true;
}

/** Fails with MAPPING_LIMIT for arrays above the iteration limit. */
function checkSize(n: OperatorNode, arr: unknown[], from: Evaluator): void {
  if (arr.length > MAX_ITERATION)
    fail(n.info, 'MAPPING_LIMIT', `array of ${arr.length} elements exceeds the limit of ${MAX_ITERATION}`, from);
}

function arrayOrMissing(n: OperatorNode, source: Evaluator, s: Scope): unknown[] | null | undefined {
  const v = source(s);
  if (v === undefined || v === null) return v;
  return requireArray(n.info, v, source);
}

export const collectionOperators: OperatorDef[] = [
  {
    name: '$map',
    group: 'collections',
    summary: 'Builds a new array from each element ("to" sees the element as @); missing results are left out.',
    arg: NODE,
    params: { to: { schema: NODE, description: 'The value for each element.', required: true }, ...ITEM_PARAMS },
    compile: (n, cc) => {
      const { source, forEach } = iterate(n, cc, 'to');
      return (s) => {
        const arr = arrayOrMissing(n, source, s);
        if (arr === undefined || arr === null) return arr;
        const out: unknown[] = [];
        forEach!(s, arr, (r) => {
          if (r !== undefined) out.push(r);
        });
        return out;
      };
    },
  },
  {
    name: '$filter',
    group: 'collections',
    summary: 'Keeps the elements for which "where" is truthy (@ is the element).',
    arg: NODE,
    params: { where: { schema: NODE, description: 'Condition per element.', required: true }, ...ITEM_PARAMS },
    compile: (n, cc) => {
      const { source, forEach } = iterate(n, cc, 'where');
      return (s) => {
        const arr = arrayOrMissing(n, source, s);
        if (arr === undefined || arr === null) return arr;
        const out: unknown[] = [];
        forEach!(s, arr, (keep, el) => {
          if (truthy(keep)) out.push(el);
        });
        return out;
      };
    },
  },
  {
    name: '$sum',
    group: 'collections',
    summary: 'Adds up an array of numbers, or "of" per element (e.g. quantity × unit price); empty → 0.',
    arg: NODE,
    params: { of: { schema: NODE, description: 'The number to add for each element (default: the element).' }, ...ITEM_PARAMS },
    compile: (n, cc) => {
      const { source, forEach, each } = iterate(n, cc, 'of');
      // Missing and null elements count as 0; numeric strings are parsed, as in $number.
      const number = (v: unknown, from: Evaluator): number => (v === undefined || v === null ? 0 : requireNumber(n.info, v, from));
      return (s) => {
        const arr = arrayOrMissing(n, source, s);
        if (arr === undefined || arr === null) return arr;
        let total = 0;
        if (forEach) forEach(s, arr, (v) => (total += number(v, each)));
        else {
          checkSize(n, arr, source);
          for (const v of arr) total += number(v, source);
        }
        if (!Number.isFinite(total)) return fail(n.info, 'MAPPING_NUMBER_INVALID', 'the sum is out of range', source);
        return total;
      };
    },
  },
  {
    name: '$count',
    group: 'collections',
    summary: 'Number of elements of an array.',
    arg: NODE,
    compile: (n, cc) => unary(n, cc, (v, from) => requireArray(n.info, v, from).length),
  },
  {
    name: '$flatten',
    group: 'collections',
    summary: 'Flattens an array of arrays by one level (non-array elements are kept).',
    arg: NODE,
    compile: (n, cc) =>
      unary(n, cc, (v, from) => {
        const arr = requireArray(n.info, v, from);
        checkSize(n, arr, from);
        const flat = arr.flat(1);
        checkSize(n, flat, from);
        return flat;
      }),
  },
  {
    name: '$distinct',
    group: 'collections',
    summary: 'The array without repeated (equal) elements, in first-seen order.',
    arg: NODE,
    compile: (n, cc) =>
      unary(n, cc, (v, from) => {
        // Objects are compared by a canonical (key-sorted) text, keeping this linear on large inputs.
        const seen = new Set<unknown>();
        const out: unknown[] = [];
        const arr = requireArray(n.info, v, from);
        checkSize(n, arr, from);
        for (const x of arr) {
          const key = x !== null && typeof x === 'object' ? `\u0000${canonicalJson(x)}` : x;
          if (!seen.has(key)) {
            seen.add(key);
            out.push(x);
          }
        }
        return out;
      }),
  },
  {
    name: '$merge',
    group: 'collections',
    summary: 'Shallow-merges objects left to right (later keys win); missing and null are skipped.',
    arg: { ...NODE_LIST, minItems: 1 },
    compile: (n, cc) => {
      const evs = (n.arg as unknown[]).map((x, i) => cc.node(x, cc.child(n.argPointer, i)));
      return (s) => {
        const out: Record<string, unknown> = {};
        for (const ev of evs) {
          const v = ev(s);
          if (v === undefined || v === null) continue;
          if (typeof v !== 'object' || Array.isArray(v)) fail(n.info, 'MAPPING_TYPE', `cannot merge ${describe(v)}`, ev);
          for (const k of Object.keys(v)) safeSet(out, k, (v as Record<string, unknown>)[k]);
        }
        return out;
      };
    },
  },
];
