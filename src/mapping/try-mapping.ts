import { isHubError } from '../errors/hub-error';
import { LocatedError, LocatedErrors } from '../errors/located-error';
import { kindOf } from '../errors/codes';
import { parseLocatedJson, type LocatedJson } from '../json/located-json';
import type { CompiledMapping } from './compile-mapping';
import { withEnrichment } from './enrichment-input';
import { MappingError } from './mapping-error';
import type { MappingSet } from './mapping-set';

/** Parses an input document; syntax problems are bad input (MAPPING_INPUT_INVALID), with positions. */
export function parseInput(text: string, source: string): unknown {
  try {
    return parseLocatedJson(text, source).value;
  } catch (e) {
    if (!(e instanceof LocatedErrors)) throw e;
    throw new LocatedErrors(
      e.errors.map((x) => new LocatedError('MAPPING_INPUT_INVALID', kindOf('MAPPING_INPUT_INVALID'), x.message, x.location)),
    );
  }
}

/** Which text a problem is in. */
export type TryWhere = 'mapping' | 'input' | 'enrichment';

/** A problem as an editor shows it: line and column (1-based) in its text, null when the engine has none. */
export interface TryProblem {
  code: string;
  message: string;
  line: number | null;
  column: number | null;
  where: TryWhere;
  /** The JSON pointer of the node in its text ('' for the whole document). */
  pointer?: string;
  hint?: string;
  /** For a run-time error: the path into the input that failed. */
  inputPath?: string;
}

export type TryOutcome = { ok: true; output: unknown } | { ok: true; dropped: string } | { ok: false; errors: TryProblem[] };

/** Labels used as the "file" of texts that have none (they show in error lines). */
export const PASTED = { mapping: '<mapping>', input: '<input>', enrichment: '<enrichment>' } as const;

/** The name a pasted mapping runs under when the request names none and the text gives no "name". */
export const PLAYGROUND_NAME = 'playground';

/**
 * The mapping a try runs: `name` from `set`, or, with `source`, that text compiled in its place
 * (a name with no file is allowed: without `name` it is the text's own "name", else
 * "playground"; its tables resolve against `baseDir`). Throws `TryFailed` with located problems
 * when the text does not parse or compile.
 */
export function compileForTry(
  set: MappingSet,
  name: string | undefined,
  source?: string,
  baseDir?: string,
): { set: MappingSet; mapping: CompiledMapping } {
  if (source === undefined) {
    const own = name === undefined ? undefined : set.fileOf(name);
    return { set, mapping: located(() => set.get(name ?? PLAYGROUND_NAME), 'mapping', own) };
  }
  const doc = located(() => parseLocatedJson(source, PASTED.mapping), 'mapping');
  const as = name ?? nameInSource(doc) ?? PLAYGROUND_NAME;
  const target = set.withDocument(as, doc, set.fileOf(as) ? undefined : baseDir);
  return { set: target, mapping: located(() => target.get(as), 'mapping') };
}

function nameInSource(doc: LocatedJson): string | undefined {
  const v = doc.value as { name?: unknown } | null;
  return v !== null && typeof v === 'object' && typeof v.name === 'string' ? v.name : undefined;
}

/**
 * Runs a compiled mapping over an input text (and an optional enrichment text, put beside the
 * input as the pipeline does), as `subhub map` does. Never throws for a bad input or a failing
 * mapping: problems come back located. An error that is no HubError is a bug and is re-thrown.
 */
export async function runForTry(mapping: CompiledMapping, input: string, enrichment?: string): Promise<TryOutcome> {
  try {
    let value = located(() => parseInput(input, PASTED.input), 'input');
    if (enrichment !== undefined)
      value = withEnrichment(
        value,
        located(() => parseInput(enrichment, PASTED.enrichment), 'enrichment'),
      );
    const result = await mapping.run(value).catch((e: unknown) => {
      throw new TryFailed(problemsOf(e, 'mapping', mapping.file));
    });
    return result.dropped ? { ok: true, dropped: result.reason } : { ok: true, output: result.output };
  } catch (e) {
    if (e instanceof TryFailed) return { ok: false, errors: e.problems };
    throw e;
  }
}

/** Located problems of a try, thrown between the steps above. */
export class TryFailed extends Error {
  constructor(readonly problems: TryProblem[]) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'TryFailed';
  }
}

/** Runs `fn`; its problems become TryFailed. `own`: the file of the text the caller shows (its positions count). */
function located<T>(fn: () => T, where: TryWhere, own?: string): T {
  try {
    return fn();
  } catch (e) {
    throw new TryFailed(problemsOf(e, where, own));
  }
}

/** LocatedErrors, a MappingError or another HubError as problems of one text; anything else is re-thrown. */
function problemsOf(e: unknown, where: TryWhere, own?: string): TryProblem[] {
  if (e instanceof TryFailed) return e.problems;
  if (e instanceof LocatedErrors) return e.errors.map((x) => problemOf(x, where, own));
  if (e instanceof LocatedError) return [problemOf(e, where, own)];
  if (isHubError(e)) return [{ code: e.code, message: e.message, line: null, column: null, where }];
  throw e;
}

function problemOf(e: LocatedError, where: TryWhere, own?: string): TryProblem {
  // A problem inside another mapping (a `$use`d file) is in that file: its position is not in this text.
  const file = e.location.file;
  const here = file === undefined || file === PASTED[where] || file === own;
  return {
    code: e.code,
    message: here ? e.message : `${file}: ${e.message}`,
    line: here ? (e.location.line ?? null) : null,
    column: here ? (e.location.col ?? null) : null,
    where,
    pointer: e.location.pointer,
    ...(e.hint ? { hint: e.hint } : {}),
    ...(e instanceof MappingError && e.inputPath ? { inputPath: e.inputPath } : {}),
  };
}
