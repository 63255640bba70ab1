import { parentPort, workerData } from 'node:worker_threads';
import type { InboxEntry, InboxInsertResult } from '../ports';
import { openDatabase } from './open-database';
import { appendTransaction } from './sqlite-append';
import { prepareStatements } from './sqlite-statements';
import { WriteGate } from './write-gate';

/** What the append thread is started with (SqliteStore, option appendThread). */
export interface AppendThreadStart {
  file: string;
  busyTimeoutMs?: number;
  /** The write gate's shared memory: this thread writes as ingest (first in line). */
  gate?: SharedArrayBuffer;
  /** wal_autocheckpoint of this connection (checkpoints are the pipeline thread's work). */
  checkpointPages: number;
}
export interface AppendRequest {
  entries: InboxEntry[];
}
export type AppendReply =
  { type: 'ready' } | { type: 'done'; results: InboxInsertResult[] } | { type: 'failed'; code?: string; message: string };

/**
 * The webhook append thread: its own connection to the hub database, committing the batches of
 * inbox entries the main thread sends, one at a time, each with synchronous=FULL, and answering
 * with each entry's result only after the commit. The main thread meanwhile reads, verifies and
 * answers other webhooks instead of waiting for the fsync (the main thread acknowledges an entry
 * only when its batch's answer arrives).
 */
const start = workerData as AppendThreadStart;
const port = parentPort!;
const db = openDatabase(start.file, start.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: start.busyTimeoutMs });
db.pragma(`wal_autocheckpoint = ${Math.trunc(start.checkpointPages)}`);
const append = appendTransaction(db, prepareStatements(db));
const gate = start.gate ? new WriteGate(start.gate, 'ingest') : undefined;

port.on('message', (m: AppendRequest) => {
  let reply: AppendReply;
  try {
    reply = { type: 'done', results: gate ? gate.run(() => append(m.entries)) : append(m.entries) };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    reply = { type: 'failed', ...(typeof code === 'string' ? { code } : {}), message: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
port.postMessage({ type: 'ready' } satisfies AppendReply);
