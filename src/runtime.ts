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
  /** The config files read, in merge order, and the environment variables that overrode values. */
  sources: { files: readonly string[]; envOverrides: readonly string[] };
}

/**
 * Loads and validates config, compiles every mapping and builds every connector; throws
 * LocatedErrors listing every problem (the hub refuses to start on any).
 */
export function loadRuntime(options: LoadConfigOptions & { env: NodeJS.ProcessEnv }): Runtime {
  let loaded: MappingSet | undefined;
  let definitions = BUILT_IN_CONNECTORS;
  const { config, files, envOverrides } = loadConfig({
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
  return { config, mappings: loaded, connectors: built.connectors, sources: { files, envOverrides } };
}

/** What the start-up log and `subhub validate` say is active: enabled routes, compiled mappings, built (enabled) connectors. */
export function activeCounts(runtime: Pick<Runtime, 'config' | 'mappings' | 'connectors'>): {
  routes: number;
  mappings: number;
  connectors: number;
} {
  return {
    routes: (runtime.config.routes ?? []).filter((r) => r.enabled !== false).length,
    mappings: runtime.mappings.names().length,
    connectors: runtime.connectors.size,
  };
}

/** The database file of a data folder. */
export { databaseFile } from './store/create-store';
