import { CircuitBreaker } from './circuit-breaker';
import { TokenBucket } from '../util/token-bucket';

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, lets one probe through after openMs, closes on its success', () => {
    const b = new CircuitBreaker(3, 1000);
    b.failure(0);
    b.failure(1);
    expect(b.state).toBe('closed');
    b.success();
    b.failure(2);
    b.failure(3);
    expect(b.allow(4)).toBe(true);
    b.failure(4);
    expect(b.state).toBe('open');
    expect(b.allow(500)).toBe(false);
    expect(b.allow(1004)).toBe(true);
    expect(b.state).toBe('half_open');
    expect(b.allow(1005)).toBe(false); // one probe at a time
    b.success();
    expect(b.state).toBe('closed');
    expect(b.allow(1006)).toBe(true);
  });

  it('a failed probe opens it again for another openMs', () => {
    const b = new CircuitBreaker(1, 1000);
    b.failure(0);
    expect(b.allow(1000)).toBe(true);
    b.failure(1000);
    expect(b.state).toBe('open');
    expect(b.allow(1999)).toBe(false);
    expect(b.allow(2000)).toBe(true);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate and says how long to wait', () => {
    const t = new TokenBucket(10, 3, 0);
    expect([t.take(0), t.take(0), t.take(0)]).toEqual([0, 0, 0]);
    expect(t.take(0)).toBe(100);
    expect(t.take(50)).toBe(50);
    expect(t.take(100)).toBe(0);
    expect(t.take(10_000)).toBe(0);
    expect(t.available).toBeLessThanOrEqual(3);
  });
});
