import type { CompileContext } from '../compile-context';
import type { Evaluator } from '../scope';
import { compileLinearRegex, type LinearRegex } from '../linear-regex';
import { compilePath } from './core';
import { NODE, NODE_LIST, type OperatorDef, type OperatorNode } from './operator';
import { describe, fail, MAX_ITERATION, MAX_REGEX_INPUT, requireArray, requireString, unary } from './support';

/** Text of a value inside $concat/$template/$join: missing and null become "", objects are an error. */
function piece(n: OperatorNode, v: unknown, from: Evaluator): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') return String(v);
  return fail(n.info, 'MAPPING_TYPE', `cannot put ${describe(v)} into a string`, from);
}

function stringOp(name: `$${string}`, summary: string, fn: (s: string) => string): OperatorDef {
  return {
    name,
    group: 'strings',
    summary,
    arg: NODE,
    compile: (n, cc) => unary(n, cc, (v, from) => fn(requireString(n.info, v, from))),
  };
}

const PATTERN_PARAMS = {
  pattern: {
    schema: { type: 'string', minLength: 1 },
    description: 'A regular expression in RE2 syntax (linear-time matching; no back-references or lookaround).',
    required: true,
  },
  flags: { schema: { type: 'string', pattern: '^[imsu]*$' }, description: 'Regex flags among i, m, s, u.' },
};

/** Compiles the node's regex once (linear-time engine); reports syntax errors and syntax RE2 does not run. */
function compileRegex(n: OperatorNode, cc: CompileContext): LinearRegex | undefined {
  const pattern = n.params.pattern as string;
  const r = compileLinearRegex(pattern, (n.params.flags as string | undefined) ?? '');
  if (r.ok) return r.regex;
  if (r.reason === 'invalid') cc.error('MAPPING_BAD_REGEX', cc.child(n.pointer, 'pattern'), r.message);
  else
    cc.error(
      'MAPPING_UNSUPPORTED_REGEX',
      cc.child(n.pointer, 'pattern'),
      `pattern ${JSON.stringify(pattern)} uses syntax the linear-time regex engine does not support (${r.message})`,
      'back-references (\\1, \\k<name>), lookahead and lookbehind ((?=, (?!, (?<=, (?<!), \\u escapes (write \\x{41}) and repeat counts over 1000 are not available; see "Regular expressions" in mappings/README.md',
    );
  return undefined;
}

function limited(n: OperatorNode, arr: unknown[], from: Evaluator): unknown[] {
  if (arr.length > MAX_ITERATION)
    fail(n.info, 'MAPPING_LIMIT', `array of ${arr.length} elements exceeds the limit of ${MAX_ITERATION}`, from);
  return arr;
}

function regexInput(n: OperatorNode, v: unknown, from: Evaluator): string {
  const s = requireString(n.info, v, from);
  if (s.length > MAX_REGEX_INPUT)
    fail(n.info, 'MAPPING_LIMIT', `string of ${s.length} characters exceeds the regex limit of ${MAX_REGEX_INPUT}`, from);
  return s;
}

/** Splits "Order {{id}} for {{$.customer.email}}" into literal text and compiled paths. */
function compileTemplate(text: string, pointer: string, cc: CompileContext): Array<string | Evaluator> {
  const parts: Array<string | Evaluator> = [];
  const re = /\{\{\s*([^{}]*?)\s*\}\}/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(compilePath(m[1]!, pointer, cc));
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

export const stringOperators: OperatorDef[] = [
  {
    name: '$concat',
    group: 'strings',
    summary: 'Joins the values into one string; missing and null count as "".',
    arg: { ...NODE_LIST, minItems: 1 },
    compile: (n, cc) => {
      const evs = (n.arg as unknown[]).map((x, i) => cc.node(x, cc.child(n.argPointer, i)));
      return (s) => {
        let out = '';
        for (const ev of evs) out += piece(n, ev(s), ev);
        return out;
      };
    },
  },
  {
    name: '$template',
    group: 'strings',
    summary: 'A string with {{path}} placeholders, e.g. "Renewal of {{data.object.id}}"; missing values become "".',
    arg: { type: 'string' },
    compile: (n, cc) => {
      const parts = compileTemplate(n.arg as string, n.argPointer, cc);
      return (s) => {
        let out = '';
        for (const p of parts) out += typeof p === 'string' ? p : piece(n, p(s), p);
        return out;
      };
    },
  },
  stringOp('$upper', 'Upper case.', (s) => s.toUpperCase()),
  stringOp('$lower', 'Lower case.', (s) => s.toLowerCase()),
  stringOp('$trim', 'Removes white space at both ends.', (s) => s.trim()),
  {
    name: '$split',
    group: 'strings',
    summary: 'Splits a string into an array at each separator.',
    arg: NODE,
    params: {
      separator: { schema: { type: 'string' }, description: 'The separator (a plain string).', required: true },
      trim: { schema: { type: 'boolean' }, description: 'Trim each part and drop empty ones.' },
    },
    compile: (n, cc) => {
      const sep = n.params.separator as string;
      const trim = n.params.trim === true;
      return unary(n, cc, (v, from) => {
        const parts = requireString(n.info, v, from).split(sep);
        return trim ? parts.map((p) => p.trim()).filter((p) => p !== '') : parts;
      });
    },
  },
  {
    name: '$join',
    group: 'strings',
    summary: 'Joins an array into a string with a separator; missing and null elements are skipped.',
    arg: NODE,
    params: { separator: { schema: { type: 'string' }, description: 'Put between elements (default "").' } },
    compile: (n, cc) => {
      const sep = (n.params.separator as string | undefined) ?? '';
      return unary(n, cc, (v, from) =>
        limited(n, requireArray(n.info, v, from), from)
          .filter((x) => x !== undefined && x !== null)
          .map((x) => piece(n, x, from))
          .join(sep),
      );
    },
  },
  {
    name: '$replace',
    group: 'strings',
    summary: 'Replaces every match of a regex; "with" may use $1, $2 for groups.',
    arg: NODE,
    params: { ...PATTERN_PARAMS, with: { schema: { type: 'string' }, description: 'Replacement text.', required: true } },
    compile: (n, cc) => {
      const re = compileRegex(n, cc);
      const replacement = n.params.with as string;
      return unary(n, cc, (v, from) => re!.replaceAll(regexInput(n, v, from), replacement));
    },
  },
  {
    name: '$test',
    group: 'strings',
    summary: 'True when the string matches the regex (missing → false).',
    arg: NODE,
    params: PATTERN_PARAMS,
    compile: (n, cc) => {
      const re = compileRegex(n, cc);
      const ev = cc.node(n.arg, n.argPointer);
      return (s) => {
        const v = ev(s);
        return v === undefined || v === null ? false : re!.test(regexInput(n, v, ev));
      };
    },
  },
  {
    name: '$extract',
    group: 'strings',
    summary: 'The text of a capture group of the first match (e.g. the id in "gid://shopify/Customer/42"); no match → missing.',
    arg: NODE,
    params: {
      ...PATTERN_PARAMS,
      group: {
        schema: { type: 'integer', minimum: 0, maximum: 99 },
        description: 'Capture group number (default 1; 0 is the whole match).',
      },
    },
    compile: (n, cc) => {
      const re = compileRegex(n, cc);
      const group = (n.params.group as number | undefined) ?? 1;
      return unary(n, cc, (v, from) => re!.extract(regexInput(n, v, from), group));
    },
  },
];
