import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { TEST_IMAGES, docker, freePort, get, labelledResources, removeEnvironments, testCore, type TestCore, uniqueName } from '../support/lab';
import { startRegistry, type TestRegistry } from '../support/registry';
import { folderText } from '../support/outcomes';

describe('private registries', () => {
  const name = uniqueName('private');
  let registry: TestRegistry;
  let t: TestCore;
  let image: string;

  beforeAll(async () => {
    registry = await startRegistry();
    image = await registry.push(TEST_IMAGES.haproxy, 'team/haproxy', `t${Date.now()}`);
    t = testCore();
    await t.call('environments:create', { name, httpPort: await freePort(), images: { haproxy: image, demoBase: TEST_IMAGES.demoBase } });
  });

  afterAll(async () => {
    await removeEnvironments(name);
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
    await t?.close();
    await registry?.stop();
  });

  it('a pull without a login is refused with IMAGE_PULL_DENIED naming the registry, and nothing is deployed', async () => {
    const task = await t.runTask('environments:deploy', name);
    expect(task.state).toBe('failed');
    expect(task.error).toMatchObject({ code: 'IMAGE_PULL_DENIED', field: 'images.haproxy' });
    expect(task.error!.message).toContain(registry.address);
    expect(task.error!.message).toContain(`switchyard registry login ${registry.address}`);
    expect(await labelledResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it('a wrong password is refused by the engine at login, and nothing is kept', async () => {
    const res = await t.core.invoke('registries:login', { registry: registry.address, username: registry.user, password: 'not-the-password' });
    expect(res).toMatchObject({ ok: false, error: { code: 'REGISTRY_AUTH_FAILED', field: 'password', reason: 'refused', params: { registry: registry.address, user: registry.user } } });
    if (!res.ok) expect(res.error.message).toContain('refused the user name or password (token)');
    expect(await t.call('registries:list', {})).toEqual([]);
  });

  it('with the right login the image is pulled and the environment serves; the password is nowhere in clear', async () => {
    const saved = await t.call('registries:login', { registry: registry.address, username: registry.user, password: registry.password });
    expect(saved).toEqual({ registry: registry.address, host: 'local', username: registry.user });
    expect(await t.call('registries:list', {})).toEqual([saved]);

    const lines: string[] = [];
    const off = t.core.events.on('tasks:updated', (task) => task.target === name && lines.push(task.message));
    const task = await t.runTask('environments:deploy', name);
    off();
    expect(task.state, task.message).toBe('succeeded');
    expect(lines.join('\n')).toMatch(/pulling .* as deployer/);
    const port = (await t.call('environments:get', { environment: name })).httpPort;
    expect((await get(port)).status).toBe(200);
    expect(folderText(t.dataDir)).not.toContain(registry.password);
  });

  it('a tag the registry does not have is IMAGE_MISSING, saying so', async () => {
    const missing = `${registry.address}/team/haproxy:no-such-tag`;
    await t.call('environments:update', { environment: name, patch: { images: { haproxy: missing } } });
    const task = await t.runTask('environments:deploy', name);
    expect(task.error).toMatchObject({ code: 'IMAGE_MISSING', field: 'images.haproxy' });
    expect(task.error!.message).toContain('check its name and tag');
    // The running load balancer was not touched.
    const port = (await t.call('environments:get', { environment: name })).httpPort;
    expect((await get(port)).status).toBe(200);
    await t.call('environments:update', { environment: name, patch: { images: { haproxy: image } } });
  });

  it('the CLI logs in with the password on standard input, lists without it, and logs out', async () => {
    const login = await cli(t.dataDir, ['registry', 'login', registry.address, '--user', registry.user, '--password-stdin'], {}, `${registry.password}\n`);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`logged in to ${registry.address} as ${registry.user} for local`);
    const list = await cli(t.dataDir, ['registry', 'list']);
    expect(list.stdout.trim()).toBe(`${registry.address}\tlocal\t${registry.user}`);
    expect(list.stdout).not.toContain(registry.password);
    const wrong = await cli(t.dataDir, ['registry', 'login', registry.address, '--user', registry.user, '--password-stdin'], {}, 'nope\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error REGISTRY_AUTH_FAILED: /m);
    expect((await cli(t.dataDir, ['registry', 'logout', registry.address])).code).toBe(0);
    expect((await cli(t.dataDir, ['registry', 'list'])).stdout.trim()).toBe('');
  });
});
