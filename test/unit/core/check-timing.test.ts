import { describe, expect, it } from 'vitest';
import { checkTiming, DOWN_PROMISE_SLACK_MS, worstDownMs } from '../../../electron/core/haproxy/check-timing';

describe('health-check timing', () => {
  it('with the defaults: a dead server is DOWN within 6 s by checks alone (promise: 7 s)', () => {
    const t = checkTiming({ healthCheck: { type: 'http', path: '/health', expectStatus: 200, interval: 2000, rise: 2, fall: 3 }, timeouts: { connect: 2000, client: 30_000, server: 30_000 } });
    expect(t).toEqual({ inter: 2000, fastinter: 500, downinter: 1000, connect: 1000, connectCapped: true, check: 2000 });
    expect(worstDownMs(t, 3)).toBe(6000);
  });

  it('keeps interval × fall + 1 s for any interval, fall and connect timeout a user may set', () => {
    const failures: string[] = [];
    for (const interval of [250, 500, 1000, 2000, 3000, 5000, 10_000, 60_000])
      for (const fall of [1, 2, 3, 5, 10, 100])
        for (const connect of [100, 500, 1000, 2000, 5000, 60_000]) {
          const t = checkTiming({ healthCheck: { type: 'http', path: '/', expectStatus: 200, interval, rise: 2, fall }, timeouts: { connect, client: 1, server: 1 } });
          const worst = worstDownMs(t, fall);
          if (worst > interval * fall + DOWN_PROMISE_SLACK_MS) failures.push(`interval ${interval} fall ${fall} connect ${connect}: ${worst} ms`);
          // Never longer than what the user set, and capped only when that is needed.
          expect(t.connect).toBeLessThanOrEqual(connect);
          expect(t.connectCapped).toBe(t.connect < connect);
          expect(t.fastinter).toBeLessThan(t.inter);
        }
    expect(failures).toEqual([]);
  });
});
