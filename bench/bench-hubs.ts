import { join } from 'node:path';
import type { KafkaBroker } from '../test/helpers/kafka';
import { benchDatabase, type BenchDatabase } from './bench-database';
import { benchHubConfig, BENCH_SECRET } from './hub-config';
import { startServer } from './processes';
import { BENCH_PARTITIONS, createKafkaTopics } from './servers/kafka';

const ROOT = join(__dirname, '..', '..');

export interface BenchHubsOptions {
  /** Hub processes on one config (more than one needs backend postgres). */
  count: number;
  backend: 'sqlite' | 'postgres';
  /**
   * The broker of `--log kafka` (backend postgres): the hubs produce to a fresh inbox topic, and
   * normalise in a fresh consumer group, both named after `variant`.
   */
  kafka?: KafkaBroker;
  /** Names this run's topic, group and static members (default "run"); unique per broker. */
  variant?: string;
  /** Kafka producer acknowledgements: "all" with idempotence (the product's) or "1" without (SUBHUB_KAFKA_BENCH_ACKS=1). */
  acks?: 'all' | '1';
  target?: { url: string; routes: number };
}

export interface BenchHubs {
  hubs: Array<Awaited<ReturnType<typeof startServer>>>;
  /** The run's fresh database (backend postgres). */
  db?: BenchDatabase;
  /** Stops the hubs, then drops the database. */
  stop(): Promise<void>;
}

/** Starts `count` real hubs (`subhub start`) on a fresh store, and on a fresh Kafka topic with a broker. */
export async function startBenchHubs(o: BenchHubsOptions): Promise<BenchHubs> {
  const variant = o.variant ?? 'run';
  const db = o.backend === 'postgres' ? await benchDatabase() : undefined;
  const hubs: BenchHubs['hubs'] = [];
  const stop = async () => {
    for (const hub of hubs) await hub.stop();
    await db?.drop();
  };
  try {
    const config = benchHubConfig(ROOT, {
      backend: o.backend,
      ...(o.target ? { target: o.target } : {}),
      ...(o.kafka
        ? {
            kafka: { brokers: o.kafka.brokers, topic: `bench.inbox.${variant}`, groupId: `bench-${variant}`, partitions: BENCH_PARTITIONS },
          }
        : {}),
    });
    const env: Record<string, string> = {
      STRIPE_WEBHOOK_SECRET: BENCH_SECRET,
      PORT: '0',
      SUBHUB_LOG_LEVEL: 'error',
      ...(db ? { DATABASE_URL: db.url } : {}),
      SUBHUB_KAFKA_BENCH_ACKS: o.acks === '1' ? '1' : '',
    };
    if (o.kafka) await createKafkaTopics(config, env);
    for (let i = 0; i < o.count; i++)
      hubs.push(
        await startServer([join(ROOT, 'bin', 'subhub.js'), 'start', '--config', config], {
          ...env,
          // Each hub its own static member: the default id (host name and configured port) is the same for all on port 0.
          ...(o.kafka ? { SUBHUB_KAFKA_INSTANCE_ID: `bench-${variant}-hub${i}` } : {}),
        }),
      );
  } catch (e) {
    await stop();
    throw e;
  }
  return { hubs, ...(db ? { db } : {}), stop };
}
