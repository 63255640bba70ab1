import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { main } from '../src/cli/main';
import { loadConfig } from '../src/config/load-config';
import type { HubConfig } from '../src/config/config.types';
import { captureIO } from './helpers/capture-io';
import { tempFiles } from './helpers/temp-files';
import { problems } from './helpers/rejected';

const ROOT = join(__dirname, '..');
const shipped = JSON.parse(readFileSync(join(ROOT, 'config', 'hub.json'), 'utf8')) as HubConfig;
const shippedRoutes = shipped.routes!.map((r) => r.name);

/** The shipped hub.json in a temp folder (mappings from the repository), with an optional local.json beside it. */
function withOverlay(local?: string | object, base: Record<string, unknown> = {}): { dir: string; hub: string; local: string } {
  const dir = tempFiles({
    'hub.json': { ...shipped, mappings: { paths: [join(ROOT, 'mappings')] }, storage: { kind: 'sqlite', dataDir: 'unused' }, ...base },
    ...(local === undefined ? {} : { 'local.json': local }),
  });
  return { dir, hub: join(dir, 'hub.json'), local: join(dir, 'local.json') };
}

const extraRoute = {
  name: 'renewal-mail',
  on: ['subscription.renewed'],
  to: 'mailer',
  action: 'send',
  mapping: 'hub.dunning.to.mail-message',
};

describe('config overlays: routes merge by name', () => {
  it('a route added in local.json joins the shipped routes instead of replacing them', () => {
    const { hub } = withOverlay({ routes: [extraRoute] });
    const { config } = loadConfig({ path: hub, env: {} });
    expect(config.routes!.map((r) => r.name)).toEqual([...shippedRoutes, 'renewal-mail']);
  });

  it('a route with a shipped name replaces that route whole, in its place', () => {
    const replaced = {
      name: 'dunning-cancel',
      on: ['dunning.stage_changed'],
      to: 'mailer',
      action: 'send',
      mapping: 'hub.dunning.to.mail-message',
      enabled: false,
    };
    const { hub } = withOverlay({ routes: [replaced] });
    const routes = loadConfig({ path: hub, env: {} }).config.routes!;
    expect(routes.map((r) => r.name)).toEqual(shippedRoutes);
    expect(routes[shippedRoutes.indexOf('dunning-cancel')]).toEqual(replaced);
  });

  it('"$remove" drops named routes; naming one that no layer below has is CONFIG_OVERLAY_INVALID at its line', () => {
    const ok = withOverlay({ $remove: { routes: ['dunning-cancel', 'stock-out-billing'] } });
    expect(loadConfig({ path: ok.hub, env: {} }).config.routes!.map((r) => r.name)).toEqual(
      shippedRoutes.filter((n) => n !== 'dunning-cancel' && n !== 'stock-out-billing'),
    );
    expect(loadConfig({ path: ok.hub, env: {} }).config).not.toHaveProperty('$remove');

    const typo = withOverlay('{\n  "$remove": {\n    "routes": ["dunning-cancle"]\n  }\n}\n');
    const [p] = problems(() => loadConfig({ path: typo.hub, env: {} }));
    expect(p!.code).toBe('CONFIG_OVERLAY_INVALID');
    expect(p!.location).toMatchObject({ file: typo.local, line: 3, pointer: '/$remove/routes/0' });
    expect(p!.hint).toContain('dunning-cancel');
  });

  it('"$remove" in the base file is refused (there is nothing below it)', () => {
    const { hub } = withOverlay(undefined, { $remove: { routes: ['dunning-cancel'] } });
    const [p] = problems(() => loadConfig({ path: hub, env: {} }));
    expect(p!.code).toBe('CONFIG_OVERLAY_INVALID');
    expect(p!.location.file).toBe(hub);
  });

  it('dunning stages merge by name too; other arrays still replace', () => {
    const stage = { name: 'REMINDER', when: { daysSinceEarliestUnpaid: 1 }, deliver: true };
    const { hub } = withOverlay({
      dunning: { policy: { stages: [stage] } },
      $remove: { dunningStages: ['SUSPENDED'] },
      mappings: { paths: [join(ROOT, 'mappings')] },
    });
    const { config } = loadConfig({ path: hub, env: {} });
    expect(config.dunning!.policy!.stages!.map((s) => s.name)).toEqual(['CANCELLATION', 'WARNING', 'REMINDER']);
    expect(config.mappings!.paths).toEqual([join(ROOT, 'mappings')]);
  });

  it('a broken route added by the overlay is reported in the overlay, at its own line', () => {
    const { hub, local } = withOverlay(`{\n  "routes": [\n    ${JSON.stringify({ ...extraRoute, to: 'mailr' })}\n  ]\n}\n`);
    const [p] = problems(() => loadConfig({ path: hub, env: {}, catalog: {} }));
    expect(p!.code).toBe('CONFIG_UNKNOWN_REF');
    expect(p!.location).toMatchObject({ file: local, line: 3 });
    expect(p!.hint).toBe('did you mean "mailer"?');
  });
});

describe('subhub validate: the effective config', () => {
  it('checks the local.json beside a config file (a broken reference there fails validate, as it fails start)', async () => {
    const { hub, local } = withOverlay({ routes: [{ ...extraRoute, mapping: 'hub.no-such-mapping' }] });
    const io = captureIO();
    expect(await main(['validate', hub], io)).toBe(1);
    expect(io.stdout()).toContain(`${local}:`);
    expect(io.stdout()).toContain('unknown mapping "hub.no-such-mapping"');
    expect(io.stdout()).toContain('[CONFIG_UNKNOWN_REF]');
  });

  it('applies environment overrides (a bad PORT fails validate, as it fails start)', async () => {
    const { hub } = withOverlay();
    const io = { ...captureIO(), env: { PORT: 'eighty' } };
    expect(await main(['validate', hub], io)).toBe(1);
    expect(io.stdout()).toContain('[CONFIG_ENV_INVALID]');
  });

  it('says which layers it merged and how many routes, mappings and connectors are active', async () => {
    const { hub, local } = withOverlay({ routes: [extraRoute], $remove: { routes: ['dunning-cancel'] } });
    const io = captureIO();
    expect(await main(['validate', hub], io)).toBe(0);
    expect(io.stderr()).toMatch(new RegExp(`${hub} \\+ ${local}: 15 routes, \\d+ mappings, 6 connectors active`));
  });

  it('--overlay checks any file as an overlay on the base config (-c)', async () => {
    const { hub } = withOverlay();
    const overlay = join(tempFiles({ 'staging.json': { $remove: { routes: ['no-such-route'] } } }), 'staging.json');
    const io = captureIO();
    expect(await main(['validate', '--overlay', overlay, '-c', hub], io)).toBe(1);
    expect(io.stdout()).toContain(`${overlay}:`);
    expect(io.stdout()).toContain('[CONFIG_OVERLAY_INVALID]');
    expect(io.stderr()).toContain('1 overlay');
  });

  it('a local.json given alone is checked as an overlay on the hub.json beside it', async () => {
    const { local } = withOverlay({ routes: [extraRoute] });
    const io = captureIO();
    expect(await main(['validate', local], io)).toBe(0);
    expect(io.stderr()).toMatch(/local\.json: 16 routes/);
  });
});

describe('subhub config print', () => {
  it('prints the merged config with secrets as references, never their values', async () => {
    const { hub, local } = withOverlay({ routes: [extraRoute] });
    const io = { ...captureIO(), env: { STRIPE_WEBHOOK_SECRET: 'whsec_do_not_print', STRIPE_API_KEY: 'sk_do_not_print', PORT: '9191' } };
    expect(await main(['config', 'print', '-c', hub], io)).toBe(0);
    const printed = JSON.parse(io.stdout()) as HubConfig;
    expect(printed.routes).toHaveLength(16);
    expect(printed.server!.port).toBe(9191);
    expect(printed.connectors!.stripe!.webhook!.secrets).toEqual([{ env: 'STRIPE_WEBHOOK_SECRET' }]);
    expect(io.stdout()).not.toContain('do_not_print');
    expect(io.stderr()).toContain(`${hub} + ${local} + env PORT`);
  });

  it('--no-local leaves the overlay out; an unknown action is bad usage', async () => {
    const { hub } = withOverlay({ routes: [extraRoute] });
    const io = captureIO();
    expect(await main(['config', 'print', '-c', hub, '--no-local'], io)).toBe(0);
    expect((JSON.parse(io.stdout()) as HubConfig).routes).toHaveLength(15);
    expect(await main(['config', 'show', '-c', hub], captureIO())).toBe(2);
  });
});

describe('start-up log', () => {
  it('says how many routes, mappings and connectors are active', async () => {
    const { hub, dir } = withOverlay({ $remove: { routes: ['dunning-cancel'] } }, { server: { host: '127.0.0.1', port: 0 } });
    const cfg = JSON.parse(readFileSync(hub, 'utf8')) as HubConfig;
    cfg.storage = { kind: 'sqlite', dataDir: join(dir, 'data') };
    writeFileSync(hub, JSON.stringify(cfg));
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'subhub.js'), 'start', '--config', hub], {
      cwd: ROOT,
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (l) => {
          if (l.includes('subhub started')) resolve(l);
        });
        child.once('exit', (code) => reject(new Error(`hub exited ${code}`)));
      });
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry.message).toMatch(/^subhub started: 14 routes, \d+ mappings, 6 connectors active$/);
      expect(entry).toMatchObject({ routes: 14, connectors: 6, config: [hub, join(dir, 'local.json')] });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 30_000);
});
