import { HubMetrics } from './metrics';

describe('HubMetrics.exposition', () => {
  it("merges another thread's snapshot: one family per name, counters and histograms added, shared-state gauges not doubled", async () => {
    const main = new HubMetrics({ processMetrics: false });
    const worker = new HubMetrics({ processMetrics: false });
    main.received.inc({ connector: 'stripe' }, 2);
    worker.deliveries.inc({ target: 't', route: 'r', outcome: 'done' });
    main.deliveries.inc({ target: 't', route: 'r', outcome: 'done' }, 2);
    worker.deliverySeconds.observe({ target: 't' }, 0.02);
    main.deliverySeconds.observe({ target: 't' }, 3);
    // Both threads read the same store: the count of open dead letters is 4, not 8.
    main.deadLetters.set(4);
    worker.deadLetters.set(4);

    const text = await main.exposition([await worker.registry.getMetricsAsJSON()]);
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);
    expect(text).toContain('subhub_webhooks_received_total{connector="stripe"} 2\n');
    expect(text).toContain('subhub_deliveries_total{target="t",route="r",outcome="done"} 3\n');
    expect(text).toContain('subhub_delivery_duration_seconds_count{target="t"} 2\n');
    expect(text).toContain('subhub_delivery_duration_seconds_bucket{le="0.025",target="t"} 1\n');
    expect(text.match(/^subhub_dead_letters_open .*$/gm)).toEqual(['subhub_dead_letters_open 4']);
  });

  it("without other threads it is the registry's own text", async () => {
    const m = new HubMetrics({ processMetrics: false });
    m.accepted.inc({ connector: 'shopify' });
    expect(await m.exposition()).toBe(await m.registry.metrics());
  });
});
