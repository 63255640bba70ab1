import { BUILT_IN_CONNECTORS } from '../../connectors';
import type { ConnectorConfig, HubConfig } from '../config/config.types';
import { resolveSecret, type SecretRef } from '../config/secrets';
import { kindOf } from '../errors/codes';
import { LocatedError } from '../errors/located-error';
import { createAjv } from '../json/ajv';
import { schemaErrorsToLocated } from '../json/schema-errors';
import type { Action, ConnectorDefinition, Enricher, Pull } from '../sdk';

/** A configured connector instance with its actions built. */
export interface ConnectorRuntime {
  readonly id: string;
  readonly config: Readonly<ConnectorConfig>;
  readonly definition: ConnectorDefinition;
  readonly actions: Readonly<Record<string, Action>>;
  /** Streams the connector reads (reconciliation, stock levels); empty when it declares none. */
  readonly pulls: Readonly<Record<string, Pull>>;
  /** Enrichers by inbound event type (see ConnectorDefinition.createEnrichers); absent when it declares none. */
  readonly enrichers?: Readonly<Record<string, Enricher>>;
}

export const CONNECTOR_TYPES = BUILT_IN_CONNECTORS.map((c) => c.type);

/**
 * Builds every enabled connector of the config: checks its `options` against the connector
 * type's own schema (problems located at /connectors/<id>/options) and creates its actions.
 */
export function buildConnectors(
  config: Readonly<HubConfig>,
  env: NodeJS.ProcessEnv,
  definitions = BUILT_IN_CONNECTORS,
): { connectors: Map<string, ConnectorRuntime>; problems: LocatedError[] } {
  const byType = new Map(definitions.map((d) => [d.type, d]));
  const connectors = new Map<string, ConnectorRuntime>();
  const problems: LocatedError[] = [];
  const ajv = createAjv();
  for (const [id, c] of Object.entries(config.connectors ?? {})) {
    if (c.enabled === false) continue;
    const definition = byType.get(c.type);
    if (!definition) {
      problems.push(
        new LocatedError('CONFIG_UNKNOWN_REF', kindOf('CONFIG_UNKNOWN_REF'), `unknown connector type "${c.type}"`, {
          pointer: `/connectors/${id}/type`,
        }),
      );
      continue;
    }
    const options = (c.options ?? {}) as Record<string, unknown>;
    if (definition.optionsSchema) {
      const validate = ajv.compile(definition.optionsSchema);
      if (!validate(options)) {
        for (const p of schemaErrorsToLocated(validate.errors ?? [], undefined)) {
          problems.push(
            new LocatedError(
              p.code,
              p.kind,
              p.message,
              { pointer: `/connectors/${id}/options${p.location.pointer}` },
              p.hint ? { hint: p.hint } : {},
            ),
          );
        }
        continue;
      }
    }
    const checks = definition.checkOptions?.(options) ?? [];
    for (const c of checks) {
      problems.push(
        new LocatedError(
          'CONFIG_OUTBOUND_BLOCKED',
          kindOf('CONFIG_OUTBOUND_BLOCKED'),
          c.message,
          { pointer: `/connectors/${id}/options${c.pointer}` },
          c.hint ? { hint: c.hint } : {},
        ),
      );
    }
    if (checks.length > 0) continue;
    const actions = definition.createActions?.(options, { resolveSecret: (ref) => resolveSecret(ref, env) }) ?? {};
    const deps = { resolveSecret: (ref: SecretRef) => resolveSecret(ref, env) };
    const pulls = definition.createPulls?.(options, { ...deps, ...(c.pull ? { pull: c.pull } : {}) }) ?? {};
    const enrichers = definition.createEnrichers?.(options, deps);
    connectors.set(id, { id, config: c, definition, actions, pulls, ...(enrichers ? { enrichers } : {}) });
  }
  return { connectors, problems };
}
