import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { main } from '../../src/cli/main';
import type { HubConfig } from '../../src/config/config.types';
import { startSimulators } from '../../src/simulators/start-simulators';
import { captureIO } from '../helpers/capture-io';
import { tempFiles } from '../helpers/temp-files';

const ROOT = join(__dirname, '..', '..');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The shipped config with every simulator on a free loopback port and a temp data folder, as `npm start` would run it. */
async function shippedOnFreePorts(): Promise<{ config: HubConfig; path: string }> {
  const config = JSON.parse(readFileSync(join(ROOT, 'config', 'hub.json'), 'utf8')) as HubConfig;
  const c = config.connectors as Record<string, { options: Record<string, unknown> }>;
  (c.stripe!.options.api as { port: number }).port = await freePort();
  c.shopify!.options.endpoint = `http://127.0.0.1:${await freePort()}`;
  for (const id of ['odoo', 'warehouse', 'mailer']) c[id]!.options.baseUrl = `http://127.0.0.1:${await freePort()}`;
  config.mappings = { paths: [join(ROOT, 'mappings')] };
  const dir = tempFiles({});
  config.storage = { kind: 'sqlite', dataDir: join(dir, 'data') };
  config.server = { host: '127.0.0.1', port: 0 };
  const files = tempFiles({ 'hub.json': config });
  return { config, path: join(files, 'hub.json') };
}

describe('subhub reconcile next to npm start', () => {
  it('uses the simulators\' credentials for unset variables when the config points at local simulators', async () => {
    const { config, path } = await shippedOnFreePorts();
    // What `npm start` runs: simulators that accept their own default credentials (none set).
    const sims = await startSimulators(config, { env: {} });
    try {
      const io = captureIO();
      const code = await main(['reconcile', '--dry-run', '--config', path], io);
      expect(io.stderr()).not.toContain('[RECONCILE_');
      expect(io.stderr()).not.toContain('CONFIG_');
      expect(code).toBe(0);
      expect(io.stderr()).toContain("using the simulators' credentials for STRIPE_API_KEY, SHOPIFY_ADMIN_TOKEN, ODOO_API_KEY");
    } finally {
      await sims.close();
    }
  });
});

describe('subhub demo --keep', () => {
  it('switches the admin API on and prints a working URL and token', async () => {
    const dataDir = join(tempFiles({}), 'demo');
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'subhub.js'), 'demo', '--keep', '--data-dir', dataDir], { cwd: ROOT, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (l) => {
          if (l.includes('/admin/api/')) resolve(l);
        });
        child.once('exit', (code) => reject(new Error(`demo exited ${code} before printing the admin API`)));
      });
      const [, token, url] = /Authorization: Bearer ([\w-]+)' (http:\/\/127\.0\.0\.1:\d+\/admin\/api\/\S+)/.exec(line) ?? [];
      expect(token).toBeDefined();
      const res = await fetch(url!, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { decisions: unknown[] }).decisions.length).toBeGreaterThan(0);
      expect((await fetch(url!)).status).toBe(401);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
