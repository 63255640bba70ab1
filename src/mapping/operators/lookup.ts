import { NODE, type OperatorDef } from './operator';
import { describe, fail } from './support';

export const lookupOperators: OperatorDef[] = [
  {
    name: '$lookup',
    group: 'lookup',
    summary: 'Looks the value up in a table declared under "tables" (JSON or CSV), e.g. a Stripe price id → SKU.',
    arg: NODE,
    params: {
      table: { schema: { type: 'string', minLength: 1 }, description: 'Name of a table in this mapping\'s "tables".', required: true },
      field: { schema: { type: 'string', minLength: 1 }, description: 'For CSV rows or object values: the field to return.' },
    },
    ownsRequired: true,
    compile: (n, cc) => {
      const name = n.params.table as string;
      const field = n.params.field as string | undefined;
      const required = n.params.required === true;
      const table = cc.env.tables.get(name);
      if (!table) {
        const known = [...cc.env.tables.keys()];
        return cc.error(
          'MAPPING_UNKNOWN_TABLE',
          cc.child(n.pointer, 'table'),
          `unknown table "${name}"`,
          known.length > 0 ? `tables of this mapping: ${known.join(', ')}` : 'declare it under "tables"',
        );
      }
      const ev = cc.node(n.arg, n.argPointer);
      return (s) => {
        const key = ev(s);
        let hit: unknown;
        if (key !== undefined && key !== null) {
          if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean') {
            return fail(n.info, 'MAPPING_TYPE', `cannot look up ${describe(key)}`, ev);
          }
          hit = table.get(String(key));
          if (hit !== undefined && field !== undefined) {
            hit =
              hit !== null && typeof hit === 'object' && Object.prototype.hasOwnProperty.call(hit, field)
                ? (hit as Record<string, unknown>)[field]
                : undefined;
          }
        }
        if ((hit === undefined || hit === null) && required && !('default' in n.params)) {
          if (key === undefined || key === null)
            return fail(n.info, 'MAPPING_REQUIRED_MISSING', `the key to look up in "${name}" is missing`, ev);
          return fail(
            n.info,
            'MAPPING_LOOKUP_MISSING',
            `no entry for ${describe(key)} in table "${name}"${field ? ` (field ${field})` : ''}`,
            ev,
          );
        }
        if (hit === null && 'default' in n.params) return n.params.default;
        // Tables live as long as the process: hand out copies, never the table's own objects.
        return hit !== null && typeof hit === 'object' ? structuredClone(hit) : hit;
      };
    },
  },
];
