import { LocatedErrors } from '../errors/located-error';
import { compile, compileErrors, compileText, outputOf, thrownBy } from '../../test/helpers/mapping';

/**
 * Mapping files and inputs come from anyone: keys such as __proto__ and constructor must never
 * reach a prototype, and a mapping can neither call functions nor evaluate text as code.
 */

const json = (text: string): unknown => JSON.parse(text) as unknown;

const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
const arrayPrototypeKeys = Object.getOwnPropertyNames(Array.prototype).sort();

function expectPrototypesUntouched(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(arrayPrototypeKeys);
}

afterEach(expectPrototypesUntouched);

const hostile = (): unknown =>
  json(`{
    "__proto__": {"polluted": true},
    "constructor": {"prototype": {"polluted": true}},
    "a": {"__proto__": {"polluted": true}, "x": 1},
    "items": [{"__proto__": {"polluted": true}, "sku": "A"}, {"constructor": {"prototype": {"polluted": true}}}]
  }`);

describe('mapping files', () => {
  it('a template key __proto__ is MAPPING_FORBIDDEN_KEY, at any depth', () => {
    const errors = compileErrors(json('{"output": {"__proto__": {"polluted": true}, "ok": {"nested": {"__proto__": 1}}}}'));
    expect(errors.map((e) => [e.code, e.location.pointer])).toEqual([
      ['MAPPING_FORBIDDEN_KEY', '/output/__proto__'],
      ['MAPPING_FORBIDDEN_KEY', '/output/ok/nested/__proto__'],
    ]);
    expect(errors[0]!.kind).toBe('config');
  });

  it('a template key __proto__ inside $map is MAPPING_FORBIDDEN_KEY', () => {
    const [e] = compileErrors(json('{"output": {"$map": {"$path": "a"}, "to": {"__proto__": {"$path": "@"}}}}'));
    expect(e!.code).toBe('MAPPING_FORBIDDEN_KEY');
    expect(e!.location.pointer).toBe('/output/to/__proto__');
  });

  it('a __proto__ key in a mapping file read from text is located', () => {
    const err = thrownBy(() => compileText('{\n  "output": {\n    "__proto__": 1\n  }\n}', 'evil.json', 'evil'), LocatedErrors);
    const [e] = err.errors;
    expect(e!.code).toBe('MAPPING_FORBIDDEN_KEY');
    expect(e!.toLine().startsWith('evil.json:3:18:')).toBe(true);
  });

  it('template keys constructor and prototype are plain own keys of the output', () => {
    const out = outputOf(compile({ output: { constructor: { $path: 'a' }, prototype: 'p', toString: 1 } }), { a: 'c' }) as Record<
      string,
      unknown
    >;
    expect(out).toEqual({ constructor: 'c', prototype: 'p', toString: 1 });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('$literal with a __proto__ key keeps it as an own key', () => {
    const out = outputOf(compile(json('{"output": {"$literal": {"__proto__": {"polluted": true}, "x": 1}}}')), {}) as Record<
      string,
      unknown
    >;
    // structuredClone may build the copy in another realm (jest's sandbox), so compare by shape
    const proto = Object.getPrototypeOf(out) as object;
    expect(Object.getPrototypeOf(proto)).toBeNull();
    expect(Object.prototype.hasOwnProperty.call(proto, 'polluted')).toBe(false);
    expect(out.polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')!.value).toEqual({ polluted: true });
    expect(Object.keys(out).sort()).toEqual(['__proto__', 'x']);
  });

  it('let variables and tables named __proto__ or constructor stay local', () => {
    const value = json(`{
      "let": {"__proto__": {"$path": "a"}, "constructor": {"$path": "b"}},
      "tables": {"__proto__": {"data": {"k": "v"}}},
      "output": {"p": {"$path": "$__proto__"}, "c": {"$path": "$constructor"}, "t": {"$lookup": "k", "table": "__proto__"}}
    }`);
    expect(outputOf(compile(value), { a: 1, b: 2 })).toEqual({ p: 1, c: 2, t: 'v' });
  });

  it('a $switch case named __proto__ does not reach the prototype', () => {
    const value = json('{"output": {"$switch": {"$path": "s"}, "cases": {"__proto__": {"polluted": true}}, "otherwise": "none"}}');
    expect(outputOf(compile(value), { s: 'polluted' })).toBe('none');
    expect(outputOf(compile(value), { s: '__proto__' })).toEqual({ polluted: true });
  });

  it('a mapping cannot call a function: paths to methods are missing', () => {
    const out = outputOf(
      compile({
        output: {
          ctor: { $path: 'constructor' },
          proto: { $path: 'constructor.prototype' },
          fn: { $path: 'constructor.constructor' },
          str: { $path: 'toString' },
          arr: { $path: 'list.map' },
          len: { $path: 'list.length' },
          text: { $concat: [{ $path: 'constructor' }, { $path: 'valueOf' }] },
          tpl: { $template: '{{constructor.name}}{{__proto__}}' },
          def: { $path: 'constructor', default: 'missing' },
        },
      }),
      { list: [1] },
    );
    expect(out).toEqual({ text: '', tpl: '', def: 'missing' });
  });

  it('an output that is only a method path is missing, not a function', () => {
    expect(() => compile({ output: { $path: 'constructor' } }).runSync({})).toThrow(
      expect.objectContaining({ code: 'MAPPING_REQUIRED_MISSING' }),
    );
  });

  /* eslint-disable no-eval, no-new-func -- this test traps eval and Function to prove the engine never calls them */
  it('compiling and running mappings never evaluates text as code', () => {
    compile({ output: 1 }); // builds the (trusted) schema validator first
    const calls: string[] = [];
    const realFunction = globalThis.Function;
    const realEval = globalThis.eval;
    const trap = <T extends object>(target: T, name: string): T =>
      new Proxy(target, {
        apply: (t, self, args) => {
          calls.push(name);
          return Reflect.apply(t as (...a: unknown[]) => unknown, self, args);
        },
        construct: (t, args, nt) => {
          calls.push(name);
          return Reflect.construct(t as new (...a: unknown[]) => object, args, nt) as object;
        },
      });
    globalThis.Function = trap(realFunction, 'Function');
    globalThis.eval = trap(realEval, 'eval');
    try {
      // the trap itself works: this one call is expected
      expect(new Function('return 7')()).toBe(7);
      const m = compile({
        let: { t: { $template: '{{s}}' } },
        output: {
          a: { $path: 'constructor.constructor' },
          b: { $concat: ['return process', { $path: '$t' }] },
          c: { $replace: { $path: 's' }, pattern: '(x)', with: '$1$1' },
          d: { $date: 1700000000, format: "'constructor' yyyy" },
          e: { $map: { $path: 'items' }, to: { $merge: [{ $path: '@' }, { k: 1 }] } },
        },
      });
      m.runSync(hostile());
      m.runSync({ s: 'x; process.exit(1)', items: [] });
    } finally {
      globalThis.Function = realFunction;
      globalThis.eval = realEval;
    }
    expect(calls).toEqual(['Function']);
  });
  /* eslint-enable no-eval, no-new-func */
});

describe('hostile input', () => {
  it('$path reads an own __proto__ key as data', () => {
    const out = outputOf(
      compile({ output: { p: { $path: '__proto__' }, px: { $path: '__proto__.polluted' }, ax: { $path: 'a.x' } } }),
      hostile(),
    ) as Record<string, unknown>;
    expect(out).toEqual({ p: { polluted: true }, px: true, ax: 1 });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('a template that writes input values never changes the output prototype', () => {
    const out = outputOf(compile({ output: { copy: { $path: '@' }, inner: { $path: 'a' } } }), hostile()) as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.copy!.polluted).toBeUndefined();
    expect(out.inner!.polluted).toBeUndefined();
  });

  it('$merge copies __proto__ as an own key and keeps the prototype', () => {
    const out = outputOf(compile({ output: { $merge: [{ $path: '@' }, { $path: 'a' }, { $path: 'items[0]' }] } }), hostile()) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')!.value).toEqual({ polluted: true });
    expect(out.sku).toBe('A');
    expect(out.x).toBe(1);
  });

  it('$map over hostile elements builds clean objects', () => {
    const out = outputOf(
      compile({
        output: {
          $map: { $path: 'items' },
          to: { sku: { $path: 'sku' }, p: { $path: '__proto__' }, c: { $path: 'constructor.prototype' } },
        },
      }),
      hostile(),
    ) as Array<Record<string, unknown>>;
    expect(out).toEqual([{ sku: 'A', p: { polluted: true } }, { c: { polluted: true } }]);
    for (const o of out) expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
  });

  it('$distinct, $flatten, $filter and wildcards pass hostile objects through as data', () => {
    const input = hostile();
    expect(outputOf(compile({ output: { $count: { $distinct: { $path: 'items' } } } }), input)).toBe(2);
    expect(outputOf(compile({ output: { $count: { $filter: { $path: 'items' }, where: { $path: '__proto__.polluted' } } } }), input)).toBe(
      1,
    );
    expect(outputOf(compile({ output: { $path: 'items[*].__proto__.polluted' } }), input)).toEqual([true]);
    expect(outputOf(compile({ output: { $path: 'items[*].constructor.prototype.polluted' } }), input)).toEqual([true]);
    expect(outputOf(compile({ output: { $count: { $path: '*' } } }), input)).toBe(4);
  });

  it('a hostile input does not change the mapping for later runs', () => {
    const m = compile({ output: { v: { $path: 'v', default: 'd' }, merged: { $merge: [{ $path: 'a' }, { fixed: 1 }] } } });
    m.runSync(hostile());
    expect(m.runSync({})).toEqual({ dropped: false, output: { v: 'd', merged: { fixed: 1 } } });
  });
});
