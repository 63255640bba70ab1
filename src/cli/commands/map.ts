import { existsSync, readFileSync } from 'node:fs';
import { LocatedError, LocatedErrors } from '../../errors/located-error';
import { isHubError } from '../../errors/hub-error';
import { kindOf } from '../../errors/codes';
import { parseLocatedJson } from '../../json/located-json';
import { MappingSet, mappingNameOf } from '../../mapping/mapping-set';
import type { CliIO } from '../io';
import { DEFAULT_MAPPINGS } from '../workspace';

/** Parses the input document; syntax problems are bad input (MAPPING_INPUT_INVALID), with positions. */
function parseInput(text: string, source: string): unknown {
  try {
    return parseLocatedJson(text, source).value;
  } catch (e) {
    if (!(e instanceof LocatedErrors)) throw e;
    throw new LocatedErrors(e.errors.map((x) => new LocatedError('MAPPING_INPUT_INVALID', kindOf('MAPPING_INPUT_INVALID'), x.message, x.location)));
  }
}

/**
 * Dry run: applies one mapping (a file path or a name in ./mappings) to an input file or stdin and
 * prints the output JSON. A drop prints {"dropped": true, "reason": ...}. Errors print one precise
 * line and exit 1.
 */
export async function mapCommand(mapping: string, inputPath: string | undefined, io: CliIO): Promise<number> {
  const isFile = mapping.endsWith('.json') && existsSync(mapping);
  const roots = [...(isFile ? [mapping] : []), ...(existsSync(DEFAULT_MAPPINGS) ? [DEFAULT_MAPPINGS] : [])];
  const name = isFile ? mappingNameOf(mapping) : mapping;
  try {
    const set = MappingSet.fromPaths(roots, { preferFirst: true });
    const compiled = set.get(name);
    const source = inputPath === undefined || inputPath === '-' ? '<stdin>' : inputPath;
    const text = source === '<stdin>' ? await io.readStdin() : readFileSync(source, 'utf8');
    const input = parseInput(text, source);
    const result = await compiled.run(input);
    io.out(JSON.stringify(result.dropped ? { dropped: true, reason: result.reason } : result.output, null, 2));
    return 0;
  } catch (e) {
    if (e instanceof LocatedErrors) for (const x of e.errors) io.err(x.toLine());
    else if (e instanceof LocatedError) io.err(e.toLine());
    else if (isHubError(e)) io.err(`${e.message} [${e.code}]`);
    else if ((e as NodeJS.ErrnoException).code === 'ENOENT') io.err(`subhub map: cannot read ${inputPath}`);
    else throw e;
    return 1;
  }
}
