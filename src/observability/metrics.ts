import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Another thread's metrics, as its registry's `getMetricsAsJSON()` (plain data: it crosses postMessage). */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** One value of one metric family (a histogram gives one sample per bucket, sum and count). */
export interface MetricSample {
  name: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * The hub's Prometheus metrics, on a registry of its own (several hubs can run in one test
 * process). Served as text at GET /metrics, merged with the pipeline thread's registry (same
 * families): counters and histograms add up; gauges describe shared state (the store, a
 * target) set by one thread, so the merge takes their maximum instead of adding a zero twice.
 */
export class HubMetrics {
  readonly registry = new Registry();
  readonly received = new Counter({
    name: 'subhub_webhooks_received_total',
    help: 'Webhook requests received',
    labelNames: ['connector'],
    registers: [this.registry],
  });
  readonly accepted = new Counter({
    name: 'subhub_webhooks_accepted_total',
    help: 'Webhooks stored (202)',
    labelNames: ['connector'],
    registers: [this.registry],
  });
  readonly duplicate = new Counter({
    name: 'subhub_webhooks_duplicate_total',
    help: 'Webhooks already stored (200)',
    labelNames: ['connector'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'subhub_webhooks_rejected_total',
    help: 'Webhooks refused, by reason',
    labelNames: ['connector', 'reason'],
    registers: [this.registry],
  });
  readonly webhookSeconds = new Histogram({
    name: 'subhub_webhook_duration_seconds',
    help: 'Time from request to answer, including the durable commit',
    labelNames: ['connector'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly normalised = new Counter({
    name: 'subhub_events_normalised_total',
    help: 'Inbox entries processed, by outcome',
    labelNames: ['connector', 'outcome'],
    registers: [this.registry],
  });
  readonly domainConflicts = new Counter({
    name: 'subhub_domain_conflicts_total',
    help: 'Batches whose domain write found a customer changed by another writer since it was read (computed again from fresh state)',
    registers: [this.registry],
  });
  readonly ignored = new Counter({
    name: 'subhub_events_ignored_total',
    help: 'Inbox entries ignored, by source, provider event type and why (configured: inbound.ignore; unmapped: no inbound mapping; dropped: the mapping dropped it; duplicate: the same fetched state was normalised already); see subhub ignored',
    labelNames: ['connector', 'type', 'reason'],
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'subhub_deliveries_total',
    help: 'Delivery attempts, by outcome (done, retry, dead)',
    labelNames: ['target', 'route', 'outcome'],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'subhub_delivery_retries_total',
    help: 'Deliveries scheduled for another attempt',
    labelNames: ['target'],
    registers: [this.registry],
  });
  readonly deliverySeconds = new Histogram({
    name: 'subhub_delivery_duration_seconds',
    help: 'Duration of one delivery attempt',
    labelNames: ['target'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly circuit = new Gauge({
    name: 'subhub_circuit_state',
    help: 'Circuit breaker per target: 0 closed, 1 half-open, 2 open',
    labelNames: ['target'],
    aggregator: 'max',
    registers: [this.registry],
  });
  readonly rateTokens = new Gauge({
    name: 'subhub_rate_limit_tokens',
    help: "Tokens left in the target's rate-limit bucket",
    labelNames: ['target'],
    aggregator: 'max',
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'subhub_queue_depth',
    help: 'Work waiting: inbox entries and open deliveries',
    labelNames: ['queue'],
    aggregator: 'max',
    registers: [this.registry],
  });
  readonly storeBusy = new Counter({
    name: 'subhub_store_busy_total',
    help: 'Store operations that found the database locked by another connection (retried)',
    labelNames: ['operation'],
    registers: [this.registry],
  });
  readonly deadLetters = new Gauge({
    name: 'subhub_dead_letters_open',
    help: 'Dead letters not yet replayed or discarded',
    aggregator: 'max',
    registers: [this.registry],
  });

  /** `processMetrics`: also export the process's CPU, memory and event-loop metrics (once per process). */
  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'subhub_' });
  }

  /** The Prometheus text of this registry merged with other threads' snapshots: one family per name, one sample per label set. */
  /** Every sample, merged with other threads' like the exposition: what the console's overview shows. */
  async samples(others: readonly MetricsSnapshot[] = []): Promise<MetricSample[]> {
    const merged = others.length === 0 ? this.registry : AggregatorRegistry.aggregate([await this.registry.getMetricsAsJSON(), ...others]);
    const out: MetricSample[] = [];
    for (const family of await merged.getMetricsAsJSON()) {
      for (const v of family.values) {
        const labels: Record<string, string | number> = {};
        for (const [k, x] of Object.entries(v.labels)) if (x !== undefined) labels[k] = x;
        out.push({ name: (v as { metricName?: string }).metricName ?? family.name, labels, value: v.value });
      }
    }
    return out;
  }

  async exposition(others: readonly MetricsSnapshot[] = []): Promise<string> {
    if (others.length === 0) return this.registry.metrics();
    return AggregatorRegistry.aggregate([await this.registry.getMetricsAsJSON(), ...others]).metrics();
  }
}
