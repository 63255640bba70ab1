/**
 * The Store contract against the PostgreSQL adapter: each test gets a fresh database on this jest
 * worker's private cluster (test/helpers/postgres.ts) and a PgStore migrated onto it (two for the
 * two-workers section). Runs when SUBHUB_BACKENDS selects `postgres` (default: every backend).
 */
import { PgStore } from '../../src/store/postgres/pg-store';
import { testDatabase } from '../helpers/postgres';
import { forBackend } from './backends';
import { domainContract } from './domain.contract';
import { landingContract, type LandingFixture } from './landing.contract';
import { storeContract, type StoreFixture } from './store.contract';
import { viewsContract } from './views.contract';
import { twoWorkersContract, type TwoStoresFixture } from './two-workers.contract';

/** `canonicalStream`: the store of an external event log (eventLog.kind "kafka") with the stream on. */
async function pgFixture(options: { canonicalStream?: boolean } = {}): Promise<StoreFixture & LandingFixture> {
  const db = await testDatabase();
  const store = new PgStore({ url: db.url, canonicalStream: options.canonicalStream === true });
  await store.init();
  return {
    store,
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
}

/** Two hubs on one database. */
async function twoPgFixture(): Promise<TwoStoresFixture> {
  const db = await testDatabase();
  const a = new PgStore({ url: db.url });
  const b = new PgStore({ url: db.url });
  await a.init();
  await b.init();
  return {
    a,
    b,
    cleanup: async () => {
      await Promise.all([a.close(), b.close()]);
      await db.drop();
    },
  };
}

forBackend('postgres', () => {
  storeContract('postgres', () => pgFixture());
  domainContract('postgres', () => pgFixture());
  viewsContract('postgres', () => pgFixture());
  twoWorkersContract('postgres', twoPgFixture);
  landingContract('postgres', pgFixture);
});
