import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../src/errors/codes';

/** docs/errors.md is the operator's catalogue: every code of src/errors/codes.ts has a row there, with its kind. */
describe('docs/errors.md', () => {
  const doc = readFileSync(join(__dirname, '..', 'docs/errors.md'), 'utf8');
  const rows = new Map(
    doc
      .split('\n')
      .map((line) => /^\| `([A-Z][A-Z0-9_]+)` +\| ([a-z_]+) /.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );

  it('has a row for every error code, with the kind the code has', () => {
    const documented = Object.fromEntries(Object.keys(ERROR_CODES).map((code) => [code, rows.get(code)]));
    const expected = Object.fromEntries(Object.entries(ERROR_CODES).map(([code, c]) => [code, c.kind]));
    expect(documented).toEqual(expected);
  });

  it('documents no code that does not exist', () => {
    expect([...rows.keys()].filter((code) => !(code in ERROR_CODES))).toEqual([]);
  });
});
