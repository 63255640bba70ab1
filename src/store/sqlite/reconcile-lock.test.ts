import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempFiles } from '../../../test/helpers/temp-files';
import { acquireReconcileLock } from './reconcile-lock';

const ROOT = join(__dirname, '..', '..', '..');

/** A child process that takes the lock (compiled code: `npm test` builds first) and waits. */
function holder(file: string) {
  const script = `const { acquireReconcileLock } = require(${JSON.stringify(join(ROOT, 'dist', 'src', 'store', 'sqlite', 'reconcile-lock.js'))}); acquireReconcileLock(${JSON.stringify(file)}); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const held = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, held, exited };
}

describe('the reconcile lock', () => {
  it('admits one holder at a time in a process, and the next once released', () => {
    const file = join(tempFiles({}), 'data', 'reconcile.lock');
    const release = acquireReconcileLock(file);
    expect(() => acquireReconcileLock(file)).toThrow(
      expect.objectContaining({ code: 'RECONCILE_LOCKED', message: expect.stringContaining(`pid ${process.pid}`) }),
    );
    release();
    release();
    expect(existsSync(`${file}.json`)).toBe(false);
    acquireReconcileLock(file)();
  });

  it('holds across processes, and a holder killed with SIGKILL leaves no stale lock', async () => {
    const file = join(tempFiles({}), 'reconcile.lock');
    const h = holder(file);
    await h.held;
    expect(() => acquireReconcileLock(file)).toThrow(
      expect.objectContaining({ code: 'RECONCILE_LOCKED', message: expect.stringContaining(`pid ${h.child.pid}`) }),
    );
    h.child.kill('SIGKILL');
    await h.exited;
    const release = acquireReconcileLock(file);
    release();
  });
});
