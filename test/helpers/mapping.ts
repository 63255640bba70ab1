import { LocatedErrors, type LocatedError } from '../../src/errors/located-error';
import { parseLocatedJson } from '../../src/json/located-json';
import { compileMapping, type CompiledMapping, type MappingCompileOptions } from '../../src/mapping/compile-mapping';
import { MappingError } from '../../src/mapping/mapping-error';

/** Compiles a mapping document built in code. */
export const compile = (value: unknown, options?: MappingCompileOptions, name = 'm'): CompiledMapping =>
  compileMapping({ name, value }, options);

/** Compiles a mapping document given as JSON text, so that its problems carry file, line and column. */
export function compileText(text: string, file = 'm.json', name = 'm', options?: MappingCompileOptions): CompiledMapping {
  const doc = parseLocatedJson(text, file);
  return compileMapping({ name, value: doc.value, doc }, options);
}

/** What `fn` throws; fails the test when it returns instead. */
export function thrownBy(fn: () => unknown): unknown;
/** What `fn` throws, expected to be a `type`; fails the test when it returns instead. */
export function thrownBy<E>(fn: () => unknown, type: abstract new (...args: never[]) => E): E;
export function thrownBy(fn: () => unknown, type?: abstract new (...args: never[]) => unknown): unknown {
  try {
    fn();
  } catch (e) {
    if (type) expect(e).toBeInstanceOf(type);
    return e;
  }
  throw new Error(`expected ${type?.name ?? 'an error'} to be thrown`);
}

/** The output of a mapping run on `input`; fails the test when the event is dropped. */
export function outputOf(m: CompiledMapping, input: unknown): unknown {
  const r = m.runSync(input);
  if (r.dropped) throw new Error(`unexpected drop: ${r.reason}`);
  return r.output;
}

/** The value of `node` as `{output: {v: node}}` on `input`; undefined when the node's result is missing. */
export function valueOf(node: unknown, input: unknown = {}): unknown {
  return (outputOf(compile({ output: { v: node } }), input) as { v?: unknown }).v;
}

/** The located problems `build` throws, e.g. a compile that must fail. */
export const problemsOf = (build: () => unknown): LocatedError[] => thrownBy(build, LocatedErrors).errors;

/** The compile problems of a mapping document built in code that must not compile. */
export const compileErrors = (value: unknown, options?: MappingCompileOptions): LocatedError[] => problemsOf(() => compile(value, options));

/** The compile problems of a mapping given as JSON text (see `compileText`) that must not compile. */
export const compileTextErrors = (text: string, file = 'm.json', name = 'm'): LocatedError[] =>
  problemsOf(() => compileText(text, file, name));

/** The MappingError that `m.runSync(input)` throws. */
export const runSyncError = (m: CompiledMapping, input: unknown): MappingError => thrownBy(() => m.runSync(input), MappingError);

/** The MappingError that `m.run(input)` rejects with (for mappings that run asynchronously, such as $jsonata). */
export async function runAsyncError(m: CompiledMapping, input: unknown): Promise<MappingError> {
  try {
    await m.run(input);
  } catch (e) {
    expect(e).toBeInstanceOf(MappingError);
    return e as MappingError;
  }
  throw new Error('expected MappingError to be thrown');
}

/** The run-time error of `node` as `{output: {v: node}}` on `input`. */
export const runError = (node: unknown, input: unknown = {}): MappingError => runSyncError(compile({ output: { v: node } }), input);
