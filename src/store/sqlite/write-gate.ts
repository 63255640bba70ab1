/**
 * Ingest priority for the one SQLite write lock the hub's two threads share. SQLite makes a
 * writer that finds the lock taken sleep and poll (1, 2, 5, 10 ms …, blocking its thread): the
 * main thread, which acknowledges webhooks, stalled behind the pipeline thread's claims and
 * completions and then slept past their end. The gate lets the threads take turns in shared
 * memory instead: a waiting thread is woken the moment the holder leaves (Atomics.notify), and
 * the pipeline thread starts no write transaction while the main thread waits for one, so a
 * webhook waits for one pipeline transaction at most.
 *
 * The gate is advisory: SQLite's own lock still guards every write. Past `timeoutMs` a waiter
 * goes on without the gate (a holder that long is presumed gone, e.g. a pipeline thread that
 * was terminated), so the gate never deadlocks and never changes what is written.
 */
export type GateRole = 'ingest' | 'background';

const HOLDER = 0;
const INGEST_WAITING = 1;
const FREE = 0;
const HELD = { ingest: 1, background: 2 } as const;
/** Slice of a background waiter's sleep while ingest waits: it re-checks this often at most. */
const BACKGROUND_SLICE_MS = 5;

export class WriteGate {
  readonly #cells: Int32Array;
  #depth = 0;

  /** One gate per thread over the same buffer (`WriteGate.buffer()`), each with its role. */
  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly role: GateRole,
    private readonly timeoutMs = 5000,
  ) {
    this.#cells = new Int32Array(buffer);
  }

  /** The shared memory for the gates of one database (two cells). */
  static buffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  }

  /**
   * True in the pipeline thread while a webhook write waits for the gate: a long transaction of
   * many items commits what it has and lets the webhook in before going on (SqliteStore).
   */
  contended(): boolean {
    return this.role === 'background' && Atomics.load(this.#cells, INGEST_WAITING) > 0;
  }

  /** Runs `fn` (one write transaction) holding the gate; nested calls in this thread just run. */
  run<T>(fn: () => T): T {
    const held = this.#depth === 0 && (this.role === 'ingest' ? this.#enterIngest() : this.#enterBackground());
    this.#depth++;
    try {
      return fn();
    } finally {
      this.#depth--;
      if (held) {
        Atomics.store(this.#cells, HOLDER, FREE);
        Atomics.notify(this.#cells, HOLDER);
      }
    }
  }

  /** Announces the wait (so background stays out), then takes the gate as soon as it is free. */
  #enterIngest(): boolean {
    const c = this.#cells;
    Atomics.add(c, INGEST_WAITING, 1);
    try {
      return this.#take(HELD.ingest, () => false);
    } finally {
      Atomics.sub(c, INGEST_WAITING, 1);
      Atomics.notify(c, INGEST_WAITING);
    }
  }

  /** Waits while ingest waits or holds the gate, then takes it. */
  #enterBackground(): boolean {
    const c = this.#cells;
    return this.#take(HELD.background, (remaining) => {
      const waiting = Atomics.load(c, INGEST_WAITING);
      if (waiting === 0) return false;
      Atomics.wait(c, INGEST_WAITING, waiting, Math.min(remaining, BACKGROUND_SLICE_MS));
      return true;
    });
  }

  /**
   * Takes the gate for `mark`; `yieldFirst` may wait (returning true) before each try. False when
   * the deadline passed first: the caller goes on ungated.
   */
  #take(mark: number, yieldFirst: (remainingMs: number) => boolean): boolean {
    const c = this.#cells;
    const deadline = Date.now() + this.timeoutMs;
    let holder = FREE;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        // A holder past the timeout is presumed gone (a terminated thread): free the gate for the next.
        if (holder !== FREE) Atomics.compareExchange(c, HOLDER, holder, FREE);
        return false;
      }
      if (yieldFirst(remaining)) continue;
      holder = Atomics.compareExchange(c, HOLDER, FREE, mark);
      if (holder === FREE) return true;
      Atomics.wait(c, HOLDER, holder, remaining);
    }
  }
}
