import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../observability/logger';
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
}

export interface ThreadStart {
  configPath: string;
  localPath?: string | false;
  env: Record<string, string | undefined>;
  silent: boolean;
}
export type ThreadRequest = { type: 'notify' } | { type: 'metrics'; id: number } | { type: 'stop'; deadline: number };
export type ThreadReply = { type: 'ready' } | { type: 'metrics'; id: number; snapshot: MetricsSnapshot } | { type: 'stopped'; drained: boolean };

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
  };
}

/**
 * The pipeline in a worker thread (the default of `subhub start`): ingestion and processing
 * use separate cores. If the thread dies, the process exits (70) so a supervisor restarts it;
 * nothing is lost, as all work is in the store.
 */
export async function threadRunner(entry: string, start: ThreadStart, logger: Logger): Promise<PipelineRunner> {
  const worker = new Worker(entry, { workerData: start });
  let running = false;
  let stopping = false;
  let nextId = 0;
  let notifyQueued = false;
  const pending = new Map<number, (snapshot: MetricsSnapshot[]) => void>();
  worker.on('message', (m: ThreadReply) => {
    if (m.type === 'metrics') pending.get(m.id)?.([m.snapshot]);
    pending.delete((m as { id?: number }).id ?? -1);
  });
  worker.on('error', (e) => logger.error('pipeline thread failed', { error: e.message }));
  worker.on('exit', (code) => {
    running = false;
    if (!stopping) {
      logger.error('pipeline thread exited unexpectedly: stopping the hub so a supervisor restarts it', { code });
      process.exit(70);
    }
  });
  const [first] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([e]) => Promise.reject(e))])) as [ThreadReply];
  if (first.type !== 'ready') throw new Error('pipeline thread did not start');
  running = true;
  return {
    get running() {
      return running;
    },
    // Many webhooks per tick wake the thread once.
    notify: () => {
      if (notifyQueued) return;
      notifyQueued = true;
      setImmediate(() => {
        notifyQueued = false;
        worker.postMessage({ type: 'notify' } satisfies ThreadRequest);
      });
    },
    async stop(deadline) {
      stopping = true;
      worker.postMessage({ type: 'stop', deadline } satisfies ThreadRequest);
      const reply = await new Promise<ThreadReply>((resolve) => {
        const onMessage = (m: ThreadReply) => {
          if (m.type === 'stopped') {
            worker.off('message', onMessage);
            resolve(m);
          }
        };
        worker.on('message', onMessage);
        setTimeout(() => resolve({ type: 'stopped', drained: false }), Math.max(0, deadline - Date.now()) + 2000).unref();
      });
      await worker.terminate();
      running = false;
      return reply.type === 'stopped' && reply.drained;
    },
    metrics: () =>
      new Promise<MetricsSnapshot[]>((resolve) => {
        const id = ++nextId;
        pending.set(id, resolve);
        worker.postMessage({ type: 'metrics', id } satisfies ThreadRequest);
        setTimeout(() => {
          if (pending.delete(id)) resolve([]);
        }, 2000).unref();
      }),
  };
}
