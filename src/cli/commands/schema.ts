import { hubEventSchema } from '../../events';
import { hubConfigSchema } from '../../config/load-config';
import { buildCasesSchema, buildMappingSchema } from '../../mapping/mapping-schema';
import type { CliIO } from '../io';

export const SCHEMA_NAMES = ['config', 'mapping', 'event', 'cases'] as const;

export function schemaFor(name: (typeof SCHEMA_NAMES)[number]): unknown {
  switch (name) {
    case 'config':
      return hubConfigSchema;
    case 'mapping':
      return buildMappingSchema();
    case 'event':
      return hubEventSchema;
    case 'cases':
      return buildCasesSchema();
  }
}

export function schemaCommand(name: string, io: CliIO): number {
  if (!(SCHEMA_NAMES as readonly string[]).includes(name)) {
    io.err(`subhub schema: unknown schema "${name}"; choose one of ${SCHEMA_NAMES.join(', ')}`);
    return 2;
  }
  io.out(JSON.stringify(schemaFor(name as (typeof SCHEMA_NAMES)[number]), null, 2));
  return 0;
}
