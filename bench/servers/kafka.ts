import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKafka, type KafkaBroker } from '../../test/helpers/kafka';

const ROOT = join(__dirname, '..', '..', '..');
const run = promisify(execFile);

/** Partitions of the benchmark's inbox topics: room for up to 6 normalising hubs. */
export const BENCH_PARTITIONS = 6;

/**
 * The benchmarks' private Apache Kafka broker (`--log kafka`): the same single-node KRaft cluster
 * the Kafka tests start (test/helpers/kafka.ts: Kafka's jars from SUBHUB_KAFKA_LIBS, Java 17),
 * one per benchmark run, removed by `stop()` (and by its watchdog if the benchmark dies).
 */
export function startBenchKafka(): Promise<KafkaBroker> {
  return startKafka({ partitions: BENCH_PARTITIONS });
}

/** The operator's step before the first hub starts: `subhub kafka check --create` on the hub config. */
export async function createKafkaTopics(configPath: string, env: Record<string, string>): Promise<void> {
  try {
    await run(process.execPath, [join(ROOT, 'bin', 'subhub.js'), 'kafka', 'check', '--create', '-c', configPath], {
      env: { ...process.env, ...env },
    });
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`subhub kafka check --create failed: ${x.message}\n${x.stdout ?? ''}${x.stderr ?? ''}`);
  }
}
