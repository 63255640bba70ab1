/**
 * R8 (issue 12): the Kafka broker stopped for 10 s under load and started again. Three real hub
 * processes on Kafka + PostgreSQL, senders pushing webhooks through them. While the broker is down
 * no hub may acknowledge anything (nothing could be written durably): every webhook sent and answered
 * inside the outage gets 503 with Retry-After. Afterwards the same hub processes (never restarted)
 * reconnect by themselves: every acknowledged webhook landed once, delivered once, in order per
 * subscription.
 */
import { startKafka, type KafkaBroker } from '../helpers/kafka';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { eventually, type startTarget } from '../helpers/target-server';
import { postgresBacklog, postgresLanded, postgresVerdict } from '../reliability/crash-oracle';
import type { HubFleet, SendAttempt } from '../reliability/hub-fleet';
import { kafkaFleet } from './kafka-fleet';
import { orderedTarget, outageAnswers, outageConfig, sendAll, tearDown } from '../reliability/outage-setup';

jest.setTimeout(240_000);

const SECRET = 'whsec_kafka_restart';
const EVENTS = 600;
const SENDERS = 8;
const OUTAGE_MS = 10_000;

describe('the Kafka broker stopped for 10 s under three hubs', () => {
  let kafka: KafkaBroker | undefined;
  let pg: PostgresServer | undefined;
  let fleet: HubFleet | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  afterEach(() => tearDown(fleet, target, kafka, pg));

  it('answers 503 with Retry-After while it is down, never 2xx; loses nothing acknowledged; the same hubs recover', async () => {
    const started = Date.now();
    const setup = await orderedTarget();
    const { order } = setup;
    target = setup.target;
    const configPath = outageConfig(target.url, 2000);
    [pg, kafka] = await Promise.all([startPostgres(), startKafka({ partitions: 6 })]);
    const broker = kafka;
    ({ fleet } = await kafkaFleet(configPath, { pg, kafka }, { hubs: 3, secret: SECRET, kafka: { produceTimeoutMs: 2000 } }));
    const hubs = fleet;
    const pids = hubs.hubs.map((h) => h.pid);

    const attempts: SendAttempt[] = [];
    const acked = new Set<string>();
    const senders = sendAll(hubs, { events: EVENTS, senders: SENDERS, prefix: 'kafkarestart', secret: SECRET }, attempts, acked);

    // The outage starts once a third is acknowledged and lasts 10 s, and at least until the hubs have
    // answered 20 webhooks sent after it began (enough to judge them).
    await eventually(() => acked.size >= EVENTS / 3, 60_000);
    await broker.halt();
    const downAt = Date.now();
    await eventually(
      () => Date.now() - downAt >= OUTAGE_MS && attempts.filter((a) => a.sentAt > downAt && a.status !== 0).length >= 20,
      60_000,
    );
    const upAt = Date.now();
    await broker.restart();
    await senders;

    // Everything acknowledged is landed, normalised and delivered by the same processes.
    const state = async () => ({
      landed: await postgresLanded(pg!.url),
      backlog: await postgresBacklog(pg!.url),
      effects: target!.effects.length,
    });
    try {
      await eventually(async () => {
        const s = await state();
        return s.landed === EVENTS && s.backlog === 0 && s.effects >= EVENTS;
      }, 90_000);
    } catch (e) {
      throw new Error(
        `not drained after the restart: ${JSON.stringify(await state())}\n${hubs.hubs.map((h) => h.output).join('\n---\n')}`,
        {
          cause: e,
        },
      );
    }
    expect(hubs.hubs.map((h) => h.pid)).toEqual(pids);
    expect(hubs.hubs.map((h) => [h.alive, h.starts, h.kills])).toEqual(hubs.hubs.map(() => [true, 1, 0]));

    const { during, report: outage } = outageAnswers(attempts, downAt, upAt);
    await hubs.stop();
    const verdict = await postgresVerdict(pg.url, acked, 1);
    const report = {
      test: 'R8-kafka-restart',
      hubs: 3,
      sent: EVENTS,
      acknowledged: acked.size,
      ...verdict,
      effects: target.effects.length,
      duplicateEffects: target.effects.length - new Set(target.effects).size,
      outOfOrder: order.outOfOrder(),
      outage,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    console.log(JSON.stringify(report));

    expect(during.length).toBeGreaterThanOrEqual(20);
    // No acknowledgement while the broker is down: each answer is a 503 telling the sender when to come back.
    expect(during.filter((a) => a.status !== 503 || a.retryAfter === undefined)).toEqual([]);
    expect(acked.size).toBe(EVENTS);
    expect(verdict).toEqual({ storedOnce: EVENTS, missing: 0, duplicatesStored: 0, integrity: 'ok' });
    expect(report.effects).toBe(EVENTS);
    expect(report.duplicateEffects).toBe(0);
    expect(report.outOfOrder).toBe(0);
  });
});
