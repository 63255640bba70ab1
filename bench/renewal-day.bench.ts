import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMailboxSimulator, type MailboxSimulator } from '../connectors/http/simulator';
import { startOdooSimulator, type OdooSimulator } from '../connectors/odoo/simulator';
import { startShopifySimulator, type ShopifySimulator } from '../connectors/shopify/simulator';
import { renderSeedSubscription, startStripeSimulator, type SeedSubscription, type StripeSimulator } from '../connectors/stripe/simulator';
import { startWarehouseSimulator, type WarehouseSimulator } from '../connectors/warehouse/simulator';
import { applyEvent } from '../src/domain/subscription-projection';
import type { HubEvent } from '../src/events';
import { databaseFile, loadRuntime } from '../src/runtime';
import { loadSeedTables, seedOdoo, seedShopify, seedStripe, seedWarehouse } from '../src/simulators/seed';
import { BENCH_SECRET } from './hub-config';
import { processCpuMs } from './cpu-time';
import { round } from './measure';
import { seedSubscriptionsInBatches } from './seed-store';
import { startServer } from './processes';
import { quantile, sendLikeProvider, shuffleWithinWindow, type ProviderEvent } from './renewal-sender';

/** The repository: this file runs compiled (dist/bench) or, in the jest test, from source (bench). */
const ROOT = existsSync(join(__dirname, '..', 'package.json')) ? join(__dirname, '..') : join(__dirname, '..', '..');
const DAY_S = 86_400;
/** Monthly Stripe prices of stocked coffee (tables/stripe-price-sku.csv): what the subscriptions hold. */
const PRICES = [
  { price: 'price_1QZx8kLkdIwHu7ixEsp1KgMo', sku: 'COF-ESP-1KG' },
  { price: 'price_1QZxB7LkdIwHu7ixDcf500Mo', sku: 'COF-DECAF-500' },
] as const;
/** Calls per second each target is configured to take on renewal day (connectors.<id>.delivery). */
const RENEWAL_DAY_RATE = 1_000;
const SIM_KEYS = { stripe: 'sk_test_simulator', shopify: 'shpat_simulator', odoo: 'odoo-api-key' };

export interface RenewalDayOptions {
  subscriptions: number;
  /** Share of renewals whose payment fails (default 0.05). */
  failedShare?: number;
  connections?: number;
  timeoutMs?: number;
  /** How far (in events) one subscription's events may be displaced (default 20). */
  shuffleWindow?: number;
  /**
   * Points Shopify's cost bucket restores per second (default 1,000, a Plus store's; its bucket
   * holds ten times that). A renewal's inventory move costs 10 points: Plus takes 100 moves a second.
   */
  shopifyRestoreRate?: number;
  /** Give up waiting for the deliveries after this long (default 30 min). */
  drainTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RenewalDayResult {
  figures: Record<string, unknown>;
  /** End-state mismatches; empty when the run is correct. */
  problems: string[];
}

/** Subscription i: one or two bags of coffee, its period ending now (it renews in the burst). */
function seedOf(i: number, periodEnd: number): SeedSubscription {
  const items =
    i % 3 === 0
      ? [
          { price: PRICES[0].price, quantity: 1 },
          { price: PRICES[1].price, quantity: 2 },
        ]
      : [{ price: PRICES[i % 2].price, quantity: 1 + (i % 2) }];
  return {
    id: `sub_rd_${i}`,
    customer: `cus_rd_${i}`,
    status: 'active',
    items,
    currentPeriodStart: periodEnd - 31 * DAY_S,
    currentPeriodEnd: periodEnd,
  };
}

/** Units per SKU that subscription i's renewal ships. */
function demandOf(i: number): Record<string, number> {
  return i % 3 === 0 ? { [PRICES[0].sku]: 1, [PRICES[1].sku]: 2 } : { [PRICES[i % 2].sku]: 1 + (i % 2) };
}

/**
 * `npm run bench -- renewal-day`: the first of the month. SUBHUB_BENCH_SUBSCRIPTIONS subscriptions
 * (default 20,000; 1,000 under CI) exist in the hub (its store seeded as their creation webhooks
 * would have left it) and at Stripe (the simulator), with customers in Odoo and stock in the
 * warehouse and Shopify. Then every one renews at once: the Stripe simulator renews them (its
 * invoices and subscriptions are what the hub reads back), and the webhooks Stripe sends for an
 * automatic renewal (invoice.created, invoice.finalized, invoice.paid, invoice.payment_succeeded,
 * customer.subscription.updated; for the failed 5 %: invoice.created, invoice.finalized,
 * invoice.payment_failed with a card decline, customer.subscription.updated to past_due) are
 * posted by a provider-like sender (renewal-sender.ts) to the real hub process, which delivers to
 * the simulators. Measured: acknowledgement latency, refused and timed-out attempts, time to the
 * last ack and to the last delivery, the hub's peak RSS, the SQLite files' size. Then the end
 * state is checked; any mismatch fails the run.
 */
export async function renewalDay(o: RenewalDayOptions): Promise<RenewalDayResult> {
  const n = o.subscriptions;
  const log = o.log ?? ((l: string) => console.log(l));
  const failedShare = o.failedShare ?? 0.05;
  const fails = (i: number) => (i * 7919) % 1000 < failedShare * 1000;
  const dir = mkdtempSync(join(tmpdir(), 'subhub-renewal-day-'));
  const closers: Array<() => Promise<unknown>> = [];
  try {
    // The shipped mappings, with a customer cross-reference that knows every subscriber.
    const mappings = join(dir, 'mappings');
    cpSync(join(ROOT, 'mappings'), mappings, { recursive: true });
    const xref = Array.from({ length: n }, (_, i) => `cus_rd_${i},${100_000 + i},gid://shopify/Customer/${900_000 + i},rd${i}@example.com`);
    appendFileSync(join(mappings, 'tables', 'customer-xref.csv'), `${xref.join('\n')}\n`);
    const tables = loadSeedTables(join(mappings, 'tables'));

    // The targets, in this process: enough stock that no renewal is short (a stock-out is another benchmark).
    const onHand = n * 4;
    // Stripe's webhooks go to a capture server first: the sender below replays them like Stripe would.
    const capture = await startCapture();
    closers.push(() => capture.close());
    const stripe = await startStripeSimulator(0, { apiKey: SIM_KEYS.stripe, webhook: { url: capture.url, secret: BENCH_SECRET } });
    closers.push(() => stripe.close());
    seedStripe(stripe, tables);
    const odoo = await startOdooSimulator(0, { apiKey: SIM_KEYS.odoo });
    closers.push(() => odoo.close());
    seedOdoo(odoo, tables);
    const warehouse = await startWarehouseSimulator(0, {});
    closers.push(() => warehouse.close());
    seedWarehouse(warehouse, tables, onHand);
    // Shopify Plus's bucket (10,000 points, 1,000 restored per second); a standard plan's is a tenth of it.
    const restoreRate = o.shopifyRestoreRate ?? 1_000;
    const shopify = await startShopifySimulator(0, { accessToken: SIM_KEYS.shopify, maximumAvailable: restoreRate * 10, restoreRate });
    closers.push(() => shopify.close());
    seedShopify(shopify, tables, onHand);
    const mailbox = await startMailboxSimulator(0, {});
    closers.push(() => mailbox.close());

    const now = Math.floor(Date.now() / 1000);
    const seeds = Array.from({ length: n }, (_, i) => seedOf(i, now - 60));
    stripe.seedSubscriptions(seeds);
    for (let i = 0; i < n; i++) stripe.seedCustomer(`cus_rd_${i}`, { email: `rd${i}@example.com`, name: `rd${i}` });

    const configPath = writeHubConfig(dir, mappings, { stripe, odoo, warehouse, shopify, mailbox });
    const env = { STRIPE_WEBHOOK_SECRET: BENCH_SECRET, STRIPE_API_KEY: SIM_KEYS.stripe, SHOPIFY_ADMIN_TOKEN: SIM_KEYS.shopify };
    await seedHubStore(configPath, seeds, { ...env, ODOO_API_KEY: SIM_KEYS.odoo, SHOPIFY_API_SECRET: 'shpss_bench' });

    // What Stripe sends: captured from the simulator as it renews (or fails) each subscription.
    const events = await renewEverything(stripe, capture, n, fails);
    const webhooks = shuffleWithinWindow(events, o.shuffleWindow ?? 20);
    log(`renewal day: ${n} subscriptions (${seeds.filter((_, i) => fails(i)).length} failing), ${webhooks.length} webhooks`);

    const before = snapshot({ odoo, warehouse, shopify, mailbox });
    const beforeState = { reservations: new Set(warehouse.reservations.keys()), quantities: new Map(shopify.quantities) };
    const hub = await startServer([join(ROOT, 'bin', 'subhub.js'), 'start', '--config', configPath], {
      ...env,
      ODOO_API_KEY: SIM_KEYS.odoo,
      SHOPIFY_API_SECRET: 'shpss_bench',
      PORT: '0',
      SUBHUB_LOG_LEVEL: 'error',
    });
    let hubStopped = false;
    closers.unshift(async () => {
      if (!hubStopped) await hub.stop();
    });
    const started = Date.now();
    const cpuBefore = { hub: processCpuMs(hub.child.pid), here: process.cpuUsage() };
    const sent = await sendLikeProvider(webhooks, {
      url: `${hub.url}/webhooks/stripe`,
      secret: BENCH_SECRET,
      connections: o.connections ?? 20,
      timeoutMs: o.timeoutMs ?? 10_000,
      initialBackoffMs: 1_000,
      maxBackoffMs: 30_000,
      maxAttempts: 8,
    });
    const ackedS = (Date.now() - started) / 1000;
    log(
      `acked ${sent.ackMs.length}/${webhooks.length} in ${ackedS.toFixed(1)} s (p50 ${quantile(sent.ackMs, 0.5).toFixed(1)} ms, p99 ${quantile(sent.ackMs, 0.99).toFixed(1)} ms); refused ${sent.refused}, timed out ${sent.timedOut}`,
    );

    const drainDeadline = Date.now() + (o.drainTimeoutMs ?? 30 * 60_000);
    let state = progress({ odoo, warehouse, shopify, mailbox }, before);
    let lastLog = Date.now();
    const targets = { odoo, warehouse, shopify, mailbox };
    // Drained: the end state is right (checked on the live simulators; a fast wrong run never gets there).
    while (checkEndState(targets, n, fails, beforeState, tables.catalog).length > 0 && Date.now() < drainDeadline) {
      await new Promise((r) => setTimeout(r, 250));
      state = progress({ odoo, warehouse, shopify, mailbox }, before);
      if (Date.now() - lastLog > 10_000) {
        log(`  at ${((Date.now() - started) / 1000).toFixed(0)} s: ${JSON.stringify(state)}`);
        lastLog = Date.now();
      }
    }
    const drainedS = (Date.now() - started) / 1000;
    // Late duplicates would show after the last expected one: let the pipeline settle a moment before checking.
    await new Promise((r) => setTimeout(r, 1_000));
    state = progress({ odoo, warehouse, shopify, mailbox }, before);
    const ignored = ignoredCounts(await (await fetch(`${hub.url}/metrics`)).text());
    // Where the CPU went from the first webhook until drained: the hub's threads, and this process
    // (the sender and the simulators); against the wall time × cores, how busy the machine was.
    const hubCpuS = ((processCpuMs(hub.child.pid) ?? NaN) - (cpuBefore.hub ?? NaN)) / 1000;
    const here = process.cpuUsage(cpuBefore.here);
    const benchCpuS = (here.user + here.system) / 1e6;
    const peakRssMb = peakRss(hub.child.pid!);
    hubStopped = true;
    await hub.stop();
    const dbBytes = readdirSync(join(dir, 'data')).reduce((s, f) => s + statSync(join(dir, 'data', f)).size, 0);

    const problems = [
      ...(sent.gaveUp.length > 0 ? [`${sent.gaveUp.length} webhooks never acknowledged (first ${sent.gaveUp[0]})`] : []),
      ...checkEndState(targets, n, fails, beforeState, tables.catalog),
      ...checkIgnored(ignored, n, fails),
    ];
    log(`drained after ${drainedS.toFixed(1)} s: ${JSON.stringify(state)}`);
    const deliveries = state.saleOrders + state.reservations + state.shopifyMoves + state.mails;
    return {
      figures: {
        bench: 'renewal-day',
        subscriptions: n,
        webhooks: webhooks.length,
        ack_p50_ms: round(quantile(sent.ackMs, 0.5)),
        ack_p99_ms: round(quantile(sent.ackMs, 0.99)),
        ack_max_ms: round(sent.ackMs.at(-1) ?? 0),
        acked_s: round(ackedS),
        drained_s: round(drainedS),
        deliveries,
        peak_rss_mb: peakRssMb,
        hub_cpu_s: round(hubCpuS),
        sender_and_simulators_cpu_s: round(benchCpuS),
        machine_busy: round((hubCpuS + benchCpuS) / (drainedS * availableParallelism()), 2),
        sqlite_mb: round(dbBytes / 1e6),
        refused: sent.refused,
        timed_out: sent.timedOut,
        shopify_restore_per_s: restoreRate,
        ok: problems.length === 0,
      },
      problems,
    };
  } finally {
    for (const close of closers) await close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Targets {
  odoo: OdooSimulator;
  warehouse: WarehouseSimulator;
  shopify: ShopifySimulator;
  mailbox: MailboxSimulator;
}

/** The hub's config: the shipped one (config/hub.json) pointed at this run's simulators, its store and mappings. */
function writeHubConfig(dir: string, mappings: string, t: Targets & { stripe: StripeSimulator }): string {
  // Edited as plain JSON: the hub validates the result at start-up.
  const config = JSON.parse(readFileSync(join(ROOT, 'config', 'hub.json'), 'utf8')) as Loose;
  delete config.$schema;
  const port = (url: string) => Number(new URL(url).port);
  config.server = { ...config.server, host: '127.0.0.1', port: 0 };
  config.storage = { kind: 'sqlite', dataDir: join(dir, 'data') };
  config.log = { level: 'error' };
  config.mappings = { paths: [mappings] };
  const c = config.connectors;
  c.stripe.options.api.port = port(t.stripe.url);
  c.shopify.options.endpoint = t.shopify.url;
  c.odoo.options.baseUrl = t.odoo.url;
  c.warehouse.options.baseUrl = t.warehouse.url;
  c.mailer.options.baseUrl = t.mailbox.url;
  // The default per-target rate (50 calls/s) is a guard for targets nobody measured; the user of
  // a burst day raises it to what each target takes. Here 1,000/s each: the hub's pace is measured,
  // not the guard's. Shopify's own cost bucket (the simulator's, Plus-sized) still paces its calls.
  for (const id of ['odoo', 'warehouse', 'shopify', 'mailer', 'stripe'])
    c[id].delivery = { ...c[id].delivery, ratePerSec: RENEWAL_DAY_RATE, burst: RENEWAL_DAY_RATE };
  // No Mollie subscriber on renewal day: its connector, routes and payment links go.
  delete c.mollie;
  config.routes = (config.routes as Array<{ to: string }>).filter((r) => r.to !== 'mollie');
  delete config.dunning.paymentUpdateLinks;
  config.reconcile = { ...config.reconcile, enabled: false, billing: ['stripe'] };
  for (const k of ['bomFile', 'tenantsFile', 'locationsFile'] as const)
    config.stock[k] = join(mappings, String(config.stock[k]).replace(/^mappings\//, ''));
  const path = join(dir, 'hub.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** The hub's store as the subscriptions' creation webhooks left it (the projection of each, through the shipped mapping). */
async function seedHubStore(configPath: string, seeds: SeedSubscription[], env: Record<string, string>): Promise<void> {
  const runtime = loadRuntime({ path: configPath, localPath: false, env });
  const mapping = runtime.mappings.get('stripe.customer-subscription.to.hub-event');
  const states = function* () {
    for (const s of seeds) {
      const mapped = mapping.runSync({
        id: `evt_seed_${s.id}`,
        object: 'event',
        type: 'customer.subscription.created',
        created: s.currentPeriodStart,
        data: { object: renderSeedSubscription(s) },
      });
      if (mapped.dropped) throw new Error(`seed: the mapping dropped ${s.id}: ${mapped.reason}`);
      const state = applyEvent(undefined, mapped.output as HubEvent).state;
      if (!state) throw new Error(`seed: ${s.id} has no subscription state`);
      yield state;
    }
  };
  await seedSubscriptionsInBatches(databaseFile(runtime.config.storage!.dataDir!), states());
}

/**
 * Renews (or fails) every subscription at the simulator and returns the webhooks Stripe sends for
 * it: the simulator's own events (invoice.paid or invoice.payment_failed, then
 * customer.subscription.updated), with invoice.created (draft) and invoice.finalized (open) before
 * and, when paid, invoice.payment_succeeded after, each with the invoice as it was at that step.
 */
async function renewEverything(
  stripe: StripeSimulator,
  capture: Capture,
  n: number,
  fails: (i: number) => boolean,
): Promise<ProviderEvent[]> {
  const events: ProviderEvent[] = [];
  const batch = 50;
  for (let from = 0; from < n; from += batch) {
    const calls = [];
    for (let i = from; i < Math.min(n, from + batch); i++)
      calls.push(
        postOnce(`${stripe.url}/_sim/subscriptions/sub_rd_${i}/${fails(i) ? 'fail_payment' : 'renew'}`, fails(i) ? DECLINE : '{}').then(
          ({ status, body }) => {
            if (status !== 200) throw new Error(`the Stripe simulator refused renewing sub_rd_${i}: ${status} ${body}`);
          },
        ),
      );
    await Promise.all(calls);
  }
  await stripe.settled();
  // Group per subscription, in the order Stripe sends them.
  const bySub = new Map<string, StripeEventJson[]>();
  for (const e of capture.events) {
    const obj = e.data.object;
    const sub = String(obj.object === 'subscription' ? obj.id : obj.parent?.subscription_details?.subscription);
    bySub.set(sub, [...(bySub.get(sub) ?? []), e]);
  }
  let k = 0;
  const derived = (e: StripeEventJson, type: string, invoice: StripeObjectJson): StripeEventJson => ({
    ...e,
    id: `evt_rd_${(k++).toString(36)}`,
    type,
    data: { object: invoice },
  });
  for (const [, list] of bySub) {
    const invoiceEvent = list.find((e) => String(e.type).startsWith('invoice.'))!;
    const inv = invoiceEvent.data.object;
    const draft = {
      ...inv,
      status: 'draft',
      amount_paid: 0,
      amount_remaining: inv.amount_due,
      attempt_count: 0,
      attempted: false,
      number: null,
      status_transitions: { ...inv.status_transitions, finalized_at: null, paid_at: null },
    };
    const open = { ...draft, status: 'open', number: inv.number, status_transitions: { ...inv.status_transitions, paid_at: null } };
    const sequence = [derived(invoiceEvent, 'invoice.created', draft), derived(invoiceEvent, 'invoice.finalized', open), ...list];
    if (invoiceEvent.type === 'invoice.paid') sequence.splice(3, 0, derived(invoiceEvent, 'invoice.payment_succeeded', inv));
    for (const e of sequence) events.push({ id: String(e.id), body: JSON.stringify(e) });
  }
  return events;
}

/** A Stripe object as the simulator renders it (invoice or subscription), the fields read here typed. */
interface StripeObjectJson {
  [field: string]: unknown;
  object?: string;
  id?: string;
  number?: string | null;
  amount_due?: number;
  parent?: { subscription_details?: { subscription?: string } } | null;
  status_transitions?: Record<string, unknown>;
}

interface StripeEventJson {
  [field: string]: unknown;
  id: string;
  type: string;
  data: { object: StripeObjectJson; previous_attributes?: unknown };
}

/** JSON edited by path (the shipped config): every step may be absent until the hub validates it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a config document edited in place, validated by the hub at start-up
type Loose = any;

/** A card declined for want of funds, as Stripe reports the renewal's failed attempt. */
const DECLINE = JSON.stringify({ code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' });

/**
 * One POST on a fresh connection: a renewal is not idempotent, so it is never retried, and a
 * reused keep-alive socket the server closed meanwhile would fail it with ECONNRESET.
 */
function postOnce(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Capture {
  url: string;
  events: StripeEventJson[];
  close(): Promise<void>;
}

/** An endpoint that answers 200 and keeps every event posted to it. */
async function startCapture(): Promise<Capture> {
  const events: Capture['events'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      events.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as StripeEventJson);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    events,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Effects at the targets since `before`. */
interface Progress {
  saleOrders: number;
  reservations: number;
  shopifyMoves: number;
  mails: number;
}

type Snapshot = Progress;

function snapshot(t: Targets): Snapshot {
  return {
    saleOrders: t.odoo.models.get('sale.order')!.size,
    reservations: t.warehouse.reservations.size,
    shopifyMoves: t.shopify.applied,
    mails: t.mailbox.messages().length,
  };
}

function progress(t: Targets, before: Snapshot): Progress {
  const now = snapshot(t);
  return {
    saleOrders: now.saleOrders - before.saleOrders,
    reservations: now.reservations - before.reservations,
    shopifyMoves: now.shopifyMoves - before.shopifyMoves,
    mails: now.mails - before.mails,
  };
}

/** subhub_events_ignored_total from the hub's /metrics, by "type reason" (Stripe's). */
function ignoredCounts(exposition: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of exposition.matchAll(/^subhub_events_ignored_total\{([^}]*)\} (\d+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (labels.connector === 'stripe') counts.set(`${labels.type} ${labels.reason}`, Number(m[2]));
  }
  return counts;
}

/**
 * Nothing dropped silently: the webhooks the hub acts on through others (the draft and the
 * finalised invoice, invoice.payment_succeeded beside invoice.paid) are ignored by config and
 * counted, one each, and no renewal webhook is ignored otherwise.
 */
function checkIgnored(ignored: Map<string, number>, n: number, fails: (i: number) => boolean): string[] {
  let paid = 0;
  for (let i = 0; i < n; i++) if (!fails(i)) paid++;
  const want = new Map([
    ['invoice.created configured', n],
    ['invoice.finalized configured', n],
    ['invoice.payment_succeeded configured', paid],
  ]);
  const problems: string[] = [];
  for (const key of new Set([...want.keys(), ...ignored.keys()]))
    if ((ignored.get(key) ?? 0) !== (want.get(key) ?? 0))
      problems.push(`ignored ${key}: ${ignored.get(key) ?? 0} counted, ${want.get(key) ?? 0} expected`);
  return problems;
}

/** The hub's peak resident set (VmHWM), MB; 0 where /proc is missing. */
function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/**
 * What the burst must have left at the targets, from the subscriptions alone: a sale order for
 * each paid renewal and none for a failed one; a warehouse reservation of each subscription's next
 * delivery (a failed payment in its first days of dunning still ships: the policy's WARNING stage
 * comes after 3 days) whose units per SKU add up to the renewals' demand; the same units moved
 * out of "available" at Shopify; one dunning mail to each customer whose payment failed.
 */
function checkEndState(
  t: Targets,
  n: number,
  fails: (i: number) => boolean,
  before: { reservations: Set<string>; quantities: Map<string, number> },
  catalog: ReadonlyArray<Record<string, string>>,
): string[] {
  const problems: string[] = [];
  const want = new Map<string, number>();
  const paidOrders = new Set<string>();
  const failedMails = new Set<string>();
  for (let i = 0; i < n; i++) {
    for (const [sku, q] of Object.entries(demandOf(i))) want.set(sku, (want.get(sku) ?? 0) + q);
    if (fails(i)) failedMails.add(`rd${i}@example.com`);
    else paidOrders.add(`stripe:sub_rd_${i}`);
  }
  const orders = [...t.odoo.models.get('sale.order')!.values()].map((o) => String(o.client_order_ref).split(':').slice(1, 3).join(':'));
  const ordered = new Set(orders);
  if (orders.length !== ordered.size) problems.push(`sale orders: ${orders.length - ordered.size} duplicates`);
  const missingOrders = [...paidOrders].filter((s) => !ordered.has(s));
  const extraOrders = [...ordered].filter((s) => !paidOrders.has(s));
  if (missingOrders.length > 0) problems.push(`sale orders: ${missingOrders.length} paid renewals without one (${missingOrders[0]})`);
  if (extraOrders.length > 0) problems.push(`sale orders: ${extraOrders.length} not for a paid renewal (${extraOrders[0]})`);

  const reserved = new Map<string, number>();
  let reservations = 0;
  for (const [ref, r] of t.warehouse.reservations) {
    if (before.reservations.has(ref) || r.status !== 'reserved') continue;
    reservations++;
    for (const l of r.lines) reserved.set(l.sku, (reserved.get(l.sku) ?? 0) + l.quantity);
  }
  if (reservations !== n) problems.push(`warehouse: ${reservations} new reservations, ${n} expected`);
  const itemOf = new Map(catalog.filter((r) => r.shopify_inventory_item_id).map((r) => [r.shopify_inventory_item_id!, r.sku!]));
  const moved = new Map<string, number>();
  for (const [k, q] of t.shopify.quantities) {
    const [item, , name] = k.split('|');
    const sku = itemOf.get(String(item).replace(/^gid:\/\/shopify\/InventoryItem\//, ''));
    if (name !== 'available' || !sku) continue;
    moved.set(sku, (moved.get(sku) ?? 0) + (before.quantities.get(k) ?? 0) - q);
  }
  for (const sku of new Set([...want.keys(), ...reserved.keys(), ...moved.keys()])) {
    const w = want.get(sku) ?? 0;
    if ((reserved.get(sku) ?? 0) !== w) problems.push(`warehouse ${sku}: ${reserved.get(sku) ?? 0} units reserved, ${w} renewed`);
    if ((moved.get(sku) ?? 0) !== w) problems.push(`shopify ${sku}: ${moved.get(sku) ?? 0} units out of available, ${w} renewed`);
  }
  const mails = t.mailbox.messages();
  const mailed = new Set(mails.map((m) => m.to));
  if (mails.length !== failedMails.size || [...failedMails].some((m) => !mailed.has(m)))
    problems.push(`dunning mails: ${mails.length} sent to ${mailed.size} customers, ${failedMails.size} failed payments`);
  return problems;
}

/**
 * The `npm run bench -- renewal-day` entry: SUBHUB_BENCH_SUBSCRIPTIONS subscriptions (default
 * 20,000; 1,000 when CI is set and it is not). Throws (the run exits non-zero) when the end state
 * is wrong, after printing the figures. SUBHUB_BENCH_SHOPIFY_RESTORE sets Shopify's restore rate
 * (points/s; default 1,000, Plus): a large value takes Shopify's pacing out of the measurement.
 */
export async function renewalDayBench(): Promise<Record<string, unknown>> {
  const fromEnv = process.env.SUBHUB_BENCH_SUBSCRIPTIONS;
  const subscriptions = fromEnv ? Number(fromEnv) : process.env.CI ? 1_000 : 20_000;
  const restore = process.env.SUBHUB_BENCH_SHOPIFY_RESTORE;
  const { figures, problems } = await renewalDay({ subscriptions, ...(restore ? { shopifyRestoreRate: Number(restore) } : {}) });
  if (problems.length > 0) {
    console.log(JSON.stringify(figures));
    throw new Error(`renewal-day: the end state is wrong:\n  ${problems.join('\n  ')}`);
  }
  return figures;
}
