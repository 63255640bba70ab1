import type { CompileContext, NodeInfo } from '../compile-context';
import type { Evaluator } from '../scope';

/** A JSON Schema fragment (kept loose on purpose: these objects are assembled into mapping.schema.json). */
export type SchemaFragment = Record<string, unknown>;

export interface ParamSpec {
  readonly schema: SchemaFragment;
  readonly description: string;
  readonly required?: boolean;
}

/** An operator node after schema validation: `{"$op": arg, ...params}`. */
export interface OperatorNode {
  readonly arg: unknown;
  readonly params: Readonly<Record<string, unknown>>;
  /** Pointer of the node object; `argPointer` of the `$op` key's value. */
  readonly pointer: string;
  readonly argPointer: string;
  readonly info: NodeInfo;
}

/**
 * One operator of the mapping language. The schema of its argument and parameters is published in
 * mapping.schema.json (generated from these definitions); `compile` turns a validated node into a
 * closure and reports semantic problems through the compile context.
 */
export interface OperatorDef {
  readonly name: `$${string}`;
  readonly group: 'core' | 'types' | 'numbers' | 'dates' | 'strings' | 'logic' | 'collections' | 'lookup' | 'compose';
  readonly summary: string;
  readonly arg: SchemaFragment;
  readonly params?: Readonly<Record<string, ParamSpec>>;
  /** True when the operator itself raises a more precise error for `required: true`. */
  readonly ownsRequired?: boolean;
  compile(node: OperatorNode, cc: CompileContext): Evaluator;
}

export const NODE: SchemaFragment = { $ref: '#/$defs/node' };
export const NODE_LIST: SchemaFragment = { type: 'array', items: NODE };
export const IDENTIFIER: SchemaFragment = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' };
export const ROUNDING: SchemaFragment = {
  enum: ['half-up', 'half-even', 'half-down', 'floor', 'ceil', 'trunc'],
  description: "half-up rounds .5 away from zero; half-even is banker's rounding; trunc rounds toward zero.",
};
