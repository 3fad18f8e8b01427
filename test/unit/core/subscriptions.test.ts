import { describe, expect, it } from 'vitest';
import type { StatsSnapshot } from '../../../shared/live';
import type { EnvironmentStatus, Task } from '../../../shared/contract';
import { SwitchyardError } from '../../../shared/errors';
import { Subscriptions } from '../../../electron/core/subscriptions';

const snap = (environment: string): StatsSnapshot => ({
  environment,
  at: '2026-01-01T00:00:00.000Z',
  reachable: true,
  frontend: { requestRate: 0, requests: 0, sessions: 0 },
  servers: [],
});
const status = (name: string): EnvironmentStatus => ({ name, state: 'running', containers: [], servers: [], haproxy: { reachable: true, configInSync: true } });
const task = { id: 't1', kind: 'deploy', target: 'lab', state: 'running', step: 'images', progress: 0, message: '', steps: [], createdAt: '2026-01-01T00:00:00.000Z' } as Task;

/** A source that records what it starts and stops, per scope. */
function recorder() {
  const log: string[] = [];
  const source = (scope: string) => {
    log.push(`start ${scope}`);
    return () => log.push(`stop ${scope}`);
  };
  return { log, source };
}

const idOf = (answer: Awaited<ReturnType<Subscriptions['subscribe']>>) => {
  if (!answer.ok) throw new Error(`refused: ${answer.error.message}`);
  return answer.result.subscription;
};

describe('the subscription registry', () => {
  it('counts once for every client: the source starts with the first subscription of a scope and stops after the last', async () => {
    const r = recorder();
    const subs = new Subscriptions({ 'stats:snapshot': r.source });
    const a1 = idOf(await subs.subscribe('window-a', 'stats:snapshot', { environment: 'lab' }));
    const a2 = idOf(await subs.subscribe('window-a', 'stats:snapshot', { environment: 'lab' }));
    const b = idOf(await subs.subscribe('socket-b', 'stats:snapshot', { environment: 'lab' }));
    await subs.subscribe('socket-b', 'stats:snapshot', { environment: 'shop' });
    expect(r.log).toEqual(['start lab', 'start shop']);
    expect(subs.count('stats:snapshot', 'lab')).toBe(3);

    subs.dispose('window-a', a1);
    subs.dispose('window-a', a1); // twice: ignored
    subs.dispose('socket-b', b);
    expect(subs.count('stats:snapshot', 'lab')).toBe(1);
    expect(r.log).toEqual(['start lab', 'start shop']);
    subs.dispose('window-a', a2);
    await Promise.resolve();
    expect(r.log).toEqual(['start lab', 'start shop', 'stop lab']);
    expect(subs.count('stats:snapshot', 'lab')).toBe(0);
  });

  it('sends an event only to the clients whose subscriptions match it, each once', async () => {
    const subs = new Subscriptions();
    await subs.subscribe('list', 'environments:status', {});
    await subs.subscribe('lab-view', 'environments:status', { environment: 'lab' });
    await subs.subscribe('lab-view', 'environments:status', { environment: 'lab' });
    await subs.subscribe('shop-view', 'environments:status', { environment: 'shop' });
    await subs.subscribe('shop-view', 'tasks:updated', {});
    expect(subs.recipients('environments:status', status('lab'))).toEqual(['list', 'lab-view']);
    expect(subs.recipients('environments:status', status('shop'))).toEqual(['list', 'shop-view']);
    expect(subs.recipients('tasks:updated', task)).toEqual(['shop-view']);
    expect(subs.recipients('stats:snapshot', snap('lab'))).toEqual([]);
    expect(subs.wants('lab-view', 'environments:status', status('shop'))).toBe(false);
  });

  it('a client that goes (window closed, socket dropped) gives back everything it held, and its sources stop', async () => {
    const r = recorder();
    const subs = new Subscriptions({ 'logs:lines': r.source, 'environments:status': r.source });
    await subs.subscribe('tab', 'logs:lines', { environment: 'lab' });
    await subs.subscribe('tab', 'logs:lines', { environment: 'lab' });
    await subs.subscribe('tab', 'environments:status', {});
    await subs.subscribe('other', 'environments:status', {});
    subs.release('tab');
    await Promise.resolve();
    expect(r.log).toEqual(['start lab', 'start *', 'stop lab']);
    expect(subs.recipients('logs:lines', { environment: 'lab', entries: [] })).toEqual([]);
    expect(subs.recipients('environments:status', status('lab'))).toEqual(['other']);
    subs.release('tab'); // already gone: nothing happens
    subs.release('other');
    await Promise.resolve();
    expect(r.log).toEqual(['start lab', 'start *', 'stop lab', 'stop *']);
  });

  it('a source that refuses (another Switchyard manages it) refuses the subscription; nothing is counted', async () => {
    let starts = 0;
    const subs = new Subscriptions({
      'stats:snapshot': (env) => {
        starts++;
        throw new SwitchyardError('OWNED_ELSEWHERE', `"${env}" on this host is managed by another Switchyard`, { field: 'name' });
      },
    });
    const [one, two] = await Promise.all([subs.subscribe('a', 'stats:snapshot', { environment: 'theirs' }), subs.subscribe('b', 'stats:snapshot', { environment: 'theirs' })]);
    expect(one).toMatchObject({ ok: false, error: { code: 'OWNED_ELSEWHERE', field: 'name' } });
    expect(two).toMatchObject({ ok: false, error: { code: 'OWNED_ELSEWHERE' } });
    // Both waited on the one start under way.
    expect(starts).toBe(1);
    expect(subs.count('stats:snapshot', 'theirs')).toBe(0);
    expect(subs.recipients('stats:snapshot', snap('theirs'))).toEqual([]);
  });

  it('checks the event and its argument with the contract before anything starts', async () => {
    const r = recorder();
    const subs = new Subscriptions({ 'stats:snapshot': r.source });
    expect(await subs.subscribe('a', 'stats:explode', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    expect(await subs.subscribe('a', 'stats:snapshot', {})).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'environment' } });
    expect(await subs.subscribe('a', 'stats:snapshot', { environment: 'Bad Name' })).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'environment' } });
    expect(await subs.subscribe('a', 'tasks:updated', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'extra' } });
    expect(r.log).toEqual([]);
  });

  it('a subscription given back while its source is still starting stops the source once started', async () => {
    const log: string[] = [];
    let finish!: () => void;
    const subs = new Subscriptions({
      'logs:lines': async () => {
        await new Promise<void>((resolve) => (finish = resolve));
        log.push('started');
        return () => log.push('stopped');
      },
    });
    const pending = subs.subscribe('a', 'logs:lines', { environment: 'lab' });
    await Promise.resolve();
    subs.release('a'); // not registered yet: nothing to give back
    finish();
    const id = idOf(await pending);
    subs.dispose('a', id);
    await Promise.resolve();
    expect(log).toEqual(['started', 'stopped']);
  });

  it('close stops every source', async () => {
    const r = recorder();
    const subs = new Subscriptions({ 'stats:snapshot': r.source });
    await subs.subscribe('a', 'stats:snapshot', { environment: 'lab' });
    await subs.close();
    expect(r.log).toEqual(['start lab', 'stop lab']);
    expect(subs.recipients('stats:snapshot', snap('lab'))).toEqual([]);
  });
});
