// A mapping that takes (practically) forever on one webhook must not freeze the hub: the real CLI
// hub (pipeline in its worker thread) with a mapping whose work grows with the cube of its input.
// Nothing here sleeps: every wait is for a condition (a delivery, a dead letter, a 503).
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { spawnCliHub, stripeToTargetConnectors, writeCliHubConfig, type CliHub } from '../helpers/cli-hub';
import { fixture } from '../helpers/fixtures';
import { postSigned, stripeHeader } from '../helpers/http-raw';
import { eventually, startTarget } from '../helpers/target-server';

type StripeEvent = Record<string, unknown> & { id: string };

let seq = 0;
const normalEvent = (): StripeEvent => ({
  ...fixture<StripeEvent>('stripe-subscription-created.json'),
  id: `evt_stuck_${process.pid}_${++seq}`,
});

/** 2,000 items summed over every pair and triple: 8·10⁹ steps, hours of synchronous work. */
const SLOW_MAPPING = {
  output: {
    n: {
      $sum: { $path: 'data.object.items' },
      of: { $sum: { $path: '$.data.object.items' }, of: { $sum: { $path: '$.data.object.items' } } },
    },
  },
};
const slowEvent = (): StripeEvent => ({
  id: `evt_slow_${process.pid}_${++seq}`,
  object: 'event',
  type: 'invoice.slow_to_map',
  created: Math.floor(Date.now() / 1000),
  data: { object: { items: Array.from({ length: 2000 }, () => 1) } },
});

async function post(url: string, e: StripeEvent): Promise<string> {
  const body = JSON.stringify(e);
  const res = await postSigned(url, body, stripeHeader(body));
  expect(res.status).toBe(202);
  return res.json<{ id: string }>().id;
}

function hubConfig(targetUrl: string, pipeline: Record<string, number>) {
  const connectors = stripeToTargetConnectors(targetUrl, {
    timeoutMs: 10_000,
    ratePerSec: 10_000,
    burst: 10_000,
    circuitFailureThreshold: 1000,
  });
  connectors.stripe.inbound.mappings = {
    ...connectors.stripe.inbound.mappings,
    'invoice.slow_to_map': 'test.slow',
  } as typeof connectors.stripe.inbound.mappings;
  return writeCliHubConfig(
    targetUrl,
    { connectors, pipeline: { pollMs: 10, leaseMs: 30_000, ...pipeline } },
    { 'test.slow': SLOW_MAPPING },
  );
}

async function withStore<T>(file: string, fn: (s: SqliteStore) => Promise<T>): Promise<T> {
  const store = await openSqliteStore(file);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('a normalisation that never ends (real CLI hub, pipeline thread)', () => {
  let cli: CliHub | undefined;
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  afterEach(async () => {
    if (cli && cli.child.exitCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
    cli = undefined;
    await target?.close();
  });

  const delivered = (e: StripeEvent) => target!.requests.some((r) => JSON.stringify(r.body).includes(e.id));

  it('past pipeline.normaliseBudgetMs the entry becomes a dead letter NORMALISE_TIMEOUT, later events go on, and a restart does not block again', async () => {
    target = await startTarget();
    // 2 s: well past a normal entry even on a loaded machine (a tighter budget quarantined normal entries
    // under the full suite's load); the slow mapping runs for hours.
    const { configPath, dbFile } = hubConfig(target.url, { normaliseBudgetMs: 2000 });
    cli = await spawnCliHub(configPath);
    const slow = slowEvent();
    const started = Date.now();
    const slowInboxId = await post(cli.url, slow);
    const after = normalEvent();
    await post(cli.url, after);

    await eventually(() => delivered(after), 30_000);
    const unblockedMs = Date.now() - started;
    const [dl] = await withStore(dbFile, (s) => s.listDeadLetters({ source: 'stripe' }));
    expect(dl).toMatchObject({
      stage: 'map',
      errorCode: 'NORMALISE_TIMEOUT',
      status: 'open',
      inboxId: slowInboxId,
      sourceEventId: slow.id,
      payload: JSON.stringify(slow),
    });
    expect(dl!.errorMessage).toMatch(/ran for \d+ ms .*past the budget of 2000 ms \(pipeline\.normaliseBudgetMs\)/);
    expect(Number(/ran for (\d+) ms/.exec(dl!.errorMessage)![1])).toBeGreaterThanOrEqual(2000);
    expect(unblockedMs).toBeLessThan(30_000);
    expect(cli.stdout()).toContain('normalisation ran past its budget');

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);

    // After a restart the quarantined entry is not taken up again: the next event flows at once.
    cli = await spawnCliHub(configPath);
    const next = normalEvent();
    await post(cli.url, next);
    await eventually(() => delivered(next), 15_000);
    await withStore(dbFile, async (s) => {
      expect((await s.findEvent('stripe', slow.id))?.inbox.status).toBe('failed');
      expect((await s.counts()).inboxPending).toBe(0);
      expect(await s.listDeadLetters({ source: 'stripe' })).toHaveLength(1);
    });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  }, 90_000);

  it('/readyz answers 503 with the stuck entry as reason; the admin API dead-letters it (audited), the pipeline restarts and goes on', async () => {
    target = await startTarget();
    const token = 'admin-token-for-stuck-test';
    const { configPath, dbFile } = hubConfig(target.url, { normaliseBudgetMs: 3_600_000, stallAfterMs: 1000 });
    cli = await spawnCliHub(configPath, { SUBHUB_ADMIN_TOKEN: token });
    const url = cli.url;
    const ready = async () => {
      const res = await fetch(`${url}/readyz`);
      return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, unknown> } };
    };
    expect((await ready()).status).toBe(200);
    const slow = slowEvent();
    const slowInboxId = await post(url, slow);

    await eventually(async () => (await ready()).status === 503, 20_000);
    const { body } = await ready();
    expect(body).toMatchObject({ status: 'not_ready', checks: { store: 'ok', workers: 'running', pipeline: 'stalled' } });
    expect(body.checks.reason).toMatch(new RegExp(`inbox entry ${slowInboxId} has been normalising for \\d+ ms`));

    const auth = { authorization: `Bearer ${token}`, 'x-subhub-actor': 'ops@example.com' };
    const list = (await (await fetch(`${url}/admin/api/inbox`, { headers: auth })).json()) as { entries: Array<Record<string, unknown>> };
    expect(list.entries).toEqual([
      expect.objectContaining({
        id: slowInboxId,
        sourceEventId: slow.id,
        eventType: 'invoice.slow_to_map',
        attempts: 1,
        leasedUntil: expect.any(Number),
      }),
    ]);

    const res = await fetch(`${url}/admin/api/inbox/${slowInboxId}/dead-letter?reason=mapping%20hangs`, { method: 'POST', headers: auth });
    expect(res.status).toBe(200);
    const settled = (await res.json()) as { status: string; deadLetterId: string; abandoned: boolean; actor: string };
    expect(settled).toMatchObject({ status: 'dead_lettered', id: slowInboxId, actor: 'ops@example.com', abandoned: true });
    const again = await fetch(`${url}/admin/api/inbox/${slowInboxId}/skip`, { method: 'POST', headers: auth });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('ADMIN_NOT_PENDING');
    expect((await fetch(`${url}/admin/api/inbox/nope/skip`, { method: 'POST', headers: auth })).status).toBe(404);

    const after = normalEvent();
    await post(url, after);
    await eventually(() => delivered(after), 15_000);
    await eventually(async () => (await ready()).status === 200, 10_000);

    await withStore(dbFile, async (s) => {
      expect(await s.getDeadLetter(settled.deadLetterId)).toMatchObject({
        stage: 'map',
        errorCode: 'INBOX_SET_ASIDE',
        inboxId: slowInboxId,
        payload: JSON.stringify(slow),
      });
      expect((await s.getDeadLetter(settled.deadLetterId))!.errorMessage).toContain(
        'set aside by ops@example.com before normalising (mapping hangs)',
      );
      const audit = s.db.prepare('SELECT actor, action, subject FROM audit').all();
      expect(audit).toEqual([{ actor: 'ops@example.com', action: 'inbox.dead_letter', subject: slowInboxId }]);
    });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  }, 90_000);
});
