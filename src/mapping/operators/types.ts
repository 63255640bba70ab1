import { isIntegral, roundDecimal, type RoundingMode } from '../decimal';
import { NODE, ROUNDING, type OperatorDef } from './operator';
import { describe, fail, requireNumber, unary } from './support';

const TRUE_WORDS = new Set(['true', 'yes', 'y', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'n', 'off', '0']);

export const typeOperators: OperatorDef[] = [
  {
    name: '$string',
    group: 'types',
    summary: 'Converts to a string: numbers and booleans are written out; objects and arrays are an error.',
    arg: NODE,
    compile: (n, cc) =>
      unary(n, cc, (v, from) => {
        if (typeof v === 'string') return v;
        if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') return String(v);
        return fail(n.info, 'MAPPING_TYPE', `cannot convert ${describe(v)} to a string`, from);
      }),
  },
  {
    name: '$number',
    group: 'types',
    summary: 'Converts to a finite number; numeric strings are parsed, anything else is an error.',
    arg: NODE,
    compile: (n, cc) => unary(n, cc, (v, from) => requireNumber(n.info, v, from)),
  },
  {
    name: '$integer',
    group: 'types',
    summary: 'Converts to a safe integer. A fraction is an error unless "round" names a rounding mode.',
    arg: NODE,
    params: { round: { schema: ROUNDING, description: 'How to round a value with a fraction.' } },
    compile: (n, cc) => {
      const mode = n.params.round as RoundingMode | undefined;
      return unary(n, cc, (v, from) => {
        let x = requireNumber(n.info, v, from);
        // Judge the exact decimal text, not its float: "1.0000000000000000001" is not an integer.
        const integral = typeof v === 'string' ? isIntegral(v) === true : Number.isInteger(x);
        if (!integral) {
          if (mode === undefined) return fail(n.info, 'MAPPING_NUMBER_INVALID', `${x} is not an integer (set "round" to round it)`, from);
          x = roundDecimal(typeof v === 'string' ? v : x, 0, mode)!;
        }
        if (!Number.isSafeInteger(x)) return fail(n.info, 'MAPPING_NUMBER_INVALID', `${x} is beyond the safe integer range`, from);
        return x;
      });
    },
  },
  {
    name: '$boolean',
    group: 'types',
    summary: 'Converts to a boolean: true/false, 1/0 and the words yes/no, on/off, y/n (any case).',
    arg: NODE,
    compile: (n, cc) =>
      unary(n, cc, (v, from) => {
        if (typeof v === 'boolean') return v;
        if (v === 1 || v === 0) return v === 1;
        if (typeof v === 'string') {
          const w = v.trim().toLowerCase();
          if (TRUE_WORDS.has(w)) return true;
          if (FALSE_WORDS.has(w)) return false;
        }
        return fail(n.info, 'MAPPING_TYPE', `cannot convert ${describe(v)} to a boolean`, from);
      }),
  },
];
