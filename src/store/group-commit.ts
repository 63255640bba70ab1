/**
 * Group commit: requests that arrive while a commit is being prepared share one transaction, so
 * durable (fsync-per-commit) storage keeps its throughput under concurrency. Each caller's
 * promise settles only after the shared transaction committed (or failed, for all of them).
 */
export class GroupCommit<T, R> {
  #pending: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  #scheduled = false;

  /**
   * `windowMs` 0 flushes on the next turn of the event loop (for webhook acknowledgements, where
   * latency matters); a few ms let background work (completions) coalesce into fewer commits.
   */
  constructor(
    private readonly commit: (items: T[]) => R[],
    private readonly maxBatch = 500,
    private readonly windowMs = 0,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (this.#pending.length >= this.maxBatch) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        if (this.windowMs > 0) setTimeout(() => this.#flush(), this.windowMs);
        else setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    let results: R[];
    try {
      results = this.commit(batch.map((b) => b.item));
    } catch (e) {
      for (const b of batch) b.reject(e);
      return;
    }
    batch.forEach((b, i) => b.resolve(results[i]!));
  }
}
