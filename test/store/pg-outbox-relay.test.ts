/**
 * Derived events leave the outbox in the order they were derived, also when two hubs relay it at
 * once (issue 11). Each hub's normalise loop relays; a relay that stalls between taking its rows
 * and committing them (a descheduled process, a slow network, here a row lock) must not let a later
 * relay's events be claimed first, or one entity's deliveries go out of order.
 */
import { Client } from 'pg';
import type { HubEvent } from '../../src/events';
import { PgStore } from '../../src/store/postgres/pg-store';
import { ulid } from '../../src/util/ids';
import { testDatabase, type TestDatabase } from '../helpers/postgres';
import { eventually } from '../helpers/target-server';

const T0 = 1_700_000_000_000;
const LEASE = 600_000;

/** A derived (hub) event of one subscription. */
function derived(key: string, at: number): HubEvent {
  const iso = new Date(at).toISOString();
  return {
    id: `01HUB${key.toUpperCase().padEnd(21, '0')}`,
    type: 'dunning.stage_changed',
    schemaVersion: 1,
    occurredAt: iso,
    receivedAt: iso,
    effectiveAt: iso,
    actionType: 'effective',
    source: { provider: 'hub', eventId: key, eventType: 'dunning', dedupeKey: `hub:${key}` },
    tenantId: 'default',
    customer: { hubCustomerId: 'stripe:cus_1' },
  } as HubEvent;
}

/** Whether some session of this database waits on a lock of this kind (pg_stat_activity.wait_event). */
async function waiting(admin: Client, lock: 'transactionid' | 'advisory'): Promise<boolean> {
  const r = await admin.query(
    `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = $1`,
    [lock],
  );
  return (r.rowCount ?? 0) > 0;
}

describe('PgStore: the outbox relayed by two hubs', () => {
  let db: TestDatabase;
  let a: PgStore;
  let b: PgStore;
  let admin: Client;

  beforeEach(async () => {
    db = await testDatabase();
    [a, b] = [new PgStore({ url: db.url }), new PgStore({ url: db.url })];
    await a.init();
    await b.init();
    admin = new Client({ connectionString: db.url });
    await admin.connect();
  });

  afterEach(async () => {
    await admin.end();
    await Promise.all([a.close(), b.close()]);
    await db.drop();
  });

  it('events derived at one time are relayed in the order they were queued, whatever ids the process made in between', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `e${String(i).padStart(2, '0')}`);
    for (const key of keys) {
      await a.domain.appendHubEvents([derived(key, T0)], T0);
      // Another id of another time (a webhook stamped now, a relay): the next id of T0 starts afresh.
      ulid(T0 + 5000);
    }
    expect(await a.relayOutbox(100)).toBe(keys.length);
    expect((await a.claimInbox(100, LEASE, T0 + 10)).map((r) => r.sourceEventId)).toEqual(keys.map((k) => `hub:${k}`));
  });

  it('a relay that stalls before its commit keeps its place: the events are claimed in the order they were derived', async () => {
    await a.domain.appendHubEvents([derived('first', T0)], T0);
    // Hold A's relay after it took `first` from the outbox: its insert into the inbox waits on this row lock.
    await admin.query('BEGIN');
    await admin.query(
      `INSERT INTO inbox (id, source, source_event_id, event_type, received_at, headers, body) VALUES ('stall', 'hub', 'hub:first', 'x', 0, '{}', '{}')`,
    );
    const relayA = a.relayOutbox(10);
    await eventually(() => waiting(admin, 'transactionid'));

    // A later event, relayed by B meanwhile; the normaliser claims what it finds.
    await b.domain.appendHubEvents([derived('second', T0 + 1)], T0 + 1);
    let relayedB = false;
    const relayB = b.relayOutbox(10).finally(() => (relayedB = true));
    // B's relay either committed, or waits for A's.
    await eventually(async () => relayedB || (await waiting(admin, 'advisory')));
    const claimed: string[] = [];
    const claim = async () => claimed.push(...(await b.claimInbox(10, LEASE, T0 + 10)).map((r) => r.sourceEventId));
    await claim();

    // A's relay goes on (the stalled row is gone) and commits; the outbox is relayed to the end and everything claimed.
    await admin.query('ROLLBACK');
    let relayed = (await relayA) + (await relayB);
    while (relayed < 2) relayed += await b.relayOutbox(10);
    await claim();
    expect(claimed).toEqual(['hub:first', 'hub:second']);
  });
});
