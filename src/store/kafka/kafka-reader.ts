import type { EventLogReader, LogBatch } from '../ports';
import { decodeEntry } from './messages';
import { RD, type KafkaSettings, type RdError, type Rdkafka, type RdConsumer, type RdMessage, type RdTopicPartition } from './rdkafka';

export interface KafkaReaderOptions {
  topic: string;
  groupId: string;
  /** Static membership (group.instance.id): a restarted member gets its partitions back without a rebalance. */
  instanceId?: string;
  sessionTimeoutMs: number;
  settings: KafkaSettings;
  /** Told about assignments and failed commits (logged by the caller). */
  onEvent?(what: 'assigned' | 'revoked' | 'commit_failed', detail: string): void;
}

/** Where to resume each partition once a batch is landed: the offset after its last message. */
type Positions = Map<number, number>;

/**
 * A member of the normalisers' consumer group. Offsets are never committed automatically: the
 * pipeline commits a batch's positions after its PostgreSQL transaction, so a member that dies
 * (or loses its partitions in a rebalance) mid-batch leaves them uncommitted and the next owner
 * reads the batch again; landing deduplicates it.
 */
export class KafkaReader implements EventLogReader {
  readonly #consumer: RdConsumer;
  /** Partitions assigned to this member now: positions of others are not committed. */
  readonly #owned = new Set<number>();
  #connected: Promise<void> | undefined;

  constructor(
    kafka: Rdkafka,
    private readonly options: KafkaReaderOptions,
  ) {
    this.#consumer = new kafka.KafkaConsumer(
      {
        ...options.settings,
        'group.id': options.groupId,
        ...(options.instanceId ? { 'group.instance.id': options.instanceId } : {}),
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'session.timeout.ms': options.sessionTimeoutMs,
        'heartbeat.interval.ms': Math.max(100, Math.min(3000, Math.floor(options.sessionTimeoutMs / 4))),
        rebalance_cb: (err: RdError, assignment: RdTopicPartition[]) => this.#rebalance(err, assignment),
        // Commits are asynchronous (see `commit`); a failed one is only reported.
        offset_commit_cb: (err: RdError | null | undefined) => {
          if (err) this.options.onEvent?.('commit_failed', err.message);
        },
      },
      { 'auto.offset.reset': 'earliest' },
    );
    this.#consumer.on('event.error', () => {});
  }

  #rebalance(err: RdError, assignment: RdTopicPartition[]): void {
    const mine = assignment.filter((a) => a.topic === this.options.topic).map((a) => a.partition);
    if (err.code === RD.ASSIGN_PARTITIONS) {
      this.#consumer.assign(assignment);
      mine.forEach((p) => this.#owned.add(p));
      this.options.onEvent?.('assigned', mine.join(','));
    } else {
      this.#consumer.unassign();
      this.#owned.clear();
      this.options.onEvent?.('revoked', mine.join(','));
    }
  }

  /** Connects and joins the group; rejects when no broker answers within the session timeout. */
  connect(): Promise<void> {
    this.#connected ??= new Promise<void>((resolve, reject) =>
      this.#consumer.connect({ timeout: this.options.sessionTimeoutMs }, (err) => {
        if (err) return reject(err);
        this.#consumer.subscribe([this.options.topic]);
        resolve();
      }),
    ).catch((e: unknown) => {
      this.#connected = undefined;
      throw e;
    });
    return this.#connected;
  }

  async read(max: number, waitMs: number): Promise<LogBatch> {
    await this.connect();
    this.#consumer.setDefaultConsumeTimeout(waitMs);
    const messages = await new Promise<RdMessage[]>((resolve, reject) =>
      this.#consumer.consume(max, (err, m) => (err && err.code !== RD.TIMED_OUT ? reject(err) : resolve(m ?? []))),
    );
    const batch: LogBatch & { positions: Positions } = { entries: [], unreadable: [], positions: new Map() };
    for (const m of messages) {
      const decoded = decodeEntry(m.value);
      if ('entry' in decoded) batch.entries.push(decoded.entry);
      else
        batch.unreadable.push({
          position: `${m.topic}/${m.partition}@${m.offset}`,
          payload: m.value?.toString('utf8') ?? '',
          error: decoded.error,
        });
      batch.positions.set(m.partition, Math.max(batch.positions.get(m.partition) ?? 0, m.offset + 1));
    }
    return batch;
  }

  async commit(batch: LogBatch): Promise<void> {
    const positions = batch.positions as Positions;
    const offsets = [...positions]
      .filter(([partition]) => this.#owned.has(partition))
      .map(([partition, offset]) => ({ topic: this.options.topic, partition, offset }));
    if (offsets.length === 0) return;
    // Asynchronous: a synchronous commit blocks the thread until the group coordinator answers, and
    // with the brokers away that is the hub's HTTP thread too. A commit that fails (partitions
    // taken away by a rebalance, brokers gone) leaves the batch to be read again, by this member or
    // the partitions' new owner, which finds it landed: nothing is lost or doubled either way.
    try {
      this.#consumer.commit(offsets);
    } catch (e) {
      this.options.onEvent?.('commit_failed', (e as Error).message);
    }
  }

  async close(): Promise<void> {
    if (!this.#connected) return;
    await new Promise<void>((resolve) => this.#consumer.disconnect(() => resolve()));
  }
}
