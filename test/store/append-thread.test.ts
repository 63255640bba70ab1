import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AppendClient } from '../../src/store/sqlite/append-client';
import type { InboxEntry } from '../../src/store/ports';

/** The compiled store (a worker thread runs the compiled append-thread.js; `npm test` builds first). */
const ROOT = join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the built module, as `subhub start` runs it
const compiled = require(
  join(ROOT, 'dist', 'src', 'store', 'sqlite', 'sqlite-store.js'),
) as typeof import('../../src/store/sqlite/sqlite-store');

const entry = (n: number, id = `evt_${n}`): InboxEntry => ({
  source: 'stripe',
  sourceEventId: id,
  eventType: 'invoice.paid',
  receivedAt: 1_700_000_000_000 + n,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ id, n }),
});

describe('webhook appends in their own thread', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'subhub-append-thread-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('concurrent appends are committed once each, duplicates found, and every row is on disk when they resolve', async () => {
    const file = join(dir, 'subhub.db');
    const store = await compiled.openSqliteStore(file, { appendThread: true });
    const results = await Promise.all([...Array.from({ length: 300 }, (_, i) => store.append(entry(i))), store.append(entry(7))]);
    // Another connection sees every accepted row as soon as the appends resolved.
    const other = new Database(file, { readonly: true });
    const rows = other.prepare('SELECT id, source_event_id FROM inbox ORDER BY source_event_id').all() as Array<{ id: string }>;
    other.close();
    await store.close();
    expect(results.filter((r) => r.status === 'accepted')).toHaveLength(300);
    expect(results[300]).toEqual({ status: 'duplicate', id: results[7]!.id });
    expect(rows).toHaveLength(300);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(results.slice(0, 300).map((r) => r.id)));
  });

  test('a thread that dies fails only the batch it held (as unavailable), and the next append starts a new one', async () => {
    // A stand-in thread: the first instance dies on its first batch; later ones accept everything.
    const marker = join(dir, 'died-once');
    const script = join(dir, 'thread.js');
    writeFileSync(
      script,
      `const { parentPort } = require('node:worker_threads'); const fs = require('node:fs');
       parentPort.on('message', (m) => {
         if (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); process.exit(3); }
         parentPort.postMessage({ type: 'done', results: m.entries.map((e) => ({ status: 'accepted', id: 'id_' + e.sourceEventId })) });
       });
       parentPort.postMessage({ type: 'ready' });`,
    );
    const failures: Array<{ code?: string; message: string }> = [];
    const client = new AppendClient(script, { file: join(dir, 'unused.db'), checkpointPages: 1000 }, (e) => {
      failures.push(e);
      return Object.assign(new Error(e.message), { code: 'STORE_UNAVAILABLE' });
    });
    await client.open();
    await expect(client.submit(entry(1))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: 'the append thread stopped' });
    expect(failures).toEqual([{ type: 'failed', code: 'SQLITE_IOERR', message: 'the append thread stopped' }]);
    await expect(client.submit(entry(2))).resolves.toEqual({ status: 'accepted', id: 'id_evt_2' });
    await client.close();
    await expect(client.submit(entry(3))).rejects.toMatchObject({ message: 'the store is closed' });
  });
});
