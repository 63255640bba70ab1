import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A path for a SQLite database file in a fresh temp folder; `remove()` deletes the folder (db, -wal, -shm). */
export function tempSqliteFile(name = 'hub.db'): { dir: string; file: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'subhub-store-'));
  return {
    dir,
    file: join(dir, name),
    remove: () => {
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
