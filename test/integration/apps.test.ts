import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { names } from '../../electron/core/environments/naming';
import { TEST_IMAGES, docker, freePort, get, removeEnvironments, testCore, type TestCore, uniqueName } from '../support/lab';
import { cli } from '../support/cli';
import { startLoad } from '../support/load';
import { tutorialAppFolder } from '../support/tutorial-app';
import { folderText } from '../support/outcomes';

const TOKEN = `tok-${Math.random().toString(36).slice(2)}-secret`;

describe("the user's own app, built from a folder like the tutorial's", () => {
  const name = uniqueName('app');
  const folder = tutorialAppFolder();
  let t: TestCore;
  let port: number;
  const replicas = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `app${i + 1}`, kind: 'app' as const }));

  beforeAll(async () => {
    t = testCore();
    port = await freePort();
    await t.call('environments:create', {
      name,
      httpPort: port,
      images: TEST_IMAGES,
      healthCheck: { interval: 500, rise: 1, fall: 2 },
      app: {
        source: { kind: 'build', context: folder },
        port: 80,
        env: [{ name: 'BACKEND_NAME', value: '{{server}}' }],
        secrets: [{ name: 'API_TOKEN', value: TOKEN }],
      },
      servers: replicas(3),
    });
  });

  afterAll(async () => {
    await removeEnvironments(name);
    await docker
      .getImage(`sy-app/${name}:latest`)
      .remove({ force: true })
      .catch(() => undefined);
    await t?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('builds on the engine and deploys 3 replicas: every name answers, sticky and failover as with the demo', async () => {
    const lines: string[] = [];
    const off = t.core.events.on('tasks:updated', (task) => task.target === name && lines.push(task.message));
    const task = await t.runTask('environments:deploy', name);
    off();
    expect(task.state, `${task.error?.code} ${task.message}`).toBe('succeeded');
    expect(lines.join('\n')).toMatch(/Step \d+\/\d+ : COPY entrypoint.sh/);

    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) seen.add((await get(port)).backend ?? '?');
    expect([...seen].sort()).toEqual(['app1', 'app2', 'app3']);

    const first = await get(port);
    const cookie = first.setCookie[0]?.split(';')[0];
    expect(cookie).toMatch(/^SERVERID=app\d$/);
    for (let i = 0; i < 4; i++) expect((await get(port, { cookie })).backend).toBe(first.backend);

    await t.call('servers:stop', { environment: name, server: first.backend! });
    for (let i = 0; i < 10; i++) {
      const r = await get(port, { cookie });
      expect(r.status).toBe(200);
      expect(r.backend).not.toBe(first.backend);
    }
    await t.call('servers:start', { environment: name, server: first.backend! });
  });

  it('a secret variable reaches the containers and appears nowhere else', async () => {
    const inspect = await docker.getContainer(names.backend(name, 'app1')).inspect();
    expect(inspect.Config.Env).toContain(`API_TOKEN=${TOKEN}`);
    expect((await get(port, { path: '/token-length', cookie: 'SERVERID=app1' })).body.trim()).toBe(String(TOKEN.length));
    const env = await t.call('environments:get', { environment: name });
    expect(JSON.stringify(env)).not.toContain(TOKEN);
    expect(env.app?.secrets.map((s) => s.name)).toEqual(['API_TOKEN']);
    expect(JSON.stringify(await t.call('tasks:list', {}))).not.toContain(TOKEN);
    expect(folderText(t.dataDir)).not.toContain(TOKEN);
  });

  it('scales 3 → 5 → 2 under load with zero failed requests', async () => {
    const load = startLoad(port, 6);
    for (const s of ['app4', 'app5']) {
      const { taskId } = await t.call('servers:add', { environment: name, server: { name: s, kind: 'app' } });
      expect((await t.core.tasks.whenDone(taskId)).state).toBe('succeeded');
    }
    for (const s of ['app5', 'app4', 'app3']) {
      const { taskId } = await t.call('servers:remove', { environment: name, server: s });
      expect((await t.core.tasks.whenDone(taskId)).state).toBe('succeeded');
    }
    const result = await load.stop();
    console.log(`app scaled 3 → 5 → 2 under load: ${result.ok} requests, ${result.failed} failed`);
    expect(result.failed, result.errors.join('; ')).toBe(0);
    expect(Object.keys(result.byBackend).sort()).toEqual(expect.arrayContaining(['app1', 'app2', 'app4', 'app5']));
    const running = await docker.listContainers({ filters: { label: [`io.switchyard.environment=${name}`, 'io.switchyard.role=backend'] } });
    expect(running.map((c) => c.Labels['io.switchyard.server']).sort()).toEqual(['app1', 'app2']);
  });
});

describe('"Test the app" names what is wrong', () => {
  const folder = tutorialAppFolder();
  let t: TestCore;

  beforeAll(() => {
    t = testCore();
  });
  afterAll(async () => {
    await t?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const check = async (over: Record<string, unknown>, healthPath = '/health') => {
    const name = uniqueName('apptest');
    await t.call('environments:create', {
      name,
      httpPort: await freePort(),
      images: TEST_IMAGES,
      healthCheck: { path: healthPath },
      app: { source: { kind: 'build', context: folder }, port: 80, env: [{ name: 'BACKEND_NAME', value: '{{server}}' }], ...over },
      servers: [{ name: 'app1', kind: 'app' }],
    });
    const { taskId } = await t.call('apps:test', { environment: name });
    await t.core.tasks.whenDone(taskId);
    const report = await t.call('apps:report', { id: taskId });
    await removeEnvironments(name);
    await docker
      .getImage(`sy-app/${name}:latest`)
      .remove({ force: true })
      .catch(() => undefined);
    return report;
  };

  it('a working app passes every check', async () => {
    expect(await check({})).toMatchObject({ ok: true, started: true, stayedUp: true, listening: true, health: { ok: true, status: 200 } });
  });

  it('the wrong container port', async () => {
    const r = await check({ port: 8081 });
    expect(r).toMatchObject({ ok: false, failed: 'port', stayedUp: true, listening: false });
    expect(r.logs).toContain('listening on 80');
  });

  it('a crash at start, with its exit code and last lines', async () => {
    const r = await check({ env: [{ name: 'CRASH_WITH', value: 'cannot find config.yml' }] });
    expect(r).toMatchObject({ ok: false, failed: 'crash', exitCode: 3, stayedUp: false });
    expect(r.logs).toContain('cannot find config.yml');
  });

  it('a health path that does not answer as expected', async () => {
    const r = await check({}, '/healthz');
    expect(r).toMatchObject({ ok: false, failed: 'health', listening: true, health: { path: '/healthz', expected: 200, status: 404, ok: false } });
  });
});

describe('the command line', () => {
  const name = uniqueName('cliapp');
  const folder = tutorialAppFolder();
  let t: TestCore;

  beforeAll(() => {
    t = testCore();
  });
  afterAll(async () => {
    await removeEnvironments(name);
    await docker
      .getImage(`sy-app/${name}:latest`)
      .remove({ force: true })
      .catch(() => undefined);
    await t?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('app set turns the lab into the tutorial folder with 2 replicas and a secret from stdin; test, deploy, logs', async () => {
    const port = await freePort();
    const images = ['--haproxy-image', TEST_IMAGES.haproxy, '--demo-base', TEST_IMAGES.demoBase];
    expect((await cli(t.dataDir, ['env', 'create', name, '--port', String(port), ...images])).code).toBe(0);
    const set = await cli(t.dataDir, ['app', 'set', name, '--build', folder, '--env', 'BACKEND_NAME={{server}}', '--secret', 'API_TOKEN', '--replicas', '2'], {}, `${TOKEN}\n`);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain(`runs the folder ${folder} on port 80 as app1, app2`);
    expect(folderText(t.dataDir)).not.toContain(TOKEN);

    const tested = await cli(t.dataDir, ['app', 'test', name]);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/^started\tok$/m);
    expect(tested.stdout).toMatch(/^health\tok \(\/health: 200, expected 200\)$/m);

    expect((await cli(t.dataDir, ['env', 'deploy', name])).code).toBe(0);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await get(port)).backend ?? '?');
    expect([...seen].sort()).toEqual(['app1', 'app2']);
    const logs = await cli(t.dataDir, ['app', 'logs', name, 'app1', '-n', '5']);
    expect(logs.stdout).toContain('tutorial app app1 listening on 80');

    const bad = await cli(t.dataDir, ['app', 'set', name, '--image', 'Not A Ref']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^field: patch\.app\.source\.image$/m);
  });
});
