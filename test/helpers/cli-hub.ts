import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { STRIPE_SECRET } from './test-hub';
import { tempFiles } from './temp-files';

const ROOT = join(__dirname, '..', '..');

/** `subhub start --config <path>`: the arguments after `node` that start the real CLI hub. */
export const subhubStartArgs = (configPath: string): string[] => [join(ROOT, 'bin', 'subhub.js'), 'start', '--config', configPath];

/**
 * A `connectors` block for a test hub.json (CLI or startTestHub's `config`): `stripe` (secret from STRIPE_WEBHOOK_SECRET,
 * subscription-created events mapped by the shipped mapping) and an HTTP `target` whose `notify`
 * action POSTs to `path` at `targetUrl`, with the given delivery settings.
 */
export function stripeToTargetConnectors(targetUrl: string, delivery: Record<string, unknown>, path = '/events') {
  return {
    stripe: {
      type: 'stripe',
      webhook: { secrets: [{ env: 'STRIPE_WEBHOOK_SECRET' }] },
      inbound: { mappings: { 'customer.subscription.created': 'stripe.customer-subscription.to.hub-event' } },
    },
    target: {
      type: 'http',
      options: { baseUrl: targetUrl, allowHosts: ['127.0.0.1'], actions: { notify: { method: 'POST', path } } },
      delivery,
    },
  };
}

/**
 * A hub.json in a temp folder like startTestHub's (shipped Stripe mappings, a `test.payload`
 * outbound mapping, an HTTP `target` connector, one route of subscription events), for the real
 * CLI. `overrides` replace top-level keys; `mappings` adds outbound mappings (name → mapping)
 * next to `test.payload`. Returns the config path and the SQLite file the hub will write.
 */
export function writeCliHubConfig(
  targetUrl: string,
  overrides: Record<string, unknown> = {},
  mappings: Record<string, object> = {},
): { configPath: string; dbFile: string; dir: string } {
  const dir = tempFiles({
    'mappings/test.payload.json': {
      output: { eventId: { $path: 'id', required: true }, type: { $path: 'type' }, sourceEventId: { $path: 'source.eventId' } },
    },
    ...Object.fromEntries(Object.entries(mappings).map(([name, m]) => [`mappings/${name}.json`, m])),
  });
  const config = {
    server: { host: '127.0.0.1', port: 0 },
    storage: { dataDir: join(dir, 'data') },
    log: { level: 'error' },
    mappings: { paths: [join(ROOT, 'mappings'), join(dir, 'mappings')] },
    connectors: stripeToTargetConnectors(targetUrl, {
      timeoutMs: 10_000,
      ratePerSec: 10_000,
      burst: 10_000,
      circuitFailureThreshold: 1000,
    }),
    routes: [{ name: 'to-target', on: ['subscription.*'], to: 'target', action: 'notify', mapping: 'test.payload' }],
    retry: { initialDelayMs: 10, multiplier: 2, maxDelayMs: 100, jitter: 0, maxAttempts: 4, maxAgeMs: 60_000 },
    pipeline: { pollMs: 10, leaseMs: 30_000 },
    ...overrides,
  };
  const files = tempFiles({ 'hub.json': config });
  return { configPath: join(files, 'hub.json'), dbFile: join(dir, 'data', 'subhub.db'), dir };
}

export interface CliHub {
  url: string;
  child: ChildProcessByStdio<null, Readable, Readable>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string | null>;
}

/**
 * `node bin/subhub.js start --config <path>` with PORT=0; resolves once "listening on URL" is
 * on stderr (the URL is parsed from it). The caller kills the child if the test fails early.
 */
export async function spawnCliHub(configPath: string, env: Record<string, string | undefined> = {}): Promise<CliHub> {
  const child = spawn(process.execPath, subhubStartArgs(configPath), {
    cwd: ROOT,
    env: { ...process.env, SUBHUB_ADMIN_TOKEN: undefined, STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`subhub exited early with ${String(code)}: ${err}`)));
  });
  return { url, child, stdout: () => out, stderr: () => err, exited };
}

/** Kills a CLI hub still running (after a test that failed early) and waits for its exit. */
export async function killCliHub(cli: CliHub | undefined): Promise<void> {
  if (!cli || cli.child.exitCode !== null || cli.child.signalCode !== null) return;
  cli.child.kill('SIGKILL');
  await cli.exited;
}

/** Runs `node bin/subhub.js <args>` to its end: exit code and output. */
export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'subhub.js'), ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
