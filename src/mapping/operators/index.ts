import { collectionOperators } from './collections';
import { composeOperators } from './compose';
import { coreOperators } from './core';
import { dateOperators } from './dates';
import { logicOperators } from './logic';
import { lookupOperators } from './lookup';
import { numberOperators } from './numbers';
import type { OperatorDef, ParamSpec } from './operator';
import { stringOperators } from './strings';
import { typeOperators } from './types';

/** Every operator of the mapping language, in documentation order. The one list that says what exists. */
export const OPERATORS: readonly OperatorDef[] = [
  ...coreOperators,
  ...typeOperators,
  ...numberOperators,
  ...dateOperators,
  ...stringOperators,
  ...logicOperators,
  ...collectionOperators,
  ...lookupOperators,
  ...composeOperators,
];

export const OPERATORS_BY_NAME: ReadonlyMap<string, OperatorDef> = new Map(OPERATORS.map((op) => [op.name, op]));

/** Parameters every operator node accepts. */
export const COMMON_PARAMS: Readonly<Record<string, ParamSpec>> = {
  default: { schema: {}, description: 'Used when the result is missing or null.' },
  required: { schema: { type: 'boolean' }, description: 'A missing or null result is an error (MAPPING_REQUIRED_MISSING).' },
  comment: { schema: { type: 'string' }, description: 'Free text for humans; ignored.' },
};
