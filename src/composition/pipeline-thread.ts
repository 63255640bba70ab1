import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../observability/logger';
import { HubMetrics } from '../observability/metrics';
import { loadRuntime } from '../runtime';
import { createStore, type OpenedStore } from '../store/create-store';
import { StoreUnavailableError } from '../store/store-error';
import { buildPipeline } from './build-pipeline';
import { PIPELINE_DEFAULTS } from '../pipeline/normalise-progress';
import type { ThreadRequest, ThreadReply, ThreadStart } from '../pipeline/pipeline-runner';

/**
 * The pipeline's own thread (one core for webhooks, one for the pipeline): it loads the same
 * config, opens its own connection to the same SQLite file, and runs normalisation and
 * delivery. The main thread wakes it after each stored webhook and asks it for its metrics.
 */
const start = workerData as ThreadStart;
const port = parentPort!;
const post = (m: ThreadReply) => port.postMessage(m);

const runtime = loadRuntime({ path: start.configPath, localPath: start.localPath, env: start.env });
const logger = createLogger(runtime.config.log?.level, start.silent);
const metrics = new HubMetrics({ processMetrics: false });
lowerPriority(runtime.config.pipeline?.niceness ?? PIPELINE_DEFAULTS.niceness);
void openStore().then((opened) => {
  const store = opened.store;
  const pipeline = buildPipeline(runtime, store, logger, metrics, Date.now, opened.sharedLocks);
  pipeline.start();
  serve(pipeline, () => opened.close());
});

/**
 * Ingest priority at the CPU (pipeline.niceness): on Linux, setpriority(PRIO_PROCESS, 0) applies
 * to the calling thread only, so this thread yields the cores to the threads that read and commit
 * webhooks while they are busy, and runs at full speed when they are not. (The write gate gives
 * webhooks the same priority at SQLite's write lock.) Where the OS refuses, the thread runs at
 * normal priority and says so.
 */
function lowerPriority(niceness: number): void {
  if (niceness === 0) return;
  if (process.platform !== 'linux') {
    logger.info('pipeline.niceness applies on Linux only: the pipeline thread shares the CPU equally', { niceness });
    return;
  }
  try {
    setPriority(0, niceness);
  } catch (e) {
    logger.warn("could not lower the pipeline thread's priority: it shares the CPU equally with webhooks", {
      niceness,
      error: e instanceof Error ? e.message : String(e),
    });
  }
}

/**
 * The thread's own connection to the store. A store that cannot be reached now (PostgreSQL down
 * between the main thread's start and this one, or while the thread is restarted) is tried again
 * with backoff, as the pipeline does with every call; any other failure ends the thread.
 */
async function openStore(): Promise<OpenedStore> {
  for (let wait = 100; ; wait = Math.min(5000, wait * 2)) {
    try {
      return await createStore(
        runtime.config,
        start.env,
        start.writeGate ? { writeGate: { memory: start.writeGate, role: 'background' } } : {},
      );
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      logger.warn('pipeline thread: the store cannot be reached; trying again', { error: e.message, retryInMs: wait });
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

function serve(pipeline: ReturnType<typeof buildPipeline>, close: () => Promise<void>): void {
  port.on('message', (m: ThreadRequest) => {
    if (m.type === 'notify') pipeline.notify();
    else if (m.type === 'metrics')
      void metrics.registry.getMetricsAsJSON().then((snapshot) => post({ type: 'metrics', id: m.id, snapshot }));
    else if (m.type === 'stop') {
      void pipeline.stop(m.deadline).then(async (drained) => {
        await close();
        post({ type: 'stopped', drained });
      });
    }
  });
  post({ type: 'ready', progress: pipeline.progress.buffer });
}
