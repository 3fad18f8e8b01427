import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS_FILE } from '../../electron/core/secrets/secret-store';
import { LABEL_ENV } from '../../electron/core/environments/naming';
import { cli } from '../support/cli';
import { TEST_IMAGES, docker, freePort, labelledResources, removeEnvironments, testCore, uniqueName, type TestCore } from '../support/lab';
import { TestSshd } from '../support/sshd';
import { refusal } from '../support/outcomes';

/** Counts the TCP connections made to a port: standing where the SSH server was, it sees any attempt to reach the host. */
function connectionCounter(port: number): Promise<{ count: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = net.createServer((s) => {
    n++;
    s.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ count: () => n, close: () => new Promise((r) => server.close(() => r())) }));
  });
}

describe('a server gone for good: forgetting instead of removing', () => {
  const name = uniqueName('gone');
  const other = uniqueName('gone2');
  let sshd: TestSshd;
  let t: TestCore;
  let counter: Awaited<ReturnType<typeof connectionCounter>> | undefined;

  beforeAll(async () => {
    sshd = await TestSshd.start();
    t = testCore();
  });

  afterAll(async () => {
    await counter?.close();
    await removeEnvironments(name, other);
    await t?.close();
    await sshd?.stop();
  });

  it('remove fails HOST_UNREACHABLE, forget drops the environment without reaching the host, then the host goes with its environments', async () => {
    const u = sshd.users.dockerPassword;
    await t.call('hosts:add', {
      name: 'vps-gone',
      address: sshd.address,
      port: sshd.port,
      user: u.name,
      auth: { method: 'password', password: u.password! },
      hostKey: await sshd.hostFingerprint(),
    });
    await t.call('environments:create', { name, host: 'vps-gone', httpPort: await freePort(), images: TEST_IMAGES });
    const deployed = await t.runTask('environments:deploy', name);
    expect(deployed.state, JSON.stringify(deployed.error)).toBe('succeeded');
    await t.call('environments:create', { name: other, host: 'vps-gone', httpPort: await freePort(), images: TEST_IMAGES, servers: [{ name: 'web', kind: 'demo' }] });

    // The server disappears.
    await sshd.stop();
    const removed = await refusal(t.call('environments:remove', { environment: name }));
    expect(removed?.code, removed?.message).toBe('HOST_UNREACHABLE');
    expect(removed?.message).toContain(`forget "${name}" instead`);
    expect((await refusal(t.call('hosts:remove', { id: 'vps-gone' })))?.code).toBe('BUSY');
    expect((await t.call('environments:list', {})).map((e) => e.name).sort()).toEqual([name, other].sort());

    // From here on, any attempt to reach the host lands here.
    counter = await connectionCounter(sshd.port);
    const footprint = await t.call('environments:footprint', { environment: name });
    const { left } = await t.call('environments:forget', { environment: name });
    expect(left).toEqual([footprint]);
    const [f] = left;
    expect(f).toMatchObject({ environment: name, host: 'vps-gone', label: `${LABEL_ENV}=${name}` });
    // What it says may remain is exactly what is there (the test's "server" is this machine's engine).
    const filters = { label: [f.label] };
    expect((await docker.listContainers({ all: true, filters })).map((c) => c.Names[0].slice(1)).sort()).toEqual([...f.containers].sort());
    expect((await docker.listNetworks({ filters })).map((n) => n.Name).sort()).toEqual(f.networks);
    expect(((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => v.Name)).toEqual(f.volumes);
    expect((await t.call('environments:list', {})).map((e) => e.name)).toEqual([other]);
    expect((await refusal(t.call('environments:get', { environment: name })))?.code).toBe('NOT_FOUND');

    const placed = await t.call('hosts:footprint', { id: 'vps-gone' });
    expect(placed.map((p) => [p.environment, p.containers])).toEqual([[other, [`sy-${other}-haproxy`, `sy-${other}-web`]]]);
    const host = await t.call('hosts:forget', { id: 'vps-gone' });
    expect(host).toEqual({ forgotten: true, left: placed });
    expect((await t.call('hosts:list', {})).map((h) => h.id)).toEqual(['local']);
    expect(await t.call('environments:list', {})).toEqual([]);
    const secrets = JSON.parse(readFileSync(path.join(t.dataDir, SECRETS_FILE), 'utf8')) as { secrets: Record<string, string> };
    expect(secrets.secrets).toEqual({});

    expect(counter.count()).toBe(0);
    expect((await labelledResources(name)).containers).toBe(3);
  });
});

describe('a refused call changes nothing', () => {
  const name = uniqueName('busy');
  const single = uniqueName('single');
  let t: TestCore;

  beforeAll(() => {
    t = testCore();
  });

  afterAll(async () => {
    await removeEnvironments(name, single);
    await t?.close();
  });

  it('servers:add and servers:remove during a deploy answer BUSY and leave the model as it was', async () => {
    await t.call('environments:create', { name, httpPort: await freePort(), images: TEST_IMAGES });
    const before = await t.call('environments:get', { environment: name });
    const { taskId } = await t.call('environments:deploy', { environment: name });

    const added = await refusal(t.call('servers:add', { environment: name, server: { name: 'back3', kind: 'demo' } }));
    expect(added?.code).toBe('BUSY');
    const removed = await refusal(t.call('servers:remove', { environment: name, server: 'back2' }));
    expect(removed?.code).toBe('BUSY');
    expect(await t.call('environments:get', { environment: name })).toEqual(before);

    expect((await t.core.tasks.whenDone(taskId)).state).toBe('succeeded');
    expect(await t.call('environments:get', { environment: name })).toEqual(before);
    expect(t.core.tasks.list().filter((x) => x.target === name)).toHaveLength(1);
  });

  it('a duplicate server name is refused naming the request’s field, and nothing is deployed', async () => {
    const before = await t.call('environments:get', { environment: name });
    const dup = await refusal(t.call('servers:add', { environment: name, server: { name: 'back1', kind: 'demo' } }));
    expect(dup).toMatchObject({ code: 'ALREADY_EXISTS', field: 'server.name' });
    expect(dup?.message).toBe(`server.name: "${name}" already has a server named "back1"`);
    expect(await t.call('environments:get', { environment: name })).toEqual(before);
    expect(t.core.tasks.list().filter((x) => x.target === name)).toHaveLength(1);
  });

  it('the last server cannot be removed', async () => {
    await t.call('environments:create', { name: single, httpPort: await freePort(), images: TEST_IMAGES, servers: [{ name: 'only', kind: 'demo' }] });
    const before = await t.call('environments:get', { environment: single });
    const last = await refusal(t.call('servers:remove', { environment: single, server: 'only' }));
    expect(last).toMatchObject({ code: 'VALIDATION', field: 'server' });
    expect(last?.message).toContain('"only" is the last server');
    expect(await t.call('environments:get', { environment: single })).toEqual(before);
    expect(t.core.tasks.list().filter((x) => x.target === single)).toEqual([]);
    // The lock was let go: a deploy can start.
    const { taskId } = await t.call('environments:deploy', { environment: single });
    expect((await t.core.tasks.whenDone(taskId)).state).toBe('succeeded');
  });
});

describe('switchyard env remove', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-'));
  const name = uniqueName('rm');
  afterAll(async () => {
    await removeEnvironments(name);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses while containers exist, and removes the environment once destroyed', async () => {
    const images = ['--haproxy-image', TEST_IMAGES.haproxy, '--demo-base', TEST_IMAGES.demoBase];
    expect((await cli(dataDir, ['env', 'create', name, '--port', String(await freePort()), '--servers', '1', ...images])).code).toBe(0);
    expect((await cli(dataDir, ['env', 'deploy', name])).code).toBe(0);

    const early = await cli(dataDir, ['env', 'remove', name]);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(`error BUSY: "${name}" still has 2 containers; destroy it first`);

    const destroyed = await cli(dataDir, ['env', 'destroy', name]);
    expect(destroyed.stdout).toContain(`${name} destroyed: 2 containers, 1 network, 1 volume removed`);
    const removed = await cli(dataDir, ['env', 'remove', name]);
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe(`removed ${name}\n`);
    expect((await cli(dataDir, ['env', 'list'])).stdout).toBe('no environments\n');
  });
});
