import { describe, expect, it } from 'vitest';
import { sinceOf, stampedLines } from '../../../electron/core/apps/replica-output';
import { Subscriptions } from '../../../electron/core/subscriptions';

/** Docker's multiplexed frames, as `logs` sends them for a container without a TTY (1: stdout, 2: stderr). */
function frames(...parts: [1 | 2, string][]): Buffer {
  return Buffer.concat(
    parts.map(([stream, text]) => {
      const body = Buffer.from(text, 'utf8');
      const head = Buffer.alloc(8);
      head[0] = stream;
      head.writeUInt32BE(body.length, 4);
      return Buffer.concat([head, body]);
    }),
  );
}

describe("a replica's output, read from Docker", () => {
  it('stdout and stderr in the order Docker kept them, each line with its timestamp, an empty line kept', () => {
    const buf = frames([1, '2026-03-01T10:00:00.000000001Z listening on 80\n'], [2, '2026-03-01T10:00:00.500000000Z warn: no cache\r\n'], [1, '2026-03-01T10:00:01.000000000Z \n']);
    expect(stampedLines(buf)).toEqual([
      { at: '2026-03-01T10:00:00.000000001Z', text: 'listening on 80' },
      { at: '2026-03-01T10:00:00.500000000Z', text: 'warn: no cache' },
      { at: '2026-03-01T10:00:01.000000000Z', text: '' },
    ]);
  });

  it('a follow resumes from the last line seen, to the nanosecond, by Docker’s own clock', () => {
    expect(sinceOf('2026-03-01T10:00:00.000000001Z')).toBe(`${Date.UTC(2026, 2, 1, 10) / 1000}.000000001`);
    expect(sinceOf('2026-03-01T10:00:00.5Z')).toBe(`${Date.UTC(2026, 2, 1, 10) / 1000}.500000000`);
  });

  it('each server is followed once, whoever listens, and apart from the others', async () => {
    const log: string[] = [];
    const subs = new Subscriptions({ 'apps:output': (scope) => (log.push(`start ${scope}`), () => log.push(`stop ${scope}`)) });
    const ok = async (client: string, server: string) => {
      const a = await subs.subscribe(client, 'apps:output', { environment: 'shop', server });
      if (!a.ok) throw new Error(a.error.message);
      return a.result.subscription;
    };
    const w1 = await ok('window-1', 'back1');
    await ok('window-2', 'back1');
    await ok('window-2', 'back2');
    expect(log).toEqual(['start shop/back1', 'start shop/back2']);
    expect(await subs.subscribe('cli', 'apps:output', { environment: 'shop' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    subs.dispose('window-1', w1);
    subs.release('window-2');
    await Promise.resolve();
    expect(log).toEqual(['start shop/back1', 'start shop/back2', 'stop shop/back1', 'stop shop/back2']);
  });
});
