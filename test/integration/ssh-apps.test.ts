import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../shared/contract';
import { appImageTag } from '../../electron/core/apps/app-image';
import { LABEL_ENV, names } from '../../electron/core/environments/naming';
import { TEST_IMAGES, docker, freePort, get, removeEnvironments, testCore, type TestCore, uniqueName } from '../support/lab';
import { TestSshd } from '../support/sshd';
import { tutorialAppFolder } from '../support/tutorial-app';
import { startLoad } from '../support/load';

const TOKEN = `tok-${Math.random().toString(36).slice(2)}-over-ssh`;

/**
 * The tutorial's folder as the user's app on a host added over SSH: the folder goes up the one
 * SSH connection as the build context, the host's engine builds it, and two replicas serve it.
 *
 * The test's SSH server runs on this machine, so the engine behind it is this machine's engine
 * too. To prove that the build context travelled over SSH, the core under test is given a
 * DOCKER_HOST socket that does not exist: it has no way to the engine but the SSH host, so a
 * build that the engine ran, step by step in the task's log, came up the SSH connection.
 */
describe("the user's own app, built from a folder, on a host reached over SSH", () => {
  const name = uniqueName('sshapp');
  const folder = tutorialAppFolder();
  let sshd: TestSshd;
  let t: TestCore;
  let port: number;
  let deployed: Task;
  const deployLog: string[] = [];

  beforeAll(async () => {
    sshd = await TestSshd.start();
    t = testCore({ ...process.env, DOCKER_HOST: `unix://${sshd.dir}/no-local-engine.sock` });
    const u = sshd.users.dockerKey;
    await t.call('hosts:add', {
      name: 'vps-1',
      address: sshd.address,
      port: sshd.port,
      user: u.name,
      auth: { method: 'key', keyPath: u.keyPath! },
      hostKey: await sshd.hostFingerprint(),
    });
    port = await freePort();
    await t.call('environments:create', {
      name,
      host: 'vps-1',
      httpPort: port,
      images: TEST_IMAGES,
      healthCheck: { interval: 500, rise: 1, fall: 2 },
      app: {
        source: { kind: 'build', context: folder },
        port: 80,
        env: [{ name: 'BACKEND_NAME', value: '{{server}}' }],
        secrets: [{ name: 'API_TOKEN', value: TOKEN }],
      },
      servers: [
        { name: 'app1', kind: 'app' },
        { name: 'app2', kind: 'app' },
      ],
    });
    const off = t.core.events.on('tasks:updated', (task) => task.target === name && task.kind === 'deploy' && deployLog.push(task.message));
    deployed = await t.runTask('environments:deploy', name);
    off();
  });

  afterAll(async () => {
    await removeEnvironments(name);
    await docker
      .getImage(appImageTag(name))
      .remove({ force: true })
      .catch(() => undefined);
    await t?.close();
    await sshd?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('this core cannot reach a Docker engine except through the SSH host', async () => {
    const info = await t.call('system:info', {});
    expect(info.docker.reachable).toBe(false);
  });

  it('builds the folder on the host through the SSH connection and answers from both replicas', async () => {
    expect(deployed.state, `${deployed.error?.code} ${deployed.message}`).toBe('succeeded');
    expect(deployed.message).toContain(`${name} is up at http://${sshd.address}:${port}/`);
    // The engine's own build output, streamed back over the same connection.
    const log = deployLog.join('\n');
    expect(log).toMatch(/^Step 1\/\d+ : FROM /m);
    expect(log).toContain(`: FROM ${TEST_IMAGES.demoBase}`);
    expect(log).toMatch(/^Step \d+\/\d+ : COPY entrypoint.sh \/entrypoint.sh$/m);
    expect(log).toContain(`Successfully tagged ${appImageTag(name)}`);

    // The image is on the host's engine, labelled for this environment, and the replicas run it.
    const image = await docker.getImage(appImageTag(name)).inspect();
    expect(image.Config.Labels?.[LABEL_ENV]).toBe(name);
    for (const server of ['app1', 'app2']) {
      const c = await docker.getContainer(names.backend(name, server)).inspect();
      expect(c.Image).toBe(image.Id);
      expect(c.State.Running).toBe(true);
    }

    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await get(port);
      expect(r.status).toBe(200);
      seen.push(r.backend ?? '?');
    }
    expect([...new Set(seen)].sort()).toEqual(['app1', 'app2']);
    expect(seen.filter((b) => b === 'app1')).toHaveLength(3);
  });

  it('the secret reaches the replicas on the host, and the replica logs come back over SSH', async () => {
    expect((await get(port, { path: '/token-length', cookie: 'SERVERID=app2' })).body.trim()).toBe(String(TOKEN.length));
    const logs = await t.call('apps:logs', { environment: name, server: 'app2', lines: 5 });
    expect(logs.lines).toContain('tutorial app app2 listening on 80');
  });

  it('"Test the app" runs its throwaway container on the host and reaches it through the SSH connection', async () => {
    const { taskId } = await t.call('apps:test', { environment: name });
    const done = await t.core.tasks.whenDone(taskId);
    expect(done.state, `${done.error?.code} ${done.message}`).toBe('succeeded');
    expect(await t.call('apps:report', { id: taskId })).toMatchObject({ ok: true, started: true, stayedUp: true, listening: true, health: { ok: true, status: 200 } });
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_ENV}=${name}`, 'io.switchyard.role=app-test'] } });
    expect(left).toEqual([]);
  });

  it('releases over SSH exactly as on this computer: a rolling update under load, zero failed requests, the secret kept', async () => {
    const current = (await t.call('environments:get', { environment: name })).app!;
    const load = startLoad(port, 4);
    const { taskId } = await t.call('releases:start', {
      environment: name,
      app: { ...current, env: [{ name: 'BACKEND_NAME', value: '{{server}}-v2' }] },
      rollout: { drainTimeoutMs: 1000, monitorMs: 1000, graceMs: 200 },
    });
    const done = await t.core.tasks.whenDone(taskId);
    const result = await load.stop();
    expect(done.state, `${done.error?.code} ${done.error?.message}`).toBe('succeeded');
    expect(result.failed, result.errors.join('; ')).toBe(0);
    expect(result.ok).toBeGreaterThan(20);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await get(port)).backend ?? '?');
    expect([...seen].sort()).toEqual(['app1-v2', 'app2-v2']);
    expect((await get(port, { path: '/token-length', cookie: 'SERVERID=app1' })).body.trim()).toBe(String(TOKEN.length));
    const [release] = await t.call('releases:list', { environment: name });
    expect(release).toMatchObject({ number: 2, result: 'succeeded', failedRequests: 0, changes: [{ field: 'env', names: ['BACKEND_NAME'] }] });
  }, 120_000);
});
