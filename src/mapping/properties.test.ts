import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { ERROR_CODES } from '../errors/codes';
import { LocatedErrors } from '../errors/located-error';
import { compileMapping, type CompiledMapping, type MappingResult } from './compile-mapping';
import { MappingError } from './mapping-error';
import { OPERATORS } from './operators';
import { tempFiles } from '../../test/helpers/temp-files';

/**
 * Property-based tests: the compiler and the runtime fail only with catalogued codes, are
 * deterministic and never mutate their input.
 */

let baseDir: string;
beforeAll(() => {
  // table files named by generated mappings resolve here, where there are none
  baseDir = tempFiles({});
});
afterAll(() => {
  rmSync(baseDir, { recursive: true, force: true });
});

const compile = (value: unknown): CompiledMapping => compileMapping({ name: 'm', value, baseDir });
const isCatalogued = (code: unknown): boolean => typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);

type Outcome = { ok: MappingResult } | { error: { code: string; inputPath?: string; pointer: string } };

/** Runs a mapping; any failure other than a catalogued bad-input MappingError fails the test. */
function outcome(m: CompiledMapping, input: unknown): Outcome {
  try {
    return { ok: m.runSync(input) };
  } catch (e) {
    if (!(e instanceof MappingError)) throw e;
    expect(isCatalogued(e.code)).toBe(true);
    expect(e.kind).toBe('bad_input');
    expect(e.mapping).toBe('m');
    return { error: { code: e.code, inputPath: e.inputPath, pointer: e.location.pointer } };
  }
}

function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
      Object.freeze(v);
      for (const k of Reflect.ownKeys(v)) stack.push((v as Record<PropertyKey, unknown>)[k]);
    }
  }
  return value;
}

// ---- arbitraries -----------------------------------------------------------------------------

const OP_NAMES = OPERATORS.map((op) => op.name);
const PARAM_NAMES = [
  'to',
  'as',
  'index',
  'then',
  'else',
  'cases',
  'otherwise',
  'where',
  'of',
  'default',
  'required',
  'comment',
  'digits',
  'mode',
  'round',
  'currency',
  'exponent',
  'from',
  'tz',
  'add',
  'startOf',
  'format',
  'pattern',
  'flags',
  'with',
  'group',
  'separator',
  'trim',
  'table',
  'field',
  'input',
  'timeoutMs',
];
const DOC_KEYS = ['name', 'description', 'outputSchema', 'tables', 'let', 'filter', 'output', '$schema'];
// Objects are what JSON.parse builds (Object.prototype, no null prototype); keys such as toString
// are JSON data too, and an object holding one must not break the error formatter.
const keyArb = fc.oneof(
  fc.constantFrom(...OP_NAMES, ...PARAM_NAMES, ...DOC_KEYS, '__proto__', 'constructor', 'toString', 'valueOf', 'a', 'x'),
  fc.string({ maxLength: 6 }),
);
const scalarArb = fc.oneof(
  fc.constantFrom(
    'a',
    'a.b',
    'items[*].x',
    '@',
    '$',
    '$x',
    'a..b',
    '(a+)+$',
    'UTC',
    'Europe/Amsterdam',
    'yyyy',
    'half-even',
    'x.json',
    'x.csv',
    '',
    '{{a}}',
  ),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: -3, max: 200 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);

/** Arbitrary JSON shaped like mappings: operator and parameter names are likely keys. */
const { mappingish } = fc.letrec<{ mappingish: unknown }>((tie) => ({
  mappingish: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    scalarArb,
    fc.array(tie('mappingish'), { maxLength: 3 }),
    fc.dictionary(keyArb, tie('mappingish'), { maxKeys: 3, noNullPrototype: true }),
  ),
}));

const PATHS = [
  'a',
  'b',
  'a.b',
  'a.b.c',
  'n',
  's',
  'items',
  'items[0]',
  'items[-1].x',
  'items[*].x',
  'a.*',
  '@',
  '$',
  '$.a',
  'constructor',
  '__proto__.x',
];
const pathArb = fc.constantFrom(...PATHS).map((p) => ({ $path: p }));
const constArb = fc.oneof(
  fc.string({ maxLength: 5 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const defaultArb = fc.option(fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.boolean(), fc.constant(null)), { nil: undefined });
const requiredArb = fc.option(fc.boolean(), { nil: undefined });
const TEMPLATE_KEYS = ['id', 'name', 'total', 'constructor', 'toString', 'x-y', ''];

/** Adds the common `default`/`required` parameters (when drawn) to an operator node. */
function withCommon<T extends Record<string, unknown>>(arb: fc.Arbitrary<T>): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(arb, defaultArb, requiredArb).map(([node, d, r]) => ({
    ...node,
    ...(d === undefined ? {} : { default: d }),
    ...(r === undefined ? {} : { required: r }),
  }));
}

/** Valid mapping nodes built from a handful of operators. */
const { node: validNode } = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    constArb,
    withCommon(pathArb),
    withCommon(tie('node').map((n) => ({ $upper: n }))),
    withCommon(tie('node').map((n) => ({ $number: n }))),
    withCommon(fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((parts) => ({ $concat: parts }))),
    withCommon(fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((parts) => ({ $coalesce: parts }))),
    withCommon(
      fc
        .tuple(tie('node'), tie('node'), fc.option(tie('node'), { nil: undefined }))
        .map(([c, t, e]) => ({ $if: c, then: t, ...(e === undefined ? {} : { else: e }) })),
    ),
    withCommon(fc.tuple(pathArb, tie('node')).map(([src, to]) => ({ $map: src, to }))),
    fc.dictionary(fc.constantFrom(...TEMPLATE_KEYS), tie('node'), { maxKeys: 3, noNullPrototype: true }),
    fc.array(tie('node'), { maxLength: 3 }),
  ),
}));

const inputArb = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      a: fc.jsonValue({ maxDepth: 3 }),
      b: fc.jsonValue({ maxDepth: 2 }),
      n: fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.constantFrom('12', '1e3', ' 7 ', '-0.5')),
      s: fc.string({ maxLength: 6 }),
      items: fc.array(fc.oneof(fc.record({ x: fc.jsonValue({ maxDepth: 2 }) }), fc.jsonValue({ maxDepth: 2 })), { maxLength: 4 }),
    },
    { requiredKeys: [], noNullPrototype: true },
  ),
);

// ---- properties ------------------------------------------------------------------------------

describe('the compiler on arbitrary documents', () => {
  const check = (value: unknown) => {
    let m: CompiledMapping;
    try {
      m = compile(value);
    } catch (e) {
      // anything but located, catalogued errors is a bug
      if (!(e instanceof LocatedErrors)) throw e;
      expect(e.errors.length).toBeGreaterThan(0);
      for (const err of e.errors) {
        expect(isCatalogued(err.code)).toBe(true);
        expect(err.kind).toBe(ERROR_CODES[err.code as keyof typeof ERROR_CODES].kind);
        expect(typeof err.location.pointer).toBe('string');
        expect(err.message.length).toBeGreaterThan(0);
      }
      return;
    }
    if (!m.isAsync) {
      outcome(m, {});
      outcome(m, { a: { b: 1 }, items: [1, { x: 'y' }] });
    }
  };

  it('either compiles or throws LocatedErrors with catalogued codes (any JSON)', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), check), { numRuns: 300 });
  });

  it('either compiles or throws LocatedErrors with catalogued codes (mapping-shaped JSON)', () => {
    fc.assert(
      fc.property(mappingish, (output) => check({ output })),
      { numRuns: 400 },
    );
    fc.assert(fc.property(fc.dictionary(fc.constantFrom(...DOC_KEYS, 'x'), mappingish, { maxKeys: 4, noNullPrototype: true }), check), {
      numRuns: 300,
    });
  });

  it('compiling is deterministic: the same document gives the same errors', () => {
    fc.assert(
      fc.property(mappingish, (output) => {
        const errorsOf = () => {
          try {
            compile({ output });
            return [];
          } catch (e) {
            if (!(e instanceof LocatedErrors)) throw e;
            return e.errors.map((x) => x.toLine());
          }
        };
        expect(errorsOf()).toEqual(errorsOf());
      }),
      { numRuns: 200 },
    );
  });
});

describe('valid mappings on arbitrary input', () => {
  it('always compile', () => {
    fc.assert(
      fc.property(validNode, (output) => {
        expect(() => compile({ output })).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it('give a result or a catalogued bad-input MappingError, never another exception', () => {
    fc.assert(
      fc.property(validNode, inputArb, (output, input) => {
        outcome(compile({ output }), input);
      }),
      { numRuns: 400 },
    );
  });

  it('are deterministic: two runs, and two compilations, give equal outcomes', () => {
    fc.assert(
      fc.property(validNode, inputArb, (output, input) => {
        const m = compile({ output });
        const first = outcome(m, input);
        expect(outcome(m, input)).toEqual(first);
        expect(outcome(compile({ output }), input)).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });

  it('never mutate the input', () => {
    fc.assert(
      fc.property(validNode, inputArb, (output, input) => {
        const before = structuredClone(input);
        const frozen = deepFreeze(input);
        const m = compile({ output });
        outcome(m, frozen);
        expect(frozen).toEqual(before);
      }),
      { numRuns: 300 },
    );
  });

  it('never mutate the mapping document', () => {
    fc.assert(
      fc.property(validNode, inputArb, (output, input) => {
        const doc = { output };
        const before = structuredClone(doc);
        outcome(compile(deepFreeze(doc)), input);
        expect(doc).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });

  it('results do not share state between runs', () => {
    fc.assert(
      fc.property(validNode, inputArb, inputArb, (output, one, other) => {
        const m = compile({ output });
        const alone = outcome(m, other);
        outcome(m, one);
        expect(outcome(m, other)).toEqual(alone);
      }),
      { numRuns: 200 },
    );
  });
});
