import type { HubConfig } from '../config/config.types';
import { HubError } from '../errors/hub-error';
import type { Locks } from './locks';
import type { Store } from './ports';
import { FileLocks } from './sqlite/file-locks';
import { openSqliteStore } from './sqlite/sqlite-store';
import { WriteGate, type GateRole } from './sqlite/write-gate';
import { PgStore } from './postgres/pg-store';
import { requireSecret } from '../config/secrets';
import { join, resolve } from 'node:path';

/** An open store with the locks of the same backend (the nightly job, reconciliation). */
export interface OpenedStore {
  store: Store;
  locks: Locks;
  /**
   * The locks that keep jobs to one run across the hubs sharing this store; undefined for the
   * embedded store, whose process lock already makes its hub the only one (its reconciliation
   * keeps the data folder's reconcile.lock, which names the holding process).
   */
  sharedLocks?: Locks;
  /** The backend: `sqlite` has one hub process per data folder; `postgres` is shared by several. */
  kind: 'sqlite' | 'postgres';
  close(): Promise<void>;
}

/** The SQLite file of a data folder. */
export function databaseFile(dataDir: string): string {
  return join(resolve(dataDir), 'subhub.db');
}

/**
 * Shared memory through which one process's threads take turns at the embedded store's write
 * lock, webhooks first (WriteGate); pass it to each thread's `createStore` with its role.
 */
export function writeGateMemory(): SharedArrayBuffer {
  return WriteGate.buffer();
}

export interface CreateStoreOptions {
  /** The embedded store only: this thread's turn-taking at the write lock (ignored by PostgreSQL). */
  writeGate?: { memory: SharedArrayBuffer; role: GateRole };
  /** The embedded store only: commit webhook appends in a thread of their own (SqliteStoreOptions.appendThread). */
  appendThread?: boolean;
}

/**
 * The one place that knows the storage adapters: opens the backend `storage.kind` names, or
 * fails with a coded one-line error (never a silent fallback to another backend).
 */
export async function createStore(
  config: Readonly<HubConfig>,
  env: NodeJS.ProcessEnv = process.env,
  options: CreateStoreOptions = {},
): Promise<OpenedStore> {
  const kind = config.storage?.kind ?? 'sqlite';
  if (kind === 'sqlite') {
    const dataDir = config.storage?.dataDir ?? './data';
    const gate = options.writeGate ? new WriteGate(options.writeGate.memory, options.writeGate.role) : undefined;
    const store = await openSqliteStore(databaseFile(dataDir), { ...(gate ? { gate } : {}), appendThread: options.appendThread === true });
    const locks = new FileLocks(resolve(dataDir));
    return {
      store,
      locks,
      kind,
      close: async () => {
        await locks.close();
        await store.close();
      },
    };
  }
  if (kind === 'postgres') {
    const pg = config.storage?.postgres;
    if (!pg)
      throw new HubError(
        'STORAGE_BACKEND_UNAVAILABLE',
        'config',
        'storage.kind "postgres" needs storage.postgres.url (a secret reference)',
      );
    const store = new PgStore({
      url: requireSecret(pg.url, env),
      poolSize: pg.poolSize ?? 10,
      // Canonical events are queued for the stream only where the stream is on (eventLog.kafka.canonicalStream).
      canonicalStream: config.eventLog?.kind === 'kafka' && config.eventLog.kafka?.canonicalStream?.enabled === true,
    });
    // Unreachable at start: STORE_UNAVAILABLE (retryable), with the pool closed again.
    try {
      await store.init();
    } catch (e) {
      await store.close().catch(() => undefined);
      throw e;
    }
    const locks = store.locks();
    return {
      store,
      locks,
      sharedLocks: locks,
      kind,
      close: async () => {
        await locks.close();
        await store.close();
      },
    };
  }
  throw new HubError('STORAGE_BACKEND_UNAVAILABLE', 'config', `storage.kind "${String(kind)}" is not a storage backend (sqlite, postgres)`);
}
