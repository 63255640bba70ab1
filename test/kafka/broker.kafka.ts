import { connect } from 'node:net';
import { startKafka, type KafkaBroker } from '../helpers/kafka';

/**
 * The test broker itself (test/helpers/kafka.ts), through a real client: node-rdkafka produces to
 * and consumes from a real Apache Kafka, which keeps what it acknowledged across a controlled
 * shutdown and across a SIGKILL. Run by `npm run test:kafka` (and .ci/run), not by `npm test`: it
 * needs Kafka's jars (`.ci/kafka.sh libs`, SUBHUB_KAFKA_LIBS) and node-rdkafka, which is installed
 * only for these runs (`BUILD_LIBRDKAFKA=0 npm i --no-save node-rdkafka@3.6.1` against Debian's
 * librdkafka-dev).
 */
jest.setTimeout(180_000);

/** The part of node-rdkafka these tests use (it is not a dependency, so it has no types here). */
interface Message {
  value: Buffer | null;
  key?: Buffer | string | null;
  partition: number;
  offset: number;
}
interface DeliveryReport {
  topic: string;
  partition: number;
  offset: number;
}
interface Producer {
  connect(options: object, cb: (err: Error | null) => void): void;
  setPollInterval(ms: number): void;
  produce(topic: string, partition: number | null, value: Buffer, key: string): void;
  on(event: 'delivery-report', listener: (err: Error | null, report: DeliveryReport) => void): void;
  on(event: 'event.error', listener: (err: Error) => void): void;
  disconnect(cb: (err: Error | null) => void): void;
}
interface Consumer {
  connect(options: object, cb: (err: Error | null) => void): void;
  subscribe(topics: string[]): void;
  consume(count: number, cb: (err: Error | null, messages: Message[]) => void): void;
  on(event: 'event.error', listener: (err: Error) => void): void;
  disconnect(cb: (err: Error | null) => void): void;
}
interface Rdkafka {
  Producer: new (config: Record<string, unknown>) => Producer;
  KafkaConsumer: new (config: Record<string, unknown>, topicConfig: Record<string, unknown>) => Consumer;
}

function rdkafka(): Rdkafka {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('node-rdkafka') as Rdkafka;
  } catch (e) {
    throw new Error(
      `node-rdkafka is not installed (it is installed only for the Kafka tests): ` +
        `BUILD_LIBRDKAFKA=0 npm i --no-save node-rdkafka@3.6.1 (needs librdkafka-dev). ${String(e)}`,
    );
  }
}

/** Produces `values` (key = value) with acks from every replica and resolves once each is acknowledged. */
async function produce(brokers: string, topic: string, values: string[]): Promise<DeliveryReport[]> {
  const producer = new (rdkafka().Producer)({
    'metadata.broker.list': brokers,
    'enable.idempotence': true,
    acks: 'all',
    dr_cb: true,
  });
  producer.on('event.error', () => {});
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  try {
    const reports: DeliveryReport[] = [];
    const delivered = new Promise<void>((resolve, reject) => {
      producer.on('delivery-report', (err, report) => {
        if (err) reject(err);
        reports.push(report);
        if (reports.length === values.length) resolve();
      });
    });
    producer.setPollInterval(20);
    for (const value of values) producer.produce(topic, null, Buffer.from(value), value);
    await delivered;
    return reports;
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
}

/** Reads `topic` from the beginning in a new consumer group until `count` messages have arrived. */
async function consume(brokers: string, topic: string, count: number): Promise<Message[]> {
  const consumer = new (rdkafka().KafkaConsumer)(
    {
      'metadata.broker.list': brokers,
      'group.id': `test-${topic}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      'enable.auto.commit': false,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  consumer.on('event.error', () => {});
  await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())));
  try {
    consumer.subscribe([topic]);
    const messages: Message[] = [];
    const deadline = Date.now() + 60_000;
    while (messages.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${messages.length} of ${count} messages arrived from ${topic}`);
      // consume(n) waits for messages itself (librdkafka's fetch), returning early with what it has.
      const batch = await new Promise<Message[]>((resolve, reject) => consumer.consume(100, (err, m) => (err ? reject(err) : resolve(m))));
      messages.push(...batch);
    }
    return messages;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

function reachable(brokers: string): Promise<boolean> {
  const [host, port] = brokers.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: host!, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const values = (messages: Message[]) => messages.map((m) => m.value?.toString('utf8'));

let kafka: KafkaBroker;

beforeAll(async () => {
  kafka = await startKafka({ partitions: 3 });
});

afterAll(async () => {
  await kafka?.stop();
});

function withLog<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((e: unknown) => {
    throw new Error(`${String(e)}\n--- broker log ---\n${kafka.log()}`);
  });
}

test('a created topic carries messages from a producer to a consumer, in order per partition', () =>
  withLog(async () => {
    await kafka.createTopic('orders', 4);
    const sent = Array.from({ length: 40 }, (_, i) => `order-${i}`);
    const reports = await produce(kafka.brokers, 'orders', sent);
    expect(new Set(reports.map((r) => r.partition)).size).toBeGreaterThan(1);

    const received = await consume(kafka.brokers, 'orders', sent.length);
    expect(values(received).sort()).toEqual([...sent].sort());
    expect(received.every((m) => m.partition >= 0 && m.partition < 4)).toBe(true);
    for (let p = 0; p < 4; p++) {
      const offsets = received.filter((m) => m.partition === p).map((m) => m.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  }));

test('a message acknowledged before a controlled shutdown is read after the restart', () =>
  withLog(async () => {
    // Created on first use, with the broker's num.partitions.
    const [report] = await produce(kafka.brokers, 'durable', ['before-halt']);
    expect(report!.partition).toBeLessThan(3);
    await kafka.halt();
    // Down for real: its port refuses connections.
    await expect(reachable(kafka.brokers)).resolves.toBe(false);
    await kafka.restart();
    await produce(kafka.brokers, 'durable', ['after-restart']);
    expect(values(await consume(kafka.brokers, 'durable', 2)).sort()).toEqual(['after-restart', 'before-halt']);
  }));

test('a message acknowledged before a SIGKILL is read after the restart', () =>
  withLog(async () => {
    await produce(kafka.brokers, 'crash', ['before-kill']);
    await kafka.kill();
    await kafka.restart();
    expect(values(await consume(kafka.brokers, 'crash', 1))).toEqual(['before-kill']);
  }));
