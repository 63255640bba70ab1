import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../observability/logger';
import { NormaliseProgress } from './normalise-progress';
import { watchNormalisation, type OverrunEntry } from './normalise-watchdog';
import type { MetricsSnapshot } from '../observability/metrics';
import type { Pipeline } from './pipeline';

/** How the hub drives its pipeline, in this thread or in a worker thread. */
export interface PipelineRunner {
  readonly running: boolean;
  /** New work was stored: wake idle loops. */
  notify(): void;
  /** Stops claiming, drains until `deadline` (epoch ms); true when everything finished. */
  stop(deadline: number): Promise<boolean>;
  /** Metrics kept where the pipeline runs (none when it shares the hub's registry), to merge into /metrics. */
  metrics(): Promise<MetricsSnapshot[]>;
  /** In-thread pipelines only: resolves when background work (reorder planning) is done. */
  backgroundIdle?(): Promise<void>;
  /** What the normaliser is doing (shared memory: readable while the pipeline is stuck). */
  readonly progress: NormaliseProgress;
  /**
   * An operator set inbox entry `inboxId` aside: if the pipeline is normalising it right now,
   * abandon that work (restart the thread). Resolves true when it did; the in-thread pipeline
   * cannot interrupt itself and resolves false (its own completion is fenced off by the store).
   */
  abandon(inboxId: string): Promise<boolean>;
}

export interface ThreadStart {
  configPath: string;
  localPath?: string | false;
  env: Record<string, string | undefined>;
  silent: boolean;
  /** The embedded store's write gate, shared with the main thread (which has priority). */
  writeGate?: SharedArrayBuffer;
}
export type ThreadRequest = { type: 'notify' } | { type: 'metrics'; id: number } | { type: 'stop'; deadline: number };
export type ThreadReply =
  | { type: 'ready'; progress: SharedArrayBuffer }
  | { type: 'metrics'; id: number; snapshot: MetricsSnapshot }
  | { type: 'stopped'; drained: boolean };

/** The pipeline in the hub's own thread (tests with injected stores; single-core machines). */
export function inlineRunner(pipeline: Pipeline): PipelineRunner {
  pipeline.start();
  return {
    get running() {
      return pipeline.running;
    },
    notify: () => pipeline.notify(),
    stop: (deadline) => pipeline.stop(deadline),
    metrics: async () => [],
    backgroundIdle: () => pipeline.backgroundIdle(),
    progress: pipeline.progress,
    abandon: async () => false,
  };
}

/** The normalisation budget of a pipeline thread, and what to do before a replacement thread starts. */
export interface ThreadWatchdog {
  /** pipeline.normaliseBudgetMs */
  budgetMs: number;
  /** The thread was terminated over `entry`: set the entry aside (dead letter) in the store. */
  quarantine(entry: OverrunEntry): Promise<void>;
  /** Frees the leases the terminated thread held, so the replacement takes its work at once. */
  releaseLeases(): Promise<void>;
}

/**
 * The pipeline in a worker thread (the default of `subhub start`): ingestion and processing
 * use separate cores. If the thread dies, the process exits (70) so a supervisor restarts it;
 * nothing is lost, as all work is in the store. A thread that normalises one entry for longer
 * than the budget is terminated by the watchdog (this thread stays responsive, so it can): the
 * entry is quarantined, leases are released and a new thread starts. Deliveries that were in
 * flight in the old thread are sent again with the same idempotency key, as after a crash.
 */
export async function threadRunner(entry: string, start: ThreadStart, logger: Logger, watchdog?: ThreadWatchdog): Promise<PipelineRunner> {
  let worker: Worker | undefined;
  let progress = new NormaliseProgress();
  let running = false;
  let stopping = false;
  let restarting: Promise<void> | undefined;
  let nextId = 0;
  let notifyQueued = false;
  const pending = new Map<number, (snapshot: MetricsSnapshot[]) => void>();
  /** Threads this runner terminated on purpose: their exit is not a crash. */
  const retired = new WeakSet<Worker>();

  const launch = async (): Promise<void> => {
    const w = new Worker(entry, { workerData: start });
    w.on('message', (m: ThreadReply) => {
      if (m.type === 'metrics') pending.get(m.id)?.([m.snapshot]);
      pending.delete((m as { id?: number }).id ?? -1);
    });
    w.on('error', (e) => logger.error('pipeline thread failed', { error: e.message }));
    w.on('exit', (code) => {
      if (retired.has(w)) return;
      running = false;
      if (!stopping) {
        logger.error('pipeline thread exited unexpectedly: stopping the hub so a supervisor restarts it', { code });
        process.exit(70);
      }
    });
    const [first] = (await Promise.race([once(w, 'message'), once(w, 'error').then(([e]) => Promise.reject(e))])) as [ThreadReply];
    if (first.type !== 'ready') throw new Error('pipeline thread did not start');
    worker = w;
    progress = new NormaliseProgress(first.progress);
    running = true;
  };

  /** Terminates the thread, quarantines `overrun` (if any), frees leases and starts a new thread. */
  const restart = (overrun: OverrunEntry | undefined): Promise<void> =>
    (restarting ??= (async () => {
      const old = worker!;
      retired.add(old);
      running = false;
      await old.terminate();
      try {
        if (overrun) await watchdog?.quarantine(overrun);
        await watchdog?.releaseLeases();
      } catch (e) {
        // The entry stays in the inbox: the new thread meets it again and the watchdog tries again.
        logger.error('could not set a stuck inbox entry aside', {
          inboxId: overrun?.inboxId,
          error: e instanceof Error ? e.message : String(e),
        });
      }
      if (!stopping) await launch();
    })().finally(() => (restarting = undefined)));

  await launch();
  const watch = watchdog
    ? watchNormalisation(
        () => progress,
        watchdog.budgetMs,
        (overrun) => {
          if (stopping) return;
          logger.error('normalisation ran past its budget: restarting the pipeline thread and dead-lettering the entry', {
            ...overrun,
            budgetMs: watchdog.budgetMs,
          });
          void restart(overrun).catch((e: unknown) => {
            logger.error('pipeline thread could not be restarted: stopping the hub so a supervisor restarts it', {
              error: e instanceof Error ? e.message : String(e),
            });
            process.exit(70);
          });
        },
      )
    : undefined;

  return {
    get running() {
      return running;
    },
    get progress() {
      return progress;
    },
    // Many webhooks per tick wake the thread once.
    notify: () => {
      if (notifyQueued) return;
      notifyQueued = true;
      setImmediate(() => {
        notifyQueued = false;
        worker!.postMessage({ type: 'notify' } satisfies ThreadRequest);
      });
    },
    async abandon(inboxId) {
      if (progress.current()?.inboxId !== inboxId || stopping) return false;
      logger.warn('abandoning the inbox entry being normalised: restarting the pipeline thread', { inboxId });
      await restart(undefined);
      return true;
    },
    async stop(deadline) {
      stopping = true;
      watch?.stop();
      await restarting;
      const current = worker!;
      if (retired.has(current)) return false; // stopped while replacing a stuck thread: nothing left to drain
      current.postMessage({ type: 'stop', deadline } satisfies ThreadRequest);
      const reply = await new Promise<ThreadReply>((resolve) => {
        const onMessage = (m: ThreadReply) => {
          if (m.type === 'stopped') {
            current.off('message', onMessage);
            resolve(m);
          }
        };
        current.on('message', onMessage);
        setTimeout(() => resolve({ type: 'stopped', drained: false }), Math.max(0, deadline - Date.now()) + 2000).unref();
      });
      await current.terminate();
      running = false;
      return reply.type === 'stopped' && reply.drained;
    },
    metrics: () =>
      new Promise<MetricsSnapshot[]>((resolve) => {
        const id = ++nextId;
        pending.set(id, resolve);
        worker!.postMessage({ type: 'metrics', id } satisfies ThreadRequest);
        setTimeout(() => {
          if (pending.delete(id)) resolve([]);
        }, 2000).unref();
      }),
  };
}
