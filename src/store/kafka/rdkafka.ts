import { HubError } from '../../errors/hub-error';

/**
 * The slice of node-rdkafka this adapter uses, typed here: node-rdkafka is an optional package
 * (it builds librdkafka when installed), so nothing may import its types at compile time. It is
 * loaded only when eventLog.kind is "kafka".
 */
export type KafkaSettings = Record<string, string | number | boolean | ((...args: never[]) => void)>;

export interface RdError extends Error {
  code: number;
}

export interface RdMessage {
  value: Buffer | null;
  key?: Buffer | string | null;
  topic: string;
  partition: number;
  offset: number;
}

export interface RdTopicPartition {
  topic: string;
  partition: number;
  offset?: number;
}

export interface RdMetadata {
  brokers: Array<{ id: number; host: string; port: number }>;
  topics: Array<{ name: string; partitions: Array<{ id: number; leader: number }> }>;
}

interface RdClient {
  connect(options: { timeout?: number }, cb: (err: RdError | null) => void): void;
  disconnect(cb: (err?: RdError | null) => void): void;
  isConnected(): boolean;
  getMetadata(
    options: { topic?: string; timeout?: number; allTopics?: boolean },
    cb: (err: RdError | null, data: RdMetadata) => void,
  ): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

export interface RdProducer extends RdClient {
  produce(
    topic: string,
    partition: number | null,
    value: Buffer,
    key: string,
    timestamp: number | null,
    cb: (err: RdError | null, offset?: number) => void,
  ): void;
  setPollInterval(ms: number): void;
  flush(timeoutMs: number, cb: (err: RdError | null) => void): void;
}

export interface RdConsumer extends RdClient {
  subscribe(topics: string[]): void;
  consume(max: number, cb: (err: RdError | null, messages: RdMessage[]) => void): void;
  setDefaultConsumeTimeout(ms: number): void;
  /** Asynchronous: returns at once; the outcome goes to offset_commit_cb. */
  commit(offsets: RdTopicPartition[]): void;
  assignments(): RdTopicPartition[];
  assign(assignments: RdTopicPartition[]): void;
  unassign(): void;
}

export interface RdAdmin {
  createTopic(
    topic: { topic: string; num_partitions: number; replication_factor: number },
    timeoutMs: number,
    cb: (err: RdError | null) => void,
  ): void;
  disconnect(): void;
}

export interface Rdkafka {
  librdkafkaVersion: string;
  HighLevelProducer: new (settings: KafkaSettings, topicSettings?: KafkaSettings) => RdProducer;
  KafkaConsumer: new (settings: KafkaSettings, topicSettings?: KafkaSettings) => RdConsumer;
  AdminClient: { create(settings: KafkaSettings): RdAdmin };
}

/** librdkafka's error codes this adapter branches on. */
export const RD = {
  ASSIGN_PARTITIONS: -175,
  TIMED_OUT: -185,
  TOPIC_ALREADY_EXISTS: 36,
} as const;

let loaded: Rdkafka | undefined;

/**
 * node-rdkafka, or KAFKA_CLIENT_MISSING when it is not installed. `load` is for tests. Only the
 * main thread may load it: the addon registers once per process (a worker thread that loads it
 * too fails), which is why a Kafka hub runs its pipeline in the main thread.
 */
export function loadRdkafka(load: (name: string) => unknown = require): Rdkafka {
  if (loaded && load === require) return loaded;
  let mod: Rdkafka;
  try {
    mod = load('node-rdkafka') as Rdkafka;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'MODULE_NOT_FOUND') throw e;
    throw new HubError(
      'KAFKA_CLIENT_MISSING',
      'config',
      'eventLog.kind is "kafka" but node-rdkafka is not installed: run `npm install node-rdkafka` (it builds librdkafka; docs/deploying.md, the Kafka profile)',
      { cause: e },
    );
  }
  if (load === require) loaded = mod;
  return mod;
}
