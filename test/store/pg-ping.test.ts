/**
 * `/readyz` pings the store on every call (load balancers poll it every few seconds): a ping must
 * leave the pooled connection as it found it. It used to add an 'error' listener each time, so a
 * long-running hub warned MaxListenersExceededWarning and kept every listener.
 */
import { Pool, type PoolClient } from 'pg';
import { PgStore } from '../../src/store/postgres/pg-store';
import { testDatabase, type TestDatabase } from '../helpers/postgres';

describe('PgStore.ping', () => {
  let db: TestDatabase;
  let store: PgStore;
  const handedOut = new Set<PoolClient>();
  beforeAll(async () => {
    db = await testDatabase();
    // Every connection the store's pool hands out, to count what is left on it afterwards.
    const connect = Pool.prototype.connect as (this: Pool) => Promise<PoolClient>;
    jest.spyOn(Pool.prototype, 'connect').mockImplementation(async function (this: Pool) {
      const client = await connect.call(this);
      handedOut.add(client);
      return client;
    } as never);
    store = new PgStore({ url: db.url, poolSize: 1 });
    await store.init();
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await store.close();
    await db.drop();
  });

  it('50 pings on one pooled connection leave no listener behind', async () => {
    handedOut.clear();
    for (let i = 0; i < 50; i++) await store.ping();
    expect(handedOut.size).toBe(1);
    // What remains is the pool's own listener for idle connections.
    expect([...handedOut].map((c) => c.listenerCount('error'))).toEqual([1]);
  });
});
