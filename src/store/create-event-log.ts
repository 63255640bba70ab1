import { hostname } from 'node:os';
import type { HubConfig } from '../config/config.types';
import { HubError } from '../errors/hub-error';
import type { EventLogWriter, ExternalLog, InboxEntry, LogLanding, Store } from './ports';
import { KafkaReader } from './kafka/kafka-reader';
import { KafkaWriter } from './kafka/kafka-writer';
import { loadRdkafka } from './kafka/rdkafka';
import { clientSettings, kafkaTopics } from './kafka/settings';

/** The event log of `eventLog.kind`: the store itself, or Kafka with the store as its landing. */
export interface OpenedEventLog {
  kind: 'store' | 'kafka';
  writer: EventLogWriter;
  /** Kafka only: what the pipeline reads, lands and relays (see ExternalLog). */
  external?: ExternalLog;
  close(): Promise<void>;
}

export interface EventLogContext {
  store: Store;
  /** The partition key of an entry (composition/partition-key.ts). */
  keyOf(entry: InboxEntry): string;
  /** This hub's configured port: with the host name, its default static-membership id (none for port 0). */
  port: number;
  onEvent?(what: string, detail: string): void;
  /** For tests of KAFKA_CLIENT_MISSING. */
  load?: (name: string) => unknown;
}

function isLanding(store: Store): store is Store & LogLanding {
  return typeof (store as Partial<LogLanding>).landBatch === 'function';
}

/**
 * The one place that knows the event-log adapters. With eventLog.kind "kafka" the store must be
 * PostgreSQL (several hubs land batches and claim deliveries on one database): anything else is
 * EVENT_LOG_CONFIG, and a missing node-rdkafka is KAFKA_CLIENT_MISSING, before anything connects.
 */
export async function openEventLog(config: Readonly<HubConfig>, env: NodeJS.ProcessEnv, ctx: EventLogContext): Promise<OpenedEventLog> {
  const kind = config.eventLog?.kind ?? 'store';
  if (kind === 'store') return { kind, writer: ctx.store, close: async () => {} };
  const k = config.eventLog!.kafka!;
  const store = ctx.store;
  if ((config.storage?.kind ?? 'sqlite') !== 'postgres' || !isLanding(store))
    throw new HubError(
      'EVENT_LOG_CONFIG',
      'config',
      'eventLog.kind "kafka" needs storage.kind "postgres" (docs/deploying.md, the Kafka profile)',
    );
  const kafka = loadRdkafka(ctx.load);
  const topics = kafkaTopics(k);
  const writer = new KafkaWriter(kafka, {
    topic: topics.inbox,
    ...(topics.stream ? { streamTopic: topics.stream.topic } : {}),
    settings: clientSettings(k, env, 'producer'),
    timeoutMs: k.produceTimeoutMs ?? 5000,
    keyOf: ctx.keyOf,
    weakAcks: env.SUBHUB_KAFKA_BENCH_ACKS === '1',
  });
  // Static membership by default: the same host and port name the same hub across restarts. Port 0
  // (any free port) names nothing stable, and would give every such hub on the host one id (they
  // would fence each other): dynamic membership then.
  const instanceId = env.SUBHUB_KAFKA_INSTANCE_ID ?? k.instanceId ?? (ctx.port === 0 ? undefined : `${hostname()}:${ctx.port}`);
  const reader = new KafkaReader(kafka, {
    topic: topics.inbox,
    groupId: k.groupId ?? 'subhub-normalisers',
    ...(instanceId ? { instanceId } : {}),
    sessionTimeoutMs: k.sessionTimeoutMs ?? 10_000,
    settings: clientSettings(k, env, 'normaliser'),
    ...(ctx.onEvent ? { onEvent: ctx.onEvent } : {}),
  });
  return {
    kind,
    writer,
    external: {
      reader,
      landing: store,
      batch: k.batch ?? 200,
      relay: (limit) => store.drainOutbox(limit, (entries) => writer.appendLogged(entries)),
      ...(topics.stream ? { stream: (limit: number) => store.drainStream(limit, (records) => writer.publish(records)) } : {}),
      unreadable: async (item) => {
        const now = Date.now();
        await store.addDeadLetter(
          {
            stage: 'verify',
            source: 'kafka',
            sourceEventId: item.position,
            errorCode: 'EVENT_UNREADABLE',
            errorMessage: `message ${item.position} on ${topics.inbox} is not an inbox entry: ${item.error}`,
            attempts: 1,
            firstAttemptAt: now,
            lastAttemptAt: now,
            payload: item.payload,
          },
          now,
        );
      },
    },
    close: async () => {
      await reader.close();
      await writer.close();
    },
  };
}
