import { LocatedError, LocatedErrors } from '../../errors/located-error';
import { startHub } from '../../hub';
import type { CliIO } from '../io';

/** `subhub start`: runs the hub until SIGTERM/SIGINT, then closes the listener and exits 0. */
export async function startCommand(options: { config?: string }, io: CliIO): Promise<number> {
  let hub;
  try {
    hub = await startHub({ path: options.config, env: io.env });
  } catch (e) {
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
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
