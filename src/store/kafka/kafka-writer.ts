import { HubError } from '../../errors/hub-error';
import { ulid } from '../../util/ids';
import type { EventLogWriter, InboxEntry, InboxInsertResult, LoggedEntry, RelayRecord } from '../ports';
import { encodeEntry } from './messages';
import type { KafkaSettings, RdError, Rdkafka, RdProducer } from './rdkafka';

/** Thrown when the brokers did not acknowledge a write: nothing was acknowledged to anyone (503 upstream). */
export class EventLogUnavailableError extends HubError {
  constructor(cause: unknown) {
    super(
      'EVENT_LOG_UNAVAILABLE',
      'retryable',
      `the event log did not acknowledge the write: ${(cause as Error)?.message ?? String(cause)}`,
      {
        cause,
      },
    );
    this.name = 'EventLogUnavailableError';
  }
}

export interface KafkaWriterOptions {
  topic: string;
  /** The canonical stream's topic, when it is on. */
  streamTopic?: string;
  /** Shared client settings (brokers, credentials, pass-through). */
  settings: KafkaSettings;
  /** How long a write may wait for the brokers' acknowledgement (also librdkafka's message.timeout.ms). */
  timeoutMs: number;
  /** The partition key of an entry (its customer, declared by its connector). */
  keyOf(entry: InboxEntry): string;
  /** acks=1 without idempotence: only for the benchmark's comparison, never in config. */
  weakAcks?: boolean;
}

/**
 * The producing side of the Kafka event log: verified webhooks, derived events from the outbox, and
 * the canonical stream. Idempotent producer with acks=all: a write resolves only after every
 * in-sync replica has it, and a retried send is never written twice or out of order per partition.
 */
export class KafkaWriter implements EventLogWriter {
  readonly #producer: RdProducer;
  #connected: Promise<void> | undefined;

  constructor(
    kafka: Rdkafka,
    private readonly options: KafkaWriterOptions,
  ) {
    this.#producer = new kafka.HighLevelProducer({
      ...options.settings,
      'linger.ms': 1,
      'message.timeout.ms': options.timeoutMs,
      ...(options.weakAcks ? { 'enable.idempotence': false, acks: 1 } : { 'enable.idempotence': true, acks: 'all' }),
    });
    // Connection trouble surfaces as failed deliveries (timeouts); the client reconnects by itself.
    this.#producer.on('event.error', () => {});
  }

  /** Connects (resolves once metadata was fetched); rejects with EVENT_LOG_UNAVAILABLE when no broker answers. */
  connect(): Promise<void> {
    this.#connected ??= new Promise<void>((resolve, reject) =>
      this.#producer.connect({ timeout: this.options.timeoutMs }, (err) => (err ? reject(new EventLogUnavailableError(err)) : resolve())),
    ).catch((e: unknown) => {
      this.#connected = undefined;
      throw e;
    });
    return this.#connected;
  }

  /** 202 only after this resolves; duplicates are found when the entry is landed. */
  async append(entry: InboxEntry): Promise<InboxInsertResult> {
    const logged: LoggedEntry = { ...entry, id: ulid(entry.receivedAt) };
    await this.#produce(this.options.topic, this.options.keyOf(entry), encodeEntry(logged));
    return { status: 'accepted', id: logged.id };
  }

  /** Derived events leaving the outbox: resolves when all are acknowledged. */
  async appendLogged(entries: LoggedEntry[]): Promise<void> {
    await Promise.all(entries.map((e) => this.#produce(this.options.topic, this.options.keyOf(e), encodeEntry(e))));
  }

  /** Canonical events leaving the stream outbox, keyed by entity. */
  async publish(records: RelayRecord[]): Promise<void> {
    const topic = this.options.streamTopic;
    if (!topic) throw new Error('the canonical stream is off');
    await Promise.all(records.map((r) => this.#produce(topic, r.key, Buffer.from(r.value))));
  }

  /**
   * Resolves on the brokers' acknowledgement, rejects with EVENT_LOG_UNAVAILABLE on a failed
   * delivery or after `timeoutMs`, whichever comes first. The timer is needed: when a broker dies
   * with requests in flight, the idempotent producer holds the partition's later messages until it
   * knows what became of those (librdkafka's drain), which can take up to socket.timeout.ms. A
   * message refused that way may still be written once the broker is back: the sender was told to
   * send again, and landing deduplicates the two copies.
   */
  async #produce(topic: string, key: string, value: Buffer): Promise<void> {
    await this.connect();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new EventLogUnavailableError(new Error(`no acknowledgement within ${this.options.timeoutMs} ms`))),
        this.options.timeoutMs,
      );
      try {
        this.#producer.produce(topic, null, value, key, null, (err: RdError | null) => {
          clearTimeout(timer);
          if (err) reject(new EventLogUnavailableError(err));
          else resolve();
        });
      } catch (e) {
        // A full local queue (the brokers are away for long) refuses at once.
        clearTimeout(timer);
        reject(new EventLogUnavailableError(e));
      }
    });
  }

  async close(): Promise<void> {
    if (!this.#connected) return;
    await new Promise<void>((resolve) => this.#producer.flush(this.options.timeoutMs, () => resolve()));
    await new Promise<void>((resolve) => this.#producer.disconnect(() => resolve()));
  }
}
