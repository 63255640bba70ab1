/**
 * PostgreSQL going away under a running PgStore (a private cluster, killed and restarted): calls
 * reject with StoreUnavailableError while it is down (webhooks answer 503), nothing crashes the
 * process, and the same PgStore works again once the server is back.
 */
import type { InboxEntry } from '../../src/store/ports';
import { PgStore } from '../../src/store/postgres/pg-store';
import { StoreUnavailableError } from '../../src/store/store-error';
import { startPostgres, type PostgresServer } from '../helpers/postgres';

const T0 = 1_700_000_000_000;

function webhook(id: string): InboxEntry {
  return { source: 'stripe', sourceEventId: id, eventType: 'x', receivedAt: T0, headers: {}, body: JSON.stringify({ id }) };
}

describe('PgStore: PostgreSQL stopped mid-use', () => {
  let server: PostgresServer;
  let store: PgStore;

  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it('rejects with StoreUnavailableError while the server is down and works again after a restart, without a new PgStore', async () => {
    store = new PgStore({ url: server.url, leaseRecoveryMs: 200 });
    await store.init();
    expect(await store.append(webhook('evt_before'))).toMatchObject({ status: 'accepted' });
    expect(await store.claimInbox(10, 30_000, T0)).toHaveLength(1); // holds the normaliser lock

    await server.kill();
    await expect(store.append(webhook('evt_down'))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.claimInbox(10, 30_000, T0 + 1)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.counts()).rejects.toBeInstanceOf(StoreUnavailableError);

    await server.restart();
    // The listener reconnects by itself (with backoff) and wakes its listeners once it is back.
    const woken = new Promise<void>((resolve) => {
      const off = store.onWork(() => {
        off();
        resolve();
      });
    });
    await store.ping();
    expect(await store.append(webhook('evt_after'))).toMatchObject({ status: 'accepted' });
    expect(await store.append(webhook('evt_before'))).toMatchObject({ status: 'duplicate' });
    await woken;
    // The normaliser lock died with its session: it is taken again, and the lease of the old session's claim is cleared.
    const rows = await store.claimInbox(10, 30_000, T0 + 2);
    expect(rows.map((r) => [r.sourceEventId, r.attempts])).toEqual([
      ['evt_before', 2],
      ['evt_after', 1],
    ]);
  }, 60_000);
});
