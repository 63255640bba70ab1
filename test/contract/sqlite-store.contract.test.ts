/**
 * The Store contract against the embedded adapter: a real SqliteStore on a temp database FILE
 * (not :memory:, so WAL and the on-disk pragmas are what production runs). The PostgreSQL adapter
 * runs the same contracts in postgres-store.contract.test.ts. Runs when SUBHUB_BACKENDS selects
 * `sqlite` (default: every backend; see backends.ts).
 */
import { existsSync } from 'node:fs';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store';
import { sqliteThread } from '../helpers/sqlite-thread';
import { tempSqliteFile } from '../helpers/temp-sqlite';
import { forBackend } from './backends';
import { domainContract } from './domain.contract';
import { storeContract, type StoreFixture } from './store.contract';
import { viewsContract } from './views.contract';
import { twoWorkersContract } from './two-workers.contract';

/** A fresh store on its own temp database file. */
async function sqliteFixture(): Promise<StoreFixture> {
  const tmp = tempSqliteFile();
  const store = await openSqliteStore(tmp.file);
  expect(existsSync(tmp.file)).toBe(true);
  return {
    store,
    cleanup: async () => {
      await store.close();
      tmp.remove();
    },
  };
}

forBackend('sqlite', () => {
  storeContract('sqlite', sqliteFixture);
  domainContract('sqlite', sqliteFixture);
  viewsContract('sqlite', sqliteFixture);

  // Two connections to one file, as two processes would hold: WAL lets them read while the other
  // writes, and every write transaction is IMMEDIATE (takes the lock before reading).
  twoWorkersContract('sqlite', async () => {
    const tmp = tempSqliteFile();
    const a = await openSqliteStore(tmp.file);
    const b = await openSqliteStore(tmp.file);
    return {
      a,
      b,
      cleanup: async () => {
        await Promise.all([a.close(), b.close()]);
        tmp.remove();
      },
    };
  });

  // The same with the second store in another thread: transactions of the two really overlap.
  describe('second store in another thread', () => {
    const thread = sqliteThread();
    afterAll(() => thread.terminate());
    twoWorkersContract('sqlite (two threads)', async () => {
      const tmp = tempSqliteFile();
      const a = await openSqliteStore(tmp.file);
      const b = await thread.open(tmp.file);
      return {
        a,
        b,
        cleanup: async () => {
          await Promise.all([a.close(), b.close()]);
          tmp.remove();
        },
      };
    });
  });

  /** Only the embedded store has a single worker process, so only it may release every lease when that worker starts. */
  describe('SqliteStore.recoverLeases (single-worker restart)', () => {
    const T0 = 1_700_000_000_000;
    const LEASE = 30_000;
    const hook = (id: string, receivedAt: number) => ({
      source: 'stripe',
      sourceEventId: id,
      eventType: 'customer.subscription.updated',
      receivedAt,
      headers: {},
      body: JSON.stringify({ id }),
    });

    it('frees leased inbox entries and in-flight deliveries at once, keeping arrival order', async () => {
      const tmp = tempSqliteFile();
      const store = await openSqliteStore(tmp.file);
      try {
        await store.append(hook('evt_1', T0));
        await store.append(hook('evt_2', T0 + 1));
        await store.claimInbox(1, LEASE, T0 + 2); // evt_1 leased by a process that then died
        await store.recoverLeases();
        const rows = await store.claimInbox(10, LEASE, T0 + 3);
        expect(rows.map((r) => r.sourceEventId)).toEqual(['evt_1', 'evt_2']);

        const [first] = rows;
        const event = { eventId: 'ev_1', type: 'subscription.updated', entityKey: 'sub_1', body: '{}' };
        const delivery = {
          route: 'erp-upsert',
          target: 'erp',
          action: 'upsert',
          mapping: 'erp/subscription',
          idempotencyKey: 'ev_1/erp-upsert',
        };
        expect(await store.completeInbox(first!, { status: 'normalised', event: { ...event, deliveries: [delivery] } }, T0 + 4)).toBe(true);
        expect(await store.claimDeliveries(10, LEASE, T0 + 5)).toHaveLength(1);
        await store.recoverLeases();
        expect((await store.claimDeliveries(10, LEASE, T0 + 6)).map((d) => d.eventId)).toEqual(['ev_1']);
      } finally {
        await store.close();
        tmp.remove();
      }
    });
  });
});
