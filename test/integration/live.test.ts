import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HealthChange, LogLines, StatsSnapshot } from '../../shared/live';
import { RuntimeApi } from '../../electron/core/haproxy/runtime-api';
import { names } from '../../electron/core/environments/naming';
import { deployLab, docker, freePort, get, removeEnvironments, testCore, type TestCore, uniqueName, until } from '../support/lab';
import { startLoad } from '../support/load';

describe('live operations', () => {
  const name = uniqueName('live');
  let t: TestCore;
  let port: number;
  let statsInterval: number;
  const hitsOf = (s: StatsSnapshot) => Object.fromEntries(s.servers.map((x) => [x.name, x.hits]));
  const stats = () => t.call('stats:get', { environment: name });
  const server = async (n: string) => (await stats()).servers.find((s) => s.name === n)!;

  beforeAll(async () => {
    t = testCore();
    port = await deployLab(t, name, { healthCheck: { interval: 500, rise: 2, fall: 3 } });
    statsInterval = (await t.call('stats:settings', {})).intervalMs;
  });

  /**
   * Every test starts from the lab as first deployed, whatever the tests before it did (or left
   * behind when they failed): round robin on the first port, back1 and back2 ready at weight 100,
   * every container running, the stats interval as it was. So each passes alone (`-t`) and in
   * any order.
   */
  beforeEach(async () => {
    for (const c of [names.haproxy(name), names.backend(name, 'back1'), names.backend(name, 'back2')]) {
      const running = await docker
        .getContainer(c)
        .inspect()
        .then(
          (i) => i.State.Running,
          () => true,
        );
      if (!running) await docker.getContainer(c).start();
    }
    const servers = [
      { name: 'back1', kind: 'demo' as const },
      { name: 'back2', kind: 'demo' as const },
    ];
    await t.call('environments:update', { environment: name, patch: { balance: 'roundrobin', httpPort: port, servers } });
    const task = await t.runTask('environments:deploy', name);
    expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
    for (const s of ['back1', 'back2']) await t.call('servers:set', { environment: name, server: s, state: 'ready', weight: 100 });
    await t.call('stats:settings', { intervalMs: statsInterval });
  });

  afterAll(async () => {
    await removeEnvironments(name);
    await t?.close();
  });

  it('counts hits per server exactly', async () => {
    const before = hitsOf(await stats());
    const load = startLoad(port, 6);
    await until('a few hundred answers', async () => load.progress.ok + load.progress.failed >= 300);
    const sent = await load.stop();
    expect(sent.failed).toBe(0);
    const after = hitsOf(await stats());
    for (const s of ['back1', 'back2']) expect(after[s] - before[s], s).toBe(sent.byBackend[s]);
  });

  it('100 state toggles and 50 weight changes under load fail no request', async () => {
    const load = startLoad(port, 8);
    const states = ['drain', 'maint', 'ready'] as const;
    const latencies: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      const r = await t.call('servers:set', { environment: name, server: 'back1', state: states[i % 3] });
      latencies.push(performance.now() - t0);
      expect(r.applied).toBe(true);
      if (i % 2 === 0) await t.call('servers:set', { environment: name, server: i % 4 ? 'back1' : 'back2', weight: 1 + ((i * 37) % 256) });
    }
    await t.call('servers:set', { environment: name, server: 'back1', state: 'ready', weight: 100 });
    await t.call('servers:set', { environment: name, server: 'back2', weight: 100 });
    const result = await load.stop();
    expect(result.failed, result.errors.join('; ')).toBe(0);
    expect(result.ok).toBeGreaterThan(100);
    const env = await t.call('environments:get', { environment: name });
    expect(env.servers.map((s) => [s.name, s.state, s.weight])).toEqual([
      ['back1', 'ready', 100],
      ['back2', 'ready', 100],
    ]);
  });

  it('a server in maint gets no new request; a drained one keeps its sticky clients only', async () => {
    await t.call('servers:set', { environment: name, server: 'back1', state: 'maint' });
    expect((await server('back1')).state).toBe('maint');
    for (let i = 0; i < 10; i++) expect((await get(port)).backend).toBe('back2');

    await t.call('servers:set', { environment: name, server: 'back1', state: 'drain' });
    expect((await server('back1')).status).toMatch(/^DRAIN/);
    for (let i = 0; i < 6; i++) {
      expect((await get(port)).backend).toBe('back2');
      expect((await get(port, { cookie: 'SERVERID=back1' })).backend).toBe('back1');
    }
  });

  it('a drained server is still drained after a reload, a redeploy and a new load balancer', async () => {
    await t.call('servers:set', { environment: name, server: 'back1', state: 'drain' });
    await t.call('environments:update', { environment: name, patch: { balance: 'leastconn' } });
    const reload = await t.runTask('environments:deploy', name);
    expect(reload.message).toContain('reloaded');
    expect((await server('back1')).status).toMatch(/^DRAIN/);

    const again = await t.runTask('environments:deploy', name);
    expect(again.message).toContain('nothing to change');
    expect((await server('back1')).status).toMatch(/^DRAIN/);

    // A new port needs a new load balancer (the next test's setup moves it back).
    await t.call('environments:update', { environment: name, patch: { httpPort: await freePort(), balance: 'roundrobin' } });
    const recreate = await t.runTask('environments:deploy', name);
    expect(recreate.message).toContain('recreated');
    expect((await server('back1')).status).toMatch(/^DRAIN/);
  });

  it('hit totals never go backwards across reloads', async () => {
    for (let i = 0; i < 10; i++) await get(port);
    const before = hitsOf(await stats());
    await t.call('environments:update', { environment: name, patch: { balance: 'random' } });
    expect((await t.runTask('environments:deploy', name)).message).toContain('reloaded');
    const after = hitsOf(await stats());
    // The deploy's own check sends one request through the load balancer.
    expect(after.back1).toBeGreaterThanOrEqual(before.back1);
    expect(after.back2).toBeGreaterThanOrEqual(before.back2);
    expect(after.back1 + after.back2).toBe(before.back1 + before.back2 + 1);
    await get(port);
    const later = hitsOf(await stats());
    expect(later.back1 + later.back2).toBe(after.back1 + after.back2 + 1);
  });

  it('a stopped container is reported DOWN within interval × fall + 1 s, with a health event, and back UP', async () => {
    const healthEvents: HealthChange[] = [];
    const snapshots: StatsSnapshot[] = [];
    const offH = t.core.events.on('stats:health', (e) => e.environment === name && healthEvents.push(e));
    const offS = t.core.events.on('stats:snapshot', (e) => e.environment === name && snapshots.push(e));
    await t.call('stats:settings', { intervalMs: 250 });
    // Without a value the channel only tells the interval in force.
    expect(await t.call('stats:settings', {})).toEqual({ intervalMs: 250 });
    // Polled while subscribed; the listeners above hear everything the core emits.
    const stopStats = await t.core.subscribe('stats:snapshot', { environment: name }, () => undefined);
    try {
      await until('a first snapshot', async () => snapshots.length > 0);
      const stoppedAt = Date.now();
      await t.call('servers:stop', { environment: name, server: 'back2' });
      await until('back2 DOWN', async () => snapshots.at(-1)?.servers.find((s) => s.name === 'back2')?.health === 'DOWN', 10_000, 50);
      expect(Date.now() - stoppedAt).toBeLessThan(500 * 3 + 1000 + 250);
      await until('a health event', async () => healthEvents.some((e) => e.server === 'back2' && e.to === 'DOWN'), 2000, 50);

      await t.call('servers:start', { environment: name, server: 'back2' });
      await until('back2 UP', async () => snapshots.at(-1)?.servers.find((s) => s.name === 'back2')?.health === 'UP', 20_000, 50);
      expect(healthEvents.some((e) => e.server === 'back2' && e.from === 'DOWN' && e.to === 'UP')).toBe(true);
    } finally {
      stopStats();
      offH();
      offS();
    }
  });

  it('adding a third backend under load drops nothing and it takes traffic', async () => {
    const load = startLoad(port, 8);
    await until('the load under way', async () => load.progress.ok + load.progress.failed >= 50);
    const { taskId } = await t.call('servers:add', { environment: name, server: { name: 'back3', kind: 'demo' } });
    const task = await t.core.tasks.whenDone(taskId);
    await until('back3 answering', async () => task.state !== 'succeeded' || (load.progress.byBackend.back3 ?? 0) >= 10);
    const result = await load.stop();
    expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
    expect(result.failed, result.errors.join('; ')).toBe(0);
    expect(result.byBackend.back3).toBeGreaterThan(0);

    const removal = startLoad(port, 8);
    const { taskId: removeId } = await t.call('servers:remove', { environment: name, server: 'back3' });
    expect((await t.core.tasks.whenDone(removeId)).state).toBe('succeeded');
    const after = await removal.stop();
    expect(after.failed, after.errors.join('; ')).toBe(0);
  });

  it('the traffic generator reports the split, statuses and latencies, and keeps cookies when asked', async () => {
    const { taskId } = await t.call('traffic:run', { environment: name, requests: 100, concurrency: 4 });
    const progress: number[] = [];
    const off = t.core.events.on('traffic:progress', (r) => r.taskId === taskId && progress.push(r.sent));
    const task = await t.core.tasks.whenDone(taskId);
    off();
    expect(task.state).toBe('succeeded');
    const report = await t.call('traffic:get', { taskId });
    const why = JSON.stringify({ report, progress: progress.length, task: task.message });
    expect(report.done, why).toBe(true);
    expect(report.ok, why).toBe(100);
    expect(report.failed, why).toBe(0);
    expect(report.statuses, why).toEqual({ '200': 100 });
    expect(report.byServer.back1 + report.byServer.back2, why).toBe(100);
    // About even: round robin, and no cookies kept.
    expect(Math.min(report.byServer.back1, report.byServer.back2), why).toBeGreaterThanOrEqual(30);
    expect(report.latencyMs.p50).toBeGreaterThan(0);
    expect(report.latencyMs.p99).toBeGreaterThanOrEqual(report.latencyMs.p50);
    expect(progress.length, why).toBeGreaterThan(0);

    const sticky = await t.call('traffic:run', { environment: name, requests: 40, concurrency: 1, keepCookies: true });
    await t.core.tasks.whenDone(sticky.taskId);
    expect(Object.values((await t.call('traffic:get', { taskId: sticky.taskId })).byServer)).toEqual([40]);
  });

  it('streams the parsed access log and keeps a tail', async () => {
    const batches: LogLines[] = [];
    const off = t.core.events.on('logs:lines', (l) => l.environment === name && batches.push(l));
    const stopLogs = await t.core.subscribe('logs:lines', { environment: name }, () => undefined);
    try {
      // The log is followed once a request made now shows up in it.
      await until('the log followed', async () => {
        await get(port, { path: '/warm-up' });
        return batches.some((b) => b.entries.some((e) => e.request.includes('/warm-up')));
      });
      const seen = batches.flatMap((b) => b.entries).length;
      for (let i = 0; i < 4; i++) await get(port, { path: `/probe-${i}` });
      await until('4 log entries', async () => batches.flatMap((b) => b.entries).length >= seen + 4, 5000, 50);
      const entries = batches.flatMap((b) => b.entries).filter((e) => e.request.includes('/probe-'));
      expect(entries.map((e) => e.request)).toEqual([0, 1, 2, 3].map((i) => `GET /probe-${i} HTTP/1.1`));
      for (const e of entries) {
        expect(e.backend).toBe('servers');
        expect(['back1', 'back2']).toContain(e.server);
        expect(e.status).toBe(404);
        expect(e.timers.ta).toBeGreaterThanOrEqual(0);
      }
      const tail = await t.call('logs:tail', { environment: name, limit: 4 });
      expect(tail.map((e) => e.request)).toEqual(entries.map((e) => e.request));
    } finally {
      stopLogs();
      off();
    }
  });

  it('a runtime API that does not answer gives a clear error fast, and the poller recovers by itself', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as net.AddressInfo).port;
    const t0 = Date.now();
    const err = await new RuntimeApi(() => Promise.resolve(net.connect(silentPort, '127.0.0.1')), name, 500).showInfo().catch((e) => e);
    expect(err.code).toBe('TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(2000);
    silent.close();
    const refused = await new RuntimeApi(() => Promise.resolve(net.connect(silentPort, '127.0.0.1')), name).showInfo().catch((e) => e);
    expect(refused.code).toBe('RUNTIME_API');
    expect(refused.message).toContain('not reachable');

    const snapshots: StatsSnapshot[] = [];
    const off = t.core.events.on('stats:snapshot', (e) => e.environment === name && snapshots.push(e));
    await t.call('stats:settings', { intervalMs: 250 });
    // Polled while subscribed; the listeners above hear everything the core emits.
    const stopStats = await t.core.subscribe('stats:snapshot', { environment: name }, () => undefined);
    try {
      await until('reachable', async () => snapshots.at(-1)?.reachable);
      await docker.getContainer(names.haproxy(name)).stop({ t: 1 });
      await until('unreachable', async () => snapshots.at(-1)?.reachable === false, 10_000, 50);
      const down = await t.call('stats:get', { environment: name });
      expect(down.reachable).toBe(false);
      await docker.getContainer(names.haproxy(name)).start();
      await until('reachable again', async () => snapshots.at(-1)?.reachable === true, 20_000, 50);
      expect((await get(port)).status).toBe(200);
    } finally {
      stopStats();
      off();
    }
  });
});
