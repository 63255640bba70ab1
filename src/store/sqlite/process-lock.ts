import { readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { HubError } from '../../errors/hub-error';
import { ensurePrivateDir, PRIVATE_FILE_MODE, tightenExisting } from '../private-files';

/**
 * One hub process per data folder: the embedded profile has a single worker, so a second hub on
 * the same folder would double-claim work. The lock is a pid file; a file left by a process that
 * is gone (SIGKILL, crash) is taken over.
 */
export function acquireProcessLock(file: string): () => void {
  ensurePrivateDir(dirname(file));
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new HubError('STORE_LOCKED', 'config', `another hub (pid ${pid}) uses this data folder`, {
        hint: 'stop it, or give this hub its own storage.dataDir (SUBHUB_DATA_DIR); scale out with the PostgreSQL profile',
      });
    }
  } catch (e) {
    if (e instanceof HubError) throw e;
  }
  writeFileSync(file, String(process.pid), { mode: PRIVATE_FILE_MODE });
  tightenExisting([file]);
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
