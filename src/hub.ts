import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { LoadConfigOptions } from './config/load-config';
import type { HubConfig } from './config/config.types';
import { writeUnit } from './domain/unit-write';
import { DomainService, type DomainSettings } from './domain/domain-service';
import { domainSettings } from './domain/domain-settings';
import { adminRouter } from './http/admin-router';
import { consoleRouter } from './http/console/console-router';
import { SessionKeys } from './http/console/session';
import { stockView } from './http/stock-view';
import { paymentUpdateLinks } from './http/payment-update-links';
import { plannedLocations } from './domain/locations';
import { runReconcile } from './composition/run-reconcile';
import { createApp } from './http/app';
import { webhookRouter } from './ingest/webhook-router';
import type { MappingSet } from './mapping/mapping-set';
import { createLogger, type Logger } from './observability/logger';
import { HubMetrics } from './observability/metrics';
import { buildPipeline } from './composition/build-pipeline';
import { inlineRunner, threadRunner, type PipelineRunner } from './pipeline/pipeline-runner';
import { PIPELINE_DEFAULTS, stallReason } from './pipeline/normalise-progress';
import { normaliseWatchdog } from './pipeline/normalise-quarantine';
import { activeCounts, loadRuntime } from './runtime';
import type { Store } from './store/ports';
import { createStore, writeGateMemory, type OpenedStore } from './store/create-store';
import { openEventLog, type OpenedEventLog } from './store/create-event-log';
import { partitionKeyOf } from './composition/partition-key';
import { acquireProcessLock } from './store/sqlite/process-lock';

export interface RunningHub {
  readonly config: Readonly<HubConfig>;
  readonly mappings: MappingSet;
  readonly store: Store;
  readonly pipeline: PipelineRunner;
  readonly metrics: HubMetrics;
  readonly url: string;
  readonly logger: Logger;
  /** Stops accepting (503), drains in-flight work until the grace period ends, closes the store. */
  stop(): Promise<void>;
}

export interface StartOptions extends LoadConfigOptions {
  silent?: boolean;
  /** Injected for tests (e.g. a store whose disk is full); implies the inline pipeline. */
  store?: Store;
  pipeline?: 'inline' | 'thread';
  /** Business time for the domain (inline pipeline only): the demo plays a month on its own clock. */
  clock?: () => number;
}

/**
 * The composition root: loads and validates config, compiles every mapping and builds every
 * connector (the hub refuses to start on any problem), opens the store, starts the pipeline
 * (in a worker thread when running compiled, `pipeline: 'thread'`; in this thread under tests
 * or with an injected store) and serves HTTP. Resolves once the port is bound.
 */
export async function startHub(options: StartOptions = {}): Promise<RunningHub> {
  const env = options.env ?? process.env;
  const runtime = loadRuntime({ ...options, env });
  const { config, mappings, connectors } = runtime;
  const logger = createLogger(config.log?.level, options.silent === true);
  const metrics = new HubMetrics();
  const dataDir = config.storage?.dataDir ?? './data';
  // The embedded store has one hub process per data folder; a shared store (PostgreSQL) has many.
  const embedded = !options.store && (config.storage?.kind ?? 'sqlite') === 'sqlite';
  const unlock = embedded ? acquireProcessLock(join(resolve(dataDir), 'subhub.pid')) : () => undefined;
  // The embedded store's threads take turns at its write lock through shared memory, webhooks first.
  const writeGate = embedded ? writeGateMemory() : undefined;
  let opened: OpenedStore | undefined;
  try {
    opened = options.store
      ? undefined
      : await createStore(config, env, writeGate ? { writeGate: { memory: writeGate, role: 'ingest' }, appendThread: true } : {});
  } catch (e) {
    unlock();
    throw e;
  }
  const store = options.store ?? opened!.store;
  // This process's pipeline worker is starting: leases the store knows to be orphaned are freed.
  if (!options.store) await store.recoverLeases();

  let eventLog: OpenedEventLog;
  try {
    eventLog = await openEventLog(config, env, {
      store,
      keyOf: partitionKeyOf(connectors),
      port: config.server?.port ?? 8080,
      onEvent: (what, detail) => logger.info(`event log: ${what}`, { detail }),
    });
  } catch (e) {
    await (opened ? opened.close() : undefined);
    unlock();
    throw e;
  }
  // node-rdkafka loads in one thread per process only: with Kafka the pipeline runs in this thread
  // (run one hub process per core instead).
  const mode = eventLog.external ? 'inline' : (options.pipeline ?? (options.store || !__filename.endsWith('.js') ? 'inline' : 'thread'));
  const pipeline: PipelineRunner =
    mode === 'thread'
      ? await threadRunner(
          join(__dirname, 'composition', 'pipeline-thread.js'),
          {
            configPath: resolve(options.path ?? join('config', 'hub.json')),
            localPath: options.localPath,
            env: { ...env },
            silent: options.silent === true,
            ...(writeGate ? { writeGate } : {}),
          },
          logger,
          normaliseWatchdog(store, config.pipeline?.normaliseBudgetMs ?? PIPELINE_DEFAULTS.normaliseBudgetMs),
        )
      : inlineRunner(buildPipeline(runtime, store, logger, metrics, options.clock, opened?.sharedLocks, eventLog.external));
  let accepting = true;
  /** Read once, on the first operator write (the BoM file is not read again per request). */
  let settings: DomainSettings | undefined;
  const adminToken = env.SUBHUB_ADMIN_TOKEN;
  if (!adminToken) logger.info('admin API is off: set SUBHUB_ADMIN_TOKEN to enable /admin/api');
  const consoleConfig = config.admin?.console ?? {};
  const sessions = adminToken && consoleConfig.enabled !== false ? new SessionKeys(adminToken) : undefined;
  const stock = config.stock ?? {};
  const warehouse = stock.warehouse ? connectors.get(stock.warehouse) : undefined;
  // The connector action behind each provider's payment-details link (dunning.paymentUpdateLinks).
  const linkActions = new Map(
    Object.entries(config.dunning?.paymentUpdateLinks ?? {}).flatMap(([provider, l]) => {
      const action = connectors.get(l.connector)?.actions[l.action ?? 'createFirstPayment'];
      if (!action) logger.warn('dunning.paymentUpdateLinks: no such connector action; the links answer 410', { provider, ...l });
      return action ? [[provider, action] as const] : [];
    }),
  );
  const app = createApp({
    logger,
    metrics,
    links: linkActions.size > 0 ? paymentUpdateLinks({ domain: store.domain, actions: linkActions, logger }) : undefined,
    moreMetrics: () => pipeline.metrics(),
    webhooks: webhookRouter({
      config,
      connectors,
      store,
      log: eventLog.writer,
      logger,
      metrics,
      env,
      accepting: () => accepting,
      stored: () => pipeline.notify(),
    }),
    admin: adminToken
      ? adminRouter({
          store,
          token: adminToken,
          ratePerMin: config.admin?.ratePerMin ?? 120,
          replayed: () => pipeline.notify(),
          sessions,
          views: store.views,
          clock: options.clock,
          metricSamples: async () => metrics.samples(await pipeline.metrics()),
          stock: stockView({
            stock,
            locations: plannedLocations(stock),
            domain: store.domain,
            views: store.views,
            stockLevels: warehouse?.pulls.stockLevels ? () => warehouse.pulls.stockLevels!() : undefined,
          }),
          reconcileDryRun: () =>
            runReconcile({ runtime, store, now: (options.clock ?? Date.now)(), dryRun: true, locks: opened?.sharedLocks }),
          inboxSettled: (id) => pipeline.abandon(id).finally(() => pipeline.notify()),
          clearBlacklist: async (customerId, actor) => {
            const now = (options.clock ?? Date.now)();
            settings ??= domainSettings(config);
            const service = new DomainService(settings);
            // Computed on the customer's unit as committed; it commits only if no event of the customer committed meanwhile.
            const changes = await writeUnit(store.domain, customerId, (view) => service.clearBlacklist(customerId, actor, view, now), now);
            if (!changes) return 'not_blacklisted';
            pipeline.notify();
            return 'cleared';
          },
          setOverrides: async (customerId, overrides, actor) => {
            const now = (options.clock ?? Date.now)();
            settings ??= domainSettings(config);
            const service = new DomainService(settings);
            // Like the blacklist clear: computed on the unit as committed, re-computed on a conflict.
            const changes = await writeUnit(
              store.domain,
              customerId,
              (view) => service.setOverrides(customerId, overrides, actor, view, now),
              now,
            );
            if (!changes) return undefined;
            pipeline.notify();
            return changes.customers.find((c) => c.id === customerId);
          },
          mappings: { set: mappings, config, root: process.cwd() },
          configOverrides: (customerId) => {
            const byCustomer = config.dunning?.customers ?? {};
            return Object.hasOwn(byCustomer, customerId) ? byCustomer[customerId] : undefined;
          },
        })
      : undefined,
    console:
      adminToken && sessions
        ? consoleRouter({
            token: adminToken,
            sessions,
            now: Date.now,
            sessionHours: consoleConfig.sessionHours ?? 12,
            timeZone: consoleConfig.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
            locale: consoleConfig.locale,
          })
        : undefined,
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
      const stalled =
        counts &&
        stallReason(
          pipeline.progress,
          counts.inboxPending - counts.inboxDeferred,
          Date.now(),
          config.pipeline?.stallAfterMs ?? PIPELINE_DEFAULTS.stallAfterMs,
        );
      return {
        ready: storeOk && pipeline.running && accepting && !stalled,
        checks: {
          store: storeOk ? 'ok' : 'unavailable',
          workers: pipeline.running ? 'running' : 'stopped',
          pipeline: stalled ? 'stalled' : 'ok',
          ...(stalled ? { reason: stalled } : {}),
          mappings: mappings.names().length,
          ...counts,
        },
      };
    },
  });

  const server: Server = await new Promise((resolveServer, reject) => {
    const s = app.listen(config.server?.port ?? 8080, config.server?.host ?? '0.0.0.0', () => resolveServer(s));
    s.once('error', reject);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.address;
  const url = `http://${host}:${addr.port}`;
  // Says what is active, so a config overlay that dropped routes is seen at once.
  const active = activeCounts(runtime);
  logger.info(`subhub started: ${active.routes} routes, ${active.mappings} mappings, ${active.connectors} connectors active`, {
    url,
    ...active,
    config: runtime.sources.files,
    envOverrides: runtime.sources.envOverrides,
    data: config.storage?.dataDir,
  });

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
      await eventLog.close();
      await (opened ? opened.close() : store.close());
      unlock();
    })());
  return { config, mappings, store, pipeline, metrics, url, logger, stop };
}
