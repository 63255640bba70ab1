import { dirname } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../json/ajv';
import { DEFAULT_MAX_DEPTH, type LocatedJson } from '../json/located-json';
import { firstPointerDeeperThan } from '../json/depth';
import { schemaErrorsToLocated } from '../json/schema-errors';
import { LocatedError, LocatedErrors } from '../errors/located-error';
import { kindOf } from '../errors/codes';
import { HubError } from '../errors/hub-error';
import { CompileContext, type CompileEnv, type UsableMapping } from './compile-context';
import { compileNode } from './compile-node';
import { MappingError } from './mapping-error';
import { buildMappingSchema, type OutputSchemaName } from './mapping-schema';
import { outputValidator } from './output-schemas';
import { DropSignal, type Evaluator, type Scope } from './scope';
import { loadTable, TableLoadError, type LookupTable, type TableSpec } from './tables';
import { truthy } from './operators/support';

/** The outcome of a mapping run: an output, or a deliberate drop with its reason. */
export type MappingResult = { dropped: false; output: unknown } | { dropped: true; reason: string };

/** A mapping compiled into closures. Compile once, run many times; runs share no state. */
export interface CompiledMapping extends UsableMapping {
  readonly file?: string;
  readonly description?: string;
  readonly outputSchema?: OutputSchemaName;
  /** Runs a mapping without $jsonata synchronously (the fast path). Throws MappingError. */
  runSync(input: unknown): MappingResult;
  /** Runs any mapping. Rejects with MappingError (kind bad_input) when the input cannot be mapped. */
  run(input: unknown): Promise<MappingResult>;
}

export interface MappingSource {
  name: string;
  /** The parsed mapping document. */
  value: unknown;
  /** Positions for error messages (absent for mappings built in code). */
  doc?: LocatedJson;
  /** Folder that table files are relative to. */
  baseDir?: string;
}

export interface MappingCompileOptions {
  resolveMapping?: CompileEnv['resolveMapping'];
  /** Shares loaded table files between mappings. */
  tableCache?: Map<string, LookupTable>;
}

interface MappingDocument {
  name?: string;
  description?: string;
  outputSchema?: OutputSchemaName;
  tables?: Record<string, TableSpec>;
  let?: Record<string, unknown>;
  filter?: unknown;
  output: unknown;
}

let schemaValidator: ValidateFunction | undefined;

/** Validates a mapping document against mapping.schema.json; returns located problems. */
export function validateMappingDocument(value: unknown, doc?: LocatedJson, file?: string): LocatedError[] {
  // The schema validator recurses: refuse values nested past what any file may hold first.
  const deep = firstPointerDeeperThan(value, DEFAULT_MAX_DEPTH);
  if (deep !== undefined) {
    return [
      new LocatedError('MAPPING_TOO_DEEP', kindOf('MAPPING_TOO_DEEP'), `nesting deeper than ${DEFAULT_MAX_DEPTH} levels`, {
        file,
        pointer: deep,
        ...doc?.locate(deep),
      }),
    ];
  }
  schemaValidator ??= createAjv().compile(buildMappingSchema());
  if (schemaValidator(value)) return [];
  return schemaErrorsToLocated(schemaValidator.errors ?? [], doc, 'SCHEMA_INVALID', file);
}

/**
 * Validates and compiles a mapping. Throws LocatedErrors listing every schema and compile problem
 * (unknown operators, bad paths, unknown variables/tables/mappings, unsafe regexes, ...).
 */
export function compileMapping(source: MappingSource, options: MappingCompileOptions = {}): CompiledMapping {
  const file = source.doc?.file;
  const schemaProblems = validateMappingDocument(source.value, source.doc, file);
  if (schemaProblems.length > 0) throw new LocatedErrors(schemaProblems);
  const def = source.value as MappingDocument;
  const problems: LocatedError[] = [];
  const at = (pointer: string) => ({ file, pointer, ...source.doc?.locate(pointer) });

  if (def.name !== undefined && def.name !== source.name) {
    problems.push(
      new LocatedError(
        'MAPPING_NAME_MISMATCH',
        kindOf('MAPPING_NAME_MISMATCH'),
        `"name" is "${def.name}" but the file is ${source.name}.json`,
        at('/name'),
        { hint: 'rename the file or fix "name"' },
      ),
    );
  }

  const tables = new Map<string, LookupTable>();
  for (const [tname, spec] of Object.entries(def.tables ?? {})) {
    try {
      tables.set(tname, loadTable(tname, spec, source.baseDir ?? (file ? dirname(file) : process.cwd()), options.tableCache));
    } catch (e) {
      if (!(e instanceof TableLoadError)) throw e;
      problems.push(
        new LocatedError('MAPPING_TABLE_LOAD', kindOf('MAPPING_TABLE_LOAD'), `table "${tname}": ${e.message}`, at(`/tables/${tname}`)),
      );
    }
  }

  const env: CompileEnv = { tables, resolveMapping: options.resolveMapping ?? (() => undefined) };
  const cc = new CompileContext(source.name, source.doc, env, compileNode);
  const lets: Array<{ slot: number; ev: Evaluator }> = [];
  for (const [vname, node] of Object.entries(def.let ?? {})) {
    const ev = cc.node(node, `/let/${vname}`);
    lets.push({ slot: cc.declareVar(vname), ev });
  }
  const filter = def.filter === undefined ? undefined : cc.node(def.filter, '/filter');
  const output = cc.node(def.output, '/output');
  problems.push(...cc.errors);
  if (problems.length > 0) throw new LocatedErrors(problems);

  const validateOutput = def.outputSchema ? outputValidator(def.outputSchema) : undefined;
  const slotCount = cc.slotCount;
  const pre = cc.pre;
  const outputInfo = cc.info('/output', 'output');

  /** The synchronous pass; throws DropSignal for drops. */
  const evaluate = (input: unknown, preValues: unknown[]): unknown => {
    const s: Scope = { root: input, cur: input, vars: new Array<unknown>(slotCount), pre: preValues };
    for (const { slot, ev } of lets) s.vars[slot] = ev(s);
    if (filter && !truthy(filter(s))) throw new DropSignal('filter');
    const out = output(s);
    if (out === undefined || out === null) {
      throw new MappingError('MAPPING_REQUIRED_MISSING', source.name, 'the output is missing', {
        file,
        pointer: '/output',
        line: outputInfo.line,
        col: outputInfo.col,
      });
    }
    if (validateOutput) {
      const errs = validateOutput(out);
      if (errs) {
        throw new MappingError('MAPPING_OUTPUT_INVALID', source.name, `output breaks schema ${def.outputSchema}: ${errs}`, {
          file,
          pointer: '/output',
          line: outputInfo.line,
          col: outputInfo.col,
        });
      }
    }
    return out;
  };

  const settle = (fn: () => unknown): MappingResult => {
    try {
      return { dropped: false, output: fn() };
    } catch (e) {
      if (e instanceof DropSignal) return { dropped: true, reason: e.reason };
      throw asMappingError(e, source.name, file);
    }
  };

  const noPre: unknown[] = [];
  return {
    name: source.name,
    file,
    description: def.description,
    outputSchema: def.outputSchema,
    isAsync: pre.length > 0,
    evaluate: (input) => evaluate(input, noPre),
    runSync(input) {
      if (pre.length > 0) throw new HubError('MAPPING_JSONATA_PLACEMENT', 'config', `mapping ${source.name} uses $jsonata: call run()`);
      return settle(() => evaluate(input, noPre));
    },
    async run(input) {
      if (pre.length === 0) return settle(() => evaluate(input, noPre));
      let preValues: unknown[];
      try {
        preValues = await Promise.all(pre.map((p) => p(input)));
      } catch (e) {
        throw asMappingError(e, source.name, file);
      }
      return settle(() => evaluate(input, preValues));
    },
  };
}

/**
 * Run-time failures leave as MappingError. A RangeError (e.g. a stack overflow on pathological
 * input) becomes MAPPING_LIMIT; anything else is a bug and is re-thrown as it is.
 */
function asMappingError(e: unknown, mapping: string, file: string | undefined): unknown {
  if (e instanceof MappingError) return e;
  if (e instanceof RangeError)
    return new MappingError('MAPPING_LIMIT', mapping, `input too large or deep: ${e.message}`, { file, pointer: '' });
  return e;
}
