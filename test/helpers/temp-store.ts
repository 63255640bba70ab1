import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { tempSqliteFile } from './temp-sqlite';

/** A fresh SQLite store in a temp folder for every test of the enclosing describe; closed and removed after each. */
export function freshStore(): () => SqliteStore {
  let store: SqliteStore | undefined;
  let tmp: ReturnType<typeof tempSqliteFile> | undefined;
  beforeEach(async () => {
    tmp = tempSqliteFile();
    store = await openSqliteStore(tmp.file);
  });
  afterEach(async () => {
    await store?.close();
    tmp?.remove();
  });
  return () => store!;
}
