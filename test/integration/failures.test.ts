import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchyardError } from '../../shared/errors';
import { validateInPlace, validateInThrowaway } from '../../electron/core/environments/haproxy-container';
import { names } from '../../electron/core/environments/naming';
import { readFile } from '../../electron/core/targets/docker-util';
import { deployLab, docker, freePort, get, labelledResources, removeEnvironments, TEST_IMAGES, TEST_OWNER, testCore, type TestCore, uniqueName } from '../support/lab';

async function expectServing(port: number): Promise<void> {
  for (let i = 0; i < 4; i++) expect((await get(port)).status).toBe(200);
}

describe('bad input and failed deploys', () => {
  const name = uniqueName('fail');
  const fresh = uniqueName('fresh');
  const offlineName = uniqueName('offline');
  let t: TestCore;
  let port: number;

  beforeAll(async () => {
    t = testCore();
    port = await deployLab(t, name);
  });

  afterAll(async () => {
    await removeEnvironments(name, fresh, offlineName);
    await t?.close();
  });

  it.each([
    ['a name with a newline', { name: 'bad\nname' }, 'name'],
    ['a port above 65535', { name: 'badport', httpPort: 65536 }, 'httpPort'],
    ['an unknown algorithm', { name: 'badalgo', balance: 'weighted' }, 'balance'],
  ])('refuses %s with a message naming the field, and creates nothing', async (_what, input, field) => {
    const before = await t.call('environments:list', {});
    const res = await t.core.invoke('environments:create', input);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.code).toBe('VALIDATION');
      expect(res.error.field).toBe(field);
      expect(res.error.message).toContain(field);
    }
    expect(await t.call('environments:list', {})).toEqual(before);
  });

  it('refuses a port another environment already claims', async () => {
    const res = await t.core.invoke('environments:create', { name: 'other', httpPort: port });
    expect(res).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'httpPort', reason: 'portEnvironment', params: { port, holder: name } } });
  });

  it('a port held by another program is refused when the environment is created, naming the field; nothing is saved', async () => {
    const holder = net.createServer();
    const busy = await freePort();
    await new Promise<void>((r) => holder.listen(busy, '0.0.0.0', r));
    try {
      const res = await t.core.invoke('environments:create', { name: fresh, httpPort: busy, images: TEST_IMAGES });
      expect(res).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'httpPort', reason: 'portProgram', params: { port: busy } } });
      expect((await t.call('environments:list', {})).map((e) => e.name)).not.toContain(fresh);
    } finally {
      holder.close();
    }
  });

  it('a port taken after the environment was saved fails the deploy before anything is created', async () => {
    const holder = net.createServer();
    const busy = await freePort();
    await t.call('environments:create', { name: fresh, httpPort: busy, images: TEST_IMAGES });
    await new Promise<void>((r) => holder.listen(busy, '0.0.0.0', r));
    try {
      const task = await t.runTask('environments:deploy', fresh);
      expect(task.state).toBe('failed');
      expect(task.error).toMatchObject({ code: 'PORT_IN_USE', field: 'httpPort' });
      expect(task.error!.message).toContain(String(busy));
      expect(await labelledResources(fresh)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    } finally {
      holder.close();
    }
  });

  it('a port held by another container is named in the error, and the previous setup keeps serving', async () => {
    const other = await freePort();
    const squatter = await docker.createContainer({
      Image: TEST_IMAGES.demoBase,
      Cmd: ['sleep', '60'],
      name: `${fresh}-squatter`,
      HostConfig: { PortBindings: { '80/tcp': [{ HostPort: String(other) }] } },
      ExposedPorts: { '80/tcp': {} },
      Labels: { 'io.switchyard.environment': fresh },
    });
    await squatter.start();
    const lbBefore = (await docker.getContainer(names.haproxy(name)).inspect()).Id;
    // Saving that port is refused at once, naming the container.
    const refused = await t.core.invoke('environments:update', { environment: name, patch: { httpPort: other } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'httpPort', reason: 'portContainer', params: { port: other, holder: `${fresh}-squatter` } } });
    expect((await t.call('environments:get', { environment: name })).httpPort).toBe(port);
    // Taken after the save: the deploy still finds it before it touches anything.
    await squatter.stop({ t: 0 });
    await t.call('environments:update', { environment: name, patch: { httpPort: other } });
    await squatter.start();
    const task = await t.runTask('environments:deploy', name);
    expect(task.state).toBe('failed');
    expect(task.error).toMatchObject({ code: 'PORT_IN_USE', field: 'httpPort' });
    expect(task.error!.message).toContain(`${fresh}-squatter`);
    expect((await docker.getContainer(names.haproxy(name)).inspect()).Id).toBe(lbBefore);
    await expectServing(port);
    await t.call('environments:update', { environment: name, patch: { httpPort: port } });
    await squatter.remove({ force: true });
  });

  it('a HAProxy image that cannot be had fails clearly and the previous setup keeps serving', async () => {
    await t.call('environments:update', { environment: name, patch: { images: { haproxy: 'switchyard-test/no-such-haproxy:0' } } });
    const task = await t.runTask('environments:deploy', name);
    expect(task.state).toBe('failed');
    expect(task.error).toMatchObject({ code: 'IMAGE_MISSING', field: 'images.haproxy' });
    expect(task.error!.message).toContain('switchyard-test/no-such-haproxy:0');
    await expectServing(port);
    await t.call('environments:update', { environment: name, patch: { images: { haproxy: TEST_IMAGES.haproxy } } });
  });

  it('a demo image that cannot be built fails clearly and the previous setup keeps serving', async () => {
    await t.call('environments:update', { environment: name, patch: { images: { demoBase: 'switchyard-test/no-such-base:0' } } });
    const task = await t.runTask('environments:deploy', name);
    expect(task.state).toBe('failed');
    expect(task.error).toMatchObject({ code: 'IMAGE_BUILD_FAILED', field: 'images.demoBase' });
    await expectServing(port);
    await t.call('environments:update', { environment: name, patch: { images: { demoBase: TEST_IMAGES.demoBase } } });
  });

  it('a config HAProxy refuses is reported with its words, and the running one keeps serving', async () => {
    // The model cannot express a config HAProxy refuses, so the check that guards every reload
    // and every recreate is driven directly, on the running load balancer and on a throwaway.
    const lb = docker.getContainer(names.haproxy(name));
    const running = await readFile(lb, '/usr/local/etc/haproxy/haproxy.cfg');
    const broken = running!.replace('balance roundrobin', 'balance fastest-first');
    const inPlace = await validateInPlace(docker, lb, broken).then(
      () => undefined,
      (e: SwitchyardError) => e,
    );
    expect(inPlace?.code).toBe('INVALID_CONFIG');
    expect(inPlace?.message).toMatch(/fastest-first|balance/);
    const throwaway = await validateInThrowaway(docker, TEST_IMAGES.haproxy, name, broken, TEST_OWNER).then(
      () => undefined,
      (e: SwitchyardError) => e,
    );
    expect(throwaway?.code).toBe('INVALID_CONFIG');
    expect(await readFile(lb, '/usr/local/etc/haproxy/haproxy.cfg')).toBe(running);
    expect((await labelledResources(name)).containers).toBe(3);
    await expectServing(port);
  });

  it('Docker not running gives DOCKER_UNAVAILABLE and changes nothing', async () => {
    const offline = testCore({ ...process.env, DOCKER_HOST: 'unix:///tmp/switchyard-no-docker.sock' });
    try {
      await offline.call('environments:create', { name: offlineName, images: TEST_IMAGES, httpPort: await freePort() });
      const task = await offline.runTask('environments:deploy', offlineName);
      expect(task.state).toBe('failed');
      expect(task.error!.code).toBe('DOCKER_UNAVAILABLE');
      expect(task.error!.message).toMatch(/Cannot reach the Docker engine .*is Docker running\?/);
      expect(await labelledResources(offlineName)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    } finally {
      await offline.close();
    }
    await expectServing(port);
  });
});
