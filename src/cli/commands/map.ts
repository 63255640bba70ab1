import { existsSync, readFileSync } from 'node:fs';
import { LocatedError, LocatedErrors } from '../../errors/located-error';
import { isHubError } from '../../errors/hub-error';
import { kindOf } from '../../errors/codes';
import { MappingSet, mappingNameOf } from '../../mapping/mapping-set';
import { parseInput } from '../../mapping/try-mapping';
import type { CliIO } from '../io';
import { DEFAULT_MAPPINGS } from '../workspace';

/** Reads the input file; an unreadable one is FILE_READ naming the file and why (no such file, a folder, no permission). */
function readInput(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw readProblem(
      file,
      'the input file',
      e as NodeJS.ErrnoException,
      'give a JSON file, or - to read stdin; example inputs are in mappings/fixtures/',
    );
  }
}

const REASONS: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'it is a folder', EACCES: 'permission denied' };

function readProblem(file: string, what: string, e: { code?: string; message?: string }, hint: string): LocatedError {
  const why = (e.code && REASONS[e.code]) ?? e.message ?? 'unreadable';
  return new LocatedError(
    'FILE_READ',
    kindOf('FILE_READ'),
    `cannot read ${what}: ${why}${e.code ? ` (${e.code})` : ''}`,
    { file, pointer: '' },
    { hint },
  );
}

/**
 * Dry run: applies one mapping (a file path or a name in ./mappings) to an input file or stdin and
 * prints the output JSON. A drop prints {"dropped": true, "reason": ...}. Errors print one precise
 * line and exit 1.
 */
export async function mapCommand(mapping: string, inputPath: string | undefined, io: CliIO): Promise<number> {
  const isFile = mapping.endsWith('.json') && existsSync(mapping);
  if (!isFile && (mapping.endsWith('.json') || mapping.includes('/'))) {
    io.err(
      readProblem(
        mapping,
        'the mapping file',
        { code: 'ENOENT' },
        'give a mapping file, or the name of one in mappings/ (without .json)',
      ).toLine(),
    );
    return 1;
  }
  const roots = [...(isFile ? [mapping] : []), ...(existsSync(DEFAULT_MAPPINGS) ? [DEFAULT_MAPPINGS] : [])];
  const name = isFile ? mappingNameOf(mapping) : mapping;
  try {
    const set = MappingSet.fromPaths(roots, { preferFirst: true });
    const compiled = set.get(name);
    const source = inputPath === undefined || inputPath === '-' ? '<stdin>' : inputPath;
    const text = source === '<stdin>' ? await io.readStdin() : readInput(source);
    const input = parseInput(text, source);
    const result = await compiled.run(input);
    io.out(JSON.stringify(result.dropped ? { dropped: true, reason: result.reason } : result.output, null, 2));
    return 0;
  } catch (e) {
    if (e instanceof LocatedErrors) for (const x of e.errors) io.err(x.toLine());
    else if (e instanceof LocatedError) io.err(e.toLine());
    else if (isHubError(e)) io.err(`${e.message} [${e.code}]`);
    else throw e;
    return 1;
  }
}
