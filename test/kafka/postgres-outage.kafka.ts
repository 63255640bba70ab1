/**
 * PostgreSQL away under the Kafka profile: webhooks are still acknowledged (they are in Kafka), and
 * the batches the normalisers read while the database is down must not be skipped. They are landed
 * once it is back, before any later batch's offsets are committed. (A loop that read on past a
 * batch it could not land, and committed the next one, lost it for good.)
 */
import { startKafka, type KafkaBroker } from '../helpers/kafka';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { eventually, type startTarget } from '../helpers/target-server';
import { postgresBacklog, postgresLanded, postgresVerdict } from '../reliability/crash-oracle';
import type { HubFleet, SendAttempt } from '../reliability/hub-fleet';
import { kafkaFleet } from './kafka-fleet';
import { orderedTarget, outageAnswers, outageConfig, sendAll, tearDown } from '../reliability/outage-setup';

jest.setTimeout(240_000);

const SECRET = 'whsec_kafka_pg_outage';
const EVENTS = 400;
const SENDERS = 8;

describe('PostgreSQL stopped under two hubs on Kafka', () => {
  let kafka: KafkaBroker | undefined;
  let pg: PostgresServer | undefined;
  let fleet: HubFleet | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  afterEach(() => tearDown(fleet, target, kafka, pg));

  it('keeps acknowledging webhooks, and lands every one read meanwhile once the database is back', async () => {
    const setup = await orderedTarget();
    const { order } = setup;
    target = setup.target;
    const configPath = outageConfig(target.url, 2000);
    [pg, kafka] = await Promise.all([startPostgres(), startKafka({ partitions: 6 })]);
    const db = pg;
    ({ fleet } = await kafkaFleet(configPath, { pg, kafka }, { hubs: 2, secret: SECRET }));
    const hubs = fleet;

    const attempts: SendAttempt[] = [];
    const acked = new Set<string>();
    const senders = sendAll(hubs, { events: EVENTS, senders: SENDERS, prefix: 'kafkapg', secret: SECRET }, attempts, acked);

    // Down once a quarter is acknowledged; up again after 5 s, once another quarter was acknowledged
    // meanwhile (the normalisers read those while the database is away).
    await eventually(() => acked.size >= EVENTS / 4, 60_000);
    await db.halt();
    const downAt = Date.now();
    const ackedBefore = acked.size;
    await eventually(() => acked.size >= ackedBefore + EVENTS / 4 && Date.now() - downAt >= 5000, 60_000);
    const upAt = Date.now();
    await db.restart();
    await senders;

    await eventually(
      async () => (await postgresLanded(db.url)) === EVENTS && (await postgresBacklog(db.url)) === 0 && target!.effects.length >= EVENTS,
      90_000,
    );
    await hubs.stop();
    const { report: outage } = outageAnswers(attempts, downAt, upAt);
    const verdict = await postgresVerdict(db.url, acked, 1);
    console.log(
      JSON.stringify({
        test: 'kafka-pg-outage',
        acknowledged: acked.size,
        ...verdict,
        effects: target.effects.length,
        outOfOrder: order.outOfOrder(),
        outage,
      }),
    );
    expect(outage.status2xx).toBeGreaterThanOrEqual(EVENTS / 8);
    expect(verdict).toEqual({ storedOnce: EVENTS, missing: 0, duplicatesStored: 0, integrity: 'ok' });
    expect(target.effects.length).toBe(EVENTS);
    expect(new Set(target.effects).size).toBe(EVENTS);
    expect(order.outOfOrder()).toBe(0);
  });
});
