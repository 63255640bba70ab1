import { parsePath, PathSyntaxError, step, walk, type PathSegment } from '../path';
import { DropSignal, type Evaluator, type Scope } from '../scope';
import type { CompileContext } from '../compile-context';
import { NODE_LIST, type OperatorDef, type OperatorNode } from './operator';
import { listEvaluators } from './support';

const hasOwn = Object.prototype.hasOwnProperty;

export function compilePath(text: string, pointer: string, cc: CompileContext): Evaluator {
  let parsed;
  try {
    parsed = parsePath(text);
  } catch (e) {
    if (e instanceof PathSyntaxError) {
      return cc.error('MAPPING_BAD_PATH', pointer, e.message, 'paths look like data.object.items.data[0].price.id, $.root, $var.x or @');
    }
    throw e;
  }
  let base: (s: Scope) => unknown;
  if (parsed.base.kind === 'root') base = (s) => s.root;
  else if (parsed.base.kind === 'cur') base = (s) => s.cur;
  else {
    const name = parsed.base.name;
    const slot = cc.lookupVar(name);
    if (slot === undefined) {
      const known = cc.varsInScope();
      return cc.error(
        'MAPPING_UNKNOWN_VARIABLE',
        pointer,
        `unknown variable $${name}`,
        known.length > 0
          ? `variables in scope: ${known.map((v) => `$${v}`).join(', ')}`
          : 'declare it in "let", or with "as"/"index" of $map',
      );
    }
    base = (s) => s.vars[slot];
  }
  const ev = pathEvaluator(parsed.base.kind, base, parsed.segments, parsed.hasWildcard);
  ev.inputPath = text;
  ev.inputRelative = parsed.base.kind === 'cur';
  return ev;
}

/**
 * Keys that no prototype of a JSON value (Object.prototype, Array.prototype) answers to and that
 * are not array indexes: for these a plain property read can only find an own property of a
 * JSON-parsed object, so the hot path may skip the own-property check.
 */
function isInertKey(k: string): boolean {
  return !(k in Object.prototype) && !(k in Array.prototype) && !(k in String.prototype) && !/^\d+$/.test(k);
}

function pathEvaluator(kind: string, base: (s: Scope) => unknown, segments: PathSegment[], wild: boolean): Evaluator {
  if (segments.length === 0) return (s) => base(s);
  if (wild) return (s) => walk(base(s), segments);
  const keys = segments.every((x) => x.kind === 'key') ? segments.map((x) => (x as { key: string }).key) : undefined;
  if (keys && keys.every(isInertKey)) {
    const n = keys.length;
    const k0 = keys[0]!;
    if (kind === 'cur' && n === 1) {
      return (s) => {
        const v = s.cur;
        return v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k0] : undefined;
      };
    }
    return (s) => {
      let v = base(s);
      for (let i = 0; i < n; i++) {
        if (v === null || typeof v !== 'object') return undefined;
        v = (v as Record<string, unknown>)[keys[i]!];
      }
      return v;
    };
  }
  if (keys) {
    const n = keys.length;
    return (s) => {
      let v = base(s);
      for (let i = 0; i < n; i++) {
        const k = keys[i]!;
        if (v === null || typeof v !== 'object' || Array.isArray(v) || !hasOwn.call(v, k)) return undefined;
        v = (v as Record<string, unknown>)[k];
      }
      return v;
    };
  }
  return (s) => {
    let v = base(s);
    for (const seg of segments) {
      v = step(v, seg);
      if (v === undefined) return undefined;
    }
    return v;
  };
}

export const coreOperators: OperatorDef[] = [
  {
    name: '$path',
    group: 'core',
    summary: 'Reads a value from the input: "a.b[0].c", "$.root", "$var.x", "@", "items[*].sku", "meta[\\"key\\"]".',
    arg: { type: 'string', minLength: 1 },
    compile: (n: OperatorNode, cc) => compilePath(n.arg as string, n.argPointer, cc),
  },
  {
    name: '$literal',
    group: 'core',
    summary: 'Outputs its argument as it is, without interpreting $-keys inside it.',
    arg: {},
    compile: (n) => {
      const value = n.arg;
      if (value === null || typeof value !== 'object') return () => value;
      return () => structuredClone(value);
    },
  },
  {
    name: '$coalesce',
    group: 'core',
    summary: 'The first value that is neither missing nor null.',
    arg: { ...NODE_LIST, minItems: 1 },
    compile: (n, cc) => {
      const evs = listEvaluators(n, cc);
      return (s) => {
        for (const ev of evs) {
          const v = ev(s);
          if (v !== undefined && v !== null) return v;
        }
        return undefined;
      };
    },
  },
  {
    name: '$drop',
    group: 'core',
    summary: 'Drops the whole event (no output, not an error) with the given reason; use in $if/$switch branches.',
    arg: { type: 'string', minLength: 1 },
    compile: (n) => {
      const reason = n.arg as string;
      return () => {
        throw new DropSignal(reason);
      };
    },
  },
];
