import { describe, expect, it } from 'vitest';
import type { EnvironmentState, EnvironmentStatus } from '../../../shared/contract';
import { StatusFeed } from '../../../electron/core/environments/status-feed';
import { until } from '../../support/lab';

/** The feed's collaborators, faked in memory: statuses the test sets, and a record of what was polled. */
function setup(names: string[]) {
  const states: Record<string, EnvironmentState> = Object.fromEntries(names.map((n) => [n, 'running' as EnvironmentState]));
  const log: string[] = [];
  const sent: string[] = [];
  let reads = 0;
  const feed = new StatusFeed(
    {
      names: async () => Object.keys(states),
      status: async (name): Promise<EnvironmentStatus> => {
        reads++;
        return { name, state: states[name], containers: [], servers: [], haproxy: { reachable: true, configInSync: true } };
      },
      pollHealth: (name) => {
        log.push(`poll ${name}`);
        return () => log.push(`unpoll ${name}`);
      },
      emit: (s) => sent.push(`${s.name} ${s.state}`),
    },
    { settleMs: 10 },
  );
  return { feed, states, log, sent, reads: () => reads };
}

describe('the status feed', () => {
  it('reads a followed environment again when told it may have changed, once per burst, and sends only what changed', async () => {
    const { feed, states, log, sent, reads } = setup(['lab', 'shop']);
    const stop = await feed.watch('lab');
    expect(log).toEqual(['poll lab']);
    feed.changed('lab');
    feed.changed('lab');
    feed.changed('shop'); // nobody follows it
    await until('a status', async () => sent.length === 1, 1000, 5);
    expect(sent).toEqual(['lab running']);
    expect(reads()).toBe(1);

    feed.changed('lab');
    await until('a second read', async () => reads() === 2, 1000, 5);
    expect(sent).toEqual(['lab running']);

    states.lab = 'partly-down';
    feed.changed('lab');
    await until('the change', async () => sent.length === 2, 1000, 5);
    expect(sent).toEqual(['lab running', 'lab partly-down']);

    stop();
    await until('unpolled', async () => log.includes('unpoll lab'), 1000, 5);
    feed.changed('lab');
    await new Promise((r) => setTimeout(r, 50));
    expect(reads()).toBe(3);
  });

  it('`*` follows every environment in the store, and the list as it changes', async () => {
    const { feed, states, log, sent } = setup(['lab', 'shop']);
    const stop = await feed.watch('*');
    expect(log.sort()).toEqual(['poll lab', 'poll shop']);
    // Nothing read up front: the list reads the statuses it shows itself.
    expect(sent).toEqual([]);

    states.fresh = 'not-deployed';
    delete states.shop;
    feed.listChanged();
    await until('the new one', async () => sent.includes('fresh not-deployed'), 1000, 5);
    expect(log).toContain('unpoll shop');
    expect(log).toContain('poll fresh');

    // A view of one environment while the list is open: still polled once.
    const one = await feed.watch('lab');
    expect(log.filter((l) => l === 'poll lab')).toHaveLength(1);
    stop();
    await until('the others unpolled', async () => log.includes('unpoll fresh'), 1000, 5);
    expect(log).not.toContain('unpoll lab');
    one();
    await until('lab unpolled', async () => log.includes('unpoll lab'), 1000, 5);
    await feed.close();
  });
});
