/**
 * Evaluation state of one mapping run. Compiled nodes are closures `(scope) => value`; they read
 * the input through `root`/`cur`, variables through numbered slots fixed at compile time, and
 * the results of `$jsonata` nodes, computed before the synchronous pass, through `pre`.
 */
export interface Scope {
  readonly root: unknown;
  /** The current item: the root at top level, the element inside `$map`/`$filter`/`$sum`. */
  cur: unknown;
  readonly vars: unknown[];
  readonly pre: unknown[];
}

/** A compiled mapping node. `inputPath` is set on path nodes so errors can name the input. */
export interface Evaluator {
  (scope: Scope): unknown;
  inputPath?: string;
  inputRelative?: boolean;
  /** Set when the node is a constant, so parents may fold it. */
  constant?: { value: unknown };
}

/** Thrown by `$drop` (and a false `filter`) to end a run without output. Not an error. */
export class DropSignal {
  constructor(readonly reason: string) {}
}
