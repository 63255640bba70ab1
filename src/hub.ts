import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { loadConfig, type LoadConfigOptions } from './config/load-config';
import type { HubConfig } from './config/config.types';
import { buildConnectors, CONNECTOR_TYPES } from './connectors/registry';
import { HUB_EVENT_TYPES } from './events';
import { LocatedErrors } from './errors/located-error';
import { adminRouter } from './http/admin-router';
import { createApp } from './http/app';
import { webhookRouter } from './ingest/webhook-router';
import { MappingSet } from './mapping/mapping-set';
import { createLogger, type Logger } from './observability/logger';
import { HubMetrics } from './observability/metrics';
import { CircuitBreaker } from './pipeline/circuit-breaker';
import type { TargetGuards } from './pipeline/deliver';
import { Pipeline } from './pipeline/pipeline';
import { DEFAULT_RETRY } from './pipeline/retry-policy';
import { TokenBucket } from './pipeline/token-bucket';
import type { Store } from './store/ports';
import { SqliteStore } from './store/sqlite/sqlite-store';
import { acquireProcessLock } from './store/sqlite/process-lock';

export interface RunningHub {
  readonly config: Readonly<HubConfig>;
  readonly mappings: MappingSet;
  readonly store: Store;
  readonly pipeline: Pipeline;
  readonly metrics: HubMetrics;
  readonly url: string;
  readonly logger: Logger;
  /** Stops accepting (503), drains in-flight work until the grace period ends, closes the store. */
  stop(): Promise<void>;
}

export interface StartOptions extends LoadConfigOptions {
  silent?: boolean;
  /** Injected for tests (e.g. a store whose disk is full). */
  store?: Store;
}

/** The database file of a data folder. */
export function databaseFile(dataDir: string): string {
  return join(resolve(dataDir), 'subhub.db');
}

/**
 * The composition root: loads and validates config, compiles every mapping and builds every
 * connector (the hub refuses to start on any problem), opens the store, starts the pipeline
 * and serves HTTP. Resolves once the port is bound.
 */
export async function startHub(options: StartOptions = {}): Promise<RunningHub> {
  const env = options.env ?? process.env;
  let loaded: MappingSet | undefined;
  const { config } = loadConfig({
    ...options,
    catalog: (cfg) => {
      loaded = MappingSet.fromPaths(cfg.mappings?.paths ?? ['mappings']);
      const problems = loaded.compileAll();
      if (problems.length > 0) throw new LocatedErrors(problems);
      return { eventTypes: HUB_EVENT_TYPES, mappingNames: loaded.names(), connectorTypes: CONNECTOR_TYPES };
    },
  });
  if (!loaded) throw new Error('unreachable: the catalog callback runs on every successful load');
  const mappings = loaded;
  const built = buildConnectors(config, env);
  if (built.problems.length > 0) throw new LocatedErrors(built.problems);
  const connectors = built.connectors;
  const logger = createLogger(config.log?.level, options.silent === true);
  const metrics = new HubMetrics();
  const dataDir = config.storage?.dataDir ?? './data';
  const unlock = options.store ? () => undefined : acquireProcessLock(join(resolve(dataDir), 'subhub.pid'));
  const store = options.store ?? new SqliteStore(databaseFile(dataDir));
  // The only worker of this store is starting: whatever the previous process leased is free.
  if (!options.store) await store.releaseAllLeases();

  const guards = new Map<string, TargetGuards>();
  const guardsOf = (target: string): TargetGuards => {
    let g = guards.get(target);
    if (!g) {
      const d = config.connectors?.[target]?.delivery ?? {};
      const bucket = new TokenBucket(d.ratePerSec ?? 50, d.burst ?? 50, Date.now());
      g = {
        breaker: new CircuitBreaker(d.circuitFailureThreshold ?? 5, d.circuitOpenMs ?? 30_000),
        timeoutMs: d.timeoutMs ?? 10_000,
        acquire: async () => {
          for (let wait = bucket.take(Date.now()); wait > 0; wait = bucket.take(Date.now())) await new Promise((r) => setTimeout(r, wait));
          metrics.rateTokens.set({ target }, bucket.available);
        },
      };
      guards.set(target, g);
    }
    return g;
  };

  const settings = { pollMs: 50, inboxBatch: 100, deliveryConcurrency: 32, leaseMs: 60_000, ...config.pipeline };
  const pipeline = new Pipeline({
    store,
    settings,
    logger,
    metrics,
    normalise: { config, connectors, mappings, handlers: [] },
    deliver: { connectors, mappings, retry: { ...DEFAULT_RETRY, ...config.retry }, guards: guardsOf, metrics, now: Date.now },
  });

  let accepting = true;
  const adminToken = env.SUBHUB_ADMIN_TOKEN;
  if (!adminToken) logger.info('admin API is off: set SUBHUB_ADMIN_TOKEN to enable /admin/api');
  const app = createApp({
    logger,
    metrics,
    webhooks: webhookRouter({ config, connectors, store, logger, metrics, env, accepting: () => accepting, stored: () => pipeline.notify() }),
    admin: adminToken ? adminRouter({ store, token: adminToken, ratePerMin: config.admin?.ratePerMin ?? 120, replayed: () => pipeline.notify() }) : undefined,
    ready: async () => {
      let storeOk = true;
      try {
        await store.ping();
      } catch {
        storeOk = false;
      }
      const counts = storeOk ? await store.counts() : undefined;
      if (counts) {
        metrics.queueDepth.set({ queue: 'inbox' }, counts.inboxPending);
        metrics.queueDepth.set({ queue: 'deliveries' }, counts.deliveriesPending);
        metrics.deadLetters.set(counts.deadLettersOpen);
      }
      return { ready: storeOk && pipeline.running && accepting, checks: { store: storeOk ? 'ok' : 'unavailable', workers: pipeline.running ? 'running' : 'stopped', mappings: mappings.names().length, ...counts } };
    },
  });

  pipeline.start();
  const server: Server = await new Promise((resolveServer, reject) => {
    const s = app.listen(config.server?.port ?? 8080, config.server?.host ?? '0.0.0.0', () => resolveServer(s));
    s.once('error', reject);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.address;
  const url = `http://${host}:${addr.port}`;
  logger.info('subhub started', { url, mappings: mappings.names().length, connectors: connectors.size, data: config.storage?.dataDir });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      accepting = false;
      const deadline = Date.now() + (config.server?.shutdownGraceMs ?? 10_000);
      const drained = await pipeline.stop(deadline);
      logger.info('pipeline stopped', { drained });
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - Date.now())).unref();
      });
      await store.close();
      unlock();
    })());
  return { config, mappings, store, pipeline, metrics, url, logger, stop };
}
