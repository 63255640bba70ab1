import type { HubConfig } from '../config/config.types';
import { DEFAULT_RECONCILE_SCHEDULE, scheduleProblem, scheduleReconcile } from './schedule';

const config = (reconcile: HubConfig['reconcile']): HubConfig => ({ reconcile }) as HubConfig;

describe('scheduleReconcile (node-cron)', () => {
  it('runs on the configured schedule, never overlapping itself, and stops', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const s = scheduleReconcile(config({ schedule: '* * * * * *' }), async () => {
      runs++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 1500));
      running--;
    })!;
    try {
      expect(s.expression).toBe('* * * * * *');
      expect(s.nextRun()!.getTime()).toBeGreaterThan(Date.now() - 1000);
      await new Promise((r) => setTimeout(r, 3500));
      expect(runs).toBeGreaterThanOrEqual(1);
      expect(maxRunning).toBe(1);
    } finally {
      await s.stop();
    }
    expect(s.nextRun()).toBeNull();
  });

  it('hands a failed run to onError instead of throwing from the timer', async () => {
    const errors: unknown[] = [];
    const s = scheduleReconcile(
      config({ schedule: '* * * * * *' }),
      () => Promise.reject(new Error('pull failed')),
      (e) => errors.push(e),
    )!;
    try {
      await new Promise((r) => setTimeout(r, 1200));
    } finally {
      await s.stop();
    }
    expect(errors[0]).toMatchObject({ message: 'pull failed' });
  });

  it('defaults to daily at 03:00, is off when disabled, and refuses an expression node-cron does not take', async () => {
    const s = scheduleReconcile(config({}), async () => undefined)!;
    expect(s.expression).toBe(DEFAULT_RECONCILE_SCHEDULE);
    expect([s.nextRun()!.getHours(), s.nextRun()!.getMinutes()]).toEqual([3, 0]);
    await s.stop();
    expect(scheduleReconcile(config({ enabled: false }), async () => undefined)).toBeUndefined();
    expect(scheduleProblem('0 3 * *')).toMatch(/not a cron expression/);
    expect(() => scheduleReconcile(config({ schedule: 'at three' }), async () => undefined)).toThrow(
      expect.objectContaining({ code: 'SCHEMA_INVALID' }),
    );
  });
});
