import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileMapping } from '../src/mapping/compile-mapping';
import { MappingError } from '../src/mapping/mapping-error';

// Every one-line example of mappings/README.md of the form
//   - `NODE` on `INPUT` → `OUTPUT` | error `CODE` | *missing* | *dropped*
// is run here, so the reference cannot drift from the engine.
const README = readFileSync(join(__dirname, '..', 'mappings', 'README.md'), 'utf8');
const EXAMPLE = /^- `(\{.*\})` on `(.*)` → (?:`(.*)`|error `([A-Z_]+)`|\*(missing|dropped)\*)\s*$/;

// "With the inline table `{...}`:" declares the tables of the examples that follow it.
const TABLES = /^With the inline table `(\{.*\})`:/;

let tables: unknown;
const examples: Array<{ line: number; m: RegExpExecArray; tables: unknown }> = [];
README.split('\n').forEach((text, i) => {
  const t = TABLES.exec(text);
  if (t) tables = JSON.parse(t[1]!);
  else if (text.startsWith('#')) tables = undefined;
  const m = EXAMPLE.exec(text);
  if (m) examples.push({ line: i + 1, m, tables });
});

test('the reference has examples to check', () => {
  expect(examples.length).toBeGreaterThanOrEqual(100);
});

describe.each(examples.map(({ line, m, tables }) => [`README line ${line}: ${m[1]!.slice(0, 60)}`, m, tables] as const))(
  '%s',
  (_title, m, tables) => {
    it('gives what the reference says', () => {
      const [, node, input, output, code, word] = m;
      const value = { ...(tables === undefined ? {} : { tables }), output: { v: JSON.parse(node!) } };
      const mapping = compileMapping({ name: 'example', value });
      const run = () => mapping.runSync(JSON.parse(input!));
      if (code !== undefined) {
        expect(run).toThrow(MappingError);
        expect(() => run()).toThrow(expect.objectContaining({ code }));
        return;
      }
      const result = run();
      if (word === 'dropped') {
        expect(result.dropped).toBe(true);
        return;
      }
      expect(result.dropped).toBe(false);
      const v = (result as { output: { v?: unknown } }).output.v;
      if (word === 'missing') expect(v).toBeUndefined();
      else expect(v).toEqual(JSON.parse(output!));
    });
  },
);
