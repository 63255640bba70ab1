import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../observability/logger';
import { HubMetrics } from '../observability/metrics';
import { loadRuntime } from '../runtime';
import { createStore, type OpenedStore } from '../store/create-store';
import { StoreUnavailableError } from '../store/store-error';
import { buildPipeline } from './build-pipeline';
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
void openStore().then((opened) => {
  const store = opened.store;
  const pipeline = buildPipeline(runtime, store, logger, metrics, Date.now, opened.sharedLocks);
  pipeline.start();
  serve(pipeline, () => opened.close());
});

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
