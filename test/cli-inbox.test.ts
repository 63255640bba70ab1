import { main } from '../src/cli/main';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store';
import { captureIO } from './helpers/capture-io';
import { writeCliHubConfig } from './helpers/cli-hub';

describe('subhub inbox', () => {
  it('lists pending entries, skips or dead-letters one (audited, with a replay hint); a settled or unknown entry changes nothing', async () => {
    const { configPath: cfg, dbFile } = writeCliHubConfig('http://127.0.0.1:9');
    const seeded = await openSqliteStore(dbFile);
    const ids: string[] = [];
    try {
      for (const [i, id] of ['evt_stuck', 'evt_test'].entries()) {
        const r = await seeded.append({
          source: 'stripe',
          sourceEventId: id,
          eventType: 'invoice.paid',
          receivedAt: 1_700_000_000_000 + i,
          headers: {},
          body: `{"id":"${id}"}`,
        });
        ids.push(r.id);
      }
      await seeded.claimInbox(1, 60_000, Date.now()); // evt_stuck is held by a (stuck) worker
    } finally {
      await seeded.close();
    }

    const list = captureIO();
    expect(await main(['inbox', 'list', '--config', cfg], list)).toBe(0);
    const lines = list.stdout().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^${ids[0]}  2023-11-14T22:13:20.000Z  stripe/evt_stuck  invoice.paid  attempts 1  claimed until `),
    );
    expect(lines[1]).toBe(`${ids[1]}  2023-11-14T22:13:20.001Z  stripe/evt_test  invoice.paid  attempts 0`);
    expect(list.stderr()).toContain('2 pending inbox entries');

    const dead = captureIO();
    expect(await main(['inbox', 'dead-letter', ids[0]!, '--config', cfg, '--actor', 'ana', '--reason', 'mapping hangs'], dead)).toBe(0);
    const dlId = /as (\S+) \(by ana\); replay it with: subhub dlq replay \1$/m.exec(dead.stdout())?.[1];
    expect(dlId).toBeDefined();
    const skip = captureIO();
    expect(await main(['inbox', 'skip', ids[1]!, '--config', cfg, '--actor', 'ana', '--reason', 'test event'], skip)).toBe(0);
    expect(skip.stdout()).toContain(`skipped ${ids[1]} (by ana)`);

    const again = captureIO();
    expect(await main(['inbox', 'skip', ids[0]!, '--config', cfg], again)).toBe(0);
    expect(again.stderr()).toContain('already normalised, ignored or dead-lettered: nothing changed');
    expect(await main(['inbox', 'skip', 'nope', '--config', cfg], captureIO())).toBe(1);
    expect(await main(['inbox', 'skip', '--config', cfg], captureIO())).toBe(1);
    expect(await main(['inbox', 'frob', '--config', cfg], captureIO())).toBe(2);
    expect(await main(['inbox', 'list', '--config', cfg, '--limit', 'lots'], captureIO())).toBe(2);
    const empty = captureIO();
    expect(await main(['inbox', 'list', '--config', cfg, '--format', 'json'], empty)).toBe(0);
    expect(JSON.parse(empty.stdout())).toEqual([]);

    const store = await openSqliteStore(dbFile);
    try {
      expect(await store.getDeadLetter(dlId!)).toMatchObject({
        stage: 'map',
        errorCode: 'INBOX_SET_ASIDE',
        inboxId: ids[0],
        payload: '{"id":"evt_stuck"}',
      });
      expect((await store.findEvent('stripe', 'evt_test'))?.inbox).toMatchObject({
        status: 'ignored',
        detail: 'skipped by ana: test event',
      });
      expect(store.db.prepare('SELECT actor, action, subject FROM audit ORDER BY rowid').all()).toEqual([
        { actor: 'ana', action: 'inbox.dead_letter', subject: ids[0] },
        { actor: 'ana', action: 'inbox.skip', subject: ids[1] },
      ]);
    } finally {
      await store.close();
    }
  });
});
