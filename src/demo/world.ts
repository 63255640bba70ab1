import { createServer, type AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startMailboxSimulator, type MailboxSimulator } from '../../connectors/http/simulator';
import { startOdooSimulator, type OdooSimulator } from '../../connectors/odoo/simulator';
import { startShopifySimulator, type ShopifySimulator } from '../../connectors/shopify/simulator';
import { startMollieSimulator, type MollieSimulator } from '../../connectors/mollie/simulator';
import { startStripeSimulator, type StripeSimulator } from '../../connectors/stripe/simulator';
import { startWarehouseSimulator, type WarehouseSimulator } from '../../connectors/warehouse/simulator';
import type { HubConfig } from '../config/config.types';
import { startHub, type RunningHub } from '../hub';
import type { SqliteStore } from '../store/sqlite/sqlite-store';
import { loadSeedTables, seedOdoo, seedStripe, seedWarehouse } from '../simulators/seed';

/** The repository (or installed package) root: config/ and mappings/ live there. */
export const PACKAGE_ROOT = resolve(__dirname, __filename.endsWith('.js') ? '../../..' : '../..');
const DAY = 86_400_000;

/** Business time of the demo: day 1 starts at `start`; `at(day, hour)` moves it (never backwards). */
export class DemoClock {
  #now: number;
  constructor(readonly start: number) {
    this.#now = start;
  }
  now = (): number => this.#now;
  at(day: number, hour = 9): void {
    this.#now = Math.max(this.#now, this.start + (day - 1) * DAY + (hour - 8) * 3_600_000);
  }
  day(): number {
    return Math.floor((this.#now - this.start) / DAY) + 1;
  }
}

export interface DemoWorld {
  clock: DemoClock;
  hub: RunningHub;
  stripe: StripeSimulator;
  shopify: ShopifySimulator;
  odoo: OdooSimulator;
  warehouse: WarehouseSimulator;
  mailbox: MailboxSimulator;
  mollie: MollieSimulator;
  dataDir: string;
  configPath: string;
  /** Secrets the hub was started with (the simulators' credentials; random webhook secret). */
  env: Record<string, string>;
  /** Stops the hub (gracefully) and starts it again on the same data folder and port. */
  restart(): Promise<void>;
  /** Waits until every webhook is delivered, the inbox and delivery queue are empty and the planner is idle. */
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const WAREHOUSE = 'NL-AMS-01';
/** The second location's warehouse (Düsseldorf, DUS1 in tables/locations.json). */
export const SECOND_WAREHOUSE = 'DE-DUS-02';

/** Opening stock of the demo's Amsterdam warehouse, where the Dutch shop's subscriptions ship from (units on hand). */
export const OPENING_STOCK: Readonly<Record<string, number>> = {
  'COF-ESP-1KG': 40,
  'COF-ESP-250': 40,
  'COF-FLT-250': 30,
  'COF-ORIGIN-250': 30,
  'COF-DECAF-500': 20,
};

/**
 * Opening stock in Düsseldorf, where the German shop's subscriptions ship from: plenty of filter
 * roast, which must not hide Amsterdam's shortage, and espresso 1 kg just above its reorder point
 * (min 10), which Amsterdam's 40 bags must not hide either (the planner plans each location from
 * its own warehouse).
 */
export const SECOND_STOCK: Readonly<Record<string, number>> = {
  'COF-ESP-1KG': 12,
  'COF-ESP-250': 40,
  'COF-FLT-250': 120,
  'COF-ORIGIN-250': 30,
  'LENS-SOL-360': 96,
};

/**
 * Starts the five simulators and a hub wired to them with the shipped config and mappings, on
 * free loopback ports, a fresh data folder, and the demo's business clock. The simulators are
 * seeded with the shop's catalogue: Stripe prices from tables/stripe-price-sku.csv, customers
 * from tables/customer-xref.csv (also Odoo partners), Odoo products and vendors from
 * tables/sku-catalog.csv, and the opening stock at the warehouse.
 */
export interface DemoWorldOptions {
  dataDir?: string;
  /** Business time of day 1 (default 2026-12-01T08:00Z). */
  start?: number;
  silent?: boolean;
  /** The warehouse refuses reservations beyond its stock (409 insufficient_stock). */
  strictStock?: boolean;
  /** Changes the hub config before the hub starts (tests: another stock-out policy). */
  configure?: (config: HubConfig) => void;
  /** Turns the hub's admin API on with this token. */
  adminToken?: string;
  /** Opening stock instead of OPENING_STOCK. */
  stock?: Readonly<Record<string, number>>;
  /** Opening stock in Düsseldorf instead of SECOND_STOCK. */
  secondStock?: Readonly<Record<string, number>>;
}

export async function startDemoWorld(options: DemoWorldOptions = {}): Promise<DemoWorld> {
  const clock = new DemoClock(options.start ?? Date.parse('2026-12-01T08:00:00Z'));
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'subhub-demo-'));
  const secret = `whsec_demo_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const webhook = { url: 'http://127.0.0.1:9/unset', secret, retryDelaysMs: [50, 200, 1000] };
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const stripe = await startStripeSimulator(0, { webhook, now: clock.now });
    started.push(stripe);
    const shopify = await startShopifySimulator(0);
    started.push(shopify);
    const odoo = await startOdooSimulator(0);
    started.push(odoo);
    // The warehouse ships each delivery at the end of its day, by the demo's clock.
    const warehouse = await startWarehouseSimulator(0, { strictStock: options.strictStock === true, now: clock.now });
    started.push(warehouse);
    const mailbox = await startMailboxSimulator(0);
    started.push(mailbox);
    // Mollie posts classic webhooks (`id=tr_…`) to a payment's webhookUrl, else to the simulator's (the hub's, set once it listens).
    const mollieOptions: { apiKeys: string[]; now: () => number; retryDelaysMs: number[]; webhookUrl?: string } = {
      apiKeys: ['test_demo'],
      now: clock.now,
      retryDelaysMs: [50, 200, 1000],
    };
    const mollie = await startMollieSimulator(0, mollieOptions);
    started.push(mollie);
    seed(stripe, odoo, warehouse, options.stock ?? OPENING_STOCK, options.secondStock ?? SECOND_STOCK);

    const secrets = {
      STRIPE_WEBHOOK_SECRET: secret,
      SHOPIFY_API_SECRET: `shpss_demo_${Date.now().toString(36)}`,
      STRIPE_API_KEY: 'sk_test_simulator',
      MOLLIE_API_KEY: 'test_demo',
      SHOPIFY_ADMIN_TOKEN: 'shpat_simulator',
      ODOO_API_KEY: 'odoo-api-key',
    };
    const env: Record<string, string> = { ...secrets, ...(options.adminToken ? { SUBHUB_ADMIN_TOKEN: options.adminToken } : {}) };
    const shipped = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'config', 'hub.json'), 'utf8')) as HubConfig;
    const port = (url: string) => Number(new URL(url).port);
    const optionsOf = (id: string) => shipped.connectors![id]!.options as Record<string, unknown>;
    optionsOf('stripe').api = { host: '127.0.0.1', port: port(stripe.url), protocol: 'http' };
    optionsOf('shopify').endpoint = shopify.url;
    optionsOf('odoo').baseUrl = odoo.url;
    optionsOf('warehouse').baseUrl = warehouse.url;
    optionsOf('mailer').baseUrl = mailbox.url;
    optionsOf('mollie').apiEndpoint = mollie.apiEndpoint;
    // The hub's port is not known yet: the simulator reports to it instead (mollieOptions.webhookUrl).
    delete optionsOf('mollie').webhookUrl;
    // A port chosen up front: the payment-details links in dunning mail point at this hub.
    const hubPort = await freePort();
    const config: HubConfig = {
      ...shipped,
      $schema: undefined,
      server: { host: '127.0.0.1', port: hubPort },
      dunning: {
        ...shipped.dunning,
        paymentUpdateLinks: { mollie: { baseUrl: `http://127.0.0.1:${hubPort}`, connector: 'mollie', action: 'createFirstPayment' } },
      },
      storage: { kind: 'sqlite', dataDir: join(dataDir, 'data') },
      log: { level: 'error' },
      mappings: { paths: [join(PACKAGE_ROOT, 'mappings')] },
      stock: {
        ...shipped.stock,
        bomFile: join(PACKAGE_ROOT, 'mappings', 'tables', 'bom.json'),
        tenantsFile: join(PACKAGE_ROOT, 'mappings', 'tables', 'tenants.json'),
        locationsFile: join(PACKAGE_ROOT, 'mappings', 'tables', 'locations.json'),
        checkMs: 20,
      },
      pipeline: { pollMs: 10 },
      retry: { ...shipped.retry, initialDelayMs: 100, maxDelayMs: 2000 },
      reconcile: { ...shipped.reconcile, enabled: false },
    };
    options.configure?.(config);
    // The demo's secrets live in files beside its config (mode 0600), so a second process
    // (`subhub reconcile --config <dataDir>/hub.json`) reads them without any environment.
    const secretsDir = join(dataDir, 'secrets');
    mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
    const fileRef = (name: keyof typeof secrets) => {
      const file = join(secretsDir, name.toLowerCase());
      writeFileSync(file, secrets[name], { mode: 0o600 });
      return { file };
    };
    optionsOf('stripe').apiKey = fileRef('STRIPE_API_KEY');
    optionsOf('shopify').accessToken = fileRef('SHOPIFY_ADMIN_TOKEN');
    optionsOf('odoo').apiKey = fileRef('ODOO_API_KEY');
    optionsOf('mollie').apiKey = fileRef('MOLLIE_API_KEY');
    config.connectors!.stripe!.webhook = { ...config.connectors!.stripe!.webhook, secrets: [fileRef('STRIPE_WEBHOOK_SECRET')] };
    config.connectors!.shopify!.webhook = { ...config.connectors!.shopify!.webhook, secrets: [fileRef('SHOPIFY_API_SECRET')] };
    const configPath = join(dataDir, 'hub.json');
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const start = () =>
      startHub({ path: configPath, localPath: false, env, silent: options.silent ?? true, pipeline: 'inline', clock: clock.now });
    let hub = await start();
    webhook.url = `${hub.url}/webhooks/stripe`;
    mollieOptions.webhookUrl = `${hub.url}/webhooks/mollie`;
    // A restart keeps the port (the simulators and the links point at it).
    const restart = async () => {
      await hub.stop();
      hub = await start();
    };

    const settle = async (timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (let quiet = 0; quiet < 2;) {
        if (Date.now() > deadline)
          throw new Error(`the hub did not settle within ${timeoutMs} ms: ${JSON.stringify(await hub.store.counts())}`);
        await stripe.settled();
        await mollie.settled();
        await hub.pipeline.backgroundIdle?.();
        const n = await hub.store.counts();
        // Deliveries waiting for a later attempt (a stock-out retried tomorrow) do not keep the world busy.
        if (n.inboxPending === 0 && dueDeliveries(hub) === 0) quiet++;
        else {
          quiet = 0;
          // Wait for the pipeline's next commit rather than spinning.
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    };
    return {
      clock,
      get hub() {
        return hub;
      },
      restart,
      stripe,
      shopify,
      odoo,
      warehouse,
      mailbox,
      mollie,
      dataDir,
      configPath,
      env,
      settle,
      close: async () => {
        await hub.stop();
        for (const s of started.reverse()) await s.close();
      },
    };
  } catch (e) {
    for (const s of started.reverse()) await s.close();
    throw e;
  }
}

/** A loopback port free right now (the hub binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function dueDeliveries(hub: RunningHub): number {
  const db = (hub.store as SqliteStore).db;
  return (
    db
      .prepare(`SELECT COUNT(*) AS n FROM deliveries WHERE status = 'in_flight' OR (status = 'pending' AND next_attempt_at <= ?)`)
      .get(Date.now() + 5_000) as { n: number }
  ).n;
}

function seed(
  stripe: StripeSimulator,
  odoo: OdooSimulator,
  warehouse: WarehouseSimulator,
  stock: Readonly<Record<string, number>>,
  second: Readonly<Record<string, number>>,
): void {
  const tables = loadSeedTables(join(PACKAGE_ROOT, 'mappings', 'tables'));
  seedStripe(stripe, tables);
  seedOdoo(odoo, tables);
  seedWarehouse(warehouse, { ...tables, locations: tables.locations.filter((l) => l.wmsWarehouse === WAREHOUSE) }, stock);
  seedWarehouse(warehouse, { ...tables, locations: tables.locations.filter((l) => l.wmsWarehouse === SECOND_WAREHOUSE) }, second);
}
