import { compile, compileErrors, runError, valueOf } from '../../../test/helpers/mapping';

describe('$concat', () => {
  it('joins strings, numbers and booleans; missing and null count as ""', () => {
    expect(
      valueOf({ $concat: ['#', { $path: 'n' }, '-', { $path: 'b' }, { $path: 'gone' }, { $path: 'nil' }] }, { n: 7, b: true, nil: null }),
    ).toBe('#7-true');
  });

  it('an object or array is MAPPING_TYPE naming its input path', () => {
    const e = runError({ $concat: ['x', { $path: 'customer.name' }] }, { customer: { name: { first: 'A' } } });
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.inputPath).toBe('customer.name');
    expect(runError({ $concat: [{ $path: 'a' }] }, { a: [1] }).code).toBe('MAPPING_TYPE');
  });

  it('needs at least one part', () => {
    expect(compileErrors({ output: { $concat: [] } })[0]!.code).toBe('SCHEMA_INVALID');
  });
});

describe('$template', () => {
  it('fills {{path}} placeholders, relative to @ and from $', () => {
    expect(valueOf({ $template: 'Order {{id}} for {{ $.customer.email }}!' }, { id: 42, customer: { email: 'a@b.c' } })).toBe(
      'Order 42 for a@b.c!',
    );
    expect(valueOf({ $template: '{{a}}{{b}}' }, { a: 'x', b: 'y' })).toBe('xy');
    expect(valueOf({ $template: 'no placeholders' })).toBe('no placeholders');
  });

  it('missing values become ""', () => {
    expect(valueOf({ $template: '[{{nope}}]' }, {})).toBe('[]');
  });

  it('uses variables', () => {
    const m = compile({ let: { c: { $path: 'customer' } }, output: { $template: 'Dear {{$c.name}}' } });
    expect(m.runSync({ customer: { name: 'Anna' } })).toEqual({ dropped: false, output: 'Dear Anna' });
  });

  it('an object value is MAPPING_TYPE naming the placeholder path', () => {
    const e = runError({ $template: 'x {{data.obj}}' }, { data: { obj: {} } });
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.inputPath).toBe('data.obj');
  });

  it('a bad or empty placeholder path is MAPPING_BAD_PATH; unknown variables are reported', () => {
    expect(compileErrors({ output: { $template: 'x {{a..b}}' } })[0]!.code).toBe('MAPPING_BAD_PATH');
    expect(compileErrors({ output: { $template: 'x {{}}' } })[0]!.code).toBe('MAPPING_BAD_PATH');
    const [e] = compileErrors({ output: { t: { $template: '{{$who}}' } } });
    expect(e!.code).toBe('MAPPING_UNKNOWN_VARIABLE');
    expect(e!.location.pointer).toBe('/output/t/$template');
  });
});

describe('$upper, $lower, $trim', () => {
  it('transform strings and stringify numbers', () => {
    expect(valueOf({ $upper: 'straße' })).toBe('STRASSE');
    expect(valueOf({ $lower: 'ABC' })).toBe('abc');
    expect(valueOf({ $trim: '  x y \n' })).toBe('x y');
    expect(valueOf({ $upper: 12 })).toBe('12');
  });

  it.each(['$upper', '$lower', '$trim'])('%s passes missing and null through', (op) => {
    expect(valueOf({ [op]: { $path: 'x' } }, {})).toBeUndefined();
    expect(valueOf({ [op]: { $path: 'x' } }, { x: null })).toBeNull();
    expect(valueOf({ [op]: { $path: 'x' }, default: '' }, {})).toBe('');
  });

  it.each([[true], [{}], [['a']]])('%j is MAPPING_TYPE', (v) => {
    const e = runError({ $upper: { $path: 'country' } }, { country: v });
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.inputPath).toBe('country');
  });
});

describe('$split and $join', () => {
  it('splits at a plain separator (not a regex)', () => {
    expect(valueOf({ $split: 'a.b.c', separator: '.' })).toEqual(['a', 'b', 'c']);
    expect(valueOf({ $split: ' a, b ,,c ', separator: ',' })).toEqual([' a', ' b ', '', 'c ']);
    expect(valueOf({ $split: ' a, b ,,c ', separator: ',', trim: true })).toEqual(['a', 'b', 'c']);
  });

  it('joins, skipping missing and null elements', () => {
    expect(valueOf({ $join: { $path: 'tags' }, separator: ', ' }, { tags: ['a', null, 2, true] })).toBe('a, 2, true');
    expect(valueOf({ $join: { $path: 'tags' } }, { tags: ['a', 'b'] })).toBe('ab');
    expect(valueOf({ $join: { $path: 'tags' } }, { tags: [] })).toBe('');
  });

  it('wrong types are MAPPING_TYPE', () => {
    expect(runError({ $split: { $path: 'a' }, separator: ',' }, { a: {} }).code).toBe('MAPPING_TYPE');
    expect(runError({ $join: { $path: 'a' } }, { a: 'abc' }).code).toBe('MAPPING_TYPE');
    const e = runError({ $join: { $path: 'tags' } }, { tags: ['a', { b: 1 }] });
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.inputPath).toBe('tags');
  });

  it('$split needs a separator', () => {
    expect(compileErrors({ output: { $split: 'a' } })[0]!.code).toBe('SCHEMA_INVALID');
  });
});

describe('regex operators', () => {
  it('$replace replaces every match, with groups', () => {
    expect(valueOf({ $replace: 'a-b-c', pattern: '-', with: '_' })).toBe('a_b_c');
    expect(valueOf({ $replace: 'john smith', pattern: '(\\w+) (\\w+)', with: '$2, $1' })).toBe('smith, john');
    expect(valueOf({ $replace: 'AbA', pattern: 'a', with: 'x', flags: 'i' })).toBe('xbx');
  });

  it('$test matches, and is false for missing', () => {
    expect(valueOf({ $test: { $path: 's' }, pattern: '^cus_' }, { s: 'cus_1' })).toBe(true);
    expect(valueOf({ $test: { $path: 's' }, pattern: '^cus_' }, { s: 'sub_1' })).toBe(false);
    expect(valueOf({ $test: { $path: 's' }, pattern: '^cus_' }, {})).toBe(false);
    expect(valueOf({ $test: { $path: 's' }, pattern: '^cus_' }, { s: null })).toBe(false);
    expect(valueOf({ $test: 'ABC', pattern: 'abc', flags: 'i' })).toBe(true);
  });

  it('$test gives the same answer on repeated runs (no lastIndex state)', () => {
    const m = compile({ output: { $test: { $path: 's' }, pattern: 'a' } });
    for (let i = 0; i < 3; i++) expect(m.runSync({ s: 'a' })).toEqual({ dropped: false, output: true });
  });

  it('$extract returns a capture group; no match is missing', () => {
    const node = { $extract: { $path: 'id' }, pattern: '/(\\d+)$' };
    expect(valueOf(node, { id: 'gid://shopify/Customer/42' })).toBe('42');
    expect(valueOf(node, { id: 'nothing' })).toBeUndefined();
    expect(valueOf({ ...node, default: 'none' }, { id: 'nothing' })).toBe('none');
    expect(valueOf({ $extract: 'ab12', pattern: '[a-z]+(\\d)', group: 0 })).toBe('ab1');
    expect(valueOf({ $extract: 'ab12', pattern: '[a-z]+(\\d)', group: 5 })).toBeUndefined();
  });

  it('wrong types are MAPPING_TYPE', () => {
    expect(runError({ $test: { $path: 's' }, pattern: 'a' }, { s: {} }).code).toBe('MAPPING_TYPE');
    expect(runError({ $replace: { $path: 's' }, pattern: 'a', with: '' }, { s: [] }).code).toBe('MAPPING_TYPE');
  });

  it.each([
    { $test: { $path: 'note' }, pattern: 'a' },
    { $replace: { $path: 'note' }, pattern: 'a', with: 'b' },
    { $extract: { $path: 'note' }, pattern: '(a)' },
  ])('an input over 100,000 characters is MAPPING_LIMIT (%j)', (node) => {
    const e = runError(node, { note: 'x'.repeat(100_001) });
    expect(e.code).toBe('MAPPING_LIMIT');
    expect(e.kind).toBe('bad_input');
    expect(e.inputPath).toBe('note');
  });

  it('an input of exactly 100,000 characters is accepted', () => {
    expect(valueOf({ $test: { $path: 'note' }, pattern: 'y' }, { note: 'x'.repeat(100_000) })).toBe(false);
  });

  // Patterns that backtrack exponentially (or with a high polynomial) in JavaScript's engine:
  // each took over 30 s on a few hundred characters before matching moved to RE2JS.
  it.each<[string, string]>([
    ['\\s*\\s*\\s*\\s*$', `${' '.repeat(50_000)}x`],
    ['^a*a*a*a*a*a*b$', 'a'.repeat(50_000)],
    ['^(.*)(.*)(.*)(.*)(.*)x$', 'y'.repeat(50_000)],
    ['(a+)+$', `${'a'.repeat(50_000)}!`],
    ['(a|a)*b', 'a'.repeat(50_000)],
    ['^(\\w+\\s?)*$', `${'word '.repeat(10_000)}!`],
  ])('the pathological pattern %j runs in linear time on a long input', (pattern, input) => {
    const started = performance.now();
    expect(valueOf({ $test: { $path: 's' }, pattern }, { s: input })).toBe(pattern === '\\s*\\s*\\s*\\s*$');
    expect(valueOf({ $replace: { $path: 's' }, pattern, with: '' }, { s: input })).toEqual(expect.any(String));
    // Seconds of slack for a loaded machine; the backtracking engine needs minutes to years here.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it.each(['(a)\\1', '(?<y>a)\\k<y>', '(?=a)b', 'a(?!b)', '(?<=a)b', '(?<!a)b', '\\u0041'])(
    'the pattern %j (valid JavaScript, not RE2) is MAPPING_UNSUPPORTED_REGEX at /pattern with a hint',
    (pattern) => {
      const [e, ...rest] = compileErrors({ output: { ok: { $extract: { $path: 's' }, pattern } } });
      expect(rest).toEqual([]);
      expect(e!.code).toBe('MAPPING_UNSUPPORTED_REGEX');
      expect(e!.location.pointer).toBe('/output/ok/pattern');
      expect(e!.hint).toMatch(/back-references.*lookahead/);
    },
  );

  it('RE2 syntax beyond JavaScript works: inline flags, Unicode classes, \\x{..} escapes', () => {
    expect(valueOf({ $test: { $path: 's' }, pattern: '(?i)^cus_' }, { s: 'CUS_1' })).toBe(true);
    expect(valueOf({ $extract: { $path: 's' }, pattern: '^(\\p{L}+)' }, { s: 'Zoë 42' })).toBe('Zoë');
    expect(valueOf({ $replace: { $path: 's' }, pattern: '\\x{41}', with: 'b' }, { s: 'AA' })).toBe('bb');
  });

  it('replacement patterns and groups behave as in JavaScript', () => {
    expect(valueOf({ $replace: { $path: 's' }, pattern: '(?<a>\\d+)-(\\d+)', with: '$2:$<a> $$ [$&]' }, { s: '12-34' })).toBe(
      '34:12 $ [12-34]',
    );
    expect(valueOf({ $replace: { $path: 's' }, pattern: 'x*', with: '-' }, { s: 'abc' })).toBe('-a-b-c-');
    expect(valueOf({ $extract: { $path: 's' }, pattern: '(x)?y', group: 1 }, { s: 'y' })).toBeUndefined();
    expect(valueOf({ $extract: { $path: 's' }, pattern: '(y)', group: 7 }, { s: 'y' })).toBeUndefined();
  });

  it.each(['^cus_[A-Za-z0-9]+$', '(\\d+)-(\\d+)', '[ab]*c', 'a{1,3}', '^gid://shopify/\\w+/(\\d+)$', 'x|y'])(
    'the safe pattern %j compiles',
    (pattern) => {
      expect(() => compile({ output: { $test: 'x', pattern } })).not.toThrow();
    },
  );

  it.each(['(', '[a-', '*a', 'a{2,1}'])('the bad pattern %j is MAPPING_BAD_REGEX', (pattern) => {
    const [e] = compileErrors({ output: { $replace: 'x', pattern, with: '' } });
    expect(e!.code).toBe('MAPPING_BAD_REGEX');
    expect(e!.location.pointer).toBe('/output/pattern');
  });

  it('flags other than i, m, s, u are a schema error', () => {
    expect(compileErrors({ output: { $test: 'a', pattern: 'a', flags: 'g' } })[0]!.code).toBe('SCHEMA_INVALID');
    expect(compileErrors({ output: { $test: 'a', pattern: 'a', flags: 'y' } })[0]!.code).toBe('SCHEMA_INVALID');
  });

  it('a pattern is required', () => {
    expect(compileErrors({ output: { $test: 'a' } })[0]!.code).toBe('SCHEMA_INVALID');
  });
});
