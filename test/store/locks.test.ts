import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import type { Locks } from '../../src/store/locks';
import { PgLocks } from '../../src/store/postgres/pg-locks';
import { FileLocks } from '../../src/store/sqlite/file-locks';
import { testDatabase, type TestDatabase } from '../helpers/postgres';
import { freePort } from '../reliability/hub-process';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '..', '..');

/** What a backend needs for the shared tests: two independent holders (two hubs) and a child process holding a lock. */
interface Backend {
  holder(): Locks;
  /** Module and constructor argument for a holder in a child process. */
  child: { module: string; exportName: string; arg: string; pool: boolean };
}

let db: TestDatabase;
let dataDir: string;
const pools: Pool[] = [];
const holders: Locks[] = [];

function pool(url = db.url): Pool {
  const p = new Pool({ connectionString: url, max: 3 });
  p.on('error', () => {}); // a terminated idle connection: the next query reports it
  pools.push(p);
  return p;
}

beforeAll(async () => {
  db = await testDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'subhub-locks-'));
});

afterAll(async () => {
  await Promise.all(holders.map((h) => h.close()));
  await Promise.all(pools.map((p) => p.end().catch(() => {})));
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const BACKENDS: Record<string, () => Backend> = {
  postgres: () => ({
    holder: () => track(new PgLocks(pool())),
    child: { module: 'src/store/postgres/pg-locks.ts', exportName: 'PgLocks', arg: db.url, pool: true },
  }),
  file: () => ({
    holder: () => track(new FileLocks(dataDir)),
    child: { module: 'src/store/sqlite/file-locks.ts', exportName: 'FileLocks', arg: dataDir, pool: false },
  }),
};

function track<T extends Locks>(locks: T): T {
  holders.push(locks);
  return locks;
}

/** A promise and its resolver: `fn` holds the lock until the test opens the gate. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/**
 * A node process that takes `name` with the real implementation (the TypeScript source, transpiled
 * on load) and holds it until killed. Resolves once it printed what `tryRun` did first.
 */
async function childHolding(b: Backend, name: string): Promise<{ child: ChildProcessWithoutNullStreams; first: string }> {
  const script = `
    const ts = require('typescript');
    const { readFileSync } = require('node:fs');
    require.extensions['.ts'] = (m, file) => m._compile(ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText, file);
    const [modulePath, exportName, arg, usePool, name] = process.argv.slice(1);
    const Impl = require(modulePath)[exportName];
    const locks = new Impl(usePool === 'true' ? new (require('pg').Pool)({ connectionString: arg }) : arg);
    setInterval(() => {}, 1 << 30);
    locks.tryRun(name, () => { process.stdout.write('held\\n'); return new Promise(() => {}); })
      .then((r) => process.stdout.write(JSON.stringify(r) + '\\n'), (e) => process.stdout.write('error ' + e.message + '\\n'));`;
  const { module, exportName, arg, pool: usePool } = b.child;
  const child = spawn(process.execPath, ['-e', script, join(ROOT, module), exportName, arg, String(usePool), name], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`lock child exited (${code}): ${err}`)));
  });
  return { child, first };
}

async function sigkill(child: ChildProcessWithoutNullStreams): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe.each(Object.keys(BACKENDS))('locks on %s', (kind) => {
  let b: Backend;
  beforeAll(() => {
    b = BACKENDS[kind]();
  });

  it('runs fn for one of two contending holders; the other gets ran: false at once', async () => {
    const [hubA, hubB] = [b.holder(), b.holder()];
    const g = gate();
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const first = hubA.tryRun('nightly', async () => {
      entered();
      await g.wait;
      return 'A did it';
    });
    await inside;
    let bRan = false;
    expect(
      await hubB.tryRun('nightly', async () => {
        bRan = true;
      }),
    ).toEqual({ ran: false });
    expect(bRan).toBe(false);
    // Another name is another lock.
    expect(await hubB.tryRun('reconcile', async () => 'other')).toEqual({ ran: true, value: 'other' });
    g.open();
    expect(await first).toEqual({ ran: true, value: 'A did it' });
    // Released: B takes it now.
    expect(await hubB.tryRun('nightly', async () => 'B now')).toEqual({ ran: true, value: 'B now' });
  });

  it('releases the lock when fn throws (and passes the error on)', async () => {
    const [hubA, hubB] = [b.holder(), b.holder()];
    const boom = new Error('nightly job failed');
    await expect(
      hubA.tryRun('after-throw', async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await hubB.tryRun('after-throw', async () => 1)).toEqual({ ran: true, value: 1 });
    expect(await hubA.tryRun('after-throw', async () => 2)).toEqual({ ran: true, value: 2 });
  });

  it('close() waits for running fns and then refuses new calls', async () => {
    const hub = b.holder();
    const g = gate();
    let done = false;
    const running = hub.tryRun('closing', async () => {
      await g.wait;
      done = true;
    });
    const closed = hub.close();
    await expect(hub.tryRun('other', async () => 1)).rejects.toThrow(/closed/);
    g.open();
    await closed;
    expect(done).toBe(true);
    await expect(running).resolves.toEqual({ ran: true, value: undefined });
  });

  it('frees the lock when the holding process is SIGKILLed', async () => {
    const { child, first } = await childHolding(b, 'killed-holder');
    try {
      expect(first).toBe('held');
      const hub = b.holder();
      expect(await hub.tryRun('killed-holder', async () => 'too early')).toEqual({ ran: false });
      await sigkill(child);
      if (kind === 'file') {
        // The kernel drops a dead process's file locks before its parent sees it exit.
        expect(await hub.tryRun('killed-holder', async () => 'taken over')).toEqual({ ran: true, value: 'taken over' });
      } else {
        // The server ends the session when it reads the closed socket: soon, not at once.
        const deadline = Date.now() + 15_000;
        let r = await hub.tryRun('killed-holder', async () => 'taken over');
        while (!r.ran && Date.now() < deadline) {
          await new Promise((res) => setTimeout(res, 50));
          r = await hub.tryRun('killed-holder', async () => 'taken over');
        }
        expect(r).toEqual({ ran: true, value: 'taken over' });
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) await sigkill(child);
    }
  });
});

describe('PgLocks specifics', () => {
  it('aborts the signal when the holding session ends, and the lock is free for others', async () => {
    const hubA = track(new PgLocks(pool()));
    const hubB = track(new PgLocks(pool()));
    const admin = pool();
    let aborted: unknown;
    const first = hubA.tryRun('lost', async (signal) => {
      // The session that holds the lock is terminated from outside (as by a server restart).
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      expect(rows).toHaveLength(1);
      const abortedNow = once(signal, 'abort');
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      await abortedNow;
      aborted = signal.reason;
      return await hubB.tryRun('lost', async () => 'B took it');
    });
    expect(await first).toEqual({ ran: true, value: { ran: true, value: 'B took it' } });
    expect(aborted).toBeInstanceOf(Error);
    expect(await hubA.tryRun('lost', async () => 'A again')).toEqual({ ran: true, value: 'A again' });
  });

  it('rejects with STORE_UNAVAILABLE when the database cannot be reached', async () => {
    const url = `postgres://postgres@127.0.0.1:${await freePort()}/none`;
    const locks = track(new PgLocks(pool(url)));
    await expect(locks.tryRun('x', async () => 1)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
