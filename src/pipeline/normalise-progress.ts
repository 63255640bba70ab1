import type { PipelineConfig } from '../config/config.types';

/** The defaults of config/hub.schema.json's `pipeline`, for configs built in code (tests, demo). */
export const PIPELINE_DEFAULTS: Required<PipelineConfig> = {
  pollMs: 50,
  inboxBatch: 100,
  deliveryConcurrency: 32,
  niceness: 10,
  leaseMs: 60_000,
  normaliseBudgetMs: 30_000,
  stallAfterMs: 60_000,
};

/**
 * What the normaliser is doing, in shared memory: the inbox entry it is normalising (and since
 * when) and when it last made progress. The pipeline thread writes it; the main thread reads it
 * without a message round trip, so it still answers while the pipeline thread is stuck in
 * synchronous code (which no message could interrupt). The watchdog and /readyz read it.
 *
 * Layout (one SharedArrayBuffer): BigInt64 slots [version, startedAt, lastProgressAt], an Int32
 * id length, then the id's bytes. `version` is a seqlock: odd while an entry is being written,
 * so a reader never takes half of one id and half of the next.
 */
export class NormaliseProgress {
  static readonly #ID_BYTES = 64;
  readonly buffer: SharedArrayBuffer;
  readonly #slots: BigInt64Array;
  readonly #idLength: Int32Array;
  readonly #id: Uint8Array;

  /** A new tracker, or a view of one made in another thread (its `buffer`). */
  constructor(buffer?: SharedArrayBuffer, now: number = Date.now()) {
    this.buffer = buffer ?? new SharedArrayBuffer(24 + 4 + NormaliseProgress.#ID_BYTES);
    this.#slots = new BigInt64Array(this.buffer, 0, 3);
    this.#idLength = new Int32Array(this.buffer, 24, 1);
    this.#id = new Uint8Array(this.buffer, 28, NormaliseProgress.#ID_BYTES);
    if (!buffer) Atomics.store(this.#slots, 2, BigInt(now));
  }

  /** The normaliser starts on inbox entry `id`. */
  begin(id: string, now: number): void {
    Atomics.add(this.#slots, 0, 1n);
    const n = new TextEncoder().encodeInto(id, this.#id).written;
    Atomics.store(this.#idLength, 0, n);
    Atomics.store(this.#slots, 1, BigInt(now));
    Atomics.add(this.#slots, 0, 1n);
    this.beat(now);
  }

  /** The entry is done (or the attempt threw): progress. */
  end(now: number): void {
    Atomics.store(this.#slots, 1, 0n);
    this.beat(now);
  }

  /** The normaliser is alive and not stuck (it polled the inbox, or finished an entry). */
  beat(now: number): void {
    Atomics.store(this.#slots, 2, BigInt(now));
  }

  get lastProgressAt(): number {
    return Number(Atomics.load(this.#slots, 2));
  }

  /** The entry being normalised now, if any. */
  current(): { inboxId: string; startedAt: number } | undefined {
    // A write takes a few instructions; bounded, because a thread terminated half way through
    // one leaves the version odd for good (the entry read then may be torn, never a hang).
    for (let tries = 0; ; tries++) {
      const version = Atomics.load(this.#slots, 0);
      const startedAt = Number(Atomics.load(this.#slots, 1));
      const inboxId = new TextDecoder().decode(this.#id.slice(0, Atomics.load(this.#idLength, 0)));
      const settled = version % 2n === 0n && Atomics.load(this.#slots, 0) === version;
      if (settled || tries >= 1000) return startedAt === 0 ? undefined : { inboxId, startedAt };
    }
  }
}

/**
 * Why the pipeline counts as stalled for /readyz, or undefined: one entry has been normalising
 * for `stallAfterMs` or more, or entries wait and the normaliser made no progress for that long.
 */
export function stallReason(progress: NormaliseProgress, inboxPending: number, now: number, stallAfterMs: number): string | undefined {
  const current = progress.current();
  if (current) {
    if (now - current.startedAt < stallAfterMs) return undefined;
    return `pipeline stalled: inbox entry ${current.inboxId} has been normalising for ${now - current.startedAt} ms (threshold pipeline.stallAfterMs ${stallAfterMs} ms); set it aside with "subhub inbox dead-letter ${current.inboxId}"`;
  }
  // Nothing under way: waiting work with no poll or finished entry for that long.
  const idle = now - progress.lastProgressAt;
  if (inboxPending > 0 && idle >= stallAfterMs) {
    return `pipeline stalled: ${inboxPending} inbox entries wait and the normaliser made no progress for ${idle} ms (threshold pipeline.stallAfterMs ${stallAfterMs} ms)`;
  }
  return undefined;
}
