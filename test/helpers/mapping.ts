import { LocatedErrors, type LocatedError } from '../../src/errors/located-error';
import { compileMapping, type CompiledMapping, type MappingCompileOptions } from '../../src/mapping/compile-mapping';
import { MappingError } from '../../src/mapping/mapping-error';

/** Compiles a mapping document built in code. */
export const compile = (value: unknown, options?: MappingCompileOptions, name = 'm'): CompiledMapping => compileMapping({ name, value }, options);

/** The output of `{output: node}` on `input` (undefined when dropped). */
export function valueOf(node: unknown, input: unknown = {}): unknown {
  const r = compile({ output: { v: node } }).runSync(input);
  return r.dropped ? undefined : (r.output as { v?: unknown }).v;
}

/** The compile problems of a mapping that must not compile. */
export function compileErrors(value: unknown, options?: MappingCompileOptions): LocatedError[] {
  try {
    compile(value, options);
  } catch (e) {
    if (e instanceof LocatedErrors) return e.errors;
    throw e;
  }
  throw new Error('expected the mapping not to compile');
}

/** The run-time error of `{output: {v: node}}` on `input`. */
export function runError(node: unknown, input: unknown = {}): MappingError {
  try {
    compile({ output: { v: node } }).runSync(input);
  } catch (e) {
    if (e instanceof MappingError) return e;
    throw e;
  }
  throw new Error('expected a MappingError');
}
