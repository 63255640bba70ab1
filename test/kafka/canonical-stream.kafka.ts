/**
 * The canonical event stream (issue 12, part 2): with eventLog.kafka.canonicalStream on, every
 * canonical event the hubs commit is published to `subhub.events.v1`, keyed by subscription, through
 * the stream outbox (no dual write). A consumer that knows nothing of the hub reads the topic from
 * the start: after deduplication by event id it has every event in PostgreSQL's `events` exactly
 * once, each one valid against the canonical JSON Schema, and per subscription in the order the
 * subscription's webhooks were sent, although a hub was SIGKILLed mid-run.
 */
import { Client } from 'pg';
import { validateHubEvent } from '../../src/events';
import { loadRdkafka, type RdMessage } from '../../src/store/kafka/rdkafka';
import { startKafka, type KafkaBroker } from '../helpers/kafka';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { eventually, startTarget } from '../helpers/target-server';
import { stripeToTargetConnectors, writeCliHubConfig } from '../helpers/cli-hub';
import { postgresBacklog, postgresLanded } from '../reliability/crash-oracle';
import type { HubFleet } from '../reliability/hub-fleet';
import { tearDown } from '../reliability/outage-setup';
import { kafkaFleet } from './kafka-fleet';
import { subscriptionQueues } from '../reliability/stripe-events';

jest.setTimeout(240_000);

const SECRET = 'whsec_canonical_stream';
const EVENTS = 300;
const SUBSCRIPTIONS = 30;
const TOPIC = 'subhub.events.v1';

describe('the canonical event stream subhub.events.v1', () => {
  let kafka: KafkaBroker | undefined;
  let pg: PostgresServer | undefined;
  let fleet: HubFleet | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  afterEach(() => tearDown(fleet, target, kafka, pg));

  it('carries every canonical event exactly once per id, valid and in order per subscription, across a hub kill', async () => {
    target = await startTarget(() => ({ status: 200 }));
    const { configPath } = writeCliHubConfig(target.url, {
      connectors: stripeToTargetConnectors(target.url, {
        ratePerSec: 100_000,
        burst: 100_000,
        circuitFailureThreshold: 1000,
        timeoutMs: 5000,
      }),
      routes: [],
      pipeline: { pollMs: 10, leaseMs: 2000 },
    });
    [pg, kafka] = await Promise.all([startPostgres(), startKafka({ partitions: 6 })]);
    const started = await kafkaFleet(
      configPath,
      { pg, kafka },
      { hubs: 2, secret: SECRET, kafka: { canonicalStream: { enabled: true, topic: TOPIC, partitions: 3 } } },
    );
    fleet = started.fleet;
    expect(started.check.stdout).toContain(`canonical stream topic ${TOPIC}: created with 3 partitions`);
    expect(started.check.stdout).toContain(`ok    canonical stream topic ${TOPIC}: 3 partitions`);
    const hubs = fleet;

    const queues = subscriptionQueues(EVENTS, SUBSCRIPTIONS, 'stream');
    let acked = 0;
    const senders = queues.map(async (queue) => {
      for (const e of queue) {
        await hubs.send(e, SECRET);
        acked++;
      }
    });
    await eventually(() => acked >= EVENTS / 2, 60_000);
    await hubs.restart(hubs.hubs[0]!);
    await Promise.all(senders);
    await eventually(async () => (await postgresLanded(pg!.url)) === EVENTS && (await postgresBacklog(pg!.url)) === 0, 60_000);
    const db = new Client({ connectionString: pg.url });
    await db.connect();
    let stored: Set<string>;
    try {
      await eventually(async () => Number((await db.query('SELECT COUNT(*) AS n FROM event_stream')).rows[0].n) === 0, 60_000);
      stored = new Set((await db.query<{ id: string }>('SELECT id FROM events')).rows.map((r) => r.id));
    } finally {
      await db.end();
    }
    expect(stored.size).toBe(EVENTS);

    // A consumer of its own (its own group), reading from the start, as a data warehouse would.
    const { messages, seen } = await consumeAll(kafka.brokers, stored.size);
    const firstById = new Map<string, { sub: string; seq: number; key: string; valid: boolean }>();
    for (const m of messages) {
      const event = JSON.parse(m.value!.toString('utf8')) as {
        id: string;
        subscription?: { providerSubscriptionId?: string; hubSubscriptionId?: string };
        source: { eventId: string };
      };
      if (firstById.has(event.id)) continue;
      firstById.set(event.id, {
        sub: event.subscription!.providerSubscriptionId!,
        seq: Number(/_(\d+)$/.exec(event.source.eventId)![1]),
        key: String(m.key),
        valid: validateHubEvent(event).ok,
      });
    }
    const outOfOrder = [...groupBy(messagesInOrder(messages, firstById)).values()].reduce(
      (n, seqs) => n + seqs.filter((s, i) => i > 0 && s < seqs[i - 1]!).length,
      0,
    );
    console.log(JSON.stringify({ test: 'canonical-stream', events: stored.size, messages: seen, distinct: firstById.size, outOfOrder }));
    expect(new Set(firstById.keys())).toEqual(stored);
    expect([...firstById.values()].filter((e) => !e.valid)).toEqual([]);
    // Keyed by subscription: every message of one subscription carries that subscription's key.
    const keys = new Map<string, Set<string>>();
    for (const e of firstById.values()) keys.set(e.sub, (keys.get(e.sub) ?? new Set()).add(e.key));
    expect([...keys.values()].every((k) => k.size === 1)).toBe(true);
    expect(outOfOrder).toBe(0);
  });
});

/** The first occurrence of each event, in stream order (per partition, which holds a subscription's events). */
function messagesInOrder(messages: RdMessage[], firstById: Map<string, { sub: string; seq: number }>): Array<{ sub: string; seq: number }> {
  const seen = new Set<string>();
  const out: Array<{ sub: string; seq: number }> = [];
  for (const m of messages) {
    const id = (JSON.parse(m.value!.toString('utf8')) as { id: string }).id;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(firstById.get(id)!);
  }
  return out;
}

function groupBy(items: Array<{ sub: string; seq: number }>): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const i of items) m.set(i.sub, [...(m.get(i.sub) ?? []), i.seq]);
  return m;
}

/** Reads the topic from the start until `distinct` different event ids have come (or 60 s pass). */
async function consumeAll(brokers: string, distinct: number): Promise<{ messages: RdMessage[]; seen: number }> {
  const kafka = loadRdkafka();
  const consumer = new kafka.KafkaConsumer(
    { 'metadata.broker.list': brokers, 'group.id': `stream-reader-${Date.now()}`, 'enable.auto.commit': false },
    { 'auto.offset.reset': 'earliest' },
  );
  consumer.on('event.error', () => {});
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  consumer.subscribe([TOPIC]);
  consumer.setDefaultConsumeTimeout(500);
  const messages: RdMessage[] = [];
  const ids = new Set<string>();
  const until = Date.now() + 60_000;
  try {
    while (ids.size < distinct && Date.now() < until) {
      const batch = await new Promise<RdMessage[]>((resolve, reject) =>
        consumer.consume(500, (err, m) => (err ? reject(err) : resolve(m))),
      );
      for (const m of batch) {
        messages.push(m);
        ids.add((JSON.parse(m.value!.toString('utf8')) as { id: string }).id);
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  return { messages, seen: messages.length };
}
