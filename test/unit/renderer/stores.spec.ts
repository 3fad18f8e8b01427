import { beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { EnvironmentStatus, EventArgumentOf, EventName, EventPayload, Task } from '../../../shared/contract';
import type { StatsSnapshot } from '../../../shared/live';
import type { Environment } from '../../../shared/model';
import { invoke, subscribe, useTransport, type Subscription } from '../../../renderer/api/client';
import { SwitchyardError } from '../../../shared/errors';
import { useEnvironmentsStore } from '../../../renderer/stores/environments';
import { LOG_LINES_KEPT, useLogsStore } from '../../../renderer/stores/logs';
import { useStatsStore } from '../../../renderer/stores/stats';
import { FINE_MS, MAX_SAMPLES } from '../../../shared/stats-history';
import { useSettingsStore } from '../../../renderer/stores/settings';
import { useTasksStore } from '../../../renderer/stores/tasks';
import { useTrafficStore } from '../../../renderer/stores/traffic';
import { FakeTransport, flush, freshApp, labEnvironment } from './fake-transport';

const stamp = '2026-01-01T00:00:00.000Z';
const lab = (name = 'lab'): Environment => labEnvironment({ name });

const task = (over: Partial<Task>): Task => ({
  id: 't1',
  kind: 'deploy',
  target: 'lab',
  state: 'running',
  step: 'images',
  progress: 10,
  message: 'Checking images',
  steps: [],
  createdAt: stamp,
  ...over,
});
const status = (over: Partial<EnvironmentStatus> = {}): EnvironmentStatus => ({
  name: 'lab',
  state: 'running',
  url: 'http://localhost:8080/',
  containers: [],
  servers: [],
  haproxy: { reachable: true, configInSync: true },
  ...over,
});
const snapshot = (at: string, hits: [number, number], rates: [number, number] = [1, 1]): StatsSnapshot => ({
  environment: 'lab',
  at,
  reachable: true,
  frontend: { requestRate: rates[0] + rates[1], requests: hits[0] + hits[1], sessions: 0 },
  servers: ['back1', 'back2'].map((name, i) => ({
    name,
    health: 'UP' as const,
    status: 'UP',
    state: 'ready' as const,
    checkStatus: 'L7OK',
    weight: 100,
    sessions: 0,
    hits: hits[i],
    hitsPerSecond: rates[i],
    responses: { '2xx': hits[i], '3xx': 0, '4xx': 0, '5xx': 0 },
  })),
});

let fake: FakeTransport;
beforeEach(() => {
  fake = freshApp();
});

describe('the api client', () => {
  it('turns a refusal into a SwitchyardError with the code, message and field', async () => {
    fake.handle('environments:create', () => ({ error: { code: 'VALIDATION', message: 'httpPort: must be between 1 and 65535', field: 'httpPort' } }));
    const err = await invoke('environments:create', { name: 'x', httpPort: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect(err).toMatchObject({ code: 'VALIDATION', field: 'httpPort', message: 'httpPort: must be between 1 and 65535' });
  });

  it('subscribe(event, argument, listener) → dispose, typed by the contract', () => {
    type Listen<Result> = <E extends EventName>(event: E, argument: EventArgumentOf<E>, listener: (payload: EventPayload<E>) => void) => Result;
    expectTypeOf<typeof subscribe>().toEqualTypeOf<Listen<Subscription>>();
    expectTypeOf<Subscription>().toExtend<() => void>();
    expectTypeOf<Subscription['ready']>().toEqualTypeOf<Promise<void>>();
  });

  it('keeps subscriptions across a change of transport', () => {
    const tasks = useTasksStore();
    const next = new FakeTransport();
    useTransport(next);
    fake.emit('tasks:updated', task({ id: 'from-old' }));
    next.emit('tasks:updated', task({ id: 'from-new' }));
    expect(Object.keys(tasks.byId)).toEqual(['from-new']);
  });
});

describe('tasks store', () => {
  it('mirrors tasks:list and tasks:updated, newest first, and says when one ends', async () => {
    fake.handle('tasks:list', () => [task({ id: 'old', createdAt: '2025-01-01T00:00:00Z', state: 'succeeded' })]);
    const tasks = useTasksStore();
    await tasks.load();
    const ended: string[] = [];
    tasks.onFinished((t) => ended.push(`${t.id}:${t.state}`));
    fake.emit('tasks:updated', task({ id: 'new' }));
    expect(tasks.tasks.map((t) => t.id)).toEqual(['new', 'old']);
    expect(tasks.runningFor('lab')?.id).toBe('new');
    const done = tasks.whenDone('new');
    fake.emit('tasks:updated', task({ id: 'new', state: 'failed', error: { code: 'PORT_IN_USE', message: 'port 8080 is taken' } }));
    await expect(done).resolves.toMatchObject({ state: 'failed' });
    expect(ended).toEqual(['new:failed']);
    expect(tasks.runningFor('lab')).toBeUndefined();
  });

  it('cancel goes through tasks:cancel', async () => {
    fake.handle('tasks:cancel', ({ id }) => task({ id, state: 'cancelled' }));
    const tasks = useTasksStore();
    await tasks.cancel('x');
    expect(fake.callsTo('tasks:cancel')).toEqual([{ id: 'x' }]);
    expect(tasks.byId.x.state).toBe('cancelled');
  });
});

describe('environments store', () => {
  it('shows "deploying" while a deploy task runs, then the state the core reports', async () => {
    let state: EnvironmentStatus['state'] = 'not-deployed';
    fake.handle('environments:list', () => [lab()]).handle('environments:status', () => status({ state }));
    const envs = useEnvironmentsStore();
    await envs.loadAll();
    expect(envs.displayState('lab')).toBe('not-deployed');
    fake.emit('tasks:updated', task({}));
    expect(envs.displayState('lab')).toBe('deploying');
    state = 'running';
    fake.emit('tasks:updated', task({ state: 'succeeded' }));
    await flush();
    expect(envs.displayState('lab')).toBe('running');
    expect(envs.displayState('other')).toBe('unknown');
  });

  it('knows the running config when the core says it is in sync, asks for it when not, and keeps the one before an edit', async () => {
    let config = 'global\n  maxconn 100\n';
    let inSync = true;
    fake
      .handle('environments:list', () => [lab()])
      .handle('environments:render', () => ({ config }))
      .handle('environments:running', () => ({ config: 'global\n  maxconn 100\n  # running\n' }))
      .handle('environments:status', () => status({ haproxy: { reachable: true, configInSync: inSync } }))
      .handle('environments:update', ({ patch }) => ({ ...lab(), ...(patch as object) }) as Environment);
    const envs = useEnvironmentsStore();
    await envs.load();
    await envs.render('lab');
    await envs.loadStatus('lab');
    expect(envs.deployedConfigs.lab).toBe('global\n  maxconn 100\n');

    config = 'global\n  maxconn 200\n';
    inSync = false;
    await envs.update('lab', { retries: 5 });
    expect(envs.previousConfigs.lab).toBe('global\n  maxconn 100\n');
    expect(envs.configs.lab).toBe('global\n  maxconn 200\n');
    // What runs, as the load balancer has it.
    expect(fake.callsTo('environments:running')).toEqual([{ environment: 'lab' }]);
    expect(envs.deployedConfigs.lab).toBe('global\n  maxconn 100\n  # running\n');
    // Further polls while it stays out of sync do not read it again: only a deploy changes it.
    await envs.loadStatus('lab');
    await envs.loadStatus('lab');
    expect(fake.callsTo('environments:running')).toHaveLength(1);
    expect(envs.byName('lab')?.retries).toBe(5);
  });
});

describe('settings store', () => {
  it('shows the core’s stats interval when none was chosen here, and gives the core a chosen one', async () => {
    localStorage.clear();
    fake.handle('stats:settings', (r) => ({ intervalMs: r.intervalMs ?? 2500 }));
    const settings = useSettingsStore();
    await settings.applySaved();
    expect(fake.callsTo('stats:settings')).toEqual([{}]);
    expect(settings.coreStatsIntervalMs).toBe(2500);
    await settings.setStatsInterval(500);
    expect(fake.callsTo('stats:settings')).toEqual([{}, { intervalMs: 500 }]);
    expect(settings.statsIntervalMs).toBe(500);
  });
});

describe('stats store', () => {
  const sampled = (i: number, servers: Record<string, number>): StatsSnapshot => ({
    ...snapshot(new Date(Date.parse(stamp) + i * 1000).toISOString(), [i, i]),
    sample: { from: Date.parse(stamp) + (i - 1) * 1000, to: Date.parse(stamp) + i * 1000, servers, responses: { '2xx': 1, '4xx': 0, '5xx': 0 } },
  });

  it('keeps the latest snapshot and the samples they carry, bounded as the core bounds its own, aligned for the charts', () => {
    const stats = useStatsStore();
    const stop = stats.watch('lab');
    const polls = 2 * 3600;
    for (let i = 1; i <= polls; i++) fake.emit('stats:snapshot', sampled(i, { back1: 1, back2: 2 }));
    expect(stats.snapshots.lab.servers[0].hits).toBe(polls);
    expect(stats.seriesVersion.lab).toBe(polls);
    const samples = stats.samplesOf('lab');
    expect(samples.length).toBeLessThanOrEqual(MAX_SAMPLES);
    expect(samples.filter((x) => x.to > samples.at(-1)!.to - FINE_MS)).toHaveLength(300);
    const series = stats.windowOf('lab', ['back1', 'back2']);
    expect(series.perServer.back1).toHaveLength(series.times.length);
    expect(series.responses['5xx']).toHaveLength(series.times.length);
    expect(series.perServer.back2.at(-1)).toBe(2);
    stop();
  });

  it('a server that shows up late has no figure before (null, which uPlot draws as a gap), never NaN', () => {
    const stats = useStatsStore();
    const stop = stats.watch('lab');
    // While HAProxy starts, snapshots come without servers, and without samples.
    fake.emit('stats:snapshot', { ...snapshot(stamp, [0, 0]), reachable: false, servers: [] });
    fake.emit('stats:snapshot', sampled(1, { back2: 4 }));
    fake.emit('stats:snapshot', sampled(2, { back1: 3, back2: 4 }));
    const series = stats.windowOf('lab', ['back1', 'back2']);
    expect(series.perServer.back1.slice(1)).toEqual([null, 3]);
    expect(series.perServer.back2.slice(1)).toEqual([4, 4]);
    expect([...series.perServer.back1, ...series.perServer.back2].some((v) => Number.isNaN(v))).toBe(false);
    stop();
  });

  it('counts nothing itself: each watch is its own subscription, given back by its own stop, and each snapshot is recorded once', async () => {
    const stats = useStatsStore();
    const one = stats.watch('lab');
    const two = stats.watch('lab');
    await Promise.all([one.ready, two.ready]);
    expect(fake.subscribed('stats:snapshot')).toEqual([{ environment: 'lab' }, { environment: 'lab' }]);
    expect(fake.subscribed('stats:health')).toEqual([{ environment: 'lab' }, { environment: 'lab' }]);
    fake.emit('stats:health', { environment: 'lab', server: 'back1', from: 'UP', to: 'DOWN', at: stamp });
    expect(stats.healthEvents).toHaveLength(1);
    one();
    expect(fake.subscribed('stats:snapshot')).toEqual([{ environment: 'lab' }]);
    two();
    expect(fake.subscribed('stats:snapshot')).toEqual([]);
    expect(fake.subscribed('stats:health')).toEqual([]);
    // Nothing subscribed: the core sends nothing more.
    fake.emit('stats:snapshot', snapshot(stamp, [1, 1]));
    expect(stats.snapshots.lab).toBeUndefined();
  });

  it('a refused subscription (another Switchyard manages it) shows as the store error', async () => {
    fake.refuse('stats:snapshot', { code: 'OWNED_ELSEWHERE', message: 'managed by another Switchyard' });
    const stats = useStatsStore();
    await stats.watch('lab').ready;
    expect(stats.error?.code).toBe('OWNED_ELSEWHERE');
  });

  it('a health change shows at once; servers:set shows the new mode before the next snapshot', async () => {
    fake.handle('servers:set', (r) => ({ environment: r.environment, server: r.server, state: r.state ?? 'ready', weight: r.weight ?? 100, applied: true }));
    const stats = useStatsStore();
    const stop = stats.watch('lab');
    fake.emit('stats:snapshot', snapshot(stamp, [1, 1]));
    fake.emit('stats:health', { environment: 'lab', server: 'back2', from: 'UP', to: 'DOWN', at: stamp });
    expect(stats.snapshots.lab.servers[1].health).toBe('DOWN');
    expect(stats.healthEvents[0]).toMatchObject({ server: 'back2', to: 'DOWN' });
    await stats.setServer('lab', 'back1', { state: 'maint' });
    expect(stats.snapshots.lab.servers[0].state).toBe('maint');
    expect(fake.callsTo('servers:set')).toEqual([{ environment: 'lab', server: 'back1', state: 'maint' }]);
    stop();
  });
});

describe('logs and traffic stores', () => {
  it('logs: the tail first, then lines as they come, bounded', async () => {
    const entry = (n: number) => ({
      at: stamp,
      client: '1.2.3.4',
      frontend: 'f',
      backend: 'b',
      server: 'back1',
      status: 200,
      bytes: n,
      timers: { tr: 0, tw: 0, tc: 0, tr2: 0, ta: 1 },
      terminationState: '--',
      request: 'GET / HTTP/1.1',
      raw: '',
    });
    fake.handle('logs:tail', () => [entry(0)]);
    const logs = useLogsStore();
    const stop = logs.watch('lab');
    await stop.ready;
    expect(fake.subscribed('logs:lines')).toEqual([{ environment: 'lab' }]);
    expect(logs.entries.lab).toHaveLength(1);
    fake.emit('logs:lines', { environment: 'lab', entries: Array.from({ length: LOG_LINES_KEPT + 10 }, (_, i) => entry(i + 1)) });
    expect(logs.entries.lab).toHaveLength(LOG_LINES_KEPT);
    expect(logs.entries.lab.at(-1)!.bytes).toBe(LOG_LINES_KEPT + 10);
    stop();
    fake.emit('logs:lines', { environment: 'lab', entries: [entry(9999)] });
    expect(logs.entries.lab.at(-1)!.bytes).toBe(LOG_LINES_KEPT + 10);
  });

  it('traffic: follows its own run and ignores progress of another', async () => {
    fake.handle('traffic:run', () => ({ taskId: 'run2' }));
    const traffic = useTrafficStore();
    const report = (taskId: string, sent: number, done = false) => ({
      taskId,
      environment: 'lab',
      done,
      sent,
      ok: sent,
      failed: 0,
      byServer: { back1: sent / 2, back2: sent / 2 },
      statuses: { '200': sent },
      latencyMs: { p50: 1, p90: 2, p99: 3, max: 4 },
      elapsedMs: 10,
      errors: [],
    });
    await traffic.run({ environment: 'lab', requests: 10, concurrency: 2, keepCookies: false, path: '/' });
    expect(traffic.running('lab')).toBe(true);
    fake.emit('traffic:progress', report('run1', 99));
    expect(traffic.reports.lab).toBeUndefined();
    fake.emit('traffic:progress', report('run2', 10, true));
    expect(traffic.reports.lab.sent).toBe(10);
    expect(traffic.running('lab')).toBe(false);
  });
});
