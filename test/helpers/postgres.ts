import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../reliability/hub-process';

/**
 * Real PostgreSQL for tests, no mocks. Two ways in:
 *
 * - `startPostgres()`: a private cluster (its own initdb'd data folder, server and port) for tests
 *   that stop, restart or kill the server. ~1–2 s; `stop()` removes it.
 * - `testDatabase()`: a fresh database on the cluster this jest worker shares (started on first
 *   use, then reused by every later test file of the same worker process): a contract suite pays
 *   the cluster start once per worker, and each file still gets its own empty database.
 *
 * `SUBHUB_PG_URL=postgres://user@host:port/db` points both at an existing server instead: each
 * call creates a database with a random name there and drops it on stop (restart and kill are not
 * available; `server.private` is false). `SUBHUB_PG_BIN` names the folder of initdb/pg_ctl
 * (default: the newest /usr/lib/postgresql/<n>/bin, else PATH).
 *
 * Run as root (CI), the cluster belongs to the `postgres` user (the server refuses root): the data
 * folder is chowned to it and initdb/pg_ctl run through `runuser`. Every cluster has a watchdog
 * process that stops it and removes its folder when the process that started it dies (a crashed or
 * force-exited jest worker leaves no server behind).
 */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/<database>`: a fresh database, owned by the test. */
  url: string;
  /** False with SUBHUB_PG_URL: restart and kill then reject. */
  private: boolean;
  /** Stops the server (immediate shutdown: its data is thrown away) and removes its folder; with SUBHUB_PG_URL drops the database. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and data (after `kill()`: with crash recovery); stops it first if running. */
  restart(): Promise<void>;
  /** Stops the server (fast shutdown: sessions ended, data kept) and resolves once it is down; `restart()` starts it again. */
  halt(): Promise<void>;
  /** SIGKILLs the postmaster and every backend at once (a crash); resolves when they are gone. */
  kill(): Promise<void>;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

const run = promisify(execFile);
const ADMIN_DB = 'postgres';
const READY_TIMEOUT_MS = 30_000;
const asRoot = process.getuid?.() === 0;

/** initdb and pg_ctl: SUBHUB_PG_BIN, else the newest Debian install, else whatever PATH has. */
export function postgresBin(tool: 'initdb' | 'pg_ctl'): string {
  if (process.env.SUBHUB_PG_BIN) return join(process.env.SUBHUB_PG_BIN, tool);
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', tool)))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length) return join(root, versions[0]!, 'bin', tool);
  const onPath = (process.env.PATH ?? '').split(delimiter).find((dir) => dir && existsSync(join(dir, tool)));
  if (onPath) return join(onPath, tool);
  throw new Error(
    `PostgreSQL's server binaries (${tool}) are not installed: the PostgreSQL tests start their own private servers. ` +
      'Install them (Debian/Ubuntu: apt-get install postgresql; no server needs to run), set SUBHUB_PG_BIN to their folder, ' +
      'or SUBHUB_PG_URL to a server where the tests may create databases.',
  );
}

/** Runs a PostgreSQL tool, as the `postgres` user when we are root. */
async function pgTool(tool: 'initdb' | 'pg_ctl', args: string[]): Promise<string> {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', postgresBin(tool), ...args]] : [postgresBin(tool), args];
  try {
    return (await run(file, argv, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (e) {
    const x = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${tool} ${args[0] ?? ''} failed: ${x.message}\n${x.stdout ?? ''}${x.stderr ?? ''}`);
  }
}

/** Connects to `url`, retrying while the server is not up yet, for at most `timeoutMs`. */
export async function waitForPostgres(url: string, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (e) {
      if (Date.now() > deadline)
        throw new Error(`PostgreSQL at ${redact(url)} did not accept connections in ${timeoutMs} ms: ${String(e)}`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** Creates a database with a random name on the server of `url` (a superuser or CREATEDB role) and returns its URL. */
export async function createTestDatabase(url: string): Promise<string> {
  const name = `subhub_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(url, `CREATE DATABASE ${name}`);
  return withDatabase(url, name);
}

/** Drops the database of `url` (a URL from createTestDatabase), disconnecting whoever is still connected. */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^subhub_test_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}: not a test database`);
  await adminQuery(withDatabase(url, ADMIN_DB), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/** A private cluster: data folder, server on a free loopback port, URL of its `postgres` database. */
class Cluster {
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get data(): string {
    return join(this.dir, 'data');
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${ADMIN_DB}`;
  }

  /** `extra`: files the watchdog removes with the cluster. */
  static async create(extra: string[] = []): Promise<Cluster> {
    const dir = mkdtempSync(join(tmpdir(), 'subhub-pg-'));
    if (asRoot) {
      const { uid, gid } = postgresUser();
      chownSync(dir, uid, gid);
    }
    // --no-sync: initdb does not flush the new cluster's files (seconds on a busy disk); they are lost
    // only if the machine crashes, which ends the test anyway. The server itself runs with fsync on.
    try {
      await pgTool('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    // A port taken between freePort() and the server's bind: try another one.
    for (let attempt = 1; ; attempt++) {
      const cluster = new Cluster(dir, await freePort());
      try {
        await cluster.start();
        watch(process.pid, dir, cluster.data, extra);
        return cluster;
      } catch (e) {
        if (attempt >= 3) {
          rmSync(dir, { recursive: true, force: true });
          throw e;
        }
      }
    }
  }

  async start(): Promise<void> {
    const options = [
      '-c listen_addresses=127.0.0.1',
      `-c port=${this.port}`,
      `-k ${this.dir}`,
      '-c max_connections=200',
      '-c shared_buffers=128MB',
      '-c fsync=on',
      '-c synchronous_commit=on',
    ].join(' ');
    const log = join(this.dir, 'postgres.log');
    try {
      await pgTool('pg_ctl', ['start', '-D', this.data, '-l', log, '-w', '-t', '60', '-o', options]);
    } catch (e) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '';
      throw new Error(`${(e as Error).message}\n${tail}`);
    }
    await waitForPostgres(this.adminUrl);
  }

  /** `immediate` skips the shutdown checkpoint: for a cluster about to be removed. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (this.postmasterPid() !== undefined) await pgTool('pg_ctl', ['stop', '-D', this.data, '-m', mode, '-w', '-t', '60']);
  }

  async kill(): Promise<void> {
    const pid = this.postmasterPid();
    if (pid === undefined) return;
    // Backends run in their own sessions (PostgreSQL calls setsid in each child): find them by parent.
    const all = [pid, ...childrenOf(pid)];
    for (const p of all) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + 10_000;
    while (all.some(alive)) {
      if (Date.now() > deadline) throw new Error(`postgres processes ${all.filter(alive).join(', ')} survived SIGKILL`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // A killed postmaster may stay a zombie (nothing reaps it in a container), and PostgreSQL takes
    // a pid that still answers kill(0) for a running server: its lock files go, as after a reboot.
    for (const file of [join(this.data, 'postmaster.pid'), join(this.dir, `.s.PGSQL.${this.port}.lock`)]) rmSync(file, { force: true });
  }

  /** The running postmaster's pid, from postmaster.pid (undefined: not running, or left by a killed one). */
  postmasterPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The `postgres` system user (Debian's package creates it), who owns clusters started as root. */
function postgresUser(): { uid: number; gid: number } {
  const m = readFileSync('/etc/passwd', 'utf8').match(/^postgres:[^:]*:(\d+):(\d+):/m);
  if (!m) throw new Error('running as root needs the postgres user (apt-get install postgresql)');
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

/** Running and not a zombie (a reparented postmaster may wait for a reaper that never comes in a container). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * A detached watchdog: once `owner` has exited, stops the cluster (immediate shutdown) and removes
 * its folder and `extra` files; exits by itself when the folder is gone (the test stopped the
 * cluster). It checks twice a second: this is cleanup after a crash, not synchronisation.
 */
function watch(owner: number, dir: string, data: string, extra: string[] = []): void {
  const pgCtl = asRoot ? ['runuser', '-u', 'postgres', '--', postgresBin('pg_ctl')] : [postgresBin('pg_ctl')];
  const script = `
    const { execFileSync } = require('node:child_process');
    const { existsSync, rmSync } = require('node:fs');
    const [owner, dir, data, pgCtl, extra] = [Number(process.argv[1]), process.argv[2], process.argv[3], ...process.argv.slice(4).map((a) => JSON.parse(a))];
    const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
    const done = () => { for (const f of extra) rmSync(f, { force: true }); process.exit(0); };
    setInterval(() => {
      if (!existsSync(dir)) done();
      if (alive(owner)) return;
      try { execFileSync(pgCtl[0], [...pgCtl.slice(1), 'stop', '-D', data, '-m', 'immediate', '-w'], { stdio: 'ignore' }); } catch {}
      rmSync(dir, { recursive: true, force: true });
      done();
    }, 500);`;
  const args = ['-e', script, String(owner), dir, data, JSON.stringify(pgCtl), JSON.stringify(extra)];
  spawn(process.execPath, args, { detached: true, stdio: 'ignore' }).unref();
}

/** A private cluster (or, with SUBHUB_PG_URL, a fresh database on that server). */
export async function startPostgres(): Promise<PostgresServer> {
  const external = process.env.SUBHUB_PG_URL;
  if (external) {
    const url = await createTestDatabase(external);
    const unsupported = async () => {
      throw new Error('restart and kill need a private cluster: unset SUBHUB_PG_URL');
    };
    return { url, private: false, stop: () => dropTestDatabase(url), restart: unsupported, halt: unsupported, kill: unsupported };
  }
  const cluster = await Cluster.create();
  const url = await createTestDatabase(cluster.adminUrl);
  return {
    url,
    private: true,
    stop: async () => {
      try {
        await cluster.stop('immediate');
      } finally {
        cluster.remove();
      }
    },
    restart: async () => {
      await cluster.stop();
      await cluster.start();
    },
    halt: () => cluster.stop(),
    kill: () => cluster.kill(),
  };
}

let shared: Promise<string> | undefined;

/**
 * The admin URL of this jest worker's shared cluster (SUBHUB_PG_URL when set). Jest gives every
 * test file a fresh module registry, so the cluster is found again through a file named after the
 * worker's pid; the watchdog stops it when the worker exits.
 */
function sharedCluster(): Promise<string> {
  shared ??= (async () => {
    if (process.env.SUBHUB_PG_URL) return process.env.SUBHUB_PG_URL;
    const marker = join(tmpdir(), `subhub-pg-worker-${process.pid}.json`);
    try {
      const { url, dir } = JSON.parse(readFileSync(marker, 'utf8')) as { url: string; dir: string };
      if (existsSync(dir)) {
        await waitForPostgres(url, 2000);
        return url;
      }
    } catch {
      // no cluster yet, or it is gone: start one
    }
    const cluster = await Cluster.create([marker]);
    writeFileSync(marker, JSON.stringify({ url: cluster.adminUrl, dir: cluster.dir }));
    return cluster.adminUrl;
  })();
  shared.catch(() => (shared = undefined));
  return shared;
}

/** A fresh, empty database on the worker's shared cluster; `drop()` removes it. */
export async function testDatabase(): Promise<TestDatabase> {
  const url = await createTestDatabase(await sharedCluster());
  return { url, drop: () => dropTestDatabase(url) };
}
