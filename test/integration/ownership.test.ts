import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deployer } from '../../electron/core/environments/deployer';
import { ImageService } from '../../electron/core/environments/images';
import { EventBus } from '../../electron/core/events';
import { LocalDockerTarget } from '../../electron/core/targets/local-docker';
import { putFile } from '../../electron/core/targets/docker-util';
import { TaskManager } from '../../electron/core/tasks/task-manager';
import { Environment as EnvironmentSchema, EnvironmentInput, parseOrThrow } from '../../shared/model';
import type { ChannelName, RequestOf, SystemInfo, Task } from '../../shared/contract';
import type { Environment } from '../../shared/model';
import { HAPROXY_DEED_NAME, HAPROXY_STATE_DIR, LABEL_INSTALLATION, LABEL_ENV, LABEL_LOCK, names } from '../../electron/core/environments/naming';
import { createCore } from '../../electron/core/core';
import { readDeed } from '../../electron/core/environments/ownership';
import { TEST_IMAGES, TEST_OWNER, appRoot, deployLab, docker, freePort, get, labelledResources, removeEnvironments, testCore, type TestCore, uniqueName, until } from '../support/lab';
import { cli } from '../support/cli';
import { startLoad } from '../support/load';

/**
 * Two data folders (two Switchyards: the desktop app and a CLI with another folder, or two
 * laptops managing one server) on one engine, each with an environment of the same name.
 */
describe('environments belong to one Switchyard', () => {
  const name = uniqueName('acch');
  const raced = uniqueName('race');
  let a: TestCore;
  let b: TestCore;
  let port: number;
  let idA: string;
  let idB: string;

  const lbId = async () => (await docker.getContainer(names.haproxy(name)).inspect()).Id;
  const refusal = async <C extends ChannelName>(t: TestCore, channel: C, payload: RequestOf<C>) => {
    const res = await t.core.invoke(channel, payload);
    return res.ok ? undefined : res.error;
  };
  const task = async (t: TestCore, channel: 'environments:adopt', payload: RequestOf<'environments:adopt'>): Promise<Task> => {
    const { taskId } = await t.call(channel, payload);
    return t.core.tasks.whenDone(taskId);
  };

  beforeAll(async () => {
    a = testCore();
    b = testCore();
    idA = (await a.call('system:info', {})).installation.installation;
    idB = (await b.call('system:info', {})).installation.installation;
    port = await deployLab(a, name, { healthCheck: { interval: 500, rise: 1, fall: 2 } });
    await b.call('environments:create', { name, httpPort: port, images: TEST_IMAGES });
  });

  afterAll(async () => {
    await removeEnvironments(name, raced);
    for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABEL_LOCK}`] } })) {
      if ([name, raced].includes(c.Labels[LABEL_LOCK])) await docker.getContainer(c.Id).remove({ force: true });
    }
    await a?.close();
    await b?.close();
  });

  it('each data folder is its own installation, and everything it creates says so', async () => {
    expect(idA).not.toBe(idB);
    expect(idA).toMatch(/^[0-9a-f-]{36}$/);
    // A second process on the same folder (the CLI beside the app) is the same installation.
    const again = createCore({ dataDir: a.dataDir, appRoot });
    try {
      const info = await again.invoke('system:info', {});
      expect(info.ok && (info.result as SystemInfo).installation.installation).toBe(idA);
    } finally {
      await again.close();
    }
    const filters = { label: [`${LABEL_ENV}=${name}`] };
    const labels = [
      ...(await docker.listContainers({ all: true, filters })).map((c) => c.Labels),
      ...(await docker.listNetworks({ filters })).map((n) => n.Labels ?? {}),
      ...((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => v.Labels ?? {}),
    ];
    expect(labels.length).toBe(5);
    for (const l of labels) expect(l[LABEL_INSTALLATION]).toBe(idA);
  });

  it("the other installation's deploy is refused, naming the owner, and changes nothing", async () => {
    const before = { lb: await lbId(), resources: await labelledResources(name) };
    const t = await b.runTask('environments:deploy', name);
    expect(t.state).toBe('failed');
    expect(t.error?.code).toBe('OWNED_ELSEWHERE');
    expect(t.error?.message).toContain(idA.slice(0, 8));
    expect(t.error?.message).toMatch(/@/);
    expect(await lbId()).toBe(before.lb);
    expect(await labelledResources(name)).toEqual(before.resources);
    expect((await get(port)).status).toBe(200);
  });

  it('its status says "owned by another Switchyard"; A still sees its own environment running', async () => {
    const sb = await b.call('environments:status', { environment: name });
    expect(sb.state).toBe('owned-elsewhere');
    expect(sb.owner?.installation).toBe(idA);
    expect(sb.servers).toEqual([]);
    expect((await a.call('environments:status', { environment: name })).state).toBe('running');
  });

  it('every call on it from the other installation is refused and changes nothing', async () => {
    const calls: [ChannelName, unknown][] = [
      ['servers:set', { environment: name, server: 'back1', state: 'maint' }],
      ['servers:stop', { environment: name, server: 'back1' }],
      ['stats:get', { environment: name }],
      ['stats:history', { environment: name }],
      ['logs:tail', { environment: name, limit: 10 }],
      ['traffic:run', { environment: name, requests: 10, concurrency: 1 }],
      ['environments:running', { environment: name }],
    ];
    for (const [channel, payload] of calls) {
      const err = await refusal(b, channel, payload as never);
      expect(err?.code, channel).toBe('OWNED_ELSEWHERE');
    }
    // Subscribing to its stats or its log is refused the same way, and starts no polling.
    for (const event of ['stats:snapshot', 'stats:health', 'logs:lines'] as const) {
      const answer = await b.core.subscriptions.subscribe('ownership-test', event, { environment: name });
      expect(answer.ok ? undefined : answer.error.code, event).toBe('OWNED_ELSEWHERE');
      expect(b.core.subscriptions.count(event, name), event).toBe(0);
    }
    const destroy = await b.runTask('environments:destroy', name);
    expect(destroy.error?.code).toBe('OWNED_ELSEWHERE');

    const stats = await a.call('stats:get', { environment: name });
    expect(stats.servers.map((s) => [s.name, s.state, s.health])).toEqual([
      ['back1', 'ready', 'UP'],
      ['back2', 'ready', 'UP'],
    ]);
    const back1 = await docker.getContainer(names.backend(name, 'back1')).inspect();
    expect(back1.State.Running).toBe(true);
    expect((await labelledResources(name)).containers).toBe(3);
  });

  it("a host's view lists what it holds, with who manages each", async () => {
    const fromB = (await b.call('hosts:environments', { id: 'local' })).find((f) => f.name === name);
    expect(fromB).toMatchObject({ known: true, managedHere: false, owner: { installation: idA }, containers: 3, running: 3, httpPort: port, adoptable: true });
    const fromA = (await a.call('hosts:environments', { id: 'local' })).find((f) => f.name === name);
    expect(fromA).toMatchObject({ known: true, managedHere: true });
  });

  it("a deploy waits for no one: another installation's lock on the host refuses it", async () => {
    const lock = await docker.createContainer({
      name: names.lock(name),
      Image: TEST_IMAGES.haproxy,
      Labels: { [LABEL_LOCK]: name, [LABEL_INSTALLATION]: idB, 'io.switchyard.owner': 'someone@elsewhere' },
    });
    try {
      const t = await a.runTask('environments:deploy', name);
      expect(t.error?.code).toBe('BUSY');
      expect(t.error?.message).toContain('someone@elsewhere');
    } finally {
      await lock.remove({ force: true });
    }
    // A lock its own installation left behind (a process that died) is taken over.
    await docker.createContainer({ name: names.lock(name), Image: TEST_IMAGES.haproxy, Labels: { [LABEL_LOCK]: name, [LABEL_INSTALLATION]: idA } });
    const t = await a.runTask('environments:deploy', name);
    expect(t.state, t.message).toBe('succeeded');
    await expect(docker.getContainer(names.lock(name)).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('two installations deploying one new environment at once: one wins, the other changes nothing', async () => {
    const p = await freePort();
    await a.call('environments:create', { name: raced, httpPort: p, images: TEST_IMAGES });
    await b.call('environments:create', { name: raced, httpPort: p, images: TEST_IMAGES });
    const [ta, tb] = await Promise.all([a.runTask('environments:deploy', raced), b.runTask('environments:deploy', raced)]);
    const states = [ta.state, tb.state].sort();
    expect(states).toEqual(['failed', 'succeeded']);
    const loser = ta.state === 'failed' ? ta : tb;
    expect(['BUSY', 'OWNED_ELSEWHERE']).toContain(loser.error?.code);
    const winner = ta.state === 'succeeded' ? idA : idB;
    const filters = { label: [`${LABEL_ENV}=${raced}`] };
    const containers = await docker.listContainers({ all: true, filters });
    expect(containers.length).toBe(3);
    for (const c of containers) expect(c.Labels[LABEL_INSTALLATION]).toBe(winner);
    expect((await get(p)).status).toBe(200);
  });

  it('adopting takes it over under load with zero failed requests and recreates nothing', async () => {
    const before = await lbId();
    const load = startLoad(port, 6);
    const t = await task(b, 'environments:adopt', { environment: name, host: 'local' });
    const result = await load.stop();
    console.log(`adopt under load: ${result.ok} requests, ${result.failed} failed`);
    expect(t.state, t.message).toBe('succeeded');
    expect(t.message).toMatch(/taken over from/);
    expect(result.failed, result.errors.join('; ')).toBe(0);
    expect(await lbId()).toBe(before);

    expect((await b.call('environments:status', { environment: name })).state).toBe('running');
    expect((await b.call('servers:set', { environment: name, server: 'back1', weight: 50 })).applied).toBe(true);
    const sa = await a.call('environments:status', { environment: name });
    expect(sa).toMatchObject({ state: 'owned-elsewhere', owner: { installation: idB } });
    expect((await refusal(a, 'servers:set', { environment: name, server: 'back1', state: 'drain' }))?.code).toBe('OWNED_ELSEWHERE');
  });

  it('an installation that never knew it adopts it with the settings its manager left, then destroys it all', async () => {
    const c = testCore();
    try {
      // Live changes reach the deed a moment after they are applied (written with the config file).
      const deedWeight = async () => ((await readDeed(docker, name))?.model as Environment | undefined)?.servers.find((s) => s.name === 'back1')?.weight;
      await until('the deed to carry the live weight', async () => (await deedWeight()) === 50);
      const seen = (await c.call('hosts:environments', { id: 'local' })).find((f) => f.name === name);
      expect(seen).toMatchObject({ known: false, managedHere: false, adoptable: true, owner: { installation: idB } });
      const t = await task(c, 'environments:adopt', { environment: name, host: 'local' });
      expect(t.state, t.message).toBe('succeeded');
      const env = await c.call('environments:get', { environment: name });
      expect(env.httpPort).toBe(port);
      expect(env.servers.find((s) => s.name === 'back1')?.weight).toBe(50);
      expect((await b.call('environments:status', { environment: name })).state).toBe('owned-elsewhere');
      // B may drop it from its own list: that touches nothing on the host.
      const resources = await labelledResources(name);
      expect(await b.call('environments:remove', { environment: name })).toEqual({ removed: true });
      expect((await b.call('environments:list', {})).map((e) => e.name)).not.toContain(name);
      expect(await labelledResources(name)).toEqual(resources);
      // While its owner may not: its containers are still there.
      expect((await refusal(c, 'environments:remove', { environment: name }))?.code).toBe('BUSY');

      const destroyed = await c.runTask('environments:destroy', name);
      expect(destroyed.state, destroyed.message).toBe('succeeded');
      expect(await labelledResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    } finally {
      await c.close();
    }
  });
});

/**
 * Environments deployed before installations had ids carry no installation label and no deed.
 * They are made here by the real deployer on an engine client that drops those two labels (what
 * earlier versions created), with the deed then blanked.
 */
describe('environments from before installations had ids', () => {
  const name = uniqueName('legacy');
  let a: TestCore;
  let b: TestCore;
  let port: number;

  const withoutOwner = (labels: Record<string, string> | undefined) => {
    const rest = { ...(labels ?? {}) };
    delete rest[LABEL_INSTALLATION];
    delete rest['io.switchyard.owner'];
    return rest;
  };
  const olderEngine = new Proxy(docker, {
    get(target, prop, receiver) {
      if (prop === 'createContainer') return (o: Docker.ContainerCreateOptions) => target.createContainer({ ...o, Labels: withoutOwner(o.Labels) });
      if (prop === 'createNetwork') return (o: Docker.NetworkCreateOptions) => target.createNetwork({ ...o, Labels: withoutOwner(o.Labels) });
      if (prop === 'createVolume') return (o: Docker.VolumeCreateOptions) => target.createVolume({ ...o, Labels: withoutOwner(o.Labels) });
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });

  beforeAll(async () => {
    a = testCore();
    b = testCore();
    port = await freePort();
    const input = { name, httpPort: port, images: TEST_IMAGES };
    const stamp = new Date().toISOString();
    const env = parseOrThrow(EnvironmentSchema, { ...parseOrThrow(EnvironmentInput, input), createdAt: stamp, updatedAt: stamp });
    const target = Object.assign(Object.create(new LocalDockerTarget(process.env)) as LocalDockerTarget, { docker: olderEngine });
    const tasks = new TaskManager(new EventBus());
    const images = new ImageService(path.join(appRoot, 'docker', 'demo-backend'));
    const done = await tasks.whenDone(tasks.start('deploy', name, (ctx) => new Deployer(target, images, TEST_OWNER).deploy(env, ctx)).id);
    expect(done.state, done.message).toBe('succeeded');
    await putFile(docker.getContainer(names.haproxy(name)), HAPROXY_STATE_DIR, HAPROXY_DEED_NAME, '');
    // Both data folders name it, as in the report: the first to deploy claims it.
    await a.call('environments:create', input);
    await b.call('environments:create', input);
  });

  afterAll(async () => {
    await removeEnvironments(name);
    await a?.close();
    await b?.close();
  });

  it('carries no owner and is managed by any store that names it until claimed', async () => {
    const filters = { label: [`${LABEL_ENV}=${name}`] };
    const containers = await docker.listContainers({ all: true, filters });
    expect(containers.length).toBe(3);
    for (const c of containers) expect(c.Labels[LABEL_INSTALLATION]).toBeUndefined();
    expect((await a.call('environments:status', { environment: name })).state).toBe('running');
    expect((await b.call('environments:status', { environment: name })).state).toBe('running');
  });

  it("is claimed by the next deploy, under load, with nothing recreated; then it is the other's no more", async () => {
    const lb = (await docker.getContainer(names.haproxy(name)).inspect()).Id;
    const load = startLoad(port, 6);
    const t = await a.runTask('environments:deploy', name);
    const result = await load.stop();
    console.log(`claim of an older environment under load: ${result.ok} requests, ${result.failed} failed`);
    expect(t.state, t.message).toBe('succeeded');
    expect(t.message).toContain('claimed for this Switchyard');
    expect(t.message).not.toMatch(/recreated|created sy-/);
    expect(result.failed, result.errors.join('; ')).toBe(0);
    expect((await docker.getContainer(names.haproxy(name)).inspect()).Id).toBe(lb);

    const idA = (await a.call('system:info', {})).installation.installation;
    expect(await b.call('environments:status', { environment: name })).toMatchObject({ state: 'owned-elsewhere', owner: { installation: idA } });
    const again = await b.runTask('environments:deploy', name);
    expect(again.error?.code).toBe('OWNED_ELSEWHERE');
  });
});

describe('the command line, as two data folders on one engine', () => {
  const name = uniqueName('cli');
  const dirA = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-a-'));
  const dirB = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-b-'));
  const images = ['--haproxy-image', TEST_IMAGES.haproxy, '--demo-base', TEST_IMAGES.demoBase];

  afterAll(async () => {
    await removeEnvironments(name);
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });

  it('refuses the other folder, lists who manages what, and adopts only with --yes', async () => {
    const port = String(await freePort());
    expect((await cli(dirA, ['env', 'create', name, '--port', port, ...images])).code).toBe(0);
    expect((await cli(dirA, ['env', 'deploy', name])).code).toBe(0);
    expect((await cli(dirB, ['env', 'create', name, '--port', port, ...images])).code).toBe(0);

    const refused = await cli(dirB, ['env', 'deploy', name]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error OWNED_ELSEWHERE: .*managed by another Switchyard/m);
    const status = await cli(dirB, ['env', 'status', name]);
    expect(status.stdout).toContain(`${name}: owned-elsewhere`);
    expect(status.stdout).toContain(`switchyard env adopt ${name}`);

    const listed = await cli(dirB, ['host', 'environments', 'local']);
    expect(listed.stdout).toMatch(new RegExp(`^${name}\\tmanaged by .*\\t3/3 containers running\\tport ${port}\\tknown here$`, 'm'));

    const unconfirmed = await cli(dirB, ['env', 'adopt', name]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('nothing was changed');
    expect((await cli(dirB, ['env', 'status', name])).stdout).toContain('owned-elsewhere');

    const adopted = await cli(dirB, ['env', 'adopt', name, '--yes']);
    expect(adopted.code, adopted.stderr).toBe(0);
    expect(adopted.stdout).toMatch(/taken over from/);
    expect((await cli(dirA, ['env', 'deploy', name])).stderr).toMatch(/^error OWNED_ELSEWHERE/m);
    expect((await get(Number(port))).status).toBe(200);

    const destroyed = await cli(dirB, ['env', 'destroy', name]);
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(await labelledResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
