import { schedule, validate } from 'node-cron';
import type { HubConfig } from '../config/config.types';
import { HubError, isHubError } from '../errors/hub-error';
import type { Logger } from '../observability/logger';
import type { Runtime } from '../runtime';
import type { Store } from '../store/ports';
import { RECONCILE_LOCKED } from './reconcile-lock';
import { runReconcile } from './run-reconcile';

export const DEFAULT_RECONCILE_SCHEDULE = '0 3 * * *';

export interface ScheduledReconcile {
  readonly expression: string;
  /** When the next run is due (null once stopped). */
  nextRun(): Date | null;
  stop(): Promise<void>;
}

/** Why a schedule expression is unusable, or undefined when node-cron accepts it. */
export function scheduleProblem(expression: string): string | undefined {
  return validate(expression)
    ? undefined
    : `reconcile.schedule "${expression}" is not a cron expression node-cron accepts (e.g. "${DEFAULT_RECONCILE_SCHEDULE}": daily at 03:00)`;
}

/**
 * Runs `run` on `reconcile.schedule` (node-cron, default daily at 03:00 local time) unless
 * `reconcile.enabled` is false; undefined when not scheduled. A run still going when the next
 * is due is not overlapped (node-cron's noOverlap; across processes the reconcile lock also
 * holds). Errors of a run go to `onError`, never out of the timer; node-cron's own messages to `log`.
 */
export function scheduleReconcile(
  config: Readonly<HubConfig>,
  run: () => Promise<unknown>,
  onError: (e: unknown) => void = () => undefined,
  log: (level: 'info' | 'warn' | 'error' | 'debug', message: string) => void = () => undefined,
): ScheduledReconcile | undefined {
  if (config.reconcile?.enabled === false) return undefined;
  const expression = config.reconcile?.schedule ?? DEFAULT_RECONCILE_SCHEDULE;
  const problem = scheduleProblem(expression);
  if (problem)
    throw new HubError('SCHEMA_INVALID', 'config', problem, {
      hint: 'five fields (minute hour day month weekday) or six with seconds first',
    });
  const task = schedule(
    expression,
    async () => {
      try {
        await run();
      } catch (e) {
        onError(e);
      }
    },
    {
      name: 'reconcile',
      noOverlap: true,
      // node-cron's own messages (e.g. "blocked by overlap prevention") go to our log, not the console.
      logger: {
        info: (m) => log('info', m),
        warn: (m) => log('warn', m),
        error: (m) => log('error', m instanceof Error ? m.message : m),
        debug: (m) => log('debug', m instanceof Error ? m.message : m),
      },
    },
  );
  let stopped = false;
  return {
    expression,
    nextRun: () => (stopped ? null : task.getNextRun()),
    stop: async () => {
      stopped = true;
      await task.destroy();
    },
  };
}

/**
 * The hub's nightly reconciliation: `runReconcile` on the schedule, the summary logged. A run
 * that finds another one holding the lock (a `subhub reconcile` from the shell) is skipped.
 */
export function startReconcileSchedule(o: {
  runtime: Runtime;
  store: Pick<Store, 'append' | 'domain'>;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}): ScheduledReconcile | undefined {
  return scheduleReconcile(
    o.runtime.config,
    async () => {
      const r = await runReconcile({ runtime: o.runtime, store: o.store, env: o.env });
      o.logger.info('reconcile finished', {
        seconds: r.seconds,
        drift: r.drift.total,
        repaired: r.drift.repaired,
        byKind: Object.fromEntries(Object.entries(r.drift.byKind).map(([k, c]) => [k, c.found])),
        emitted: r.emitted,
      });
    },
    (e) => {
      if (isHubError(e) && e.code === RECONCILE_LOCKED) o.logger.info('reconcile skipped', { reason: e.message });
      else
        o.logger.error('reconcile failed', { error: e instanceof Error ? e.message : String(e), code: isHubError(e) ? e.code : undefined });
    },
  );
}
