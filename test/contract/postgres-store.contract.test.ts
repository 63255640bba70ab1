/**
 * The Store contract against the PostgreSQL adapter: each test gets a fresh database on this jest
 * worker's private cluster (test/helpers/postgres.ts) and a PgStore migrated onto it.
 */
import { PgStore } from '../../src/store/postgres/pg-store';
import { testDatabase } from '../helpers/postgres';
import { domainContract } from './domain.contract';
import { storeContract, type StoreFixture } from './store.contract';

async function pgFixture(): Promise<StoreFixture> {
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
}

storeContract('postgres', pgFixture);
domainContract('postgres', pgFixture);
