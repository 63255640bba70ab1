import type { Evaluator } from '../scope';
import { NODE, NODE_LIST, type OperatorDef, type OperatorNode } from './operator';
import { describe, fail, jsonEqual, listEvaluators, paramEvaluator, truthy } from './support';

const PAIR = { ...NODE_LIST, minItems: 2, maxItems: 2 };

function compare(name: `$${string}`, summary: string, test: (c: number) => boolean): OperatorDef {
  return {
    name,
    group: 'logic',
    summary,
    arg: PAIR,
    compile: (n, cc) => {
      const [a, b] = listEvaluators(n, cc) as [Evaluator, Evaluator];
      return (s) => {
        const x = a(s);
        const y = b(s);
        if (x === undefined || x === null || y === undefined || y === null) return false;
        if (typeof x === 'number' && typeof y === 'number') return test(x - y);
        if (typeof x === 'string' && typeof y === 'string') return test(x < y ? -1 : x > y ? 1 : 0);
        return fail(n.info, 'MAPPING_TYPE', `cannot compare ${describe(x)} with ${describe(y)}`, a);
      };
    },
  };
}

function logical(name: `$${string}`, summary: string, stopOn: boolean): OperatorDef {
  return {
    name,
    group: 'logic',
    summary,
    arg: { ...NODE_LIST, minItems: 1 },
    compile: (n, cc) => {
      const evs = listEvaluators(n, cc);
      return (s) => {
        for (const ev of evs) if (truthy(ev(s)) === stopOn) return stopOn;
        return !stopOn;
      };
    },
  };
}

function switchOn(n: OperatorNode, cases: Map<string, Evaluator>, otherwise: Evaluator | undefined, ev: Evaluator): Evaluator {
  return (s) => {
    const v = ev(s);
    const key = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
    if (v !== undefined && v !== null && key === undefined) return fail(n.info, 'MAPPING_TYPE', `cannot switch on ${describe(v)}`, ev);
    const hit = key === undefined ? undefined : cases.get(key);
    if (hit) return hit(s);
    return otherwise ? otherwise(s) : undefined;
  };
}

export const logicOperators: OperatorDef[] = [
  {
    name: '$if',
    group: 'logic',
    summary: 'Evaluates "then" when the condition is truthy, else "else" (missing when absent).',
    arg: NODE,
    params: {
      then: { schema: NODE, description: 'Value when the condition holds.', required: true },
      else: { schema: NODE, description: 'Value otherwise.' },
    },
    compile: (n, cc) => {
      const cond = cc.node(n.arg, n.argPointer);
      const yes = paramEvaluator(n, cc, 'then')!;
      const no = paramEvaluator(n, cc, 'else');
      return (s) => (truthy(cond(s)) ? yes(s) : no ? no(s) : undefined);
    },
  },
  {
    name: '$switch',
    group: 'logic',
    summary: 'Chooses a case by the value (compared as text, e.g. a status); "otherwise" when no case matches.',
    arg: NODE,
    params: {
      cases: { schema: { type: 'object', additionalProperties: NODE, minProperties: 1 }, description: 'Value → result.', required: true },
      otherwise: { schema: NODE, description: 'Result when no case matches (missing when absent).' },
    },
    compile: (n, cc) => {
      const spec = n.params.cases as Record<string, unknown>;
      const cases = new Map<string, Evaluator>(Object.keys(spec).map((k) => [k, cc.node(spec[k], cc.child(n.pointer, 'cases', k))]));
      return switchOn(n, cases, paramEvaluator(n, cc, 'otherwise'), cc.node(n.arg, n.argPointer));
    },
  },
  {
    name: '$eq',
    group: 'logic',
    summary: 'True when both values are equal JSON (no type coercion: 1 ≠ "1").',
    arg: PAIR,
    compile: (n, cc) => {
      const [a, b] = listEvaluators(n, cc) as [Evaluator, Evaluator];
      return (s) => jsonEqual(a(s), b(s));
    },
  },
  {
    name: '$ne',
    group: 'logic',
    summary: 'True when the values differ.',
    arg: PAIR,
    compile: (n, cc) => {
      const [a, b] = listEvaluators(n, cc) as [Evaluator, Evaluator];
      return (s) => !jsonEqual(a(s), b(s));
    },
  },
  compare('$gt', 'First > second (numbers or strings; missing → false).', (c) => c > 0),
  compare('$gte', 'First ≥ second.', (c) => c >= 0),
  compare('$lt', 'First < second.', (c) => c < 0),
  compare('$lte', 'First ≤ second.', (c) => c <= 0),
  {
    name: '$in',
    group: 'logic',
    summary: 'True when the value equals one of the listed values: {"$in": [value, ["a", "b"]]}.',
    arg: PAIR,
    compile: (n, cc) => {
      const [a, list] = listEvaluators(n, cc) as [Evaluator, Evaluator];
      return (s) => {
        const v = a(s);
        const options = list(s);
        if (options === undefined || options === null) return false;
        if (!Array.isArray(options)) return fail(n.info, 'MAPPING_TYPE', `expected a list to search, got ${describe(options)}`, list);
        return options.some((o) => jsonEqual(o, v));
      };
    },
  },
  logical('$and', 'True when every value is truthy (stops at the first falsy one).', false),
  logical('$or', 'True when any value is truthy (stops at the first truthy one).', true),
  {
    name: '$not',
    group: 'logic',
    summary: 'Negation of truthiness.',
    arg: NODE,
    compile: (n, cc) => {
      const ev = cc.node(n.arg, n.argPointer);
      return (s) => !truthy(ev(s));
    },
  },
  {
    name: '$exists',
    group: 'logic',
    summary: 'True when the value is present and not null.',
    arg: NODE,
    compile: (n, cc) => {
      const ev = cc.node(n.arg, n.argPointer);
      return (s) => {
        const v = ev(s);
        return v !== undefined && v !== null;
      };
    },
  },
];
