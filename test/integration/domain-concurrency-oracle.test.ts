/**
 * Issue 11, the domain under concurrency: one deterministic stream of Stripe webhooks for 200
 * customers (sign-ups, plan and quantity changes, payment failures of several kinds, recoveries,
 * invoices given up on until customers are blacklisted) is fed to one hub on SQLite, one event at a
 * time (the oracle), and to three hubs on one PostgreSQL database, customers interleaved in a seeded
 * random order and every event sent to a random hub. A customer's next event leaves only after the
 * previous one was acknowledged (Stripe's order per customer). On the PostgreSQL side one hub's
 * clock runs 3 s ahead (hubs on several machines) and the normaliser's database session is ended
 * three times mid-stream (the lock moves to another hub). Once both have drained, the domain
 * (projections, demand, dunning, customers and the blacklist, the decision trail), the set of
 * deliveries and each subscription's order of derived events must be the same. Real PostgreSQL,
 * real HTTP, no mocks.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { NORMALISER_LOCK, PgStore } from '../../src/store/postgres/pg-store';
import type { RunningHub } from '../../src/hub';
import type { InboxEntry, Store } from '../../src/store/ports';
import { shutDown } from '../helpers/fixtures';
import { testDatabase, type TestDatabase } from '../helpers/postgres';
import { seededRandom, stripeStream, type CustomerStream, type StripeEvent } from '../helpers/stripe-stream';
import { eventually, startTarget } from '../helpers/target-server';
import { startTestHub } from '../helpers/test-hub';

const SEED = 20_261_206;
const CUSTOMERS = 200;
/** Events in flight at once on the PostgreSQL run (never two of one customer). */
const IN_FLIGHT = 12;
const TABLES = join(__dirname, '..', '..', 'mappings', 'tables');
const DRAIN_MS = 90_000;
/** How far the third PostgreSQL hub's clock runs ahead of the others'. */
const SKEW_MS = 3000;

type Hub = Awaited<ReturnType<typeof startTestHub>>;
type Target = Awaited<ReturnType<typeof startTarget>>;

/**
 * The shipped default dunning policy (config/hub.json), stock locations by tenant. The target takes
 * the subscription events and the derived dunning and blacklist events (which travel through the
 * outbox); stock.demand_changed is not routed, so not derived (the demand rows are recorded all the
 * same): half the deliveries, and the run stays within the time of `npm test`.
 */
function hubConfig(targetUrl: string): Record<string, unknown> {
  return {
    connectors: {
      stripe: {
        type: 'stripe',
        webhook: { secrets: [{ env: 'STRIPE_WEBHOOK_SECRET' }] },
        inbound: {
          mappings: {
            'customer.subscription.created': 'stripe.customer-subscription.to.hub-event',
            'customer.subscription.updated': 'stripe.customer-subscription.to.hub-event',
            'invoice.paid': 'stripe.invoice-paid.to.hub-event',
            'invoice.payment_failed': 'stripe.invoice-payment-failed.to.hub-event',
          },
        },
      },
      target: {
        type: 'http',
        options: { baseUrl: targetUrl, allowHosts: ['127.0.0.1'], actions: { notify: { method: 'POST', path: '/events' } } },
        delivery: { timeoutMs: 5000, ratePerSec: 10_000, burst: 10_000, circuitFailureThreshold: 1000 },
      },
    },
    routes: [
      {
        name: 'to-target',
        on: ['subscription.*', 'dunning.*', 'customer.risk_changed'],
        to: 'target',
        action: 'notify',
        mapping: 'test.payload',
      },
    ],
    dunning: {
      policy: {
        id: 'oracle-monthly',
        stages: [
          { name: 'CANCELLATION', when: { daysSinceEarliestUnpaid: 28 }, deliver: false, cancel: 'end_of_term' },
          { name: 'SUSPENDED', when: { daysSinceEarliestUnpaid: 14 }, deliver: false, pauseBilling: true, blockChanges: true },
          { name: 'WARNING', when: { daysSinceEarliestUnpaid: 3 }, deliver: true, blockChanges: true },
        ],
        providerRetries: true,
        blacklist: { defaults: 2, windowDays: 365 },
      },
    },
    stock: { location: 'AMS1', tenantsFile: join(TABLES, 'tenants.json'), bomFile: join(TABLES, 'bom.json') },
    reconcile: { enabled: false },
  };
}

/**
 * Sends every customer's events in order, at most `inFlight` at once: the next customer is drawn
 * (seeded) among those with nothing in flight, and its event goes to a drawn hub. Each event must
 * be accepted (202): the stream has no duplicates.
 */
async function feed(
  streams: CustomerStream[],
  hubs: Hub[],
  inFlight: number,
  seed: number,
  acked: (n: number) => void = () => {},
): Promise<void> {
  const rnd = seededRandom(seed);
  const next = streams.map(() => 0);
  const busy = new Set<number>();
  const rejected: string[] = [];
  let n = 0;
  await new Promise<void>((resolve, reject) => {
    const launch = () => {
      for (;;) {
        if (busy.size >= inFlight) return;
        const ready = streams.map((_, k) => k).filter((k) => !busy.has(k) && next[k]! < streams[k]!.events.length);
        if (ready.length === 0) {
          if (busy.size === 0) resolve();
          return;
        }
        const k = ready[Math.floor(rnd() * ready.length)]!;
        const event: StripeEvent = streams[k]!.events[next[k]!++]!;
        const hub = hubs[Math.floor(rnd() * hubs.length)]!;
        busy.add(k);
        hub
          .postStripe(event)
          .then(async (res) => {
            if (res.status !== 202) rejected.push(`${event.id}: ${res.status} ${await res.text()}`);
            busy.delete(k);
            acked(++n);
            launch();
          })
          .catch(reject);
      }
    };
    launch();
  });
  expect(rejected).toEqual([]);
}

/**
 * Ends the database session that holds the normaliser lock (as a network partition or a server-side
 * timeout would): that hub's batch in flight may still commit or be fenced off, and a hub takes the
 * lock over, clearing the leases left behind. Resolves how many sessions were ended (0: nobody
 * held the lock at that instant).
 */
async function endNormaliserSession(url: string): Promise<number> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    const r = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 1
         AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
      [NORMALISER_LOCK],
    );
    return r.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

/**
 * A store on PostgreSQL for a hub whose clock runs `skewMs` ahead of the others' (hubs on several
 * machines): the webhooks it takes are stamped later. The hub closes it when it stops.
 */
async function clockAhead(url: string, skewMs: number): Promise<Store> {
  const store = new PgStore({ url, poolSize: 4 });
  await store.init();
  return new Proxy(store, {
    get(t, p) {
      if (p === 'append') return (e: InboxEntry) => t.append({ ...e, receivedAt: e.receivedAt + skewMs });
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/** Nothing left to normalise, relay or deliver, and every event normalised or delivered (no dead letter). */
async function drained(store: Store): Promise<boolean> {
  const c = await store.counts();
  return c.inboxPending === 0 && c.outboxPending === 0 && c.deliveriesPending === 0;
}

/**
 * The domain as the store exposes it, without what legitimately differs between runs: the hub's
 * event ids (ULIDs of receipt) on demand rows and decisions. Decisions are grouped by subject, in
 * the order they were taken (the order across customers depends on arrival).
 */
async function domainState(store: Store) {
  const d = store.domain;
  const subscriptions = [];
  for await (const page of d.subscriptionPages(100)) subscriptions.push(...page);
  const demand = [];
  for await (const page of d.demandPages('1970-01-01', 500)) demand.push(...page.map(({ eventId: _, ...rest }) => rest));
  demand.sort((a, b) => `${a.subscriptionId}|${a.period}`.localeCompare(`${b.subscriptionId}|${b.period}`));
  const customers = (await d.customers({})).sort((a, b) => a.id.localeCompare(b.id));
  const blacklist = (await d.customers({ blacklisted: true })).map((c) => c.id).sort();
  const dunning = (await d.openDunning()).sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId));
  const decisions = await d.decisions({ limit: 1_000_000 });
  const trail: Record<string, unknown[]> = {};
  const counts: Record<string, number> = {};
  for (const { eventId: _, ...x } of decisions) {
    (trail[x.subject] ??= []).push(x);
    const key = `${x.kind}:${x.outcome.replace(/ for \d{4}-\d{2}-\d{2}.*$/, '')}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const reserved = (await d.reservedAfter('1970-01-01')).sort((a, b) => `${a.location}|${a.sku}`.localeCompare(`${b.location}|${b.sku}`));
  return { subscriptions, demand, reserved, customers, blacklist, dunning, decisionCounts: counts, decisions: trail };
}

/** What reached the target: every (source event, route) once, whoever delivered it. */
const delivered = (target: Target) => [...new Set(target.effects)].sort();

/**
 * The derived (hub) events each subscription received, in the order they first arrived: the hub
 * delivers one entity's events in the order they were derived, also when several hubs relay the
 * outbox. (Provider events and derived ones of one entity interleave as batches fall, so only the
 * derived ones are compared.)
 */
function derivedOrder(target: Target): Record<string, string[]> {
  const subjectOf = new Map<string, string>();
  for (const r of target.requests) {
    const key = String(r.headers['idempotency-key']);
    // A risk change names no subscription: its customer is in its key (hub:blacklist:<customer>:<cause>).
    subjectOf.set(key, (r.body as { subscription?: string }).subscription ?? key.split(':').slice(2, 4).join(':'));
  }
  const out: Record<string, string[]> = {};
  for (const key of target.effects) if (key.startsWith('hub:')) (out[subjectOf.get(key)!] ??= []).push(key);
  return out;
}

describe('the domain under concurrency: three hubs on PostgreSQL equal one hub on SQLite (issue 11)', () => {
  let db: TestDatabase | undefined;
  let hubs: RunningHub[] = [];
  let targets: Target[] = [];
  const cleanups: Array<() => void> = [];
  afterEach(async () => {
    await shutDown(...hubs, ...targets);
    for (const c of cleanups.splice(0)) c();
    hubs = [];
    targets = [];
    await db?.drop();
    db = undefined;
  });

  it(
    'the same stream of 200 customers gives the same projections, demand, dunning, blacklist, decisions and deliveries',
    async () => {
      const streams = stripeStream(SEED, CUSTOMERS);
      const events = streams.reduce((n, s) => n + s.events.length, 0);
      let takeovers = 0;

      // The oracle: one hub on SQLite, the stream one event at a time.
      const oracleRun = async () => {
        const t0 = Date.now();
        const target = await startTarget();
        targets.push(target);
        const dataDir = memoryDir();
        const hub = await startTestHub({ targetUrl: target.url, config: { ...hubConfig(target.url), storage: { dataDir } } });
        hubs.push(hub);
        cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
        await feed(streams, [hub], 1, SEED);
        await eventually(() => drained(hub.store), DRAIN_MS);
        return {
          store: hub.store,
          state: await domainState(hub.store),
          deliveries: delivered(target),
          order: derivedOrder(target),
          ms: Date.now() - t0,
        };
      };
      // Three hubs on one fresh PostgreSQL database, customers interleaved, hubs drawn per event.
      const postgresRun = async () => {
        const t0 = Date.now();
        db = await testDatabase();
        const target = await startTarget();
        targets.push(target);
        const storage = { kind: 'postgres', postgres: { url: { env: 'DATABASE_URL' }, poolSize: 4 } };
        const pg: Hub[] = [];
        for (let i = 0; i < 3; i++) {
          const hub = await startTestHub({
            targetUrl: target.url,
            config: { ...hubConfig(target.url), storage },
            env: { DATABASE_URL: db.url },
            // The third hub's clock runs ahead, as on another machine.
            ...(i === 2 ? { store: await clockAhead(db.url, SKEW_MS) } : {}),
          });
          hubs.push(hub);
          pg.push(hub);
        }
        // Three times during the stream, the normaliser's session is ended: the lock moves to a hub.
        const ended: Array<Promise<number>> = [];
        const every = Math.floor(events / 4);
        await feed(streams, pg, IN_FLIGHT, SEED + 1, (n) => {
          if (n % every === 0 && n <= 3 * every) ended.push(endNormaliserSession(db!.url));
        });
        takeovers = (await Promise.all(ended)).reduce((a, b) => a + b, 0);
        await eventually(() => drained(pg[0]!.store), DRAIN_MS);
        return {
          store: pg[0]!.store,
          state: await domainState(pg[0]!.store),
          deliveries: delivered(target),
          order: derivedOrder(target),
          ms: Date.now() - t0,
        };
      };
      // The two runs share nothing: they run side by side (the oracle waits on fsyncs, PostgreSQL on round trips).
      const runs = await Promise.allSettled([oracleRun(), postgresRun()]);
      for (const r of runs) if (r.status === 'rejected') throw r.reason;
      const [oracle, postgres] = runs.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof oracleRun>>>).value) as [
        Awaited<ReturnType<typeof oracleRun>>,
        Awaited<ReturnType<typeof oracleRun>>,
      ];
      const [expected, actual, expectedDeliveries] = [oracle.state, postgres.state, oracle.deliveries];

      // Not vacuous: every customer and subscription is there, events dead-lettered none, and every
      // outcome the stream aims at happened.
      expect((await oracle.store.counts()).deadLettersOpen).toBe(0);
      expect((await postgres.store.counts()).deadLettersOpen).toBe(0);
      expect(expected.subscriptions).toHaveLength(CUSTOMERS);
      expect(expected.customers).toHaveLength(CUSTOMERS);
      const stages = new Set(expected.dunning.map((x) => x.stage));
      expect([...stages].sort()).toEqual(['LATE', 'SUSPENDED', 'WARNING']);
      expect(expected.blacklist.length).toBeGreaterThan(10);
      expect(expected.customers.filter((c) => c.defaults.length === 1 && !c.blacklisted).length).toBeGreaterThan(5);
      expect(expected.decisionCounts['dunning:CLEAR']).toBeGreaterThan(20);
      expect(expected.demand.some((x) => x.status === 'released')).toBe(true);
      expect(new Set(expected.demand.map((x) => x.location))).toEqual(new Set(['AMS1', 'DUS1']));
      // Derived events went through the outbox to the target: a risk change per blacklisted customer, dunning notices.
      expect(expectedDeliveries.filter((k) => k.startsWith('hub:blacklist:'))).toHaveLength(expected.blacklist.length);
      expect(expectedDeliveries.filter((k) => k.startsWith('hub:dunning:')).length).toBeGreaterThan(CUSTOMERS);
      // The normaliser's session was ended at least once, so another hub took the lock over mid-stream.
      expect(takeovers).toBeGreaterThan(0);

      expect(actual.decisionCounts).toEqual(expected.decisionCounts);
      expect(actual.blacklist).toEqual(expected.blacklist);
      expect(actual.dunning).toEqual(expected.dunning);
      expect(actual.customers).toEqual(expected.customers);
      expect(actual.subscriptions).toEqual(expected.subscriptions);
      expect(actual.demand).toEqual(expected.demand);
      expect(actual.reserved).toEqual(expected.reserved);
      expect(actual.decisions).toEqual(expected.decisions);
      expect(postgres.deliveries).toEqual(expectedDeliveries);
      expect(postgres.order).toEqual(oracle.order);

      // The numbers behind the run, for the record.
      process.stdout.write(
        `oracle: ${CUSTOMERS} customers, ${events} events, ${expectedDeliveries.length} deliveries, ` +
          `${expected.blacklist.length} blacklisted, stages ${JSON.stringify(countBy(expected.dunning.map((x) => x.stage)))}; ` +
          `SQLite ${oracle.ms} ms, PostgreSQL ×3 ${postgres.ms} ms (side by side), normaliser sessions ended ${takeovers}\n`,
      );
      // ~25 s on an idle 2-core machine, ~60 s under heavy load: the drain waits are the bound.
    },
    2 * DRAIN_MS,
  );
});

/**
 * A fresh folder for the oracle's SQLite file, in memory (tmpfs) where the machine has one: the
 * oracle feeds one event at a time and its durability is not under test, so its fsyncs should
 * cost nothing.
 */
function memoryDir(): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  return mkdtempSync(join(base, 'subhub-oracle-'));
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
