import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type LoadConfigOptions } from './config/load-config';
import type { HubConfig } from './config/config.types';
import { HUB_EVENT_TYPES } from './events';
import { LocatedErrors } from './errors/located-error';
import { createApp } from './http/app';
import { MappingSet } from './mapping/mapping-set';
import { createLogger, type Logger } from './observability/logger';

export interface RunningHub {
  readonly config: Readonly<HubConfig>;
  readonly mappings: MappingSet;
  readonly url: string;
  readonly logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions extends LoadConfigOptions {
  silent?: boolean;
}

/**
 * The composition root: loads and validates config, compiles every mapping (the hub refuses to
 * start on any problem), and serves HTTP. Resolves once the port is bound.
 */
export async function startHub(options: StartOptions = {}): Promise<RunningHub> {
  let loaded: MappingSet | undefined;
  const { config } = loadConfig({
    ...options,
    catalog: (cfg) => {
      loaded = MappingSet.fromPaths(cfg.mappings?.paths ?? ['mappings']);
      const problems = loaded.compileAll();
      if (problems.length > 0) throw new LocatedErrors(problems);
      return { eventTypes: HUB_EVENT_TYPES, mappingNames: loaded.names() };
    },
  });
  if (!loaded) throw new Error('unreachable: the catalog callback runs on every successful load');
  const mappings = loaded;
  const logger = createLogger(config.log?.level, options.silent === true);

  const app = createApp({
    config,
    logger,
    ready: () => ({ ready: true, checks: { config: 'loaded', mappings: mappings.names().length } }),
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.server?.port ?? 8080, config.server?.host ?? '0.0.0.0', () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.address;
  const url = `http://${host}:${addr.port}`;
  logger.info('subhub started', { url, mappings: mappings.names().length, connectors: Object.keys(config.connectors ?? {}).length });
  return {
    config,
    mappings,
    url,
    logger,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
