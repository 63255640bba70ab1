import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startMailboxSimulator } from '../../connectors/http/simulator';
import { startOdooSimulator } from '../../connectors/odoo/simulator';
import { startShopifySimulator } from '../../connectors/shopify/simulator';
import { startStripeSimulator } from '../../connectors/stripe/simulator';
import { startMollieSimulator } from '../../connectors/mollie/simulator';
import { startWarehouseSimulator } from '../../connectors/warehouse/simulator';
import type { HubConfig } from '../config/config.types';
import { resolveSecret, type SecretRef } from '../config/secrets';
import { loadSeedTables, seedOdoo, seedShopify, seedStripe, seedWarehouse, type SeedTables } from './seed';

/**
 * Runs the local simulators a config points at, in this process, for `subhub start
 * --with-simulators` (the newcomer's first run) and tests. A connector gets a simulator when it
 * points at 127.0.0.1 or localhost over http: stripe (`options.api` host/port), shopify
 * (`options.endpoint`), odoo and warehouse (`options.baseUrl`), and the http connector named
 * `mailer` (`options.baseUrl`: the mailbox). Each simulator accepts the credential the hub will
 * send (the connector's secret reference resolved in `env`, else the simulator's default) and is
 * seeded from the mapping tables so the demo business works: stock of every stocked SKU in every
 * warehouse and Shopify location, Odoo products and partners, Stripe prices.
 */
export interface StartSimulatorsOptions {
  /** Where the connectors' secret references resolve (as the hub will resolve them). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The hub's base URL: the Stripe simulator signs and sends webhooks to `<hubUrl>/webhooks/<connector>`. None: no webhooks. */
  hubUrl?: string;
  /** Folder of sku-catalog.csv, locations.json and stripe-price-sku.csv. Default: `tables/` of the first mappings path holding them. */
  tablesDir?: string;
  /** Units on hand seeded per stocked SKU and location (default 40). */
  onHand?: number;
}

export interface RunningSimulators {
  /** Connector id → the simulator's base URL. */
  readonly urls: Record<string, string>;
  /** Closes every simulator; safe to call twice. */
  close(): Promise<void>;
}

type Kind = 'stripe' | 'mollie' | 'shopify' | 'odoo' | 'warehouse' | 'mailbox';

/** One simulator to run: for which connector, where, and that connector's options. */
export interface SimulatorTarget {
  connector: string;
  kind: Kind;
  port: number;
  options: Record<string, unknown>;
  /** The connector's webhook signing secrets (the Stripe simulator signs with the first that resolves). */
  webhookSecrets: readonly SecretRef[];
}

/** The http connector that gets the mailbox simulator. */
export const MAILBOX_CONNECTOR = 'mailer';
/** The credential each simulator accepts by default, and the connector option that references it. */
const CREDENTIALS: Partial<Record<Kind, { option: string; value: string }>> = {
  stripe: { option: 'apiKey', value: 'sk_test_simulator' },
  mollie: { option: 'apiKey', value: 'test_simulator' },
  shopify: { option: 'accessToken', value: 'shpat_simulator' },
  odoo: { option: 'apiKey', value: 'odoo-api-key' },
};
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** The connectors of `config` that a local simulator can stand in for (enabled, http, on 127.0.0.1/localhost). */
export function simulatorTargets(config: Pick<HubConfig, 'connectors'>): SimulatorTarget[] {
  const targets: SimulatorTarget[] = [];
  for (const [id, c] of Object.entries(config.connectors ?? {})) {
    if (c.enabled === false) continue;
    const o = (c.options ?? {}) as Record<string, unknown>;
    const kind: Kind | undefined =
      c.type === 'http'
        ? id === MAILBOX_CONNECTOR
          ? 'mailbox'
          : undefined
        : (['stripe', 'mollie', 'shopify', 'odoo', 'warehouse'] as const).find((k) => k === c.type);
    if (!kind) continue;
    const url = kind === 'stripe' ? stripeApiUrl(o.api) : kind === 'shopify' ? o.endpoint : kind === 'mollie' ? o.apiEndpoint : o.baseUrl;
    const port = typeof url === 'string' ? localHttpPort(url) : undefined;
    if (port !== undefined) targets.push({ connector: id, kind, port, options: o, webhookSecrets: c.webhook?.secrets ?? [] });
  }
  return targets;
}

/**
 * The env the hub should run with next to the simulators: every simulator credential variable
 * the connectors reference (STRIPE_API_KEY, MOLLIE_API_KEY, SHOPIFY_ADMIN_TOKEN, ODOO_API_KEY in the shipped
 * config) that is unset gets the simulator's value. Returns the names it filled, never values.
 */
export function withSimulatorCredentials(
  config: Pick<HubConfig, 'connectors'>,
  env: NodeJS.ProcessEnv,
): { env: NodeJS.ProcessEnv; defaulted: string[] } {
  const out = { ...env };
  const defaulted: string[] = [];
  for (const t of simulatorTargets(config)) {
    const cred = CREDENTIALS[t.kind];
    const ref = cred ? (t.options[cred.option] as SecretRef | undefined) : undefined;
    if (!cred || !ref || !('env' in ref) || resolveSecret(ref, out) !== undefined) continue;
    out[ref.env] = cred.value;
    defaulted.push(ref.env);
  }
  return { env: out, defaulted };
}

/**
 * Starts a simulator for every target of `config` (see simulatorTargets), seeded. Checks every
 * port first: one in use fails with an Error naming it, and nothing is left running.
 */
export async function startSimulators(
  config: Pick<HubConfig, 'connectors' | 'mappings'>,
  options: StartSimulatorsOptions = {},
): Promise<RunningSimulators> {
  const env = options.env ?? process.env;
  const targets = simulatorTargets(config);
  // Two connectors at one port share one simulator; a port of 0 means "any free one" each time.
  const unique = targets.filter((t, i) => t.port === 0 || targets.findIndex((u) => u.port === t.port) === i);
  for (const t of unique) await assertPortFree(t);
  const tables = loadSeedTables(options.tablesDir ?? findTablesDir(config.mappings?.paths ?? ['mappings']));
  const onHand = options.onHand ?? 40;
  const urls: Record<string, string> = {};
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
  };
  try {
    for (const t of unique) {
      const sim = await startOne(t, env, tables, onHand, options.hubUrl).catch((e: unknown) => {
        throw new Error(`the ${t.connector} simulator did not start on port ${t.port}: ${e instanceof Error ? e.message : String(e)}`);
      });
      closers.push(sim.close);
      for (const same of targets.filter((u) => u === t || (t.port !== 0 && u.port === t.port))) urls[same.connector] = sim.url;
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { urls, close };
}

async function startOne(
  t: SimulatorTarget,
  env: NodeJS.ProcessEnv,
  tables: SeedTables,
  onHand: number,
  hubUrl: string | undefined,
): Promise<{ url: string; close(): Promise<void> }> {
  const secret = (ref: unknown) => (ref && typeof ref === 'object' ? resolveSecret(ref as SecretRef, env) : undefined);
  const credential = (option: string) => secret(t.options[option]) ?? CREDENTIALS[t.kind]!.value;
  const bearer = (t.options.auth as { bearer?: SecretRef } | undefined)?.bearer;
  switch (t.kind) {
    case 'stripe': {
      const webhookSecret = t.webhookSecrets.map(secret).find(Boolean);
      const webhook = hubUrl && webhookSecret ? { url: `${hubUrl}/webhooks/${t.connector}`, secret: webhookSecret } : undefined;
      const sim = await startStripeSimulator(t.port, { apiKey: credential('apiKey'), webhook });
      seedStripe(sim, tables);
      return sim;
    }
    case 'mollie':
      // Classic webhooks go where each payment says (the connector's webhookUrl), else to the hub.
      return startMollieSimulator(t.port, {
        apiKeys: [credential('apiKey')],
        webhookUrl: hubUrl ? `${hubUrl}/webhooks/${t.connector}` : undefined,
      });
    case 'shopify': {
      const sim = await startShopifySimulator(t.port, { accessToken: credential('accessToken') });
      seedShopify(sim, tables, onHand);
      return sim;
    }
    case 'odoo': {
      const sim = await startOdooSimulator(t.port, {
        db: t.options.db as string | undefined,
        login: t.options.login as string | undefined,
        apiKey: credential('apiKey'),
      });
      seedOdoo(sim, tables);
      return sim;
    }
    case 'warehouse': {
      const sim = await startWarehouseSimulator(t.port, { token: secret(bearer) });
      seedWarehouse(sim, tables, onHand);
      return sim;
    }
    case 'mailbox':
      return startMailboxSimulator(t.port, { token: secret(bearer) });
  }
}

/** Refuses a port another process listens on, with the message a newcomer needs. */
export async function assertPortFree(t: SimulatorTarget): Promise<void> {
  if (t.port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(
              `port ${t.port} (the ${t.connector} simulator) is in use: a simulator (or another hub) is already running there; stop it or run \`subhub start\` without --with-simulators`,
            )
          : new Error(`cannot listen on 127.0.0.1:${t.port} for the ${t.connector} simulator: ${e.message}`),
      ),
    );
    probe.listen(t.port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

function stripeApiUrl(api: unknown): string | undefined {
  if (!api || typeof api !== 'object') return undefined;
  const a = api as { host?: string; port?: number; protocol?: string };
  return a.host ? `${a.protocol ?? 'https'}://${a.host}${a.port === undefined ? '' : `:${a.port}`}` : undefined;
}

/** The port of an http URL on 127.0.0.1/localhost; undefined for anything else. */
function localHttpPort(url: string): number | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' || !LOCAL_HOSTS.has(u.hostname)) return undefined;
  return u.port === '' ? 80 : Number(u.port);
}

function findTablesDir(mappingPaths: readonly string[]): string | undefined {
  return mappingPaths.map((p) => join(p, 'tables')).find((d) => existsSync(join(d, 'sku-catalog.csv')));
}
