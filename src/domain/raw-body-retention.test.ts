import { join } from 'node:path';
import { loadConfig } from '../config/load-config';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/sqlite-store';
import { tempSqliteFile } from '../../test/helpers/temp-sqlite';
import { pruneRawBodies } from '../composition/nightly-job';

const DAY = 86_400_000;
const NOW = Date.parse('2026-03-01T03:00:00Z');

describe('raw-body retention in the nightly job (storage.rawBodyRetentionDays)', () => {
  const tmp = tempSqliteFile();
  let store: SqliteStore;
  let n = 0;
  beforeEach(async () => {
    store = await openSqliteStore(join(tmp.dir, `hub-${++n}.db`));
  });
  afterEach(() => store.close());
  afterAll(() => tmp.remove());

  async function processed(id: string, receivedAt: number): Promise<void> {
    await store.append({
      source: 'stripe',
      sourceEventId: id,
      eventType: 'invoice.upcoming',
      receivedAt,
      headers: {},
      body: JSON.stringify({ id, customer_email: 'a@example.com' }),
    });
    const [row] = await store.claimInbox(1, 1000, receivedAt);
    await store.completeInbox(row!, { status: 'ignored', kind: 'configured', reason: 'test' }, receivedAt);
  }

  it('defaults to 30 days in the shipped config', () => {
    expect(
      loadConfig({ path: join(__dirname, '..', '..', 'config', 'hub.json'), localPath: false, env: {} }).config.storage
        ?.rawBodyRetentionDays,
    ).toBe(30);
  });

  it('blanks processed bodies older than the setting and keeps younger ones; 0 keeps everything', async () => {
    await processed('evt_old', NOW - 31 * DAY);
    await processed('evt_young', NOW - 29 * DAY);
    expect(await pruneRawBodies(store, 0, NOW)).toBe(0);
    expect(await pruneRawBodies(store, 30, NOW)).toBe(1);
    expect(await pruneRawBodies(store, 30, NOW)).toBe(0);
    const body = (id: string) => store.db.prepare('SELECT body FROM inbox WHERE source_event_id = ?').pluck().get(id);
    expect([body('evt_old'), body('evt_young')]).toEqual(['', JSON.stringify({ id: 'evt_young', customer_email: 'a@example.com' })]);
  });
});
