import type { KafkaEventLogConfig } from '../../config/config.types';
import { loadRdkafka, RD, type RdMetadata } from './rdkafka';
import { clientSettings, kafkaTopics } from './settings';

/** One finding of `subhub kafka check`: `ok`, or what is wrong, in one line. */
export interface KafkaFinding {
  ok: boolean;
  code?: 'EVENT_LOG_UNAVAILABLE' | 'KAFKA_TOPIC_INVALID';
  line: string;
}

export interface KafkaCheckOptions {
  /** Creates missing topics with the configured partitions and replication factor. */
  create?: boolean;
  timeoutMs?: number;
  load?: (name: string) => unknown;
}

/**
 * Reaches the brokers and checks that each configured topic exists with the configured partition
 * count. With `create`, missing topics are created first (an existing topic with another count is
 * reported, never changed: moving partitions would move customers between them).
 */
export async function checkKafka(
  k: Readonly<KafkaEventLogConfig>,
  env: NodeJS.ProcessEnv,
  options: KafkaCheckOptions = {},
): Promise<KafkaFinding[]> {
  const kafka = loadRdkafka(options.load);
  const timeout = options.timeoutMs ?? 10_000;
  const settings = clientSettings(k, env, 'check');
  const topics = kafkaTopics(k);
  const wanted = [{ name: topics.inbox, partitions: topics.partitions, what: 'inbox topic' }];
  if (topics.stream) wanted.push({ name: topics.stream.topic, partitions: topics.stream.partitions, what: 'canonical stream topic' });

  const producer = new kafka.HighLevelProducer(settings);
  producer.on('event.error', () => {});
  const findings: KafkaFinding[] = [];
  try {
    await new Promise<void>((resolve, reject) => producer.connect({ timeout }, (err) => (err ? reject(err) : resolve())));
  } catch (e) {
    return [
      {
        ok: false,
        code: 'EVENT_LOG_UNAVAILABLE',
        line: `brokers ${k.brokers.join(',')}: not reached within ${timeout} ms (${(e as Error).message})`,
      },
    ];
  }
  try {
    let metadata = await metadataOf(producer, timeout);
    findings.push({
      ok: true,
      line: `brokers: reached ${metadata.brokers.length} (${metadata.brokers.map((b) => `${b.host}:${b.port}`).join(', ')})`,
    });
    const missing = wanted.filter((w) => !metadata.topics.some((t) => t.name === w.name));
    if (options.create && missing.length) {
      const admin = kafka.AdminClient.create(settings);
      try {
        for (const w of missing) {
          await new Promise<void>((resolve, reject) =>
            admin.createTopic(
              { topic: w.name, num_partitions: w.partitions, replication_factor: k.replicationFactor ?? 3 },
              timeout,
              (err) => (err && err.code !== RD.TOPIC_ALREADY_EXISTS ? reject(err) : resolve()),
            ),
          );
          findings.push({ ok: true, line: `${w.what} ${w.name}: created with ${w.partitions} partitions` });
        }
      } catch (e) {
        findings.push({ ok: false, code: 'KAFKA_TOPIC_INVALID', line: `creating topics failed: ${(e as Error).message}` });
      } finally {
        admin.disconnect();
      }
      // A created topic takes a moment to elect its partitions' leaders: wait for them (within the timeout).
      const until = Date.now() + timeout;
      for (;;) {
        metadata = await metadataOf(producer, timeout);
        const settled = missing.every((w) => metadata.topics.find((t) => t.name === w.name)?.partitions.every((p) => p.leader >= 0));
        if (settled || Date.now() >= until) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (const w of wanted) {
      const topic = metadata.topics.find((t) => t.name === w.name);
      if (!topic || topic.partitions.length === 0)
        findings.push({
          ok: false,
          code: 'KAFKA_TOPIC_INVALID',
          line: `${w.what} ${w.name}: missing (create it with ${w.partitions} partitions: subhub kafka check --create)`,
        });
      else if (topic.partitions.length !== w.partitions)
        findings.push({
          ok: false,
          code: 'KAFKA_TOPIC_INVALID',
          line: `${w.what} ${w.name}: has ${topic.partitions.length} partitions, the config says ${w.partitions}`,
        });
      else if (topic.partitions.some((p) => p.leader < 0))
        findings.push({ ok: false, code: 'KAFKA_TOPIC_INVALID', line: `${w.what} ${w.name}: a partition has no leader (brokers down?)` });
      else findings.push({ ok: true, line: `${w.what} ${w.name}: ${w.partitions} partitions` });
    }
    return findings;
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
}

function metadataOf(
  producer: { getMetadata(o: { allTopics: boolean; timeout: number }, cb: (err: Error | null, m: RdMetadata) => void): void },
  timeout: number,
): Promise<RdMetadata> {
  return new Promise((resolve, reject) => producer.getMetadata({ allTopics: true, timeout }, (err, m) => (err ? reject(err) : resolve(m))));
}
