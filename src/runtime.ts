import { join, resolve } from 'node:path';
import { loadConfig, type LoadConfigOptions } from './config/load-config';
import type { HubConfig } from './config/config.types';
import { BUILT_IN_CONNECTORS } from '../connectors';
import { loadPluginConnectors } from './connectors/plugins';
import { buildConnectors, CONNECTOR_TYPES, type ConnectorRuntime } from './connectors/registry';
import { HUB_EVENT_TYPES } from './events';
import { LocatedErrors } from './errors/located-error';
import { MappingSet } from './mapping/mapping-set';

/** What every part of the hub is built from: validated config, compiled mappings, connectors. */
export interface Runtime {
  config: Readonly<HubConfig>;
  mappings: MappingSet;
  connectors: ReadonlyMap<string, ConnectorRuntime>;
}

/**
 * Loads and validates config, compiles every mapping and builds every connector; throws
 * LocatedErrors listing every problem (the hub refuses to start on any).
 */
export function loadRuntime(options: LoadConfigOptions & { env: NodeJS.ProcessEnv }): Runtime {
  let loaded: MappingSet | undefined;
  let definitions = BUILT_IN_CONNECTORS;
  const { config } = loadConfig({
    ...options,
    catalog: (cfg) => {
      const plugins = loadPluginConnectors(cfg.connectorPaths ?? [], CONNECTOR_TYPES);
      loaded = MappingSet.fromPaths(cfg.mappings?.paths ?? ['mappings']);
      const problems = [...plugins.problems, ...loaded.compileAll()];
      if (problems.length > 0) throw new LocatedErrors(problems);
      definitions = [...BUILT_IN_CONNECTORS, ...plugins.definitions];
      return { eventTypes: HUB_EVENT_TYPES, mappingNames: loaded.names(), connectorTypes: definitions.map((d) => d.type) };
    },
  });
  if (!loaded) throw new Error('unreachable: the catalog callback runs on every successful load');
  const built = buildConnectors(config, options.env, definitions);
  if (built.problems.length > 0) throw new LocatedErrors(built.problems);
  return { config, mappings: loaded, connectors: built.connectors };
}

/** The database file of a data folder. */
export function databaseFile(dataDir: string): string {
  return join(resolve(dataDir), 'subhub.db');
}
