import { DeliveryError } from './delivery-error';
import { PullPacer, type PullPacerClock } from './pull-pacer';

/** A clock that advances only when the pacer sleeps: no real waiting, every wait recorded. */
function fakeClock(): PullPacerClock & { t: number; sleeps: number[] } {
  const c = {
    t: 0,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
    },
    random: () => 0.5,
  };
  return c;
}

describe('PullPacer (issue 9.3b)', () => {
  it('spreads page requests at the configured rate', async () => {
    const clock = fakeClock();
    const pacer = new PullPacer({ ratePerSec: 25 }, clock);
    const at: number[] = [];
    for (let i = 0; i < 5; i++) await pacer.page(async () => at.push(clock.t));
    expect(at).toEqual([0, 40, 80, 120, 160]);
  });

  it('asks the same page again after a 429: Retry-After honoured, else exponential backoff; permanent errors are thrown at once', async () => {
    const clock = fakeClock();
    const pacer = new PullPacer({ ratePerSec: 1000 }, clock);
    const answers = [
      new DeliveryError('DELIVERY_RATE_LIMITED', '429', { retryAfterMs: 2000 }),
      new DeliveryError('DELIVERY_RATE_LIMITED', '429 without Retry-After'),
      new DeliveryError('DELIVERY_SERVER_ERROR', '503'),
    ];
    const cursors: string[] = [];
    const page = await pacer.page(async () => {
      cursors.push('sub_100');
      const e = answers.shift();
      if (e) throw e;
      return 'page after sub_100';
    });
    expect(page).toBe('page after sub_100');
    expect(cursors).toEqual(['sub_100', 'sub_100', 'sub_100', 'sub_100']);
    expect(clock.sleeps.filter((ms) => ms >= 500)).toEqual([2000, 1000, 2000]);
    expect(pacer.retries).toBe(3);
    await expect(pacer.page(async () => Promise.reject(new DeliveryError('DELIVERY_REJECTED', '401')))).rejects.toMatchObject({
      code: 'DELIVERY_REJECTED',
    });
    // A system that cannot be reached fails the pull at once: the run reports it.
    await expect(pacer.page(async () => Promise.reject(new DeliveryError('DELIVERY_NETWORK', 'ECONNREFUSED')))).rejects.toMatchObject({
      code: 'DELIVERY_NETWORK',
    });
    expect(pacer.retries).toBe(3);
  });

  it('gives up on a page after maxRetries, saying how often it tried', async () => {
    const pacer = new PullPacer({ ratePerSec: 1000, maxRetries: 2, maxDelayMs: 10 }, fakeClock());
    await expect(pacer.page(async () => Promise.reject(new DeliveryError('DELIVERY_RATE_LIMITED', 'answered 429')))).rejects.toMatchObject({
      code: 'DELIVERY_RATE_LIMITED',
      message: 'answered 429 (still failing after 3 tries of one page)',
    });
  });
});
