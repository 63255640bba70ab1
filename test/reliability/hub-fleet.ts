import Stripe from 'stripe';
import { freePort, HubProcess } from './hub-process';

const stripe = new Stripe('sk_test_crash');
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One answer a sender got (or a connection that failed: status 0), with the times it was sent and answered. */
export interface SendAttempt {
  eventId: string;
  hub: number;
  status: number;
  retryAfter?: string;
  sentAt: number;
  answeredAt: number;
}

/**
 * N real hub processes on one config (each on its own port) and the load balancer in front of
 * them: the crash harness kills and restarts them one by one; `send` spreads webhooks over them.
 */
export class HubFleet {
  readonly #restarting = new Map<HubProcess, Promise<void>>();
  #next = 0;

  private constructor(readonly hubs: readonly HubProcess[]) {}

  /** Starts `n` hubs on `configPath` with `env`, one after another (each migrates or finds the schema). */
  static async start(n: number, configPath: string, env: Record<string, string>): Promise<HubFleet> {
    const hubs: HubProcess[] = [];
    const fleet = new HubFleet(hubs);
    try {
      for (let i = 0; i < n; i++) {
        const hub = new HubProcess(configPath, await freePort(), env);
        hubs.push(hub);
        await hub.start();
      }
    } catch (e) {
      await fleet.kill();
      throw e;
    }
    return fleet;
  }

  /** Starts one more hub on the same config (a hub joining the fleet mid-run); senders spread over it from then on. */
  async join(configPath: string, env: Record<string, string>): Promise<HubProcess> {
    const hub = new HubProcess(configPath, await freePort(), env);
    await hub.start();
    (this.hubs as HubProcess[]).push(hub);
    return hub;
  }

  /** SIGKILLs over all hubs so far. */
  get kills(): number {
    return this.hubs.reduce((n, h) => n + h.kills, 0);
  }

  /** Hubs being restarted now. */
  get restarting(): number {
    return this.#restarting.size;
  }

  /** SIGKILLs `hub` and starts it again on its port; joins a restart of it already under way. */
  restart(hub: HubProcess): Promise<void> {
    let r = this.#restarting.get(hub);
    if (!r) {
      r = (async () => {
        const t0 = Date.now();
        await hub.kill();
        const t1 = Date.now();
        await hub.start();
        if (process.env.CRASH_DEBUG) process.stderr.write(`restart ${hub.port}: kill ${t1 - t0} ms, start ${Date.now() - t1} ms\n`);
      })().finally(() => this.#restarting.delete(hub));
      this.#restarting.set(hub, r);
    }
    return r;
  }

  /** Restarts a random hub that is not restarting already (when all are, joins one of those restarts). */
  restartRandom(): Promise<void> {
    const idle = this.hubs.filter((h) => !this.#restarting.has(h));
    const pool = idle.length ? idle : this.hubs;
    return this.restart(pool[Math.floor(Math.random() * pool.length)]!);
  }

  /** Resolves when no restart is under way. */
  async settled(): Promise<void> {
    while (this.#restarting.size) await Promise.allSettled([...this.#restarting.values()]);
  }

  /**
   * Sends one signed Stripe event until a hub answers 2xx, as a provider behind a load balancer
   * would: starting at the next hub in turn, a refused connection, a timeout or any other status
   * moves on to the next hub; after a round of all hubs it waits 10–30 ms. `observe` sees every
   * attempt. Resolves when acknowledged.
   */
  async send(e: { id: string; body: string }, secret: string, observe?: (a: SendAttempt) => void): Promise<void> {
    let i = this.#next++ % this.hubs.length;
    for (let tries = 1; ; tries++, i = (i + 1) % this.hubs.length) {
      const sentAt = Date.now();
      let status = 0;
      let retryAfter: string | undefined;
      try {
        const header = stripe.webhooks.generateTestHeaderString({ payload: e.body, secret });
        const res = await fetch(`${this.hubs[i]!.url}/webhooks/stripe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': header },
          body: e.body,
          signal: AbortSignal.timeout(5000),
        });
        await res.arrayBuffer();
        status = res.status;
        retryAfter = res.headers.get('retry-after') ?? undefined;
      } catch {
        // connection refused or reset while the hub is down: the next hub, as a load balancer would
      }
      observe?.({ eventId: e.id, hub: i, status, ...(retryAfter === undefined ? {} : { retryAfter }), sentAt, answeredAt: Date.now() });
      if (status === 200 || status === 202) return;
      if (tries % this.hubs.length === 0) await delay(10 + Math.random() * 20);
    }
  }

  /** SIGTERMs every hub (a clean stop) after any restart under way. */
  async stop(): Promise<void> {
    await this.settled();
    await Promise.all(this.hubs.map((h) => h.stop()));
  }

  /** SIGKILLs whatever still runs (cleanup after a failure). */
  async kill(): Promise<void> {
    await Promise.allSettled([...this.#restarting.values()]);
    await Promise.all(this.hubs.map((h) => h.kill()));
  }
}
