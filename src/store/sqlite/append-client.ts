import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { InboxEntry, InboxInsertResult } from '../ports';
import type { AppendReply, AppendRequest, AppendThreadStart } from './append-thread';

type Waiting = { entry: InboxEntry; resolve: (r: InboxInsertResult) => void; reject: (e: unknown) => void };

/** The most entries one commit of the append thread takes. */
const MAX_BATCH = 500;

/**
 * The main thread's side of the append thread: entries that arrive while a batch is being
 * committed wait and go together in the next (group commit without a timer: the first webhook
 * of a quiet spell is committed at once). Each caller's promise settles after its batch
 * committed, or rejects with what `failure` makes of the thread's error. A thread that stops
 * unexpectedly fails the batch in flight (its webhooks are answered 503 and sent again) and is
 * started again for the next batch.
 */
export class AppendClient {
  #worker: Worker | undefined;
  #starting: Promise<Worker> | undefined;
  #queue: Waiting[] = [];
  #inFlight: Waiting[] | undefined;
  #closed = false;
  /** Resolved when nothing is queued or in flight (close waits for it). */
  #idle: Array<() => void> = [];

  constructor(
    private readonly entry: string,
    private readonly start: AppendThreadStart,
    private readonly failure: (e: { code?: string; message: string }) => Error,
  ) {}

  /** Starts the thread and waits until its connection is open. */
  async open(): Promise<void> {
    await this.#ensure();
  }

  submit(entry: InboxEntry): Promise<InboxInsertResult> {
    if (this.#closed) return Promise.reject(this.failure({ message: 'the store is closed' }));
    return new Promise((resolve, reject) => {
      this.#queue.push({ entry, resolve, reject });
      if (!this.#inFlight) void this.#send();
    });
  }

  /** Lets the batches already submitted commit, then stops the thread. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#inFlight || this.#queue.length > 0) await new Promise<void>((r) => this.#idle.push(r));
    await this.#worker?.terminate();
    this.#worker = undefined;
  }

  async #send(): Promise<void> {
    if (this.#inFlight || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, MAX_BATCH);
    this.#inFlight = batch;
    try {
      const worker = await this.#ensure();
      worker.postMessage({ entries: batch.map((w) => w.entry) } satisfies AppendRequest);
    } catch (e) {
      this.#settle({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  }

  #settle(reply: AppendReply): void {
    const batch = this.#inFlight ?? [];
    this.#inFlight = undefined;
    if (reply.type === 'done') batch.forEach((w, i) => w.resolve(reply.results[i]!));
    else if (reply.type === 'failed') {
      const error = this.failure(reply);
      for (const w of batch) w.reject(error);
    }
    if (this.#queue.length > 0) void this.#send();
    else for (const done of this.#idle.splice(0)) done();
  }

  #ensure(): Promise<Worker> {
    if (this.#worker) return Promise.resolve(this.#worker);
    return (this.#starting ??= (async () => {
      const w = new Worker(this.entry, { workerData: this.start });
      try {
        const [first] = (await Promise.race([once(w, 'message'), once(w, 'error').then(([e]) => Promise.reject(e))])) as [AppendReply];
        if (first.type !== 'ready') throw new Error('the append thread did not start');
      } catch (e) {
        await w.terminate();
        throw e;
      }
      w.on('message', (m: AppendReply) => this.#settle(m));
      // An error ends the thread: 'exit' follows and fails the batch in flight.
      w.on('error', () => undefined);
      w.on('exit', () => {
        if (this.#worker !== w) return;
        this.#worker = undefined;
        if (this.#inFlight) this.#settle({ type: 'failed', code: 'SQLITE_IOERR', message: 'the append thread stopped' });
      });
      this.#worker = w;
      return w;
    })().finally(() => (this.#starting = undefined)));
  }
}
