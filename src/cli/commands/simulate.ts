import { startMailboxSimulator } from '../../../connectors/http/simulator';
import { startMollieSimulator } from '../../../connectors/mollie/simulator';
import { startOdooSimulator } from '../../../connectors/odoo/simulator';
import { startShopifySimulator } from '../../../connectors/shopify/simulator';
import { startStripeSimulator } from '../../../connectors/stripe/simulator';
import { startWarehouseSimulator } from '../../../connectors/warehouse/simulator';
import { loadConfig } from '../../config/load-config';
import { runSimulatorProcess } from '../../simulators/simulator-process';
import type { CliIO } from '../io';

/** The simulators that can run alone, for demos and benchmarks (Odoo's key: odoo-api-key). More arrive with their connectors. */
const SIMULATORS: Record<string, (port: number) => Promise<{ url: string; close(): Promise<void> }>> = {
  warehouse: (port) => startWarehouseSimulator(port),
  odoo: (port) => startOdooSimulator(port),
  shopify: (port) => startShopifySimulator(port),
  stripe: (port) =>
    startStripeSimulator(port, {
      webhook: process.env.SUBHUB_SIM_WEBHOOK_URL
        ? { url: process.env.SUBHUB_SIM_WEBHOOK_URL, secret: process.env.STRIPE_WEBHOOK_SECRET ?? '' }
        : undefined,
    }),
  mailbox: (port) => startMailboxSimulator(port),
  // Any test_/live_ key; classic webhooks of payments without a webhookUrl go to SUBHUB_SIM_WEBHOOK_URL.
  mollie: (port) => startMollieSimulator(port, { webhookUrl: process.env.SUBHUB_SIM_WEBHOOK_URL }),
};

/** `subhub simulate <name> --port N`: runs a system's simulator until SIGTERM/SIGINT. */
export async function simulateCommand(name: string, options: { port: string }, io: CliIO): Promise<number> {
  const start = SIMULATORS[name];
  if (!start) {
    io.err(`subhub simulate: unknown simulator "${name}"; available: ${Object.keys(SIMULATORS).join(', ')}`);
    return 2;
  }
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.err('subhub simulate: --port is a port number');
    return 2;
  }
  let sim: { url: string; close(): Promise<void> };
  try {
    sim = await start(port);
  } catch (e) {
    // One line and exit 1, never a stack trace: a taken port is the usual cause.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      io.err(
        `subhub simulate: port ${port} is in use (another simulator, a hub or another program listens there); stop it or choose another --port [PORT_IN_USE]`,
      );
    else io.err(`subhub simulate: the ${name} simulator did not start on port ${port}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  io.err(`${name} simulator listening on ${sim.url}`);
  return new Promise<number>((resolve) => {
    const stop = () => void sim.close().then(() => resolve(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

/** `subhub simulators` (internal): the simulator process of `subhub start --with-simulators`, until SIGTERM/SIGINT. */
export async function simulatorsCommand(options: { config: string; readyFile: string; hubUrl?: string }, io: CliIO): Promise<number> {
  try {
    const { config } = loadConfig({ path: options.config, env: io.env });
    await runSimulatorProcess(config, options.readyFile, options.hubUrl);
    return 0;
  } catch (e) {
    io.err(`subhub simulators: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
