/**
 * The Store contract against the PostgreSQL adapter: each test gets a fresh database on this jest
 * worker's private cluster (test/helpers/postgres.ts) and a PgStore migrated onto it.
 */
import { PgStore } from '../../src/store/postgres/pg-store';
import { testDatabase } from '../helpers/postgres';
import { storeContract } from './store.contract';

storeContract('postgres', async () => {
  const db = await testDatabase();
  const store = new PgStore({ url: db.url });
  await store.init();
  return {
    store,
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
});
