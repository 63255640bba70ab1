/**
 * The Store contract against the embedded adapter: a real SqliteStore on a temp database FILE
 * (not :memory:, so WAL and the on-disk pragmas are what production runs). The PostgreSQL and
 * Kafka adapters, when they land, get a sibling file that calls the same `storeContract(...)`.
 */
import { existsSync } from 'node:fs';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { tempSqliteFile } from '../helpers/temp-sqlite';
import { storeContract } from './store.contract';

storeContract('sqlite', async () => {
  const tmp = tempSqliteFile();
  const store = new SqliteStore(tmp.file);
  expect(existsSync(tmp.file)).toBe(true);
  return {
    store,
    cleanup: async () => {
      await store.close();
      tmp.remove();
    },
  };
});
