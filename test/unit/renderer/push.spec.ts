/**
 * The views hold no data timers: what they show comes pushed by the core (through the fake
 * transport here), over subscriptions they give back when they go.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EnvironmentStatus } from '../../../shared/contract';
import EnvironmentView from '../../../renderer/views/EnvironmentView.vue';
import EnvironmentsView from '../../../renderer/views/EnvironmentsView.vue';
import { FakeTransport, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

const status = (name: string, over: Partial<EnvironmentStatus> = {}): EnvironmentStatus => ({
  name,
  state: 'running',
  url: `http://localhost:8080/`,
  containers: [],
  servers: [],
  haproxy: { reachable: true, configInSync: true },
  ...over,
});

let fake: FakeTransport;
beforeEach(() => {
  fake = freshApp();
  // Only intervals are faked: a view that polls would leave one running.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
});
afterEach(() => {
  unmountAll();
  vi.useRealTimers();
});

describe('the environment view', () => {
  beforeEach(() => {
    fake
      .handle('environments:list', () => [labEnvironment()])
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:status', ({ environment: name }) => status(name))
      .handle('logs:tail', () => []);
  });

  it('holds no timer, subscribes to its status and live figures, and gives them back when it goes', async () => {
    const w = mountInApp(EnvironmentView, { name: 'lab' });
    await settle();
    expect(vi.getTimerCount()).toBe(0);
    expect(fake.subscribed('environments:status')).toEqual([{ environment: 'lab' }]);
    expect(fake.subscribed('stats:snapshot')).toEqual([{ environment: 'lab' }]);
    expect(fake.subscribed('stats:health')).toEqual([{ environment: 'lab' }]);
    const reads = fake.callsTo('environments:status').length;
    vi.advanceTimersByTime(60_000);
    await settle();
    expect(fake.callsTo('environments:status')).toHaveLength(reads);
    w.unmount();
    expect(fake.subscribed('environments:status')).toEqual([]);
    expect(fake.subscribed('stats:snapshot')).toEqual([]);
  });

  it('shows a status change and a saved change the moment the core pushes them', async () => {
    const w = mountInApp(EnvironmentView, { name: 'lab' });
    await settle();
    expect(w.find('[data-test=state]').attributes('data-state')).toBe('running');

    fake.emit('environments:status', status('lab', { state: 'partly-down', containers: [{ name: 'sy-lab-back1', role: 'backend', server: 'back1', state: 'exited', image: 'demo', id: 'a' }] }));
    await settle();
    expect(w.find('[data-test=state]').attributes('data-state')).toBe('partly-down');
    expect(w.find('[data-test=server-card][data-server=back1]').attributes('data-health')).toBe('DOWN');
    // Another environment's status is not this view's business (and the core would not send it).
    fake.emit('environments:status', status('shop', { state: 'failed' }));
    await settle();
    expect(w.find('[data-test=state]').attributes('data-state')).toBe('partly-down');

    // The CLI drains back2: the saved model comes as `environments:changed`.
    const drained = labEnvironment();
    drained.servers[1].state = 'drain';
    fake.emit('environments:changed', { change: 'updated', name: 'lab', environment: drained });
    await settle();
    expect(w.find('[data-test=server-card][data-server=back2] [data-test=mode-drain]').classes()).toContain('n-radio-button--checked');
  });

  it('a server toggle does not fetch the list again: the saved model comes as an event', async () => {
    fake.handle('servers:set', (r) => ({ environment: 'lab', server: r.server, state: r.state ?? 'ready', weight: 100, applied: true }));
    const w = mountInApp(EnvironmentView, { name: 'lab' });
    await settle();
    const lists = fake.callsTo('environments:list').length;
    await w.find('[data-test=server-card][data-server=back1] [data-test=mode-maint] input').setValue(true);
    await settle();
    expect(fake.callsTo('servers:set')).toEqual([{ environment: 'lab', server: 'back1', state: 'maint' }]);
    expect(fake.callsTo('environments:list')).toHaveLength(lists);
  });
});

describe('the environments list', () => {
  beforeEach(() => {
    fake.handle('environments:list', () => [labEnvironment()]).handle('environments:status', ({ environment: name }) => status(name));
  });

  it('holds no timer and follows every environment’s status while shown', async () => {
    const w = mountInApp(EnvironmentsView);
    await settle();
    expect(vi.getTimerCount()).toBe(0);
    expect(fake.subscribed('environments:status')).toEqual([{}]);
    const reads = fake.callsTo('environments:status').length;
    vi.advanceTimersByTime(60_000);
    await settle();
    expect(fake.callsTo('environments:status')).toHaveLength(reads);

    fake.emit('environments:status', status('lab', { state: 'stopped' }));
    await settle();
    expect(w.find('[data-env=lab] [data-test=state]').attributes('data-state')).toBe('stopped');
    w.unmount();
    expect(fake.subscribed('environments:status')).toEqual([]);
  });

  it('an environment created or removed elsewhere (the CLI) appears and goes without a reload', async () => {
    const w = mountInApp(EnvironmentsView);
    await settle();
    const lists = fake.callsTo('environments:list').length;
    const shop = labEnvironment({ name: 'shop', httpPort: 8081 });
    fake.emit('environments:changed', { change: 'created', name: 'shop', environment: shop });
    fake.emit('environments:status', status('shop', { state: 'not-deployed' }));
    await settle();
    const rows = () => w.findAll('[data-test=environment-row]').map((r) => r.attributes('data-env'));
    expect(rows()).toEqual(['lab', 'shop']);
    expect(w.find('[data-env=shop] [data-test=state]').attributes('data-state')).toBe('not-deployed');
    fake.emit('environments:changed', { change: 'removed', name: 'lab' });
    await settle();
    expect(rows()).toEqual(['shop']);
    expect(fake.callsTo('environments:list')).toHaveLength(lists);
  });
});
