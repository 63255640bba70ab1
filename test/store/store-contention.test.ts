// "database is locked" is contention, not an incident: another connection to the same file (the
// pipeline thread, a CLI command) holds the write lock. The work is retried and nothing is lost,
// so it is logged at debug and counted (subhub_store_busy_total), never at error level.
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import winston from 'winston';
import { ulid } from '../../src/util/ids';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store';
import { fixture } from '../helpers/fixtures';
import { eventually, startTarget } from '../helpers/target-server';
import { startTestHub } from '../helpers/test-hub';
import { tempSqliteFile } from '../helpers/temp-sqlite';

type StripeEvent = Record<string, unknown> & { id: string; type: string };
type LogLine = { level: string; message: string; code?: string };

jest.setTimeout(60_000);

const event = (n: number): StripeEvent => ({
  ...fixture<StripeEvent>('stripe-subscription-created.json'),
  id: `evt_busy_${process.pid}_${n}`,
});

describe('store contention', () => {
  const tmp = tempSqliteFile();
  let hub: Awaited<ReturnType<typeof startTestHub>> | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  let other: Database.Database | undefined;
  afterEach(async () => {
    if (other?.inTransaction) other.exec('ROLLBACK');
    other?.close();
    await hub?.stop();
    await target?.close();
    tmp.remove();
  });

  it('a write lock held elsewhere: webhook 503 then accepted, pipeline retries; debug and counted, no error line, nothing lost', async () => {
    target = await startTarget();
    // A short busy timeout keeps the test fast: each blocked write waits 100 ms, then gives up.
    hub = await startTestHub({ targetUrl: target.url, store: await openSqliteStore(tmp.file, { busyTimeoutMs: 100 }) });
    const lines: LogLine[] = [];
    hub.logger.clear();
    hub.logger.silent = false;
    hub.logger.level = 'debug';
    hub.logger.add(
      new winston.transports.Stream({
        stream: new Writable({
          write(chunk: Buffer, _encoding, done) {
            for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as LogLine);
            done();
          },
        }),
      }),
    );
    other = new Database(tmp.file);

    // 1. A webhook while another connection writes: 503 (the sender retries), not an error line.
    other.exec('BEGIN IMMEDIATE');
    const first = event(1);
    const refused = await hub.postStripe(first);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('STORE_UNAVAILABLE');
    other.exec('COMMIT');

    // 2. An inbox entry the pipeline sees but cannot lease while the lock is held: it tries again
    // until it can. The other connection commits the entry and takes the lock again in one
    // synchronous block, so the pipeline cannot claim the entry in between.
    const second = event(2);
    other
      .prepare('INSERT INTO inbox (id, source, source_event_id, event_type, received_at, headers, body) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(ulid(), 'stripe', second.id, second.type, Date.now(), '{}', JSON.stringify(second));
    other.exec('BEGIN IMMEDIATE');
    const busy = async (operation: string) =>
      (await hub!.metrics.storeBusy.get()).values.find((v) => v.labels.operation === operation)?.value ?? 0;
    await eventually(async () => (await busy('normalise')) > 0, 20_000);
    other.exec('COMMIT');

    // Nothing lost: the retried webhook is accepted, and both events reach the target.
    expect((await hub.postStripe(first)).status).toBe(202);
    await target.waitFor(2);
    expect(target.requests.map((r) => (r.body as { sourceEventId: string }).sourceEventId).sort()).toEqual([first.id, second.id].sort());

    expect(await busy('append_webhook')).toBeGreaterThanOrEqual(1);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(lines.some((l) => l.level === 'debug' && l.code === 'STORE_BUSY' && l.message.startsWith('normaliser loop error'))).toBe(true);
    expect(lines.some((l) => l.level === 'debug' && l.code === 'STORE_BUSY' && l.message.startsWith('store cannot commit'))).toBe(true);
  });
});
