import type { PipelineConfig } from '../config/config.types';
import type { Logger } from '../observability/logger';
import type { HubMetrics } from '../observability/metrics';
import { logStoreFailure } from '../observability/store-failure';
import { StoreUnavailableError } from '../store/store-error';
import { DUPLICATE_STATE_REASON } from '../store/ports';
import type { BatchCompletion, DeliveryRow, ExternalLog, InboxOutcome, InboxRow, LandingResult, LogBatch, Store } from '../store/ports';
import { BatchUnits, type DomainStep } from './domain-step';
import { deliver, type DeliverDeps } from './deliver';
import { normalise, type NormaliseDeps } from './normalise';
import { NormaliseProgress } from './normalise-progress';

export interface PipelineDeps {
  store: Store;
  normalise: NormaliseDeps;
  /** The subscription domain: its changes commit with each event, computed from the unit's latest version. */
  domain?: DomainStep;
  deliver: DeliverDeps;
  settings: Required<PipelineConfig>;
  logger: Logger;
  metrics?: HubMetrics;
  /** Runs after each normalised batch is committed, or failed (the reorder planner looks at moved demand). */
  afterBatch?: () => void;
  /** Work started in the background (the reorder planner): awaited on stop and by `backgroundIdle`. */
  background?: { idle(): Promise<void> };
  /** Stops scheduled work (the nightly job) when the pipeline stops. */
  onStop?: () => Promise<void> | undefined;
  /** An external event log (eventLog.kind "kafka"); without it the store is the log. */
  log?: ExternalLog;
}

/** Writes a batch's outcomes from position `from` on (completions or landings), in order. */
type BatchWriter = (from: number, now: number, outcomes: InboxOutcome[]) => Promise<Array<BatchCompletion | LandingResult>>;

/**
 * The background half of the hub: one loop normalises the inbox in arrival order (so the
 * deliveries of one entity are queued in that order), one keeps up to `deliveryConcurrency`
 * deliveries in flight. Both wait for work (a wake-up from ingestion, or the poll interval)
 * instead of spinning. Memory stays bounded: a loop holds at most one batch.
 */
export class Pipeline {
  #running = false;
  #wake: (() => void) | undefined;
  #unsubscribe: (() => void) | undefined;
  #loops: Promise<void>[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  /** Aborted when the stop deadline passes: calls still in flight are aborted, as are any started later. */
  readonly #abort = new AbortController();
  /**
   * One signal per call in flight. Every HTTP call adds an abort listener to its signal until it
   * settles: one signal shared by dozens of concurrent calls piles them up (Node warns of a leak).
   */
  readonly #calls = new Set<AbortController>();
  /** Recently parsed canonical events by id: an event fans out to several deliveries. Bounded. */
  readonly #events = new Map<string, unknown>();
  readonly #parsedEvent = (row: DeliveryRow): unknown => {
    let event = this.#events.get(row.eventId);
    if (event === undefined) {
      event = JSON.parse(row.eventBody);
      if (this.#events.size >= 1000) this.#events.delete(this.#events.keys().next().value as string);
      this.#events.set(row.eventId, event);
    }
    return event;
  };

  /** The entry being normalised and the last progress, shared with the main thread (watchdog, /readyz). */
  readonly progress = new NormaliseProgress();

  constructor(private readonly deps: PipelineDeps) {}

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe = this.deps.store.onWork(() => this.notify());
    this.#loops = [this.#normaliseLoop(), this.#deliveryLoop(), ...(this.deps.log ? [this.#logLoop(this.deps.log)] : [])];
  }

  /** Resolves when background work (reorder planning) has nothing pending or in flight. */
  backgroundIdle(): Promise<void> {
    return this.deps.background?.idle() ?? Promise.resolve();
  }

  /** Tells idle loops that new work arrived. */
  notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /**
   * Stops claiming new work and waits for in-flight work until `deadline` (epoch ms). Calls still
   * running then are aborted and recorded as failed attempts (their deliveries are retried later,
   * with the same idempotency key). Resolves true when everything finished in time.
   */
  async stop(deadline: number): Promise<boolean> {
    this.#running = false;
    this.#unsubscribe?.();
    await this.deps.onStop?.();
    this.notify();
    const settled = () => Promise.all([...this.#loops, ...this.#inFlight, this.backgroundIdle()]).then(() => true);
    const timeout = (ms: number) => new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref());
    if (await Promise.race([settled(), timeout(Math.max(0, deadline - Date.now()))])) return true;
    this.#abort.abort();
    for (const call of this.#calls) call.abort();
    await Promise.race([settled(), timeout(1000)]);
    return false;
  }

  async #idle(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      }, this.deps.settings.pollMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#wake = done;
    });
  }

  async #normaliseLoop(): Promise<void> {
    const { store, settings } = this.deps;
    while (this.#running) {
      try {
        // Derived events (written to the outbox with the changes that caused them) join the log first.
        const log = this.deps.log;
        if (log) {
          await log.relay(settings.inboxBatch * 4);
          await log.stream?.(settings.inboxBatch * 4);
        } else await store.relayOutbox(settings.inboxBatch * 4);
        const rows = await store.claimInbox(settings.inboxBatch, settings.leaseMs, Date.now());
        this.progress.beat(Date.now());
        if (rows.length === 0) {
          await this.#idle();
          continue;
        }
        // Normalise the batch in arrival order, then commit all outcomes in one transaction (in
        // that order, so each entity's deliveries queue up in arrival order).
        const { outcomes, applied } = await this.#normaliseBatch(rows, (from, now, outcomes) =>
          store.completeInboxBatch(
            rows.slice(from).map((claim, k) => ({ claim, outcome: outcomes[from + k]! })),
            now,
          ),
        );
        this.#count(rows, outcomes, applied);
        this.notify();
      } catch (e) {
        logStoreFailure(this.deps, 'normalise', 'normaliser loop error', e);
        await this.#idle();
      }
    }
  }

  /** Normalises `rows` in order, then writes the outcomes with `write` (in rounds, see `#commit`). */
  async #normaliseBatch(rows: InboxRow[], write: BatchWriter): Promise<{ outcomes: InboxOutcome[]; applied: boolean[] }> {
    const outcomes: InboxOutcome[] = [];
    try {
      for (const row of rows) {
        this.progress.begin(row.id, Date.now());
        outcomes.push(await normalise(row, this.deps.normalise, Date.now()));
        this.progress.end(Date.now());
      }
      return { outcomes, applied: await this.#commitUntilStored(rows, outcomes, write) };
    } finally {
      this.progress.end(Date.now());
      this.deps.afterBatch?.();
    }
  }

  #count(rows: InboxRow[], outcomes: InboxOutcome[], applied: boolean[]): void {
    const { logger, metrics } = this.deps;
    rows.forEach((row, i) => {
      const outcome = outcomes[i]!;
      if (!applied[i]) return void logger.warn('normalised entry was claimed again meanwhile: outcome discarded', { eventId: row.id });
      metrics?.normalised.inc({ connector: row.source, outcome: outcome.status });
      if (outcome.status === 'ignored')
        metrics?.ignored.inc({ connector: row.source, type: row.eventType ?? '', reason: outcome.kind ?? 'dropped' });
      if (outcome.status === 'failed')
        logger.warn('event dead-lettered', { eventId: row.id, source: row.source, stage: 'map', code: outcome.deadLetter.errorCode });
    });
  }

  /**
   * The external log's consumer: read a batch, set aside what is already landed (a batch read again
   * after a crash or a rebalance), normalise and land the rest in one transaction, then commit the
   * batch's offsets. A batch that cannot be landed now (the store is down) is retried until it is,
   * without committing, so nothing read is ever skipped.
   */
  async #logLoop(log: ExternalLog): Promise<void> {
    const { logger, settings } = this.deps;
    while (this.#running) {
      let batch: LogBatch;
      try {
        batch = await log.reader.read(log.batch, settings.pollMs);
      } catch (e) {
        logger.warn('event log read failed; trying again', { error: e instanceof Error ? e.message : String(e) });
        await this.#idle();
        continue;
      }
      if (batch.entries.length === 0 && batch.unreadable.length === 0) continue;
      // The same batch until it is landed: reading on would move past it, and the next batch's
      // offset commit would then skip it for good. Stopping meanwhile leaves it uncommitted (read again).
      for (let attempt = 0; this.#running; attempt++) {
        try {
          await this.#land(log, batch);
          await log.reader.commit(batch);
          this.notify();
          break;
        } catch (e) {
          logStoreFailure(this.deps, 'land_batch', 'event log batch not landed; trying it again', e);
          await new Promise((r) => setTimeout(r, Math.min(1000, 10 * 2 ** attempt)));
        }
      }
    }
  }

  /** Sets aside unreadable messages, skips entries landed already, normalises and lands the rest. */
  async #land(log: ExternalLog, batch: LogBatch): Promise<void> {
    const { metrics } = this.deps;
    for (const item of batch.unreadable) await log.unreadable(item);
    let rows: InboxRow[] = batch.entries.map((e) => ({ ...e, attempts: 1 }));
    const known = await log.landing.landed(rows);
    for (const i of known) metrics?.duplicate.inc({ connector: rows[i]!.source });
    rows = rows.filter((_, i) => !known.has(i));
    if (rows.length === 0) return;
    const { outcomes, applied } = await this.#normaliseBatch(rows, async (from, now, outcomes) => {
      const results = await log.landing.landBatch(
        rows.slice(from).map((entry, k) => ({ entry, outcome: outcomes[from + k]! })),
        now,
      );
      results.forEach((r, k) => r === 'duplicate' && metrics?.duplicate.inc({ connector: rows[from + k]!.source }));
      return results;
    });
    this.#count(rows, outcomes, applied);
  }

  /**
   * Commits the batch, retrying while the store cannot commit now (busy, unreachable): the loop
   * must not claim later entries while these are leased and unwritten, or an entity's later
   * events would overtake its earlier ones. When the pipeline stops meanwhile, the leases are
   * left to run out (or released when the embedded store's worker restarts).
   */
  async #commitUntilStored(rows: InboxRow[], outcomes: InboxOutcome[], write: BatchWriter): Promise<boolean[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#commit(rows, outcomes, write);
      } catch (e) {
        if (!(e instanceof StoreUnavailableError) || !this.#running) throw e;
        logStoreFailure(this.deps, 'complete_inbox', 'batch not committed; retrying', e);
        await new Promise((r) => setTimeout(r, Math.min(1000, 10 * 2 ** attempt)));
      }
    }
  }

  /**
   * Runs the domain step and commits the batch in order. A conflict (another writer moved a
   * customer's unit since it was read: the nightly review, an operator, another hub) leaves that
   * entry and the later ones unwritten: they are computed again from fresh units and committed,
   * until everything is in. Every round commits at least the conflicting entry's predecessors,
   * and a conflict means another writer made progress, so this ends.
   */
  async #commit(rows: InboxRow[], outcomes: InboxOutcome[], write: BatchWriter): Promise<boolean[]> {
    const { store, domain, metrics } = this.deps;
    const applied = rows.map(() => false);
    for (let from = 0, round = 0; from < rows.length; round++) {
      const units = new BatchUnits(store.domain);
      const now = Date.now();
      if (domain)
        for (let i = from; i < rows.length; i++) {
          const o = outcomes[i]!;
          if (o.status === 'normalised') await units.handle(o.event, domain);
        }
      const results = await write(from, now, outcomes);
      results.forEach((r, k) => {
        applied[from + k] = r === 'applied' || r === 'same_state';
        // Written as an ignored duplicate of an entry with the same fetched state: counted as that.
        if (r === 'same_state') outcomes[from + k] = { status: 'ignored', kind: 'duplicate', reason: DUPLICATE_STATE_REASON };
      });
      // A duplicate (landed by another member meanwhile) is done; the entries after it are recomputed.
      const duplicate = results.indexOf('duplicate');
      if (duplicate >= 0) {
        from += duplicate + 1;
        continue;
      }
      const conflict = results.indexOf('conflict');
      if (conflict < 0) break;
      metrics?.domainConflicts.inc();
      this.deps.logger.info('domain conflict: recomputing from fresh state', { inboxId: rows[from + conflict]!.id, round });
      from += conflict;
      // Contention that lasts (a long review of one customer): give the other writer room.
      if (round >= 3) await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** (round - 3))));
    }
    return applied;
  }

  async #deliveryLoop(): Promise<void> {
    const { store, settings } = this.deps;
    while (this.#running) {
      const free = settings.deliveryConcurrency - this.#inFlight.size;
      // Claim in batches (a quarter of the slots at least, when busy): fewer claim transactions.
      if (free <= 0 || (this.#inFlight.size > 0 && free < Math.ceil(settings.deliveryConcurrency / 4))) {
        await Promise.race(this.#inFlight);
        continue;
      }
      let rows: DeliveryRow[];
      try {
        rows = await store.claimDeliveries(free, settings.leaseMs, Date.now());
      } catch (e) {
        logStoreFailure(this.deps, 'claim_deliveries', 'delivery claim error', e);
        await this.#idle();
        continue;
      }
      if (rows.length === 0) {
        await (this.#inFlight.size > 0 ? Promise.race([...this.#inFlight, this.#idle()]) : this.#idle());
        continue;
      }
      for (const row of rows) {
        const p: Promise<void> = this.#deliverOne(row).finally(() => this.#inFlight.delete(p));
        this.#inFlight.add(p);
      }
    }
  }

  async #deliverOne(row: DeliveryRow): Promise<void> {
    const { store, logger, metrics } = this.deps;
    const call = new AbortController();
    if (this.#abort.signal.aborted) call.abort();
    this.#calls.add(call);
    try {
      const outcome = await deliver(row, { ...this.deps.deliver, signal: call.signal, parsedEvent: this.#parsedEvent });
      if (!(await store.completeDelivery(row, outcome))) {
        logger.warn('delivery was claimed again meanwhile (lease ran out): outcome discarded', {
          eventId: row.eventId,
          target: row.target,
        });
        return;
      }
      metrics?.deliveries.inc({ target: row.target, route: row.route, outcome: outcome.status });
      if (outcome.status === 'retry') metrics?.retries.inc({ target: row.target });
      if (outcome.status === 'dead') {
        logger.warn('delivery dead-lettered', {
          eventId: row.eventId,
          target: row.target,
          route: row.route,
          code: outcome.deadLetter.errorCode,
        });
      }
      if (outcome.status !== 'retry') this.notify();
    } catch (e) {
      // The lease runs out and the delivery is handed out again: nothing is lost.
      logStoreFailure(this.deps, 'complete_delivery', 'delivery error', e, { eventId: row.eventId, target: row.target });
    } finally {
      this.#calls.delete(call);
    }
  }
}
