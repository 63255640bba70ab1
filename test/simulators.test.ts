import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { devSecrets, devSecretsPath } from '../src/simulators/dev-secrets';
import { simulatorTargets, startSimulators, withSimulatorCredentials, type RunningSimulators } from '../src/simulators/start-simulators';
import { eventually } from './helpers/target-server';
import { tempFiles } from './helpers/temp-files';

const ROOT = join(__dirname, '..');
const SHIPPED = JSON.parse(readFileSync(join(ROOT, 'config', 'hub.json'), 'utf8')) as Record<string, unknown> & {
  connectors: Record<string, { options: Record<string, unknown> }>;
};
const STOCKED_SKUS = readFileSync(join(ROOT, 'mappings', 'tables', 'sku-catalog.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(','))
  .filter((c) => c[2] === 'stock')
  .map((c) => c[0]!);

/** Free loopback ports: all bound at once (so they differ), then released. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve) => {
          const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** The shipped config/hub.json with its simulator ports moved to `p`, plus the `mailer` connector the lead adds. */
function shippedConfigAt(p: { stripe: number; mollie: number; shopify: number; odoo: number; warehouse: number; mailer: number }) {
  const config = structuredClone(SHIPPED);
  const c = config.connectors;
  c.stripe!.options.api = { ...(c.stripe!.options.api as object), port: p.stripe };
  c.mollie!.options.apiEndpoint = `http://127.0.0.1:${p.mollie}/v2/`;
  c.shopify!.options.endpoint = `http://127.0.0.1:${p.shopify}`;
  c.odoo!.options.baseUrl = `http://127.0.0.1:${p.odoo}`;
  c.warehouse!.options.baseUrl = `http://127.0.0.1:${p.warehouse}`;
  c.mailer = {
    type: 'http',
    options: {
      baseUrl: `http://127.0.0.1:${p.mailer}`,
      allowHosts: ['127.0.0.1'],
      actions: { send: { method: 'POST', path: '/messages' } },
    },
  } as never;
  return { ...config, mappings: { paths: [join(ROOT, 'mappings')] } } as never;
}

async function portsMap() {
  const [stripe, mollie, shopify, odoo, warehouse, mailer] = (await freePorts(6)) as [number, number, number, number, number, number];
  return { stripe, mollie, shopify, odoo, warehouse, mailer };
}

const odooCall = (url: string, service: string, method: string, args: unknown[]) =>
  fetch(`${url}/jsonrpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service, method, args } }),
  }).then(async (r) => ((await r.json()) as { result?: unknown }).result);

describe('startSimulators', () => {
  let sims: RunningSimulators | undefined;
  afterEach(async () => {
    await sims?.close();
    sims = undefined;
  });

  it('starts every simulator the config points at, on its port, seeded for the demo business', async () => {
    const p = await portsMap();
    sims = await startSimulators(shippedConfigAt(p), { env: { STRIPE_API_KEY: 'sk_test_mine' } });
    expect(sims.urls).toEqual({
      stripe: `http://127.0.0.1:${p.stripe}`,
      mollie: `http://127.0.0.1:${p.mollie}`,
      shopify: `http://127.0.0.1:${p.shopify}`,
      odoo: `http://127.0.0.1:${p.odoo}`,
      warehouse: `http://127.0.0.1:${p.warehouse}`,
      mailer: `http://127.0.0.1:${p.mailer}`,
    });

    // Warehouse: every stocked SKU on hand in every warehouse of locations.json.
    for (const wh of ['NL-AMS-01', 'DE-DUS-02']) {
      const stock = (await (await fetch(`${sims.urls.warehouse}/stock?warehouse=${wh}&limit=100`)).json()) as {
        data: Array<{ sku: string; onHand: number }>;
      };
      expect(stock.data.map((s) => s.sku).sort()).toEqual([...STOCKED_SKUS].sort());
      expect(stock.data.every((s) => s.onHand === 40)).toBe(true);
    }

    // Stripe: the key set in env (not the default), and the prices of stripe-price-sku.csv exist.
    const stripe = (path: string, body?: string, key = 'sk_test_mine') =>
      fetch(`${sims!.urls.stripe}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    expect((await stripe('/v1/customers', 'email=a%40example.com', 'sk_test_simulator')).status).toBe(401);
    const customer = (await (await stripe('/v1/customers', 'email=a%40example.com')).json()) as { id: string };
    const sub = await stripe(
      '/v1/subscriptions',
      `customer=${customer.id}&items[0][price]=price_1QZx8kLkdIwHu7ixEsp1KgMo&items[0][quantity]=2`,
    );
    expect(sub.status).toBe(200);
    expect(await sub.json()).toMatchObject({
      status: 'active',
      items: { data: [{ price: { id: 'price_1QZx8kLkdIwHu7ixEsp1KgMo', unit_amount: 2490 }, quantity: 2 }] },
    });

    // Shopify: the simulator's default token; available stock at each location.
    const shopify = await fetch(`${sims.urls.shopify}/admin/api/2025-10/graphql.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-access-token': 'shpat_simulator' },
      body: JSON.stringify({
        query:
          'query($inventoryItemId: ID!, $locationId: ID!) { inventoryItem(id: $inventoryItemId) { inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } } } }',
        variables: {
          inventoryItemId: 'gid://shopify/InventoryItem/46915386212650',
          locationId: 'gid://shopify/Location/71234567890',
          names: ['available'],
        },
      }),
    });
    expect(await shopify.json()).toMatchObject({
      data: { inventoryItem: { inventoryLevel: { quantities: [{ name: 'available', quantity: 40 }] } } },
    });

    // Odoo: the configured db and login; products and partners a sale order needs exist.
    const uid = await odooCall(sims.urls.odoo!, 'common', 'authenticate', ['subscriptions', 'hub-bot', 'odoo-api-key', {}]);
    expect(uid).toBe(2);
    const order = await odooCall(sims.urls.odoo!, 'object', 'execute_kw', [
      'subscriptions',
      2,
      'odoo-api-key',
      'sale.order',
      'create',
      [{ partner_id: 7, client_order_ref: 'r1', order_line: [[0, 0, { product_id: 301, product_uom_qty: 1 }]] }],
    ]);
    expect(order).toEqual(expect.any(Number));
    const rfq = await odooCall(sims.urls.odoo!, 'object', 'execute_kw', [
      'subscriptions',
      2,
      'odoo-api-key',
      'purchase.order',
      'create',
      [{ partner_id: 88, origin: 'p1', order_line: [[0, 0, { product_id: 302, product_qty: 10 }]] }],
    ]);
    expect(rfq).toEqual(expect.any(Number));

    // Mailbox.
    const mail = await fetch(`${sims.urls.mailer}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'a@example.com', template: 'dunning-1' }),
    });
    expect(mail.status).toBe(202);
  });

  it('leaves alone connectors that are not on 127.0.0.1/localhost over http, and disabled ones', () => {
    const config = {
      connectors: {
        stripe: { type: 'stripe', options: {} },
        shopify: { type: 'shopify', options: { endpoint: 'https://coffee-club.myshopify.com' } },
        odoo: { type: 'odoo', options: { baseUrl: 'http://localhost:8069' } },
        warehouse: { type: 'warehouse', options: { baseUrl: 'http://10.0.0.5:8082' } },
        wms2: { type: 'warehouse', enabled: false, options: { baseUrl: 'http://127.0.0.1:8082' } },
        webhookTarget: { type: 'http', options: { baseUrl: 'http://127.0.0.1:9000' } },
      },
    };
    expect(simulatorTargets(config).map((t) => [t.connector, t.port])).toEqual([['odoo', 8069]]);
  });

  it('fills only unset simulator credentials, and says which', () => {
    const config = shippedConfigAt({ stripe: 1, mollie: 6, shopify: 2, odoo: 3, warehouse: 4, mailer: 5 });
    const { env, defaulted } = withSimulatorCredentials(config, { STRIPE_API_KEY: 'sk_test_mine', SHOPIFY_ADMIN_TOKEN: '' });
    expect(defaulted).toEqual(['MOLLIE_API_KEY', 'SHOPIFY_ADMIN_TOKEN', 'ODOO_API_KEY']);
    expect(env).toMatchObject({ STRIPE_API_KEY: 'sk_test_mine', SHOPIFY_ADMIN_TOKEN: 'shpat_simulator', ODOO_API_KEY: 'odoo-api-key' });
  });

  it('refuses a port in use with a clear message, and leaves nothing running', async () => {
    const p = await portsMap();
    const squatter = await new Promise<Server>((resolve) => {
      const s = createServer().listen(p.warehouse, '127.0.0.1', () => resolve(s));
    });
    try {
      await expect(startSimulators(shippedConfigAt(p))).rejects.toThrow(
        `port ${p.warehouse} (the warehouse simulator) is in use: a simulator (or another hub) is already running there; stop it or run \`subhub start\` without --with-simulators`,
      );
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    // Every other port is free again: nothing was left listening.
    sims = await startSimulators(shippedConfigAt(p));
    expect(Object.keys(sims.urls)).toHaveLength(6);
  });
});

describe('devSecrets', () => {
  it('creates the file once (mode 0600, 32 random bytes each) and reuses it', () => {
    const dataDir = join(tempFiles({}), 'data');
    const first = devSecrets(dataDir);
    expect(first.STRIPE_WEBHOOK_SECRET).toMatch(/^[0-9a-f]{64}$/);
    expect(first.SHOPIFY_API_SECRET).toMatch(/^[0-9a-f]{64}$/);
    expect(first.STRIPE_WEBHOOK_SECRET).not.toBe(first.SHOPIFY_API_SECRET);
    expect(statSync(devSecretsPath(dataDir)).mode & 0o777).toBe(0o600);
    expect(devSecrets(dataDir)).toEqual(first);
    expect(JSON.parse(readFileSync(devSecretsPath(dataDir), 'utf8'))).toEqual(first);
  });

  it('completes a file that lacks a secret, and names a broken file', () => {
    const dataDir = tempFiles({ 'dev-secrets.json': { STRIPE_WEBHOOK_SECRET: 'kept' } });
    const s = devSecrets(dataDir);
    expect(s.STRIPE_WEBHOOK_SECRET).toBe('kept');
    expect(s.SHOPIFY_API_SECRET).toMatch(/^[0-9a-f]{64}$/);
    expect(devSecrets(dataDir)).toEqual(s);
    writeFileSync(devSecretsPath(dataDir), '{"STRIPE_WEBHOOK_SECRET": 1');
    expect(() => devSecrets(dataDir)).toThrow(`${devSecretsPath(dataDir)} is not a JSON object of secrets`);
  });
});

/** A hub config on free ports (the shipped one's simulators included) and an env without the variables it would read. */
async function hubSetup() {
  const p = await portsMap();
  const [hubPort] = (await freePorts(1)) as [number];
  const dir = tempFiles({});
  const dataDir = join(dir, 'data');
  const configPath = join(dir, 'hub.json');
  const config = {
    ...(shippedConfigAt(p) as object),
    server: { host: '127.0.0.1', port: hubPort },
    storage: { kind: 'sqlite', dataDir },
    log: { level: 'error' },
  };
  writeFileSync(configPath, JSON.stringify(config));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const n of [
    'STRIPE_API_KEY',
    'SHOPIFY_ADMIN_TOKEN',
    'ODOO_API_KEY',
    'STRIPE_WEBHOOK_SECRET',
    'SHOPIFY_API_SECRET',
    'PORT',
    'SUBHUB_HOST',
    'SUBHUB_DATA_DIR',
    'SUBHUB_ADMIN_TOKEN',
  ])
    delete env[n];
  return { p, hubPort, dataDir, configPath, env };
}

describe('subhub start --with-simulators (the real bin, compiled)', () => {
  it('runs the hub next to the simulators until SIGTERM, then exits 0', async () => {
    const { p, hubPort, dataDir, configPath, env } = await hubSetup();
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'subhub.js'), 'start', '--config', configPath, '--with-simulators'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.resume();
    const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    const hubUrl = `http://127.0.0.1:${hubPort}`;
    const answers = (url: string) =>
      fetch(url).then(
        (r) => r.ok,
        () => false,
      );
    try {
      await eventually(
        async () => (await answers(`${hubUrl}/healthz`)) && (await answers(`http://127.0.0.1:${p.warehouse}/stock`)),
        30_000,
      );
      expect(stderr).toContain(`warehouse simulator  http://127.0.0.1:${p.warehouse}`);
      expect(stderr).toContain(`mailer    simulator  http://127.0.0.1:${p.mailer}`);
      expect(stderr).toContain(`subhub listening on ${hubUrl}`);
      expect(stderr).toContain('STRIPE_API_KEY, MOLLIE_API_KEY, SHOPIFY_ADMIN_TOKEN, ODOO_API_KEY');
      expect(stderr).not.toContain('sk_test_simulator');
      expect(existsSync(join(dataDir, 'dev-secrets.json'))).toBe(true);
      expect(stderr).not.toContain(devSecrets(dataDir).STRIPE_WEBHOOK_SECRET);

      // The Stripe simulator signs its webhooks with the dev secret: the hub accepts them.
      const stripe = (path: string, body: string) =>
        fetch(`http://127.0.0.1:${p.stripe}${path}`, {
          method: 'POST',
          headers: { authorization: 'Bearer sk_test_simulator', 'content-type': 'application/x-www-form-urlencoded' },
          body,
        }).then((r) => r.json() as Promise<{ id: string }>);
      const customer = await stripe('/v1/customers', 'email=newcomer%40example.com');
      await stripe('/v1/subscriptions', `customer=${customer.id}&items[0][price]=price_1QZx8kLkdIwHu7ixEsp1KgMo`);
      await eventually(
        async () => /subhub_webhooks_accepted_total\{connector="stripe"\} [1-9]/.test(await (await fetch(`${hubUrl}/metrics`)).text()),
        10_000,
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    // The simulators are gone with the hub.
    expect(await answers(`http://127.0.0.1:${p.warehouse}/stock`)).toBe(false);
  }, 60_000);
});

describe('simulators outlive a hub killed with -9 (issue 10.8)', () => {
  it('the restarted hub reuses the running simulators, state included; SIGTERM stops both', async () => {
    const { p, hubPort, configPath, env } = await hubSetup();
    const hubUrl = `http://127.0.0.1:${hubPort}`;
    const answers = (url: string) =>
      fetch(url).then(
        (r) => r.ok,
        () => false,
      );
    const start = () => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'subhub.js'), 'start', '--config', configPath, '--with-simulators'], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const out = { stderr: '' };
      child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
      const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
      return { child, out, exited };
    };
    const reservation = `${`http://127.0.0.1:${p.warehouse}`}/reservations/subhub:stripe:sub_1:2026-12-24`;
    const simulatorPid = async () => ((await (await fetch(`http://127.0.0.1:${p.warehouse}/_sim/identity`)).json()) as { pid: number }).pid;
    let pid: number | undefined;
    const hubs: Array<ReturnType<typeof start>> = [];
    try {
      const first = start();
      hubs.push(first);
      await eventually(
        async () => (await answers(`${hubUrl}/healthz`)) && (await answers(`http://127.0.0.1:${p.warehouse}/stock`)),
        30_000,
      );
      pid = await simulatorPid();
      expect(pid).not.toBe(first.child.pid); // their own process
      const put = await fetch(reservation, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ warehouse: 'NL-AMS-01', status: 'reserved', lines: [{ sku: 'COF-ESP-250', quantity: 2 }] }),
      });
      expect(put.status).toBe(201);

      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
      // The warehouse still holds the reservation: the hub and it still agree.
      expect(await (await fetch(reservation)).json()).toMatchObject({ status: 'reserved', lines: [{ sku: 'COF-ESP-250', quantity: 2 }] });

      const second = start();
      hubs.push(second);
      await eventually(async () => answers(`${hubUrl}/healthz`), 30_000);
      expect(second.out.stderr).toContain(`reusing the simulators already running (pid ${pid}), with their state`);
      expect((await fetch(reservation)).status).toBe(200);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(await answers(`http://127.0.0.1:${p.warehouse}/stock`)).toBe(false);
      pid = undefined;
    } finally {
      // A failed run leaves nothing behind.
      for (const h of hubs) if (h.child.exitCode === null && h.child.signalCode === null) h.child.kill('SIGTERM');
      if (pid !== undefined && pid !== hubs[0]?.child.pid) process.kill(pid, 'SIGTERM');
    }
  }, 90_000);
});
