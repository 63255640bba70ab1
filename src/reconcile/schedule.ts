import { schedule, validate } from 'node-cron';
import type { HubConfig } from '../config/config.types';
import { HubError } from '../errors/hub-error';

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
