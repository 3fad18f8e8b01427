import { describe, expect, it } from 'vitest';
import { RingBuffer, parseAccessLine } from '../../../electron/core/logs/access-log';

describe('access log parsing', () => {
  it('reads an httplog line as HAProxy 2.6 writes it', () => {
    const line = '172.20.0.1:49344 [24/Nov/2026:14:35:50.667] web servers/back1 0/0/1/2/3 200 389 - - --NI 1/1/0/0/0 0/0 "GET /shop?id=4 HTTP/1.1"';
    expect(parseAccessLine(line)).toEqual({
      at: '2026-11-24T14:35:50.667Z',
      client: '172.20.0.1',
      frontend: 'web',
      backend: 'servers',
      server: 'back1',
      status: 200,
      bytes: 389,
      timers: { tr: 0, tw: 0, tc: 1, tr2: 2, ta: 3 },
      terminationState: '--NI',
      request: 'GET /shop?id=4 HTTP/1.1',
      raw: line,
    });
  });

  it('reads failures (-1 timers, no server) and IPv6 clients', () => {
    const e = parseAccessLine('::1:5000 [01/Jan/2027:00:00:00.000] web servers/<NOSRV> -1/-1/-1/-1/+5 503 217 - - SC-- 2/2/0/0/0 0/0 "GET / HTTP/1.1"');
    expect(e).toMatchObject({ client: '::1', server: '<NOSRV>', status: 503, timers: { tr: -1, ta: 5 }, terminationState: 'SC--' });
  });

  it('ignores what is not an access line', () => {
    expect(parseAccessLine('[NOTICE]   (1) : New worker (8) forked')).toBeUndefined();
    expect(parseAccessLine('')).toBeUndefined();
  });

  it('keeps only the latest entries', () => {
    const b = new RingBuffer<number>(3);
    b.push(1, 2);
    b.push(3, 4, 5);
    expect(b.latest(10)).toEqual([3, 4, 5]);
    expect(b.latest(2)).toEqual([4, 5]);
  });
});
