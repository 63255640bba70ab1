import type { Logger } from '../observability/logger';
import type { HubMetrics } from '../observability/metrics';
import type { Runtime } from '../runtime';
import type { Store } from '../store/ports';
import { CircuitBreaker } from '../pipeline/circuit-breaker';
import type { TargetGuards } from '../pipeline/deliver';
import { Pipeline } from '../pipeline/pipeline';
import type { ExternalLog } from '../store/ports';
import { DEFAULT_RETRY } from '../pipeline/retry-policy';
import { TokenBucket } from '../util/token-bucket';
import { PIPELINE_DEFAULTS } from '../pipeline/normalise-progress';
import type { Locks } from '../store/locks';
import { DomainService } from '../domain/domain-service';
import { domainSettings } from '../domain/domain-settings';
import { scheduleNightly } from './nightly-job';
import { reorderScheduler } from './reorder-scheduler';
import { retryScheduler } from './retry-scheduler';

/**
 * Builds the pipeline of a runtime over a store: per-target rate limits and circuit breakers from
 * config, the subscription domain and the reorder planner. `clock` is business time (when demand
 * horizons and derived events are dated); the demo runs a month on a clock of its own.
 */
export function buildPipeline(
  runtime: Runtime,
  store: Store,
  logger: Logger,
  metrics: HubMetrics,
  clock: () => number = Date.now,
  locks?: Locks,
  log?: ExternalLog,
): Pipeline {
  const { config, connectors, mappings } = runtime;
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
  const settings = domainSettings(config);
  const domain = new DomainService(settings);
  // SKUs whose demand moved since the planner last looked (the planner takes and clears them).
  const moved = new Set<string>();
  const planner = reorderScheduler(
    runtime,
    store,
    logger,
    () => {
      const skus = [...moved];
      moved.clear();
      return skus;
    },
    clock,
  );
  const nightly = scheduleNightly({ runtime, store, settings, logger, planner, clock, locks });
  const retries = retryScheduler({ domain: store.domain, settings, logger, clock, locks, everyMs: config.dunning?.retryCheckMs ?? 60_000 });
  if (nightly) logger.info('nightly job scheduled', { schedule: nightly.expression, next: nightly.nextRun()?.toISOString() });
  return new Pipeline({
    store,
    ...(log ? { log } : {}),
    settings: { ...PIPELINE_DEFAULTS, ...config.pipeline },
    logger,
    metrics,
    normalise: {
      config,
      connectors,
      mappings,
      enrich: { guards: guardsOf, retry: { ...DEFAULT_RETRY, ...config.retry } },
    },
    domain: {
      unitOf: (event) => DomainService.unitOf(event),
      handle: (event, view) => domain.handle(event, view, clock()),
      demandMoved: (skus) => skus.forEach((s) => moved.add(s)),
    },
    // Waiting for background work also requests the payment retries due by now (business time), so
    // a caller that moved the clock (the demo, tests) sees them without waiting for the next check.
    background: { idle: async () => (await planner.idle(), void (await retries.check())) },
    onStop: () => (retries.stop(), nightly?.stop()),
    afterBatch: () => planner.poke(),
    deliver: {
      connectors,
      mappings,
      retry: { ...DEFAULT_RETRY, ...config.retry },
      guards: guardsOf,
      metrics,
      now: Date.now,
      stockOut: {
        policy: config.stock?.stockOut ?? 'retry_later',
        retryDays: config.dunning?.policy?.retries?.inventory ?? [1, 2, 3, 4, 5],
      },
    },
  });
}
