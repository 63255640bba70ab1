/**
 * `storage.kind: "postgres"` runs the whole hub on PostgreSQL (issue 11): the webhook is stored
 * there, normalised, delivered, the domain records the subscription, dead letters and the admin
 * API work, and a second hub process on the same database shares the work. Real PostgreSQL (a
 * per-worker private cluster, fresh database), real HTTP.
 */
import type { RunningHub } from '../../src/hub';
import { fixture, shutDown } from '../helpers/fixtures';
import { testDatabase, type TestDatabase } from '../helpers/postgres';
import { eventually, startTarget } from '../helpers/target-server';
import { startTestHub } from '../helpers/test-hub';

const ADMIN = 'admin-token-for-tests-0123456789';

describe('the hub on PostgreSQL (storage.kind "postgres")', () => {
  let db: TestDatabase;
  let hubs: RunningHub[] = [];
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  beforeEach(async () => {
    db = await testDatabase();
  });
  afterEach(async () => {
    await shutDown(...hubs, target);
    hubs = [];
    target = undefined;
    await db.drop();
  });

  const start = async (targetUrl: string) => {
    const hub = await startTestHub({
      targetUrl,
      config: { storage: { kind: 'postgres', postgres: { url: { env: 'DATABASE_URL' }, poolSize: 4 } } },
      env: { DATABASE_URL: db.url, SUBHUB_ADMIN_TOKEN: ADMIN },
    });
    hubs.push(hub);
    return hub;
  };

  it('ingests, normalises, records the subscription and delivers once; the admin API reads PostgreSQL', async () => {
    target = await startTarget();
    const hub = await start(target.url);
    const event = fixture('stripe-subscription-created.json');
    expect((await hub.postStripe(event)).status).toBe(202);
    expect((await hub.postStripe(event)).status).toBe(200);
    await target.waitFor(1);
    await eventually(async () => (await hub.store.findEvent('stripe', event.id))?.deliveries[0]?.status === 'done');
    expect(target.requests).toHaveLength(1);
    expect(target.requests[0]!.headers['idempotency-key']).toBe(`stripe:${event.id}/to-target`);

    const subId = (await hub.store.findEvent('stripe', event.id))!.event!.entityKey;
    const res = await fetch(`${hub.url}/admin/api/subscriptions/${encodeURIComponent(subId)}`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ subscription: { hubSubscriptionId: subId } });
    const ready = await fetch(`${hub.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { store: 'ok', inboxPending: 0, deliveriesPending: 0 } });
  });

  it('two hubs on one database: webhooks sent to either are stored once and each delivered exactly once', async () => {
    target = await startTarget();
    const a = await start(target.url);
    const b = await start(target.url);
    const events = Array.from({ length: 20 }, (_, i) => {
      const e = fixture('stripe-subscription-created.json');
      return { ...e, id: `evt_two_hubs_${i}` };
    });
    for (const [i, e] of events.entries()) expect([200, 202]).toContain((await (i % 2 ? a : b).postStripe(e)).status);
    // A duplicate sent to the other hub is recognised.
    expect((await a.postStripe(events[0]!)).status).toBe(200);
    await target.waitFor(events.length);
    await eventually(async () => (await a.store.counts()).deliveriesPending === 0 && (await b.store.counts()).inboxPending === 0);
    const keys = target.requests.map((r) => String(r.headers['idempotency-key']));
    expect(new Set(keys).size).toBe(events.length);
    expect(keys).toHaveLength(events.length);
  });

  it('dead letters live in PostgreSQL: a refused delivery is dead-lettered, listed by either hub and replayed once through the other', async () => {
    let refusing = true;
    const answered: number[] = [];
    target = await startTarget(() => {
      answered.push(refusing ? 422 : 201);
      return refusing ? { status: 422, body: { error: 'unknown sku' } } : { status: 201 };
    });
    const a = await start(target.url);
    const b = await start(target.url);
    const event = { ...fixture('stripe-subscription-created.json'), id: 'evt_pg_dead_letter' };
    expect((await a.postStripe(event)).status).toBe(202);
    await eventually(async () => (await a.store.listDeadLetters({ source: 'stripe' })).length === 1);
    const admin = (hub: RunningHub, path: string, method = 'GET') =>
      fetch(`${hub.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'x-subhub-actor': 'ops@example.com' } });
    const listed = (await (await admin(b, '/dead-letters?stage=deliver&status=open')).json()) as {
      deadLetters: Array<{ id: string; errorCode: string; sourceEventId: string }>;
    };
    expect(listed.deadLetters).toEqual([expect.objectContaining({ errorCode: 'DELIVERY_REJECTED', sourceEventId: event.id })]);
    const id = listed.deadLetters[0]!.id;

    refusing = false;
    const replayed = await admin(b, `/dead-letters/${id}/replay`, 'POST');
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toEqual({ status: 'replayed', id, actor: 'ops@example.com' });
    await target.waitFor(2);
    await eventually(async () => (await a.store.counts()).deliveriesPending === 0);
    expect((await admin(a, `/dead-letters/${id}/replay`, 'POST')).status).toBe(409);
    expect(await (await admin(a, `/dead-letters/${id}`)).json()).toMatchObject({ status: 'replayed', resolvedBy: 'ops@example.com' });
    // One refused attempt, one successful replay: nothing delivered twice.
    expect(answered).toEqual([422, 201]);
    expect(target.effects).toEqual([`stripe:${event.id}/to-target`]);
  });

  it('refuses to start without storage.postgres, and with an unreachable database, with one coded line', async () => {
    target = await startTarget();
    await expect(startTestHub({ targetUrl: target.url, config: { storage: { kind: 'postgres' } } })).rejects.toMatchObject({
      errors: [expect.objectContaining({ code: 'SCHEMA_INVALID' })],
    });
    await expect(
      startTestHub({
        targetUrl: target.url,
        config: { storage: { kind: 'postgres', postgres: { url: { env: 'DATABASE_URL' } } } },
        env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
      }),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
