import { COMMON_PARAMS, OPERATORS } from './operators';
import type { SchemaFragment } from './operators/operator';

/** Names accepted for `outputSchema`; each names a schema the mapped output is validated against. */
export const OUTPUT_SCHEMA_NAMES = ['hub-event'] as const;
export type OutputSchemaName = (typeof OUTPUT_SCHEMA_NAMES)[number];

/** A branch that matches objects holding `key` (ajv strict mode wants `required` keys declared beside it). */
function requires(key: string): SchemaFragment {
  return { type: 'object', properties: { [key]: true }, required: [key] };
}

const IDENT_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

/**
 * The JSON Schema of mapping files, generated from the operator definitions so that the schema,
 * the compiler and the docs cannot drift apart. `mappings/mapping.schema.json` is this object,
 * written by scripts/gen-schemas.ts and checked for staleness in the tests.
 */
export function buildMappingSchema(): SchemaFragment {
  const opNames = OPERATORS.map((op) => op.name);
  const defs: Record<string, SchemaFragment> = {};
  for (const op of OPERATORS) {
    const params = { ...(op.params ?? {}), ...COMMON_PARAMS };
    const properties: Record<string, SchemaFragment> = { [op.name]: { ...op.arg, description: op.summary } };
    for (const [name, spec] of Object.entries(params)) properties[name] = { ...spec.schema, description: spec.description };
    const required = [
      op.name,
      ...Object.entries(op.params ?? {})
        .filter(([, p]) => p.required)
        .map(([name]) => name),
    ];
    defs[`op${op.name}`] = {
      type: 'object',
      description: `${op.name}: ${op.summary}`,
      properties,
      required,
      additionalProperties: false,
    };
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'urn:subhub:schema:mapping',
    title: 'subhub mapping',
    description: 'A declarative mapping from one JSON document to another. See mappings/README.md.',
    type: 'object',
    properties: {
      $schema: { type: 'string', description: 'Path or URL of this schema, for editors.' },
      name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', description: "The mapping's name; must equal the file name without .json." },
      description: { type: 'string', description: 'What the mapping does, for humans.' },
      outputSchema: {
        enum: [...OUTPUT_SCHEMA_NAMES],
        description: 'Validate every output against this schema (hub-event: the canonical event).',
      },
      tables: {
        type: 'object',
        description: 'Lookup tables by name, for $lookup.',
        propertyNames: { type: 'string', pattern: IDENT_PATTERN },
        additionalProperties: { $ref: '#/$defs/table' },
      },
      let: {
        type: 'object',
        description: 'Variables evaluated in order against the input, readable as $name in paths.',
        propertyNames: { type: 'string', pattern: IDENT_PATTERN },
        additionalProperties: { $ref: '#/$defs/node' },
      },
      filter: { $ref: '#/$defs/node', description: 'When falsy, the event is dropped (no output, not an error).' },
      output: { $ref: '#/$defs/node', description: 'The output template.' },
    },
    required: ['output'],
    additionalProperties: false,
    $defs: {
      node: {
        description: 'A value: a JSON constant, an array of nodes, an output object, or an operator such as {"$path": "data.object.id"}.',
        if: { type: 'object' },
        then: { $ref: '#/$defs/objectNode' },
        else: { if: { type: 'array' }, then: { type: 'array', items: { $ref: '#/$defs/node' } } },
      },
      objectNode: {
        type: 'object',
        propertyNames: { if: { type: 'string', pattern: '^\\$' }, then: { enum: opNames } },
        allOf: OPERATORS.map((op) => ({
          if: requires(op.name),
          then: { $ref: `#/$defs/op${op.name}` },
        })),
        if: { type: 'object', propertyNames: { type: 'string', not: { pattern: '^\\$' } } },
        then: { type: 'object', additionalProperties: { $ref: '#/$defs/node' } },
      },
      table: {
        type: 'object',
        description: 'Inline data, or a JSON file (object of key → value) or CSV file (header row) relative to the mapping.',
        properties: {
          data: { type: 'object', description: 'Inline key → value.' },
          file: { type: 'string', pattern: '\\.(json|csv)$', description: 'Path relative to the mapping file.' },
          key: { type: 'string', minLength: 1, description: 'CSV: the key column.' },
          value: { type: 'string', minLength: 1, description: 'CSV: the column to return (default: the whole row).' },
          delimiter: { type: 'string', minLength: 1, maxLength: 1, description: 'CSV delimiter (default ",").' },
        },
        oneOf: [requires('data'), requires('file')],
        additionalProperties: false,
      },
      ...defs,
    },
  };
}

/** The JSON Schema of `*.cases.json` files: examples that `subhub test` runs against a mapping. */
export function buildCasesSchema(): SchemaFragment {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'urn:subhub:schema:cases',
    title: 'subhub mapping cases',
    type: 'object',
    properties: {
      $schema: { type: 'string' },
      mapping: { type: 'string', minLength: 1, description: "Mapping name (default: this file's name without .cases.json)." },
      cases: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1, description: 'What this case shows.' },
            input: { description: 'The input document.' },
            inputFile: { type: 'string', minLength: 1, description: 'Or: a JSON file with the input, relative to this file.' },
            enrichmentFile: {
              type: 'string',
              minLength: 1,
              description:
                'A JSON file (relative to this file) with what the connector\'s enrichment step fetched: the mapping sees it beside the input under "enrichment", as in the pipeline.',
            },
            expect: { description: 'The exact expected output.' },
            expectError: {
              type: 'string',
              pattern: '^[A-Z][A-Z0-9_]+$',
              description: 'The expected error code, e.g. MAPPING_LOOKUP_MISSING.',
            },
            expectDropped: { type: 'boolean', const: true, description: 'The event is expected to be dropped.' },
          },
          required: ['name'],
          oneOf: [requires('expect'), requires('expectError'), requires('expectDropped')],
          additionalProperties: false,
        },
      },
    },
    required: ['cases'],
    additionalProperties: false,
  };
}
