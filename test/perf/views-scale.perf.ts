/**
 * The operator views at console scale: 1,000,000 subscriptions and 100,000 dead letters on SQLite
 * (test/helpers/console-scale.ts), every OperatorViews method timed (first page and a later one,
 * with and without filters), each answering in under 100 ms (median of 5 runs). Not part of
 * `npm test` (its suffix is .perf.ts); run it with
 *
 *   npx jest --testMatch '**\/*.perf.ts' test/perf --runInBand
 *
 * Then a hub on that store serves each console page: its HTML and the admin API requests the
 * page's script makes when it opens, at once as the browser sends them, in under 300 ms each.
 *
 * SUBHUB_SCALE_SUBSCRIPTIONS / SUBHUB_SCALE_DEAD_LETTERS change the sizes (defaults 1,000,000 and 100,000).
 */
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store';
import type { OperatorViews } from '../../src/store/operator-ports';
import { SCALE_LOCATIONS, SCALE_SKUS, SCALE_TODAY, seedConsoleScale } from '../helpers/console-scale';
import { tempSqliteFile } from '../helpers/temp-sqlite';
import { startTestHub } from '../helpers/test-hub';

const SUBSCRIPTIONS = Number(process.env.SUBHUB_SCALE_SUBSCRIPTIONS ?? 1_000_000);
const DEAD_LETTERS = Number(process.env.SUBHUB_SCALE_DEAD_LETTERS ?? 100_000);
const BUDGET_MS = 100;
const RUNS = 5;

const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

async function median(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

/** The cursor of page `n` (1-based) of a list. */
async function cursorOf(fetch: (cursor?: string) => Promise<{ next?: string }>, n: number): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let i = 1; i < n; i++) cursor = (await fetch(cursor)).next;
  return cursor;
}

function cases(v: OperatorViews): Array<[string, () => Promise<unknown>, ((cursor?: string) => Promise<{ next?: string }>)?]> {
  const L = 50;
  const c = (cursor?: string) => (cursor === undefined ? {} : { cursor });
  return [
    ['recentEvents', () => v.recentEvents({ limit: L }), (cur) => v.recentEvents({ limit: L, ...c(cur) })],
    ['searchEvents sourceEventId', () => v.searchEvents('sourceEventId', 'evt_00001234', { limit: L })],
    [
      'searchEvents type (inbox + canonical)',
      () => v.searchEvents('type', 'invoice.paid', { limit: L }),
      (cur) => v.searchEvents('type', 'invoice.paid', { limit: L, ...c(cur) }),
    ],
    [
      'searchEvents canonical type',
      () => v.searchEvents('type', 'subscription.renewed', { limit: L }),
      (cur) => v.searchEvents('type', 'subscription.renewed', { limit: L, ...c(cur) }),
    ],
    ['searchEvents subscription', () => v.searchEvents('subscription', 'stripe:sub_00000037', { limit: L })],
    ['searchEvents customer', () => v.searchEvents('customer', 'stripe:cus_00000037', { limit: L })],
    ['eventTimeline', () => v.eventTimeline('01SCALE00000120')],
    ['deadLetters (all statuses)', () => v.deadLetters({ limit: L }), (cur) => v.deadLetters({ limit: L, ...c(cur) })],
    [
      'deadLetters open',
      () => v.deadLetters({ limit: L, status: 'open' }),
      (cur) => v.deadLetters({ limit: L, status: 'open', ...c(cur) }),
    ],
    [
      'deadLetters open+stage+target',
      () => v.deadLetters({ limit: L, status: 'open', stage: 'deliver', target: 'mail' }),
      (cur) => v.deadLetters({ limit: L, status: 'open', stage: 'deliver', target: 'mail', ...c(cur) }),
    ],
    [
      'deadLetters open+source+errorCode',
      () => v.deadLetters({ limit: L, status: 'open', source: 'shopify', errorCode: 'DELIVERY_GONE' }),
      (cur) => v.deadLetters({ limit: L, status: 'open', source: 'shopify', errorCode: 'DELIVERY_GONE', ...c(cur) }),
    ],
    [
      'deadLetters errorCode (all statuses)',
      () => v.deadLetters({ limit: L, errorCode: 'ROUTE_NO_MAPPING' }),
      (cur) => v.deadLetters({ limit: L, errorCode: 'ROUTE_NO_MAPPING', ...c(cur) }),
    ],
    ['deadLetterFacets open', () => v.deadLetterFacets('open')],
    ['subscriptions', () => v.subscriptions({ limit: L }), (cur) => v.subscriptions({ limit: L, ...c(cur) })],
    [
      'subscriptions status=paused',
      () => v.subscriptions({ limit: L, status: 'paused' }),
      (cur) => v.subscriptions({ limit: L, status: 'paused', ...c(cur) }),
    ],
    [
      'subscriptions q=hub id prefix',
      () => v.subscriptions({ limit: L, q: 'stripe:sub_0004' }),
      (cur) => v.subscriptions({ limit: L, q: 'stripe:sub_0004', ...c(cur) }),
    ],
    [
      'subscriptions q=provider id prefix',
      () => v.subscriptions({ limit: L, q: 'sub_00051' }),
      (cur) => v.subscriptions({ limit: L, q: 'sub_00051', ...c(cur) }),
    ],
    ['subscriptions q=customer id', () => v.subscriptions({ limit: L, q: 'stripe:cus_00012345' })],
    ['subscriptionCounts', () => v.subscriptionCounts()],
    ['dunningStages', () => v.dunningStages()],
    ['dunningCycles (all)', () => v.dunningCycles(undefined, { limit: L }), (cur) => v.dunningCycles(undefined, { limit: L, ...c(cur) })],
    ['dunningCycles HOLD', () => v.dunningCycles('HOLD', { limit: L }), (cur) => v.dunningCycles('HOLD', { limit: L, ...c(cur) })],
    ['blacklistedCustomers', () => v.blacklistedCustomers({ limit: L }), (cur) => v.blacklistedCustomers({ limit: L, ...c(cur) })],
    ['recoveriesPerDay (30 days)', () => v.recoveriesPerDay(`${addDays(SCALE_TODAY, -30)}T00:00:00.000Z`)],
    ['demandKeys', () => v.demandKeys(SCALE_TODAY)],
    ['dailyDemand (56 days)', () => v.dailyDemand(SCALE_SKUS[7]!, SCALE_LOCATIONS[1], SCALE_TODAY, addDays(SCALE_TODAY, 56))],
    ['audit', () => v.audit({ limit: L }), (cur) => v.audit({ limit: L, ...c(cur) })],
  ];
}

describe(`operator views at scale (SQLite, ${SUBSCRIPTIONS} subscriptions, ${DEAD_LETTERS} dead letters)`, () => {
  const tmp = tempSqliteFile();
  let store: SqliteStore;
  const table: Array<{ view: string; firstMs: string; page20Ms?: string }> = [];

  beforeAll(async () => {
    store = await openSqliteStore(tmp.file);
    const t = performance.now();
    await seedConsoleScale(store, { subscriptions: SUBSCRIPTIONS, deadLetters: DEAD_LETTERS });
    console.log(`seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }, 600_000);

  afterAll(async () => {
    console.log(
      `\n${'view'.padEnd(42)} ${'first page'.padStart(11)} ${'page 20'.padStart(9)}\n${table.map((r) => `${r.view.padEnd(42)} ${r.firstMs.padStart(8)} ms ${(r.page20Ms ?? '').padStart(6)}${r.page20Ms ? ' ms' : ''}`).join('\n')}`,
    );
    await store.close().catch(() => undefined);
    tmp.remove();
  });

  it('answers every view in under 100 ms (median of 5), first page and page 20', async () => {
    const slow: string[] = [];
    for (const [name, first, paged] of cases(store.views)) {
      const f = await median(first);
      const row: (typeof table)[number] = { view: name, firstMs: f.toFixed(1) };
      if (f > BUDGET_MS) slow.push(`${name}: ${f.toFixed(1)} ms`);
      if (paged) {
        const cursor = await cursorOf(paged, 20);
        const p = await median(() => paged(cursor));
        row.page20Ms = p.toFixed(1);
        if (p > BUDGET_MS) slow.push(`${name} page 20: ${p.toFixed(1)} ms`);
      }
      table.push(row);
    }
    expect(slow).toEqual([]);
  }, 600_000);

  it('dailyDemand equals summing the demand rows (the aggregation it replaces, timed for comparison)', async () => {
    const sku = SCALE_SKUS[7]!;
    const location = SCALE_LOCATIONS[1]!;
    const to = addDays(SCALE_TODAY, 56);
    const aggregate = store.db.prepare(
      `SELECT l.period, SUM(l.quantity) AS quantity FROM demand_lines l JOIN demand d ON d.subscription_id = l.subscription_id AND d.period = l.period
       WHERE l.sku = ? AND l.period > ? AND l.period <= ? AND d.status = 'reserved' AND d.location IS ? GROUP BY l.period HAVING SUM(l.quantity) <> 0 ORDER BY l.period`,
    );
    let rows: unknown;
    const ms = await median(async () => (rows = aggregate.all(sku, SCALE_TODAY, to, location)));
    table.push({ view: 'dailyDemand by aggregating rows (not used)', firstMs: ms.toFixed(1) });
    expect(await store.views.dailyDemand(sku, location, SCALE_TODAY, to)).toEqual(rows);
  }, 600_000);

  // Last: stopping the hub closes the store.
  it('serves every console page (its HTML and the admin API requests it makes, at once) in under 300 ms (median of 5)', async () => {
    const TOKEN = 'perf-token';
    const hub = await startTestHub({
      targetUrl: 'http://127.0.0.1:9',
      store,
      env: { SUBHUB_ADMIN_TOKEN: TOKEN },
      config: { admin: { ratePerMin: 100_000 }, stock: { location: SCALE_LOCATIONS[0] } },
      clock: () => Date.parse(`${SCALE_TODAY}T09:00:00Z`),
    });
    try {
      const login = await fetch(`${hub.url}/console/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: hub.url },
        body: new URLSearchParams({ name: 'perf', token: TOKEN }).toString(),
      });
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const get = async (path: string) => {
        const r = await fetch(`${hub.url}${path}`, { headers: { cookie } });
        if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await r.text()}`);
        return r.text();
      };
      const api = async (path: string) => JSON.parse(await get(`/admin/api${path}`)) as Record<string, unknown>;
      const [{ next: dlPage2 }, { next: subPage2 }] = await Promise.all([
        api('/dead-letter-page?status=open&limit=50'),
        api('/subscription-page?limit=50'),
      ]);
      // What each page asks for when it opens (as console/assets/pages/*.js do), all at once like the browser.
      const pages: Array<[string, string[]]> = [
        ['overview', ['/console/', '/admin/api/overview']],
        ['events', ['/console/events', '/admin/api/event-search?field=sourceEventId&limit=25']],
        ['events: search by type', ['/console/events', '/admin/api/event-search?field=type&q=invoice.paid&limit=25']],
        [
          'events: a timeline',
          [
            '/console/events',
            '/admin/api/event-search?field=customer&q=stripe:cus_00000037&limit=25',
            '/admin/api/timeline/01SCALE00000120',
          ],
        ],
        [
          'dead letters',
          ['/console/dead-letters', '/admin/api/dead-letter-page?status=open&limit=50', '/admin/api/dead-letter-facets?status=open'],
        ],
        [
          'dead letters: page 2, filtered',
          [
            '/console/dead-letters',
            `/admin/api/dead-letter-page?status=open&limit=50&cursor=${encodeURIComponent(String(dlPage2))}`,
            '/admin/api/dead-letter-page?status=open&stage=deliver&target=mail&limit=50',
            '/admin/api/dead-letter-facets?status=open',
          ],
        ],
        ['subscriptions', ['/console/subscriptions', '/admin/api/subscription-counts', '/admin/api/subscription-page?limit=50']],
        [
          'subscriptions: page 2, search',
          [
            '/console/subscriptions',
            '/admin/api/subscription-counts',
            `/admin/api/subscription-page?limit=50&cursor=${encodeURIComponent(String(subPage2))}`,
            '/admin/api/subscription-page?q=sub_00051&limit=50',
          ],
        ],
        ['a subscription', ['/console/subscriptions', '/admin/api/subscriptions/stripe:sub_00000037']],
        ['dunning board', ['/console/dunning', '/admin/api/dunning-board', '/admin/api/dunning-cycles?stage=HOLD&limit=25']],
        ['stock', ['/console/stock', '/admin/api/stock', `/admin/api/stock/detail?sku=${SCALE_SKUS[7]}&location=${SCALE_LOCATIONS[1]}`]],
        ['mapping playground', ['/console/playground', '/admin/api/mappings', '/admin/api/fixtures']],
        ['reconciliation', ['/console/reconciliation', '/admin/api/decisions?kind=reconcile&limit=50']],
      ];
      const slow: string[] = [];
      for (const [name, paths] of pages) {
        const ms = await median(() => Promise.all(paths.map(get)));
        table.push({ view: `page: ${name} (${paths.length} requests)`, firstMs: ms.toFixed(1) });
        if (ms > 300) slow.push(`${name}: ${ms.toFixed(1)} ms`);
      }
      expect(slow).toEqual([]);
    } finally {
      await hub.stop();
    }
  }, 600_000);
});
