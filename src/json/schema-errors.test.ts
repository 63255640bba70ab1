import type { LocatedError } from '../errors/located-error';
import { createAjv } from './ajv';
import { parseLocatedJson } from './located-json';
import { schemaErrorsToLocated } from './schema-errors';
import { compileTextErrors } from '../../test/helpers/mapping';

/** The one problem of a mapping document given as text. */
const only = (text: string): LocatedError => {
  const problems = compileTextErrors(text);
  expect(problems).toHaveLength(1);
  return problems[0]!;
};

describe('schema errors of mapping documents', () => {
  it('an unknown top-level key lists the allowed keys', () => {
    const e = only('{"output": 1, "zzzzzz": 2}');
    expect(e.code).toBe('SCHEMA_INVALID');
    expect(e.kind).toBe('config');
    expect(e.location).toEqual({ file: 'm.json', pointer: '/zzzzzz', line: 1, col: 15 });
    expect(e.hint).toBe('allowed here: $schema, name, description, outputSchema, tables, let, filter, output');
  });

  it('a misspelt key gets a did-you-mean hint instead', () => {
    expect(only('{"output": 1, "filtr": true}').hint).toBe('did you mean "filter"?');
  });

  it('an unknown operator parameter lists the parameters of that operator', () => {
    const e = only('{"output": {"$split": "a,b", "separator": ",", "zzzzzzzz": 1}}');
    expect(e.location.pointer).toBe('/output/zzzzzzzz');
    for (const p of ['$split', 'separator', 'trim', 'default', 'required', 'comment']) expect(e.hint).toContain(p);
  });

  it('an unknown operator is MAPPING_UNKNOWN_OPERATOR, reported once', () => {
    const e = only('{"output": {"$splti": "a,b", "separator": ","}}');
    expect(e.code).toBe('MAPPING_UNKNOWN_OPERATOR');
    expect(e.location.pointer).toBe('/output/$splti');
    expect(e.hint).toBe('did you mean "$split"?');
  });

  it('a value outside an enum names the allowed values and the closest one', () => {
    const e = only('{"output": {"$round": 1, "mode": "half_up"}}');
    expect(e.code).toBe('SCHEMA_INVALID');
    expect(e.location.pointer).toBe('/output/mode');
    expect(e.message).toContain('"half-even"');
    expect(e.hint).toBe('did you mean "half-up"?');
  });

  it.each(['{"toString": 1}', '{"valueOf": {}}', '[1]', '{}', '7', 'null'])(
    'a non-string enum value %s is SCHEMA_INVALID, not a crash',
    (v) => {
      const e = only(`{"output": {"$date": 1, "to": ${v}}}`);
      expect(e.code).toBe('SCHEMA_INVALID');
      expect(e.location.pointer).toBe('/output/to');
      expect(e.hint).toBeUndefined();
    },
  );

  it('a wrong type names both types', () => {
    const e = only('{"output": {"$path": 5}}');
    expect(e.code).toBe('SCHEMA_INVALID');
    expect(e.location.pointer).toBe('/output/$path');
    expect(e.message).toBe('expected string, got integer');
  });

  it('a missing required parameter is reported at the node', () => {
    const e = only('{"output": {"$replace": "x", "pattern": "a"}}');
    expect(e.location.pointer).toBe('/output');
    expect(e.message).toContain('"with"');
  });

  it('a missing "output" is reported at the document', () => {
    const e = only('{}');
    expect(e.location).toEqual({ file: 'm.json', pointer: '', line: 1, col: 1 });
    expect(e.message).toContain('"output"');
  });

  it('a table with both data and file is reported once at the table', () => {
    const e = only('{"tables": {"t": {"data": {}, "file": "x.csv"}}, "output": 1}');
    expect(e.location.pointer).toBe('/tables/t');
  });

  it('a table name that is not an identifier is reported', () => {
    const e = compileTextErrors('{"tables": {"my-table": {"data": {}}}, "output": 1}').find(
      (p) => p.location.pointer === '/tables/my-table',
    );
    expect(e).toBeDefined();
    expect(e!.code).toBe('SCHEMA_INVALID');
    expect(e!.message).toContain('"my-table"');
  });

  it('reports problems in different places at once', () => {
    const problems = compileTextErrors('{"output": {"a": {"$uper": 1}, "b": {"$path": 1}, "c": {"$round": 1, "digits": 99}}, "x": 1}');
    expect(problems.map((p) => p.location.pointer).sort()).toEqual(['/output/a/$uper', '/output/b/$path', '/output/c/digits', '/x']);
  });
});

describe('schemaErrorsToLocated', () => {
  const validate = createAjv().compile({
    type: 'object',
    properties: {
      kind: { enum: ['alpha', 'beta'] },
      n: { type: 'integer' },
      tag: { type: 'string', pattern: '^[a-z]+$' },
      v: { const: 1 },
    },
    required: ['kind'],
    additionalProperties: false,
  });

  const errorsFor = (value: unknown) => {
    expect(validate(value)).toBe(false);
    return validate.errors ?? [];
  };

  it('without a document, uses the given file and leaves line and column out', () => {
    const [e] = schemaErrorsToLocated(errorsFor({ kind: 'alhpa' }), undefined, 'SCHEMA_INVALID', 'conf.json');
    expect(e!.location).toEqual({ file: 'conf.json', pointer: '/kind', line: undefined, col: undefined });
    expect(e!.hint).toBe('did you mean "alpha"?');
    expect(e!.toLine().startsWith('conf.json: ')).toBe(true);
  });

  it('uses the code given, with its kind', () => {
    const [e] = schemaErrorsToLocated(errorsFor({}), undefined, 'CONFIG_ENV_INVALID');
    expect(e!.code).toBe('CONFIG_ENV_INVALID');
    expect(e!.kind).toBe('config');
  });

  it('locates each problem in the document, asking fileOf for the file', () => {
    const text = '{\n  "kind": "alpha",\n  "n": 1.5,\n  "tag": "UP",\n  "v": 2\n}';
    const doc = parseLocatedJson(text, 'main.json');
    const located = schemaErrorsToLocated(errorsFor(doc.value), { ...doc, fileOf: (p) => (p === '/tag' ? 'included.json' : 'main.json') });
    const byPointer = Object.fromEntries(located.map((e) => [e.location.pointer, e]));
    expect(byPointer['/n']!.location).toMatchObject({ file: 'main.json', line: 3, col: 8 });
    expect(byPointer['/n']!.message).toBe('expected integer, got number');
    expect(byPointer['/tag']!.location).toMatchObject({ file: 'included.json', line: 4, col: 10 });
    expect(byPointer['/tag']!.message).toBe('"UP" does not match ^[a-z]+$');
    expect(byPointer['/v']!.message).toBe('expected 1, got 2');
  });

  it('an unknown key is located at the key, not its value', () => {
    const doc = parseLocatedJson('{\n  "kind": "beta",\n  "extra":\n    {"deep": 1}\n}', 'x.json');
    const [e] = schemaErrorsToLocated(errorsFor(doc.value), doc);
    expect(e!.location).toMatchObject({ pointer: '/extra', line: 3, col: 3 });
  });

  it('reports each problem once', () => {
    const located = schemaErrorsToLocated([...errorsFor({ kind: 'x' }), ...errorsFor({ kind: 'x' })], undefined);
    expect(located).toHaveLength(1);
  });
});
