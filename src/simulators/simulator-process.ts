import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { HubConfig } from '../config/config.types';
import type { SimulatorIdentity } from '../sdk';
import { assertPortFree, simulatorTargets, startSimulators, type RunningSimulators, type SimulatorTarget } from './start-simulators';

/**
 * The simulators of `subhub start --with-simulators` run in a process of their own, so a hub
 * that dies (`kill -9`) or restarts does not wipe what they hold: the warehouse keeps its
 * reservations, Stripe its subscriptions, and the hub and they still agree afterwards. The hub
 * starts that process detached (its own session: a kill of the hub, or of its process group by
 * a terminal, does not reach it) and stops it on SIGTERM/Ctrl-C. A restarted hub finds the
 * simulators already on its ports by `GET /_sim/identity` and reuses them, state included,
 * instead of failing on "port in use". `<dataDir>/simulators.json` records the process (pid,
 * URLs); its output goes to `<dataDir>/simulators.log`.
 */
export interface SimulatorProcessOptions {
  /** The config file the simulator process loads (the hub's own). */
  configPath: string;
  /** The hub's data folder: simulators.json and simulators.log live there. */
  dataDir: string;
  /** The env of the simulator process (the hub's, with simulator credentials and dev secrets filled in). */
  env: NodeJS.ProcessEnv;
  /** Where the Stripe simulator sends its webhooks. */
  hubUrl?: string;
  /** How long to wait for a new simulator process to be ready (default 30 s). */
  readyTimeoutMs?: number;
}

export interface SimulatorProcess extends RunningSimulators {
  /** The process the simulators run in. */
  readonly pid: number;
  /** They were running already (a restarted hub): reused, with their state. */
  readonly reused: boolean;
}

interface ReadyRecord {
  pid: number;
  urls: Record<string, string>;
}

export const SIMULATORS_FILE = 'simulators.json';
export const SIMULATORS_LOG = 'simulators.log';

/**
 * Reuses the simulators already answering on the config's ports, or starts a simulator process.
 * Throws an Error saying what to do when some ports answer as the expected simulators and others
 * do not, or a port is taken by something else.
 */
export async function ensureSimulatorProcess(
  config: Pick<HubConfig, 'connectors' | 'mappings'>,
  o: SimulatorProcessOptions,
): Promise<SimulatorProcess | undefined> {
  const targets = simulatorTargets(config);
  if (targets.length === 0) return undefined;
  const unique = targets.filter((t, i) => t.port === 0 || targets.findIndex((u) => u.port === t.port) === i);
  const found = await Promise.all(unique.map(async (t) => (t.port === 0 ? undefined : identify(t.port))));
  const matching = unique.filter((t, i) => found[i]?.simulator === t.kind);
  if (matching.length > 0) {
    if (matching.length < unique.length) {
      const missing = unique.filter((t) => !matching.includes(t)).map((t) => `${t.connector} (${t.port})`);
      throw new Error(
        `simulators answer on some ports but not on ${missing.join(', ')}: stop the running ones (pid ${[...new Set(found.filter(Boolean).map((f) => f!.pid))].join(', ')}) and start again`,
      );
    }
    return reuse(targets, found as SimulatorIdentity[], o.dataDir);
  }
  for (const t of unique) await assertPortFree(t);
  return spawnProcess(o);
}

/** The simulators that answer already: the hub stops them on exit only if they are the process it recorded. */
function reuse(targets: SimulatorTarget[], identities: SimulatorIdentity[], dataDir: string): SimulatorProcess {
  const pid = identities[0]!.pid;
  const ours = readRecord(dataDir)?.pid === pid && identities.every((i) => i.pid === pid);
  const urls = Object.fromEntries(targets.map((t) => [t.connector, `http://127.0.0.1:${t.port}`]));
  return { pid, reused: true, urls, close: ours ? () => stopProcess(pid, dataDir) : async () => undefined };
}

async function spawnProcess(o: SimulatorProcessOptions): Promise<SimulatorProcess> {
  const dataDir = resolve(o.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, SIMULATORS_FILE);
  rmSync(file, { force: true });
  const log = openSync(join(dataDir, SIMULATORS_LOG), 'a', 0o600);
  const args = [
    binPath(),
    'simulators',
    '--config',
    resolve(o.configPath),
    '--ready-file',
    file,
    ...(o.hubUrl ? ['--hub-url', o.hubUrl] : []),
  ];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env: o.env });
  closeSync(log);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start the simulator process (${process.execPath} ${args[0]})`);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited ${code ?? signal}`));
  const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
  for (;;) {
    const ready = readRecord(dataDir);
    if (ready?.pid === pid) return { pid, reused: false, urls: ready.urls, close: () => stopProcess(pid, dataDir) };
    if (exited || Date.now() > deadline) {
      if (!exited) process.kill(pid, 'SIGTERM');
      throw new Error(`the simulator process ${exited ?? 'was not ready in time'}: ${tail(join(dataDir, SIMULATORS_LOG))}`);
    }
    await new Promise((r) => setTimeout(r, 50)); // polling the ready file the child writes
  }
}

/**
 * The simulator process itself (`subhub simulators`, started by the hub): runs the simulators of
 * the config, writes the ready file once they listen, and closes them on SIGTERM/SIGINT.
 */
export async function runSimulatorProcess(
  config: Pick<HubConfig, 'connectors' | 'mappings'>,
  readyFile: string,
  hubUrl: string | undefined,
): Promise<void> {
  const sims = await startSimulators(config, { env: process.env, hubUrl });
  const tmp = `${readyFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, urls: sims.urls } satisfies ReadyRecord), { mode: 0o600 });
  renameSync(tmp, readyFile);
  await new Promise<void>((done) => {
    const stop = () =>
      void sims.close().then(() => {
        if (readRecord(dirname(readyFile))?.pid === process.pid) rmSync(readyFile, { force: true });
        done();
      });
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

/** What answers `GET /_sim/identity` on 127.0.0.1:port, if anything does. */
export async function identify(port: number): Promise<SimulatorIdentity | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/_sim/identity`, { signal: AbortSignal.timeout(2000) });
    if (!r.ok) return undefined;
    const body = (await r.json()) as Partial<SimulatorIdentity>;
    return typeof body.simulator === 'string' && typeof body.pid === 'number' ? (body as SimulatorIdentity) : undefined;
  } catch {
    return undefined;
  }
}

/** Stops the simulator process and waits until it is gone. */
async function stopProcess(pid: number, dataDir: string): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // gone already
  }
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  if (readRecord(dataDir)?.pid === pid) rmSync(join(resolve(dataDir), SIMULATORS_FILE), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readRecord(dataDir: string): ReadyRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(resolve(dataDir), SIMULATORS_FILE), 'utf8')) as ReadyRecord;
    return typeof r.pid === 'number' && r.urls && typeof r.urls === 'object' ? r : undefined;
  } catch {
    return undefined;
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ') || '(no output)';
  } catch {
    return '(no output)';
  }
}

/** bin/subhub.js of this installation (the simulator process runs the compiled CLI). */
function binPath(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const bin = join(dir, 'bin', 'subhub.js');
    if (existsSync(bin)) return bin;
  }
  throw new Error('bin/subhub.js not found above ' + __dirname);
}
