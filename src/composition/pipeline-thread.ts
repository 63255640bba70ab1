import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../observability/logger';
import { HubMetrics } from '../observability/metrics';
import { loadRuntime } from '../runtime';
import { createStore } from '../store/create-store';
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
void createStore(runtime.config, start.env).then((opened) => {
  const store = opened.store;
  const pipeline = buildPipeline(runtime, store, logger, metrics, Date.now, opened.sharedLocks);
  pipeline.start();
  serve(pipeline, () => opened.close());
});

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
