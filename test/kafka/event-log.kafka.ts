/**
 * The Kafka event log's contract against a real broker (src/store/kafka): the write side resolves
 * only after the brokers acknowledged (and refuses with EVENT_LOG_UNAVAILABLE when they cannot),
 * the read side is a consumer-group member whose uncommitted batches are read again by the next
 * member, in order per key, and a message that is not an inbox entry is reported, never dropped.
 * Landing (deduplication in PostgreSQL) has its own contract: test/contract/landing.contract.ts.
 */
import type { LoggedEntry } from '../../src/store/ports';
import { KafkaReader } from '../../src/store/kafka/kafka-reader';
import { KafkaWriter } from '../../src/store/kafka/kafka-writer';
import { loadRdkafka } from '../../src/store/kafka/rdkafka';
import { startKafka, type KafkaBroker } from '../helpers/kafka';
import { freePort } from '../reliability/hub-process';

jest.setTimeout(120_000);

const TOPIC = 'subhub.inbox.v1';
const kafka = loadRdkafka();

describe('the Kafka event log (a real broker)', () => {
  let broker: KafkaBroker;
  const open: Array<{ close(): Promise<void> }> = [];
  beforeAll(async () => {
    broker = await startKafka({ partitions: 6 });
    await broker.createTopic(TOPIC, 6);
  });
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  const writer = (brokers = broker.brokers, timeoutMs = 5000) => {
    const w = new KafkaWriter(kafka, {
      topic: TOPIC,
      settings: { 'metadata.broker.list': brokers },
      timeoutMs,
      keyOf: (e) => `${e.source}:${JSON.parse(e.body).customer as string}`,
    });
    open.push(w);
    return w;
  };
  const reader = (group: string) => {
    const r = new KafkaReader(kafka, {
      topic: TOPIC,
      groupId: group,
      sessionTimeoutMs: 6000,
      settings: { 'metadata.broker.list': broker.brokers },
    });
    open.push(r);
    return r;
  };
  const entry = (n: number, customer: string) => ({
    source: 'stripe',
    sourceEventId: `evt_${customer}_${n}`,
    eventType: 'invoice.paid',
    receivedAt: 1_700_000_000_000 + n,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: `evt_${customer}_${n}`, customer, n, note: 'ü € \u0000' }),
  });
  /**
   * Reads until `count` entries of `customer` came (or 30 s passed), without committing. The topic
   * is shared by the tests: a new group also reads the earlier tests' entries, which are skipped.
   */
  const readAll = async (r: KafkaReader, count: number, customer?: string) => {
    const entries: LoggedEntry[] = [];
    const batches = [];
    const until = Date.now() + 30_000;
    while (entries.length < count && Date.now() < until) {
      const batch = await r.read(100, 200);
      batches.push(batch);
      entries.push(...batch.entries.filter((e) => customer === undefined || JSON.parse(e.body).customer === customer));
    }
    return { entries, batches };
  };

  it('gives back every acknowledged entry once, byte for byte, in order per key (customer) over 6 partitions', async () => {
    const w = writer();
    const sent = [];
    for (let n = 0; n < 60; n++) sent.push(entry(n, `cus_${n % 5}`));
    const acks = await Promise.all(sent.map((e) => w.append(e)));
    expect(acks.every((a) => a.status === 'accepted' && a.id.length > 0)).toBe(true);
    const { entries } = await readAll(reader('g-order'), sent.length);
    expect(entries.map((e) => e.sourceEventId).sort()).toEqual(sent.map((e) => e.sourceEventId).sort());
    expect(entries.find((e) => e.sourceEventId === 'evt_cus_3_8')).toEqual({ ...sent[8], id: acks[8]!.id });
    for (let c = 0; c < 5; c++) {
      const ns = entries.filter((e) => JSON.parse(e.body).customer === `cus_${c}`).map((e) => JSON.parse(e.body).n as number);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
  });

  it('hands a batch read and not committed (its member died) to the next member, and a committed one to nobody again', async () => {
    const w = writer();
    for (let n = 0; n < 10; n++) await w.append(entry(n, 'cus_redo'));
    const first = reader('g-redo');
    const { entries: seen } = await readAll(first, 10, 'cus_redo');
    expect(seen).toHaveLength(10);
    await first.close();
    open.splice(open.indexOf(first), 1);

    const second = reader('g-redo');
    const { entries: again, batches } = await readAll(second, 10, 'cus_redo');
    expect(again.map((e) => e.id)).toEqual(seen.map((e) => e.id));
    for (const b of batches) await second.commit(b);
    await second.close();
    open.splice(open.indexOf(second), 1);

    await w.append(entry(10, 'cus_redo'));
    const third = reader('g-redo');
    const { entries: rest } = await readAll(third, 1, 'cus_redo');
    expect(rest.map((e) => e.sourceEventId)).toEqual(['evt_cus_redo_10']);
  });

  it('reports a message that is not an inbox entry with its position, so it is set aside and committed, not dropped or stuck', async () => {
    const raw = new kafka.HighLevelProducer({ 'metadata.broker.list': broker.brokers });
    await new Promise<void>((resolve, reject) => raw.connect({}, (err) => (err ? reject(err) : resolve())));
    await new Promise<void>((resolve, reject) =>
      raw.produce(TOPIC, 0, Buffer.from('not an entry'), 'k', null, (err) => (err ? reject(err) : resolve())),
    );
    await new Promise<void>((resolve) => raw.disconnect(() => resolve()));
    const r = reader('g-unreadable');
    const until = Date.now() + 30_000;
    let found: { position: string; payload: string; error: string } | undefined;
    while (!found && Date.now() < until) found = (await r.read(500, 200)).unreadable.find((u) => u.payload === 'not an entry');
    expect(found).toEqual({
      position: expect.stringMatching(new RegExp(`^${TOPIC.replace(/\./g, '\\.')}/0@\\d+$`)),
      payload: 'not an entry',
      error: expect.stringContaining('not JSON'),
    });
  });

  it('refuses a write it cannot get acknowledged: EVENT_LOG_UNAVAILABLE, within the produce timeout', async () => {
    const w = writer(`127.0.0.1:${await freePort()}`, 1000);
    const started = Date.now();
    await expect(w.append(entry(0, 'cus_down'))).rejects.toMatchObject({ code: 'EVENT_LOG_UNAVAILABLE', kind: 'retryable' });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
