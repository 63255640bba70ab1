import type { ValidateFunction } from 'ajv';
import { hubEventSchema } from '../events';
import { createAjv } from '../json/ajv';
import type { OutputSchemaName } from './mapping-schema';

/**
 * Fields of a HubEvent that the pipeline assigns after mapping (the hub's id, the time of receipt,
 * the tenant of the receiving connector). A mapping may set them; it need not.
 */
export const PIPELINE_ASSIGNED_FIELDS = ['id', 'receivedAt', 'tenantId'] as const;

const validators = new Map<OutputSchemaName, ValidateFunction>();

function build(name: OutputSchemaName): ValidateFunction {
  switch (name) {
    case 'hub-event': {
      const schema = structuredClone(hubEventSchema) as { required: string[]; $id?: string };
      schema.required = schema.required.filter((f) => !(PIPELINE_ASSIGNED_FIELDS as readonly string[]).includes(f));
      schema.$id = 'urn:subhub:schema:hub-event-mapped';
      return createAjv().compile(schema);
    }
  }
}

/** A validator per output schema name; returns a readable summary of the problems, or undefined. */
export function outputValidator(name: OutputSchemaName): (value: unknown) => string | undefined {
  let validate = validators.get(name);
  if (!validate) validators.set(name, (validate = build(name)));
  const v = validate;
  return (value) => {
    if (v(value)) return undefined;
    return (v.errors ?? [])
      .filter((e) => e.keyword !== 'if')
      .slice(0, 5)
      .map(
        (e) =>
          `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : ''}`,
      )
      .join('; ');
  };
}
