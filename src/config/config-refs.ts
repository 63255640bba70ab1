import { kindOf } from '../errors/codes';
import { LocatedError } from '../errors/located-error';
import type { LocatedJson } from '../json/located-json';
import { closest } from '../json/suggest';
import type { HubConfig } from './config.types';

/** What config may refer to. Each list that is given is checked; an omitted list is not. */
export interface ReferenceCatalog {
  connectorTypes?: readonly string[];
  mappingNames?: readonly string[];
  eventTypes?: readonly string[];
}

type Origin = Pick<LocatedJson, 'locate'> & { fileOf(pointer: string): string };

/** Cross-checks names the schema cannot: route targets, mapping names, event types, connector types. */
export function checkConfigReferences(config: HubConfig, catalog: ReferenceCatalog, origin: Origin): LocatedError[] {
  const problems: LocatedError[] = [];
  const report = (pointer: string, what: string, value: string, known: readonly string[], hint?: string) => {
    const guess = closest(value, known);
    problems.push(
      new LocatedError(
        'CONFIG_UNKNOWN_REF',
        kindOf('CONFIG_UNKNOWN_REF'),
        `unknown ${what} "${value}"`,
        { file: origin.fileOf(pointer), pointer, ...origin.locate(pointer) },
        {
          hint: guess ? `did you mean "${guess}"?` : (hint ?? (known.length > 0 ? `known: ${known.slice(0, 12).join(', ')}` : undefined)),
        },
      ),
    );
  };
  const connectors = config.connectors ?? {};
  const connectorIds = Object.keys(connectors);
  for (const id of connectorIds) {
    const c = connectors[id]!;
    if (catalog.connectorTypes && !catalog.connectorTypes.includes(c.type))
      report(`/connectors/${id}/type`, 'connector type', c.type, catalog.connectorTypes);
    for (const [eventType, mapping] of Object.entries(c.inbound?.mappings ?? {})) {
      if (catalog.mappingNames && !catalog.mappingNames.includes(mapping)) {
        report(
          `/connectors/${id}/inbound/mappings/${eventType.replace(/~/g, '~0').replace(/\//g, '~1')}`,
          'mapping',
          mapping,
          catalog.mappingNames,
        );
      }
    }
  }
  const families = new Set((catalog.eventTypes ?? []).map((t) => t.split('.')[0]));
  const routeNames = new Map<string, number>();
  (config.routes ?? []).forEach((r, i) => {
    if (!connectorIds.includes(r.to)) report(`/routes/${i}/to`, 'connector', r.to, connectorIds, 'declare it under "connectors"');
    if (catalog.mappingNames && !catalog.mappingNames.includes(r.mapping))
      report(`/routes/${i}/mapping`, 'mapping', r.mapping, catalog.mappingNames);
    if (catalog.eventTypes) {
      r.on.forEach((t, j) => {
        const [family, name] = t.split('.');
        const ok = t === '*' || (name === '*' ? families.has(family) : catalog.eventTypes!.includes(t));
        if (!ok) report(`/routes/${i}/on/${j}`, 'event type', t, catalog.eventTypes!);
      });
    }
    const name = r.name ?? `${r.to}.${r.action}`;
    const prev = routeNames.get(name);
    if (prev !== undefined) {
      const pointer = `/routes/${i}`;
      problems.push(
        new LocatedError(
          'CONFIG_UNKNOWN_REF',
          kindOf('CONFIG_UNKNOWN_REF'),
          `route name "${name}" is already used by /routes/${prev}`,
          { file: origin.fileOf(pointer), pointer, ...origin.locate(pointer) },
          { hint: 'give one of them a distinct "name"' },
        ),
      );
    } else routeNames.set(name, i);
  });
  // The subscription domain names connectors too: where stock levels, drafts and billing truth come from.
  const named: Array<[string, string | undefined]> = [
    ['/stock/warehouse', config.stock?.warehouse],
    ['/stock/erp', config.stock?.erp],
    ...billingRefs(config.reconcile?.billing),
    ['/reconcile/warehouse', config.reconcile?.warehouse],
    ['/reconcile/erp', config.reconcile?.erp],
  ];
  for (const [pointer, id] of named)
    if (id !== undefined && !connectorIds.includes(id)) report(pointer, 'connector', id, connectorIds, 'declare it under "connectors"');
  return problems;
}

/** `reconcile.billing`: one connector id, or several (each located at its own index). */
function billingRefs(billing: string | readonly string[] | undefined): Array<[string, string | undefined]> {
  if (typeof billing !== 'string' && billing !== undefined) return billing.map((id, i) => [`/reconcile/billing/${i}`, id]);
  return [['/reconcile/billing', billing]];
}
