import { spawn, spawnSync } from 'node:child_process';
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
  c.mollie!.options.apiEndpoint = `http://127.0.0.1:${await freePort()}/v2/`;
  for (const id of ['odoo', 'warehouse', 'mailer']) c[id]!.options.baseUrl = `http://127.0.0.1:${await freePort()}`;
  config.mappings = { paths: [join(ROOT, 'mappings')] };
  const dir = tempFiles({});
  config.storage = { kind: 'sqlite', dataDir: join(dir, 'data') };
  config.server = { host: '127.0.0.1', port: 0 };
  const files = tempFiles({ 'hub.json': config });
  return { config, path: join(files, 'hub.json') };
}

describe('subhub reconcile next to npm start', () => {
  it("uses the simulators' credentials for unset variables when the config points at local simulators", async () => {
    const { config, path } = await shippedOnFreePorts();
    // What `npm start` runs: simulators that accept their own default credentials (none set).
    const sims = await startSimulators(config, { env: {} });
    try {
      const io = captureIO();
      const code = await main(['reconcile', '--dry-run', '--config', path], io);
      expect(io.stderr()).not.toContain('[RECONCILE_');
      expect(io.stderr()).not.toContain('CONFIG_');
      expect(code).toBe(0);
      expect(io.stderr()).toContain(
        "using the simulators' credentials for STRIPE_API_KEY, MOLLIE_API_KEY, SHOPIFY_ADMIN_TOKEN, ODOO_API_KEY",
      );
    } finally {
      await sims.close();
    }
  }, 30_000);
});

describe('subhub demo --keep', () => {
  let child: ReturnType<typeof spawn> | undefined;
  // Stops the demo even when the test fails or times out (it runs until SIGINT).
  afterEach(() => void child?.kill('SIGINT'));

  it('switches the admin API on and prints a working URL and token', async () => {
    const dataDir = join(tempFiles({}), 'demo');
    child = spawn(process.execPath, [join(ROOT, 'bin', 'subhub.js'), 'demo', '--keep', '--data-dir', dataDir], {
      cwd: ROOT,
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const demo = child;
    const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: demo.stdout! }).on('line', (l) => {
          if (l.includes('/admin/api/')) resolve(l);
        });
        demo.once('exit', (code) => reject(new Error(`demo exited ${code} before printing the admin API`)));
      });
      const [, token, url] = /Authorization: Bearer ([\w-]+)' (http:\/\/127\.0\.0\.1:\d+\/admin\/api\/\S+)/.exec(line) ?? [];
      expect(token).toBeDefined();
      const res = await fetch(url!, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { decisions: unknown[] }).decisions.length).toBeGreaterThan(0);
      expect((await fetch(url!)).status).toBe(401);
    } finally {
      demo.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});

describe('subhub map: the README example and a missing input file', () => {
  const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const examples = [...README.matchAll(/^\$ npx subhub map (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const);

  it('every `subhub map` example of the README runs', async () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const [mapping, input] of examples) {
      const io = { ...captureIO(), cwd: ROOT };
      expect({ example: `${mapping} ${input}`, code: await main(['map', mapping, input], io), err: io.stderr() }).toEqual({
        example: `${mapping} ${input}`,
        code: 0,
        err: '',
      });
    }
  });

  it('a missing input file is FILE_READ naming the file and why', async () => {
    const io = captureIO();
    expect(await main(['map', 'mappings/stripe.invoice-paid.to.hub-event.json', 'mappings/fixtures/no-such-fixture.json'], io)).toBe(1);
    expect(io.stderr().trim()).toBe(
      'mappings/fixtures/no-such-fixture.json: cannot read the input file: no such file (ENOENT); hint: give a JSON file, or - to read stdin; example inputs are in mappings/fixtures/ [FILE_READ]',
    );
  });

  it('a missing mapping file is FILE_READ too', async () => {
    const io = captureIO();
    expect(await main(['map', 'mappings/no-such-mapping.json', 'mappings/fixtures/stripe-invoice-paid-cycle.json'], io)).toBe(1);
    expect(io.stderr()).toMatch(/^mappings\/no-such-mapping\.json: cannot read the mapping file: no such file \(ENOENT\).*\[FILE_READ\]$/m);
  });
});

describe('subhub simulate on a busy port', () => {
  it('says so in one line and exits 1, without a stack trace', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'subhub.js'), 'simulate', 'stripe', '--port', String(port)], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(new RegExp(`^subhub simulate: port ${port} is in use .*\\[PORT_IN_USE\\]$`)),
      ]);
    } finally {
      busy.close();
    }
  }, 30_000);
});

describe('subhub validate: the kind of a file', () => {
  it('a config named hub-typo.json is checked as a config (told by its keys), and says so', async () => {
    const dir = tempFiles({ 'hub-typo.json': { server: { prot: 8080 } } });
    const io = captureIO();
    expect(await main(['validate', join(dir, 'hub-typo.json')], io)).toBe(1);
    expect(io.stdout()).toContain('unknown key "prot"');
    expect(io.stdout()).not.toContain('"output"');
    expect(io.stderr()).toContain(`${join(dir, 'hub-typo.json')}: checked as a config file, told by its keys`);
  });

  it('"$schema" decides whatever the name; a file that says nothing is guessed from its name, and says so', async () => {
    const dir = tempFiles({
      'renewals.json': { $schema: '../config/hub.schema.json', server: { port: 1 } },
      'hub.odd.json': { unknownThing: 1 },
    });
    const io = { ...captureIO(), cwd: ROOT };
    await main(['validate', '--format', 'json', dir], io);
    const report = JSON.parse(io.stdout()) as { kinds: Array<{ file: string; kind: string; by: string }> };
    expect(report.kinds).toEqual([
      { file: join(dir, 'hub.odd.json'), kind: 'config', by: 'name' },
      { file: join(dir, 'renewals.json'), kind: 'config', by: '$schema' },
    ]);
  });
});
