import type { LocatedJson } from '../json/located-json';
import { joinPointer } from '../json/pointer';
import type { ErrorCode } from '../errors/codes';
import { MappingError } from './mapping-error';
import type { Evaluator } from './scope';
import type { LookupTable } from './tables';

/** Where a compiled node came from; captured by closures for run-time error messages. */
export interface NodeInfo {
  readonly mapping: string;
  readonly file?: string;
  readonly pointer: string;
  readonly line?: number;
  readonly col?: number;
  readonly op: string;
}

/** A compiled mapping as seen by `$use`. */
export interface UsableMapping {
  readonly name: string;
  readonly isAsync: boolean;
  /** Runs the mapping synchronously; throws DropSignal or MappingError. */
  evaluate(input: unknown): unknown;
}

/** What the compiler needs from outside one mapping: its tables and the other mappings. */
export interface CompileEnv {
  readonly tables: ReadonlyMap<string, LookupTable>;
  /**
   * Resolves `$use`: undefined when no such mapping exists, 'cycle' when it is being compiled
   * (it uses this one in turn), 'broken' when it exists but does not compile.
   */
  resolveMapping(name: string): UsableMapping | undefined | 'cycle' | 'broken';
}

/** Deepest nesting of mapping nodes the compiler accepts (files are also capped by the JSON parser). */
export const MAX_MAPPING_DEPTH = 100;

export type NodeCompiler = (value: unknown, pointer: string, cc: CompileContext) => Evaluator;

/**
 * State of one mapping compilation. Compile errors are collected, not thrown, so that
 * `subhub validate` reports every problem of a file at once.
 */
export class CompileContext {
  readonly errors: MappingError[] = [];
  /** `$jsonata` evaluations that run (async) before the synchronous pass, in slot order. */
  readonly pre: Array<(root: unknown) => Promise<unknown>> = [];
  slotCount = 0;
  iterationDepth = 0;
  readonly #scopes: Array<Map<string, number>> = [new Map()];
  #depth = 0;

  constructor(
    readonly mapping: string,
    readonly doc: LocatedJson | undefined,
    readonly env: CompileEnv,
    private readonly compileNode: NodeCompiler,
  ) {}

  /** Compiles a child node found at `pointer` (the parent's pointer joined with the child's key). */
  node(value: unknown, pointer: string): Evaluator {
    if (++this.#depth > MAX_MAPPING_DEPTH) {
      this.#depth--;
      return this.error(
        'MAPPING_TOO_DEEP',
        pointer,
        `mapping nodes nest deeper than ${MAX_MAPPING_DEPTH} levels`,
        'split the mapping with $use',
      );
    }
    try {
      return this.compileNode(value, pointer, this);
    } finally {
      this.#depth--;
    }
  }

  child(pointer: string, ...segments: Array<string | number>): string {
    return joinPointer(pointer, ...segments);
  }

  info(pointer: string, op: string): NodeInfo {
    const loc = this.doc?.locate(pointer);
    return { mapping: this.mapping, file: this.doc?.file, pointer, op, line: loc?.line, col: loc?.col };
  }

  error(code: ErrorCode, pointer: string, message: string, hint?: string): Evaluator {
    const loc = this.doc?.locate(pointer);
    this.errors.push(
      new MappingError(code, this.mapping, message, { file: this.doc?.file, pointer, line: loc?.line, col: loc?.col }, hint),
    );
    return () => undefined;
  }

  lookupVar(name: string): number | undefined {
    for (let i = this.#scopes.length - 1; i >= 0; i--) {
      const slot = this.#scopes[i]!.get(name);
      if (slot !== undefined) return slot;
    }
    return undefined;
  }

  varsInScope(): string[] {
    return [...new Set(this.#scopes.flatMap((s) => [...s.keys()]))];
  }

  declareVar(name: string): number {
    const slot = this.slotCount++;
    this.#scopes[this.#scopes.length - 1]!.set(name, slot);
    return slot;
  }

  /** Runs `fn` in a new variable scope (for `as`/`index` of iteration operators). */
  withScope<T>(fn: () => T): T {
    this.#scopes.push(new Map());
    try {
      return fn();
    } finally {
      this.#scopes.pop();
    }
  }

  /** Runs `fn` for a node evaluated once per array element. */
  inIteration<T>(fn: () => T): T {
    this.iterationDepth++;
    try {
      return this.withScope(fn);
    } finally {
      this.iterationDepth--;
    }
  }
}

/** Builds the run-time error for a node. */
export function runtimeError(info: NodeInfo, code: ErrorCode, message: string, from?: Evaluator): MappingError {
  const e = new MappingError(code, info.mapping, `${info.op}: ${message}`, {
    file: info.file,
    pointer: info.pointer,
    line: info.line,
    col: info.col,
  });
  if (from?.inputPath !== undefined) {
    e.inputPath = from.inputPath;
    e.inputRelative = from.inputRelative === true;
  }
  return e;
}
