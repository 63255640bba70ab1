import { relative } from 'node:path';
import { loadConfig } from '../../config/load-config';
import { LocatedError, LocatedErrors } from '../../errors/located-error';
import { startHub, type RunningHub } from '../../hub';
import { DEV_SECRET_NAMES, devSecrets, devSecretsPath } from '../../simulators/dev-secrets';
import { ensureSimulatorProcess, type SimulatorProcess } from '../../simulators/simulator-process';
import { withSimulatorCredentials } from '../../simulators/start-simulators';
import type { CliIO } from '../io';

export interface StartCommandOptions {
  config?: string;
  /** Also run the local simulators the config points at, in a process of their own that outlives a crashed hub (development and demos). */
  withSimulators?: boolean;
}

/**
 * `subhub start`: runs the hub until SIGTERM/SIGINT, then closes the listener and exits 0.
 * With `--with-simulators`, first starts the simulators in their own process (see
 * ensureSimulatorProcess; a restarted hub reuses the running ones) with unset simulator
 * credentials and webhook secrets filled in (the latter from `<dataDir>/dev-secrets.json`), and
 * stops them after the hub has stopped.
 */
export async function startCommand(options: StartCommandOptions, io: CliIO): Promise<number> {
  let hub: RunningHub;
  let sims: SimulatorProcess | undefined;
  try {
    let env = io.env;
    if (options.withSimulators) ({ env, sims } = await startSimulatorsFor(options.config, io));
    hub = await startHub({ path: options.config, env });
  } catch (e) {
    // Simulators found running belong to whoever started them (perhaps a hub still running): left alone.
    if (!sims?.reused) await sims?.close();
    if (e instanceof LocatedErrors) for (const x of e.errors) io.err(x.toLine());
    else if (e instanceof LocatedError) io.err(e.toLine());
    else io.err(`subhub start: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  io.err(`subhub listening on ${hub.url} (health: ${hub.url}/healthz)`);
  const running = hub;
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      running.logger.info('stopping', { signal });
      running.stop().then(
        async () => {
          await sims?.close();
          resolve(0);
        },
        async () => {
          await sims?.close();
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/**
 * Starts the simulators of the config at `configPath` and returns the env the hub runs with:
 * unset simulator credentials defaulted, unset webhook secrets from the dev secrets file. Prints
 * which variables were filled (never their values) and one line per simulator.
 */
async function startSimulatorsFor(configPath: string | undefined, io: CliIO): Promise<{ env: NodeJS.ProcessEnv; sims?: SimulatorProcess }> {
  const { config } = loadConfig({ path: configPath, env: io.env });
  const credentials = withSimulatorCredentials(config, io.env);
  const env = credentials.env;
  // Said once the simulators run (a port in use is the first thing to hear about).
  const notes: string[] = [];
  if (credentials.defaulted.length > 0)
    notes.push(`using the simulators' credentials for ${credentials.defaulted.join(', ')} (they were unset)`);

  const dataDir = config.storage?.dataDir ?? './data';
  const unsetSecrets = DEV_SECRET_NAMES.filter((n) => !env[n]);
  if (unsetSecrets.length > 0) {
    const secrets = devSecrets(dataDir);
    for (const n of unsetSecrets) env[n] = secrets[n];
    const file = devSecretsPath(dataDir);
    const shown = relative(io.cwd, file).startsWith('..') ? file : relative(io.cwd, file);
    notes.push(`using development webhook secrets for ${unsetSecrets.join(', ')} from ${shown}`);
  }

  // With a fixed hub port the Stripe simulator can send its webhooks to the hub.
  const port = config.server?.port ?? 8080;
  const host = config.server?.host ?? '0.0.0.0';
  const hubHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const hubUrl = port === 0 ? undefined : `http://${hubHost}:${port}`;
  const sims = await ensureSimulatorProcess(config, { configPath: configPath ?? 'config/hub.json', dataDir, env, hubUrl });
  for (const n of notes) io.err(n);
  if (!sims) return { env };
  const width = Math.max(0, ...Object.keys(sims.urls).map((n) => n.length));
  for (const [name, url] of Object.entries(sims.urls)) io.err(`${name.padEnd(width)} simulator  ${url}`);
  io.err(
    sims.reused
      ? `reusing the simulators already running (pid ${sims.pid}), with their state`
      : `simulators run in their own process (pid ${sims.pid}; a restarted hub reuses them; Ctrl-C stops both)`,
  );
  return { env, sims };
}
