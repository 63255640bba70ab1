/**
 * The Store port's lifecycle on the embedded adapter: the constructor does no I/O, `init()` opens
 * and migrates, and a store used before `init()` fails with a coded error (not a TypeError).
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { tempSqliteFile } from '../helpers/temp-sqlite';

describe('SqliteStore lifecycle: no I/O in the constructor, init() opens', () => {
  let tmp: ReturnType<typeof tempSqliteFile>;
  beforeEach(() => (tmp = tempSqliteFile()));
  afterEach(() => tmp.remove());

  it('constructing touches no file; init() creates and migrates it', async () => {
    const store = new SqliteStore(tmp.file);
    expect(existsSync(tmp.file)).toBe(false);
    await store.init();
    expect(existsSync(tmp.file)).toBe(true);
    expect((await store.counts()).inboxPending).toBe(0);
    await store.close();
  });

  it('every use before init() fails with STORE_NOT_INITIALISED, and nothing is created', async () => {
    const store = new SqliteStore(tmp.file);
    const notInitialised = { code: 'STORE_NOT_INITIALISED', kind: 'unexpected' };
    expect(() => store.domain).toThrow(expect.objectContaining(notInitialised));
    expect(() => store.privacy).toThrow(expect.objectContaining(notInitialised));
    expect(() => store.db).toThrow(expect.objectContaining(notInitialised));
    const entry = { source: 'stripe', sourceEventId: 'evt_1', receivedAt: 1, headers: {}, body: '{}' };
    await expect(store.append(entry)).rejects.toMatchObject(notInitialised);
    await expect(store.claimInbox(10, 1000, 1)).rejects.toMatchObject(notInitialised);
    await expect(store.completeInbox({ id: 'x', attempts: 1 }, { status: 'ignored', reason: 'r' }, 1)).rejects.toMatchObject(
      notInitialised,
    );
    await expect(store.claimDeliveries(10, 1000, 1)).rejects.toMatchObject(notInitialised);
    await expect(store.completeDelivery({ id: 'x', attempts: 1 }, { status: 'done', at: 1 })).rejects.toMatchObject(notInitialised);
    await expect(store.counts()).rejects.toMatchObject(notInitialised);
    await expect(store.ping()).rejects.toMatchObject(notInitialised);
    await expect(store.recoverLeases()).rejects.toMatchObject(notInitialised);
    await store.close(); // nothing to close
    expect(existsSync(tmp.file)).toBe(false);
  });

  it('init() is idempotent: a second call keeps the open database and its data', async () => {
    const store = new SqliteStore(tmp.file);
    await Promise.all([store.init(), store.init()]);
    const db = store.db;
    await store.append({ source: 'stripe', sourceEventId: 'evt_1', receivedAt: 1, headers: {}, body: '{}' });
    await store.init();
    expect(store.db).toBe(db);
    expect((await store.counts()).inboxPending).toBe(1);
    await store.close();
  });

  it('init() of an unopenable file rejects and opens nothing; a later init() tries again', async () => {
    // The database's folder is taken by a regular file: nothing can be created under it.
    const folder = join(tmp.dir, 'data');
    writeFileSync(folder, 'not a folder');
    const store = new SqliteStore(join(folder, 'hub.db'));
    await expect(store.init()).rejects.toThrow();
    expect(() => store.db).toThrow(expect.objectContaining({ code: 'STORE_NOT_INITIALISED' }));
    rmSync(folder);
    await store.init();
    expect((await store.counts()).inboxPending).toBe(0);
    await store.close();
  });
});
