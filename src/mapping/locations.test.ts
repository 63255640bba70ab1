import { LocatedErrors } from '../errors/located-error';
import { parseLocatedJson } from '../json/located-json';
import { compile, compileText, compileTextErrors, problemsOf, runSyncError, thrownBy } from '../../test/helpers/mapping';
import { MappingError } from './mapping-error';

/** The text found at a 1-based line and column. */
function textAt(text: string, line: number, col: number): string {
  return text.split('\n')[line - 1]!.slice(col - 1);
}

const MAPPING = `{
  "name": "orders",
  "output": {
    "id": { "$path": "data..id" },
    "total": {
      "$add": [1, { "$path": "$nope.x" }]
    },
    "check": { "$test": { "$path": "s" }, "pattern": "(a)\\\\1" },
    "fine": { "$upper": { "$path": "name" } }
  }
}
`;

describe('compile errors carry file:line:col, the pointer of the node and a message', () => {
  const problems = compileTextErrors(MAPPING, 'mappings/orders.json', 'orders');

  it('reports every problem of the file at once, in document order', () => {
    expect(problems.map((p) => p.code)).toEqual(['MAPPING_BAD_PATH', 'MAPPING_UNKNOWN_VARIABLE', 'MAPPING_UNSUPPORTED_REGEX']);
    expect(problems.every((p) => p instanceof MappingError && p.kind === 'config' && p.mapping === 'orders')).toBe(true);
  });

  it.each<[number, string, number, number, string]>([
    [0, '/output/id/$path', 4, 22, '"data..id"'],
    [1, '/output/total/$add/1/$path', 6, 30, '"$nope.x"'],
    [2, '/output/check/pattern', 8, 54, '"(a)\\\\1"'],
  ])('problem %d is at %s, line %d col %d', (i, pointer, line, col, found) => {
    const p = problems[i]!;
    expect(p.location).toEqual({ file: 'mappings/orders.json', pointer, line, col });
    expect(textAt(MAPPING, line, col).startsWith(found)).toBe(true);
    expect(p.toLine().startsWith(`mappings/orders.json:${line}:${col}: `)).toBe(true);
    expect(p.toLine()).toContain(pointer);
    expect(p.toLine().endsWith(`[${p.code}]`)).toBe(true);
    expect(p.message.length).toBeGreaterThan(0);
  });

  it('toLine has the documented form', () => {
    expect(problems[0]!.toLine()).toBe(
      'mappings/orders.json:4:22: mapping orders at /output/id/$path: expected a key name at column 6 of "data..id"; hint: paths look like data.object.items.data[0].price.id, $.root, $var.x or @ [MAPPING_BAD_PATH]',
    );
  });

  it('the thrown error lists every problem, one line each', () => {
    const thrown = thrownBy(() => compileText(MAPPING, 'mappings/orders.json', 'orders'), LocatedErrors);
    const lines = thrown.message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.split(': ')[0])).toEqual([
      'mappings/orders.json:4:22',
      'mappings/orders.json:6:30',
      'mappings/orders.json:8:54',
    ]);
    expect(thrown.code).toBe('MAPPING_BAD_PATH');
  });
});

describe('schema errors are located too', () => {
  const text = `{
  "output": {
    "a": { "$uper": { "$path": "x" } },
    "b": {
      "$lowr": "X"
    },
    "c": { "$path": "y", "defualt": 1 }
  },
  "outpt": 1
}`;
  const problems = compileTextErrors(text, 'm.json', 'm');

  it('each problem points at the offending key', () => {
    const byPointer = new Map(problems.map((p) => [p.location.pointer, p]));
    const expectAt = (pointer: string, code: string, line: number, col: number, found: string) => {
      const p = byPointer.get(pointer);
      expect(p).toBeDefined();
      expect(p!.code).toBe(code);
      expect([p!.location.line, p!.location.col]).toEqual([line, col]);
      expect(textAt(text, line, col).startsWith(found)).toBe(true);
      expect(p!.toLine().startsWith(`m.json:${line}:${col}: `)).toBe(true);
    };
    expectAt('/output/a/$uper', 'MAPPING_UNKNOWN_OPERATOR', 3, 12, '"$uper"');
    expectAt('/output/b/$lowr', 'MAPPING_UNKNOWN_OPERATOR', 5, 7, '"$lowr"');
    expectAt('/output/c/defualt', 'SCHEMA_INVALID', 7, 26, '"defualt"');
    expectAt('/outpt', 'SCHEMA_INVALID', 9, 3, '"outpt"');
  });

  it('hints name the likely key', () => {
    const hints = Object.fromEntries(problems.map((p) => [p.location.pointer, p.hint]));
    expect(hints['/output/a/$uper']).toBe('did you mean "$upper"?');
    expect(hints['/output/b/$lowr']).toBe('did you mean "$lower"?');
    expect(hints['/output/c/defualt']).toBe('did you mean "default"?');
    expect(hints['/outpt']).toBe('did you mean "output"?');
  });

  it('a missing key is reported at the object that lacks it', () => {
    const t = '{\n  "output": {\n    "$map": { "$path": "a" }\n  }\n}';
    const [p] = compileTextErrors(t, 'x.json', 'x');
    expect(p!.code).toBe('SCHEMA_INVALID');
    expect(p!.location).toEqual({ file: 'x.json', pointer: '/output', line: 2, col: 13 });
  });

  it('a name mismatch points at "name"', () => {
    const [p] = compileTextErrors('{\n  "name": "other",\n  "output": 1\n}', 'dir/mine.json', 'mine');
    expect(p!.code).toBe('MAPPING_NAME_MISMATCH');
    expect(p!.location).toEqual({ file: 'dir/mine.json', pointer: '/name', line: 2, col: 11 });
  });
});

describe('JSON syntax errors', () => {
  const syntaxProblems = (text: string) => problemsOf(() => parseLocatedJson(text, 'bad.json'));

  it.each<[string, string, number, number]>([
    ['trailing comma in an object', '{\n  "a": 1,\n}', 3, 1],
    ['trailing comma in an array', '{\n  "a": [1, 2,]\n}', 2, 14],
    ['line comment', '{\n  // note\n  "a": 1\n}', 2, 3],
    ['block comment', '{\n  "a": 1 /* x */\n}', 2, 10],
    ['single quotes', "{\n  'a': 1\n}", 2, 3],
    ['missing comma', '{\n  "a": 1\n  "b": 2\n}', 3, 3],
    ['unterminated string', '{\n  "a": "x\n}', 2, 8],
    ['CRLF line ends', '{\r\n  "a": 1,\r\n}', 3, 1],
    ['byte order mark', '\ufeff{\n  "a": 1,\n}', 3, 1],
  ])('%s → JSON_SYNTAX at its line and column', (_what, text, line, col) => {
    const [first] = syntaxProblems(text);
    expect(first!.code).toBe('JSON_SYNTAX');
    expect(first!.kind).toBe('config');
    expect([first!.location.line, first!.location.col]).toEqual([line, col]);
    expect(first!.toLine().startsWith(`bad.json:${line}:${col}: invalid JSON`)).toBe(true);
  });

  it('an empty file is JSON_SYNTAX at 1:1', () => {
    const [p] = syntaxProblems('');
    expect(p!.code).toBe('JSON_SYNTAX');
    expect([p!.location.line, p!.location.col]).toEqual([1, 1]);
  });

  it('a duplicate key is JSON_SYNTAX at the second key, with its pointer', () => {
    const problems = syntaxProblems('{\n  "output": {\n    "a": 1,\n    "b": 2,\n    "a": 3\n  }\n}');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.code).toBe('JSON_SYNTAX');
    expect(problems[0]!.location).toEqual({ file: 'bad.json', pointer: '/output/a', line: 5, col: 5 });
    expect(problems[0]!.toLine()).toContain('(at /output/a)');
  });

  it('reports every duplicate key at once, also inside arrays', () => {
    const problems = syntaxProblems('[\n  {"x": 1, "x": 2},\n  {"y": {"z": 1, "z": 2}}\n]');
    expect(problems.map((p) => [p.code, p.location.pointer, p.location.line]).sort()).toEqual([
      ['JSON_SYNTAX', '/0/x', 2],
      ['JSON_SYNTAX', '/1/y/z', 3],
    ]);
  });

  it('a duplicate __proto__ key is reported, with an escaped pointer for odd keys', () => {
    const problems = syntaxProblems('{"a/b~c": {"__proto__": 1, "__proto__": 2}}');
    expect(problems.map((p) => p.location.pointer)).toEqual(['/a~1b~0c/__proto__']);
  });

  it('nesting of 128 levels is accepted; 129 is JSON_TOO_DEEP at the bracket that opens level 129', () => {
    expect(() => parseLocatedJson('['.repeat(128) + ']'.repeat(128), 'deep.json')).not.toThrow();
    const [p] = syntaxProblems('\n  ' + '{"a":'.repeat(64) + '['.repeat(65) + ']'.repeat(65) + '}'.repeat(64));
    expect(p!.code).toBe('JSON_TOO_DEEP');
    expect(p!.location.line).toBe(2);
    expect(p!.location.col).toBe(3 + 64 * 5 + 64);
  });

  it('brackets inside strings do not count towards the depth', () => {
    const doc = parseLocatedJson(JSON.stringify({ s: '['.repeat(500), t: '\\"[[[' }), 'x.json');
    expect((doc.value as { s: string }).s).toHaveLength(500);
  });

  it('a very deep document is rejected without overflowing the stack', () => {
    const [p] = syntaxProblems('['.repeat(1_000_000));
    expect(p!.code).toBe('JSON_TOO_DEEP');
    expect(p!.location.col).toBe(129);
  });

  it('a smaller depth limit can be given', () => {
    expect(() => parseLocatedJson('[[[1]]]', 'x.json', 2)).toThrow(expect.objectContaining({ code: 'JSON_TOO_DEEP' }));
    expect(parseLocatedJson('[[1]]', 'x.json', 2).value).toEqual([[1]]);
  });
});

describe('run-time errors name the mapping, the node and the input path', () => {
  const text = `{
  "output": {
    "lines": {
      "$map": { "$path": "items" },
      "to": {
        "price": { "$number": { "$path": "price.amount" } }
      }
    }
  }
}`;
  const m = compileText(text, 'mappings/invoice.json', 'invoice');

  it('a bad element is bad input located at its node', () => {
    const e = runSyncError(m, { items: [{ price: { amount: '1' } }, { price: { amount: 'ten' } }] });
    expect(e.code).toBe('MAPPING_NUMBER_INVALID');
    expect(e.kind).toBe('bad_input');
    expect(e.retryable).toBe(false);
    expect(e.mapping).toBe('invoice');
    expect(e.inputPath).toBe('items[1].price.amount');
    expect(e.location).toEqual({ file: 'mappings/invoice.json', pointer: '/output/lines/to/price', line: 6, col: 18 });
    expect(textAt(text, 6, 18).startsWith('{ "$number"')).toBe(true);
    expect(e.toLine().startsWith('mappings/invoice.json:6:18: mapping invoice at /output/lines/to/price: ')).toBe(true);
    expect(e.toLine()).toContain('(input items[1].price.amount)');
    expect(e.toLine().endsWith('[MAPPING_NUMBER_INVALID]')).toBe(true);
    expect(e.toJSON()).toMatchObject({
      code: 'MAPPING_NUMBER_INVALID',
      kind: 'bad_input',
      mapping: 'invoice',
      inputPath: 'items[1].price.amount',
      line: 6,
      col: 18,
    });
  });

  it('a missing output is located at "output"', () => {
    const e = runSyncError(compileText('{\n  "output": { "$path": "x" }\n}', 'mappings/opt.json', 'opt'), {});
    expect(e.code).toBe('MAPPING_REQUIRED_MISSING');
    expect(e.location).toEqual({ file: 'mappings/opt.json', pointer: '/output', line: 2, col: 13 });
  });

  it('without a document, the error still names the mapping and the pointer', () => {
    const bare = compile({ output: { n: { $number: { $path: 'n' } } } }, {}, 'bare');
    const e = thrownBy(() => bare.runSync({ n: 'x' })) as MappingError;
    expect(e.location.pointer).toBe('/output/n');
    expect(e.toLine().startsWith('<mapping>: mapping bare at /output/n: ')).toBe(true);
  });
});
