// /metrics is one valid Prometheus exposition, checked by Prometheus's own parser (promtool), also
// when the pipeline runs in its own thread (the CLI's default): the hub's and the pipeline
// thread's registries are merged into one family per name, not concatenated.
import { killCliHub, spawnCliHub, writeCliHubConfig, type CliHub } from '../helpers/cli-hub';
import { fixture } from '../helpers/fixtures';
import { postSigned, stripeHeader } from '../helpers/http-raw';
import { parsePromText, sampleValue } from '../helpers/prom-text';
import { promtoolCheck } from '../helpers/promtool';
import { eventually, startTarget } from '../helpers/target-server';
import { startTestHub } from '../helpers/test-hub';

jest.setTimeout(60_000);

let seq = 0;
const event = () => ({ ...fixture<Record<string, unknown>>('stripe-subscription-created.json'), id: `evt_expo_${process.pid}_${++seq}` });
const metricsText = async (url: string) => (await fetch(`${url}/metrics`)).text();
const familiesWithTwoHeaders = (text: string) => {
  const names = text
    .split('\n')
    .filter((l) => l.startsWith('# TYPE '))
    .map((l) => l.split(' ')[2]);
  return names.filter((n, i) => names.indexOf(n) !== i);
};

describe('/metrics exposition', () => {
  let target: Awaited<ReturnType<typeof startTarget>> | undefined;
  let cli: CliHub | undefined;
  let stopHub: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await killCliHub(cli);
    await stopHub?.();
    await target?.close();
    cli = undefined;
    stopHub = undefined;
    target = undefined;
  });

  it('the CLI hub (pipeline in its own thread): promtool accepts it, one family per name, samples of both threads', async () => {
    target = await startTarget();
    const { configPath } = writeCliHubConfig(target.url);
    cli = await spawnCliHub(configPath);
    const body = JSON.stringify(event());
    expect((await postSigned(cli.url, body, stripeHeader(body))).status).toBe(202);
    await target.waitFor(1);
    const url = cli.url;
    await eventually(
      async () => sampleValue(parsePromText(await metricsText(url)).samples, 'subhub_deliveries_total', { outcome: 'done' }) === 1,
    );
    expect((await fetch(`${url}/readyz`)).status).toBe(200); // the main thread sets the queue and dead-letter gauges

    const text = await metricsText(url);
    expect(promtoolCheck(text)).toEqual({ parsed: true, findings: [] });
    expect(familiesWithTwoHeaders(text)).toEqual([]);
    const { samples } = parsePromText(text);
    expect(samples.filter((s) => s.name === 'subhub_dead_letters_open')).toEqual([
      { name: 'subhub_dead_letters_open', labels: {}, value: 0 },
    ]);
    expect(sampleValue(samples, 'subhub_webhooks_accepted_total', { connector: 'stripe' })).toBe(1); // counted in the main thread
    expect(sampleValue(samples, 'subhub_events_normalised_total', { connector: 'stripe', outcome: 'normalised' })).toBe(1); // in the pipeline thread
    expect(sampleValue(samples, 'subhub_delivery_duration_seconds_count', { target: 'target' })).toBe(1);
    expect(sampleValue(samples, 'subhub_queue_depth', { queue: 'deliveries' })).toBe(0);
  });

  it('the in-process hub (pipeline in the same thread): promtool accepts it', async () => {
    target = await startTarget();
    const hub = await startTestHub({ targetUrl: target.url });
    stopHub = () => hub.stop();
    expect((await hub.postStripe(event())).status).toBe(202);
    await target.waitFor(1);
    const text = await metricsText(hub.url);
    expect(promtoolCheck(text)).toEqual({ parsed: true, findings: [] });
    expect(familiesWithTwoHeaders(text)).toEqual([]);
  });
});
