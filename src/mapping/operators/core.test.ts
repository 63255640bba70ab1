import { MAX_MAPPING_DEPTH } from '../compile-context';
import { compile, compileErrors, runSyncError, valueOf } from '../../../test/helpers/mapping';

describe('constants, arrays and templates', () => {
  it('JSON scalars are constants', () => {
    expect(valueOf('x')).toBe('x');
    expect(valueOf(0)).toBe(0);
    expect(valueOf(false)).toBe(false);
    expect(valueOf(null)).toBeNull();
  });

  it('an array holds the results of its nodes, leaving out missing ones but keeping null', () => {
    expect(valueOf([1, { $path: 'a' }, { $path: 'nope' }, null], { a: 'A' })).toEqual([1, 'A', null]);
  });

  it('a template builds an object, leaving out missing values but keeping null', () => {
    expect(valueOf({ id: { $path: 'id' }, gone: { $path: 'nope' }, n: { $path: 'n' }, k: 'const' }, { id: 7, n: null })).toEqual({
      id: 7,
      n: null,
      k: 'const',
    });
  });

  it('templates nest', () => {
    expect(valueOf({ a: { b: { c: { $path: 'x' } } } }, { x: 1 })).toEqual({ a: { b: { c: 1 } } });
  });

  it('builds new objects for every run', () => {
    const m = compile({ output: { a: { b: 1 } } });
    const first = m.runSync({});
    const second = m.runSync({});
    expect(first).toEqual(second);
    expect(first.dropped === false && second.dropped === false && first.output !== second.output).toBe(true);
  });
});

describe('$path', () => {
  const input = { data: { object: { id: 'sub_1', items: [{ sku: 'A' }, { sku: 'B' }], meta: { 'order-ref': 'R1' } } }, top: 'T' };

  it('reads keys, indexes, negative indexes, wildcards and quoted keys', () => {
    expect(valueOf({ $path: 'data.object.id' }, input)).toBe('sub_1');
    expect(valueOf({ $path: 'data.object.items[1].sku' }, input)).toBe('B');
    expect(valueOf({ $path: 'data.object.items[-1].sku' }, input)).toBe('B');
    expect(valueOf({ $path: 'data.object.items[*].sku' }, input)).toEqual(['A', 'B']);
    expect(valueOf({ $path: 'data.object.meta["order-ref"]' }, input)).toBe('R1');
  });

  it('reads the whole input with @ and $', () => {
    expect(valueOf({ $path: '@' }, input)).toEqual(input);
    expect(valueOf({ $path: '$' }, input)).toEqual(input);
  });

  it('a missing path is missing, not an error', () => {
    expect(valueOf({ $path: 'data.nope.deeper' }, input)).toBeUndefined();
    expect(valueOf({ $path: 'data.object.items[5].sku' }, input)).toBeUndefined();
    expect(valueOf({ $path: 'top.x' }, input)).toBeUndefined();
    expect(valueOf({ $path: 'data.object.items.sku' }, input)).toBeUndefined();
  });

  it('works on any input type, including null and scalars', () => {
    expect(valueOf({ $path: 'a' }, null)).toBeUndefined();
    expect(valueOf({ $path: 'a' }, 'text')).toBeUndefined();
    expect(valueOf({ $path: '[0]' }, [9])).toBe(9);
    expect(valueOf({ $path: '@' }, 5)).toBe(5);
  });

  it('reads variables declared in let, evaluated in order', () => {
    const m = compile({ let: { obj: { $path: 'data.object' }, first: { $path: '$obj.items[0]' } }, output: { $path: '$first.sku' } });
    expect(m.runSync(input)).toEqual({ dropped: false, output: 'A' });
  });

  it('$ reads from the root inside $map', () => {
    expect(valueOf({ $map: { $path: 'data.object.items' }, to: [{ $path: 'sku' }, { $path: '$.top' }] }, input)).toEqual([
      ['A', 'T'],
      ['B', 'T'],
    ]);
  });

  it('a bad path is MAPPING_BAD_PATH at the path node', () => {
    const [e, ...rest] = compileErrors({ output: { x: { $path: 'a..b' } } });
    expect(rest).toEqual([]);
    expect(e!.code).toBe('MAPPING_BAD_PATH');
    expect(e!.location.pointer).toBe('/output/x/$path');
    expect(e!.kind).toBe('config');
  });

  it('an unknown variable is MAPPING_UNKNOWN_VARIABLE, naming the variables in scope', () => {
    const [e] = compileErrors({ let: { known: 1 }, output: { $path: '$unknown.x' } });
    expect(e!.code).toBe('MAPPING_UNKNOWN_VARIABLE');
    expect(e!.location.pointer).toBe('/output/$path');
    expect(e!.hint).toContain('$known');
  });

  it('a let variable cannot read a later one', () => {
    const [e] = compileErrors({ let: { b: { $path: '$a' }, a: 1 }, output: 1 });
    expect(e!.code).toBe('MAPPING_UNKNOWN_VARIABLE');
    expect(e!.location.pointer).toBe('/let/b/$path');
  });

  it('a $map variable is not in scope outside the $map', () => {
    const [e] = compileErrors({ output: [{ $map: { $path: 'a' }, as: 'item', to: { $path: '$item' } }, { $path: '$item' }] });
    expect(e!.code).toBe('MAPPING_UNKNOWN_VARIABLE');
    expect(e!.location.pointer).toBe('/output/1/$path');
  });

  it('an empty path breaks the schema', () => {
    expect(compileErrors({ output: { $path: '' } })[0]!.code).toBe('SCHEMA_INVALID');
  });
});

describe('$literal', () => {
  it('outputs its argument without interpreting $-keys', () => {
    expect(valueOf({ $literal: { $path: 'x', nested: [{ $upper: 'a' }] } }, { x: 1 })).toEqual({ $path: 'x', nested: [{ $upper: 'a' }] });
    expect(valueOf({ $literal: 'plain' })).toBe('plain');
    expect(valueOf({ $literal: null })).toBeNull();
  });

  it('gives a fresh copy per run, so a caller cannot change the mapping through it', () => {
    const m = compile({ output: { $literal: { list: [1] } } });
    const first = m.runSync({});
    if (first.dropped) throw new Error('dropped');
    (first.output as { list: number[] }).list.push(2);
    expect(m.runSync({})).toEqual({ dropped: false, output: { list: [1] } });
  });
});

describe('$coalesce', () => {
  it('takes the first value that is neither missing nor null', () => {
    expect(valueOf({ $coalesce: [{ $path: 'a' }, null, { $path: 'b' }, 'fallback'] }, { a: null, b: 0 })).toBe(0);
    expect(valueOf({ $coalesce: [{ $path: 'a' }, { $path: 'b' }] }, { b: '' })).toBe('');
    expect(valueOf({ $coalesce: [{ $path: 'a' }, 'fallback'] }, {})).toBe('fallback');
  });

  it('is missing when every value is missing or null', () => {
    expect(valueOf({ $coalesce: [{ $path: 'a' }, null] }, { a: null })).toBeUndefined();
  });

  it('needs at least one value', () => {
    expect(compileErrors({ output: { $coalesce: [] } })[0]!.code).toBe('SCHEMA_INVALID');
  });
});

describe('$drop, filter and the output', () => {
  it('$drop ends the run without output, with its reason', () => {
    const m = compile({ output: { $if: { $path: 'test' }, then: { $drop: 'test event' }, else: { id: 1 } } });
    expect(m.runSync({ test: true })).toEqual({ dropped: true, reason: 'test event' });
    expect(m.runSync({ test: false })).toEqual({ dropped: false, output: { id: 1 } });
  });

  it('a falsy filter drops the event', () => {
    const m = compile({ filter: { $eq: [{ $path: 'type' }, 'invoice.paid'] }, output: { $path: 'id' } });
    expect(m.runSync({ type: 'invoice.paid', id: 1 })).toEqual({ dropped: false, output: 1 });
    expect(m.runSync({ type: 'invoice.created', id: 1 })).toEqual({ dropped: true, reason: 'filter' });
  });

  it.each([undefined, null])('a missing or null output is MAPPING_REQUIRED_MISSING (%s)', (x) => {
    const e = runSyncError(compile({ output: { $path: 'x' } }), { x });
    expect(e.code).toBe('MAPPING_REQUIRED_MISSING');
    expect(e.kind).toBe('bad_input');
    expect(e.mapping).toBe('m');
    expect(e.location.pointer).toBe('/output');
  });
});

describe('running', () => {
  it('run() gives what runSync() gives for a mapping without $jsonata', async () => {
    const m = compile({ filter: { $path: 'ok' }, output: { id: { $path: 'id' } } });
    expect(m.isAsync).toBe(false);
    await expect(m.run({ ok: true, id: 3 })).resolves.toEqual(m.runSync({ ok: true, id: 3 }));
    await expect(m.run({ ok: false })).resolves.toEqual({ dropped: true, reason: 'filter' });
    await expect(m.run({ ok: true, id: { $bad: 1 } })).resolves.toEqual({ dropped: false, output: { id: { $bad: 1 } } });
  });

  it('run() rejects with the MappingError runSync() throws', async () => {
    const m = compile({ output: { $number: { $path: 'n' } } });
    await expect(m.run({ n: 'x' })).rejects.toMatchObject({ code: 'MAPPING_NUMBER_INVALID', kind: 'bad_input', inputPath: 'n' });
  });

  it('an output that breaks the declared output schema is MAPPING_OUTPUT_INVALID', () => {
    const e = runSyncError(compile({ outputSchema: 'hub-event', output: { type: 'not.a.type' } }), {});
    expect(e.code).toBe('MAPPING_OUTPUT_INVALID');
    expect(e.kind).toBe('bad_input');
    expect(e.location.pointer).toBe('/output');
  });

  it('an unknown output schema is a schema error', () => {
    expect(compileErrors({ outputSchema: 'nope', output: 1 })[0]!.code).toBe('SCHEMA_INVALID');
  });
});

describe('default and required', () => {
  it('default replaces a missing or null result', () => {
    expect(valueOf({ $path: 'a', default: 'd' }, {})).toBe('d');
    expect(valueOf({ $path: 'a', default: 'd' }, { a: null })).toBe('d');
    expect(valueOf({ $path: 'a', default: 0 }, { a: false })).toBe(false);
    expect(valueOf({ $path: 'a', default: null }, {})).toBeNull();
    expect(valueOf({ $upper: { $path: 'a' }, default: 'NONE' }, {})).toBe('NONE');
  });

  it('required fails on missing or null with MAPPING_REQUIRED_MISSING naming the input path', () => {
    for (const input of [{}, { data: { id: null } }, { data: 'scalar' }]) {
      const e = runSyncError(compile({ output: { id: { $path: 'data.id', required: true } } }), input);
      expect(e.code).toBe('MAPPING_REQUIRED_MISSING');
      expect(e.kind).toBe('bad_input');
      expect(e.inputPath).toBe('data.id');
      expect(e.location.pointer).toBe('/output/id');
    }
  });

  it('required accepts falsy values that are present', () => {
    expect(valueOf({ $path: 'a', required: true }, { a: 0 })).toBe(0);
    expect(valueOf({ $path: 'a', required: true }, { a: '' })).toBe('');
  });

  it('default wins over required', () => {
    expect(valueOf({ $path: 'a', required: true, default: 'd' }, {})).toBe('d');
  });

  it('an object default is MAPPING_BAD_ARGUMENT', () => {
    const [e] = compileErrors({ output: { $path: 'a', default: { x: 1 } } });
    expect(e!.code).toBe('MAPPING_BAD_ARGUMENT');
    expect(e!.location.pointer).toBe('/output/default');
  });

  it('comment is accepted and ignored', () => {
    expect(valueOf({ $path: 'a', comment: 'the id' }, { a: 1 })).toBe(1);
  });
});

describe('compile-time problems', () => {
  it('an unknown operator is MAPPING_UNKNOWN_OPERATOR with a did-you-mean hint', () => {
    const [e] = compileErrors({ output: { total: { $uper: { $path: 'x' } } } });
    expect(e!.code).toBe('MAPPING_UNKNOWN_OPERATOR');
    expect(e!.location.pointer).toBe('/output/total/$uper');
    expect(e!.hint).toBe('did you mean "$upper"?');
  });

  it('an unknown operator far from every name points at the operator list', () => {
    const [e] = compileErrors({ output: { $frobnicate: 1 } });
    expect(e!.code).toBe('MAPPING_UNKNOWN_OPERATOR');
    expect(e!.hint).toContain('README');
  });

  it('two operators in one node are a schema error', () => {
    const errors = compileErrors({ output: { $path: 'a', $upper: 'b' } });
    expect(errors.map((e) => e.code)).toContain('SCHEMA_INVALID');
  });

  it('an unknown parameter gets a did-you-mean hint', () => {
    const [e] = compileErrors({ output: { $path: 'a', defualt: 1 } });
    expect(e!.code).toBe('SCHEMA_INVALID');
    expect(e!.location.pointer).toBe('/output/defualt');
    expect(e!.hint).toBe('did you mean "default"?');
  });

  it('reports every problem of a mapping at once', () => {
    const errors = compileErrors({ output: { a: { $path: 'a..b' }, b: { $path: '$nope' }, c: { $path: 'ok', default: [1] } } });
    expect(errors.map((e) => [e.code, e.location.pointer])).toEqual([
      ['MAPPING_BAD_PATH', '/output/a/$path'],
      ['MAPPING_UNKNOWN_VARIABLE', '/output/b/$path'],
      ['MAPPING_BAD_ARGUMENT', '/output/c/default'],
    ]);
  });

  it(`nodes nested deeper than ${MAX_MAPPING_DEPTH} levels are MAPPING_TOO_DEEP`, () => {
    const nest = (levels: number): unknown => {
      let v: unknown = 1;
      for (let i = 0; i < levels; i++) v = { k: v };
      return v;
    };
    // n nested templates and the constant at the bottom are n + 1 levels
    expect(() => compile({ output: nest(MAX_MAPPING_DEPTH - 1) })).not.toThrow();
    const errors = compileErrors({ output: nest(MAX_MAPPING_DEPTH) });
    expect(errors.map((e) => e.code)).toEqual(['MAPPING_TOO_DEEP']);
    expect(errors[0]!.kind).toBe('config');
    expect(errors[0]!.location.pointer).toBe(`/output${'/k'.repeat(MAX_MAPPING_DEPTH)}`);
  });

  it('deep operator chains and arrays are MAPPING_TOO_DEEP too', () => {
    let ops: unknown = { $path: 'a' };
    for (let i = 0; i < 150; i++) ops = { $trim: ops };
    expect(compileErrors({ output: ops }).map((e) => e.code)).toEqual(['MAPPING_TOO_DEEP']);
    let arr: unknown = 1;
    for (let i = 0; i < 1000; i++) arr = [arr];
    expect(compileErrors({ let: { x: arr }, output: 1 }).map((e) => e.code)).toEqual(['MAPPING_TOO_DEEP']);
  });

  it('a "name" that differs from the mapping name is MAPPING_NAME_MISMATCH', () => {
    const [e] = compileErrors({ name: 'other', output: 1 });
    expect(e!.code).toBe('MAPPING_NAME_MISMATCH');
    expect(e!.location.pointer).toBe('/name');
  });
});
