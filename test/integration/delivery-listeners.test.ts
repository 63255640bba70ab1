// Many deliveries in flight at once must not pile listeners on one AbortSignal: Node warns past
// ten (MaxListenersExceededWarning), which reads as a leak to whoever watches the logs. The real
// CLI hub (pipeline in its own thread) runs here, so the warning would show on its stderr.
import { killCliHub, spawnCliHub, writeCliHubConfig, type CliHub } from '../helpers/cli-hub';
import { fixture } from '../helpers/fixtures';
import { startHeldTarget } from '../helpers/held-target';
import { postSigned, stripeHeader } from '../helpers/http-raw';
import { parsePromText, sampleValue } from '../helpers/prom-text';
import { eventually } from '../helpers/target-server';

jest.setTimeout(60_000);

type StripeEvent = { id: string; data: { object: Record<string, unknown> } };

/** A subscription-created event of its own subscription: deliveries of different entities run in parallel. */
function event(i: number): string {
  const e = fixture<StripeEvent>('stripe-subscription-created.json');
  return JSON.stringify({
    ...e,
    id: `evt_listeners_${process.pid}_${i}`,
    data: { ...e.data, object: { ...e.data.object, id: `sub_listeners_${i}` } },
  });
}

describe('abort listeners of deliveries in flight', () => {
  let cli: CliHub | undefined;
  let held: Awaited<ReturnType<typeof startHeldTarget>> | undefined;
  afterEach(async () => {
    await killCliHub(cli);
    held?.release();
    await held?.close();
    cli = undefined;
    held = undefined;
  });

  it('24 deliveries in flight together, then done: no MaxListenersExceededWarning', async () => {
    const inFlight = 24;
    held = await startHeldTarget();
    const { configPath } = writeCliHubConfig(held.url, { pipeline: { pollMs: 10, leaseMs: 30_000, deliveryConcurrency: 32 } });
    cli = await spawnCliHub(configPath);
    for (let i = 0; i < inFlight; i++) {
      const body = event(i);
      expect((await postSigned(cli.url, body, stripeHeader(body))).status).toBe(202);
    }
    await held.waitFor(inFlight); // all of them wait for an answer at the same time
    held.release();
    const url = cli.url;
    await eventually(
      async () =>
        sampleValue(parsePromText(await (await fetch(`${url}/metrics`)).text()).samples, 'subhub_deliveries_total', { outcome: 'done' }) ===
        inFlight,
      30_000,
    );
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).not.toMatch(/MaxListenersExceededWarning/);
  });
});
