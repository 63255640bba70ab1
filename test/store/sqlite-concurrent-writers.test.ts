/**
 * SQLite with another connection committing at the same time, in another thread (as the hub's
 * pipeline thread, a CLI command or a second store on the file do). In-process tests cannot show
 * this: better-sqlite3 runs each transaction synchronously, so two stores in one thread never
 * overlap. Here the other writer really runs in parallel.
 */
import { Worker } from 'node:worker_threads';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store';
import { tempSqliteFile } from '../helpers/temp-sqlite';

/** Commits small IMMEDIATE write transactions on `file` until `stop[0]` is set (or a bound is reached). */
const WRITER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const insert = db.prepare("INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, 'writer', 'test', ?, NULL)");
const write = db.transaction((n) => insert.run(Date.now(), String(n)));
const stop = new Int32Array(workerData.stop);
let n = 0;
for (const end = Date.now() + 60000; Atomics.load(stop, 0) === 0 && Date.now() < end; n++) {
  write.immediate(n);
  if (n === 0) parentPort.postMessage('started');
}
db.close();
parentPort.postMessage(n);
`;

describe('SQLite: another connection committing in parallel', () => {
  it('webhook appends whose batch reads first (content key) are never refused as busy while another thread commits', async () => {
    const tmp = tempSqliteFile();
    const store = await openSqliteStore(tmp.file);
    const stop = new SharedArrayBuffer(4);
    const worker = new Worker(WRITER, { eval: true, workerData: { file: tmp.file, driver: require.resolve('better-sqlite3'), stop } });
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    const finished = new Promise<number>((resolve, reject) => {
      worker.on('message', (m) => (m === 'started' ? started() : resolve(m as number)));
      worker.on('error', reject);
    });
    try {
      await running;
      const refused: string[] = [];
      for (let i = 0; i < 300; i++) {
        const entry = { source: 'shopify', sourceEventId: `wh_${i}`, contentKey: `k_${i}`, receivedAt: i, headers: {}, body: '{}' };
        await store.append(entry).then(
          (r) => expect(r.status).toBe('accepted'),
          (e: { code?: string }) => refused.push(`wh_${i}: ${e.code ?? String(e)}`),
        );
      }
      Atomics.store(new Int32Array(stop), 0, 1);
      const written = await finished;
      expect(refused).toEqual([]);
      expect(written).toBeGreaterThan(0);
      expect((await store.counts()).inboxPending).toBe(300);
    } finally {
      Atomics.store(new Int32Array(stop), 0, 1);
      await worker.terminate();
      await store.close();
      tmp.remove();
    }
  }, 60_000);
});
