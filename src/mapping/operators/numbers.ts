import { currencyExponent, fromMinorUnits, roundDecimal, toMinorUnits, type RoundingMode } from '../decimal';
import type { CompileContext } from '../compile-context';
import type { Evaluator } from '../scope';
import { NODE, NODE_LIST, ROUNDING, type OperatorDef, type OperatorNode } from './operator';
import { describe, fail, listEvaluators, paramEvaluator, requireNumber, requireString, unary } from './support';

const EXPONENT = { type: 'integer', minimum: 0, maximum: 6 };
const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];

/** Resolves the minor-unit exponent from `exponent` or the `currency` node, per evaluation. */
function exponentOf(n: OperatorNode, cc: CompileContext): (s: Parameters<Evaluator>[0]) => number {
  const fixed = n.params.exponent as number | undefined;
  if (fixed !== undefined) return () => fixed;
  const currency = paramEvaluator(n, cc, 'currency');
  if (!currency) return () => 2;
  return (s) => {
    const c = currency(s);
    if (c === undefined || c === null) return 2;
    const e = currencyExponent(requireString(n.info, c, currency));
    if (e === undefined) return fail(n.info, 'MAPPING_TYPE', `${describe(c)} is not an ISO 4217 currency code`, currency);
    return e;
  };
}

function arithmetic(name: `$${string}`, summary: string, op: (a: number, b: number) => number, checkDivisor = false): OperatorDef {
  return {
    name,
    group: 'numbers',
    summary,
    arg: { ...NODE_LIST, minItems: 2 },
    compile: (n, cc) => {
      const evs = listEvaluators(n, cc);
      return (s) => {
        let acc: number | undefined;
        for (const ev of evs) {
          const v = ev(s);
          if (v === undefined || v === null) return v;
          const x = requireNumber(n.info, v, ev);
          if (acc === undefined) acc = x;
          else {
            if (checkDivisor && x === 0) return fail(n.info, 'MAPPING_NUMBER_INVALID', 'division by zero', ev);
            acc = op(acc, x);
          }
        }
        if (acc !== undefined && !Number.isFinite(acc)) return fail(n.info, 'MAPPING_NUMBER_INVALID', 'the result is out of range', evs[0]);
        return acc;
      };
    },
  };
}

export const numberOperators: OperatorDef[] = [
  {
    name: '$round',
    group: 'numbers',
    summary: 'Rounds exactly (decimal, not binary) to "digits" places with the given rounding mode.',
    arg: NODE,
    params: {
      digits: { schema: { type: 'integer', minimum: 0, maximum: 12 }, description: 'Decimal places (default 0).' },
      mode: { schema: ROUNDING, description: 'Rounding mode (default half-up).' },
    },
    compile: (n, cc) => {
      const digits = (n.params.digits as number | undefined) ?? 0;
      const mode = (n.params.mode as RoundingMode | undefined) ?? 'half-up';
      return unary(n, cc, (v, from) => {
        const x = requireNumber(n.info, v, from);
        return roundDecimal(typeof v === 'string' ? v : x, digits, mode);
      });
    },
  },
  {
    name: '$toMinor',
    group: 'numbers',
    summary: "Decimal amount → integer minor units (19.99 EUR → 1999), exactly, using the currency's exponent.",
    arg: NODE,
    params: {
      currency: { schema: NODE, description: 'ISO 4217 code (JPY has 0 decimals, KWD 3, most 2).' },
      exponent: { schema: EXPONENT, description: 'Decimal places, overriding the currency.' },
      mode: { schema: ROUNDING, description: 'Rounding mode for extra decimals (default half-up).' },
    },
    compile: (n, cc) => {
      const exp = exponentOf(n, cc);
      const mode = (n.params.mode as RoundingMode | undefined) ?? 'half-up';
      return unary(n, cc, (v, from, s) => {
        const x = requireNumber(n.info, v, from);
        const minor = toMinorUnits(typeof v === 'string' ? v : x, exp(s), mode)!;
        if (!Number.isSafeInteger(minor)) return fail(n.info, 'MAPPING_NUMBER_INVALID', `${describe(v)} is out of range`, from);
        return minor;
      });
    },
  },
  {
    name: '$fromMinor',
    group: 'numbers',
    summary: 'Integer minor units → decimal amount (1999 → 19.99); "as": "string" gives fixed places ("19.90").',
    arg: NODE,
    params: {
      currency: { schema: NODE, description: 'ISO 4217 code (JPY has 0 decimals, KWD 3, most 2).' },
      exponent: { schema: EXPONENT, description: 'Decimal places, overriding the currency.' },
      as: { schema: { enum: ['number', 'string'] }, description: 'Output type (default number).' },
    },
    compile: (n, cc) => {
      const exp = exponentOf(n, cc);
      const asString = n.params.as === 'string';
      return unary(n, cc, (v, from, s) => {
        const x = requireNumber(n.info, v, from);
        if (!Number.isSafeInteger(x))
          return fail(n.info, 'MAPPING_NUMBER_INVALID', `minor units must be an integer, got ${describe(v)}`, from);
        const e = exp(s);
        // Dividing an exact integer by an exact power of ten rounds once, to the same double as
        // parsing the decimal text would, so only the string form needs the decimal routine.
        return asString ? fromMinorUnits(BigInt(x), e) : x / POW10[e]!;
      });
    },
  },
  arithmetic('$add', 'Sum of the listed values (missing or null in any → missing).', (a, b) => a + b),
  arithmetic('$subtract', 'First value minus the others.', (a, b) => a - b),
  arithmetic('$multiply', 'Product of the listed values (e.g. quantity × kit quantity).', (a, b) => a * b),
  arithmetic('$divide', 'First value divided by the others; dividing by zero is an error.', (a, b) => a / b, true),
];
