import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_NETWORK, names } from '../../electron/core/environments/naming';
import { execIn } from '../../electron/core/targets/docker-util';
import { deployLab, docker, get, removeEnvironments, TEST_IMAGES, testCore, type TestCore, uniqueName, until } from '../support/lab';

/** The tutorial lab, end to end on the real Docker engine with real HAProxy. */
describe('the tutorial lab on local Docker', () => {
  const name = uniqueName('lab');
  let t: TestCore;
  let port: number;

  beforeAll(async () => {
    t = testCore();
    port = await deployLab(t, name);
  });

  afterAll(async () => {
    await removeEnvironments(name);
    await t?.close();
  });

  it('reports each deploy step with progress', async () => {
    const [task] = (await t.call('tasks:list', {})).filter((x) => x.target === name);
    expect(task.steps.map((s) => s.name)).toEqual(['images', 'ports', 'network', 'config', 'backends', 'haproxy', 'cleanup', 'verify']);
    expect(task.steps.every((s) => s.state === 'done')).toBe(true);
    expect(task.message).toContain(`http://localhost:${port}/`);
  });

  it('alternates back1/back2 for 20 requests without cookies (10 each)', async () => {
    const backends: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await get(port);
      expect(r.status).toBe(200);
      backends.push(r.backend!);
    }
    expect(backends.filter((b) => b === 'back1')).toHaveLength(10);
    expect(backends.filter((b) => b === 'back2')).toHaveLength(10);
    for (let i = 1; i < backends.length; i++) expect(backends[i]).not.toBe(backends[i - 1]);
  });

  it('keeps a client with the SERVERID cookie on one backend', async () => {
    const first = await get(port);
    const cookie = first.setCookie.find((c) => c.startsWith('SERVERID='))!.split(';')[0];
    expect(cookie).toBe(`SERVERID=${first.backend}`);
    for (let i = 0; i < 10; i++) {
      const r = await get(port, { cookie });
      expect(r.backend).toBe(first.backend);
    }
  });

  it('fails over to back2 when back1 stops, and takes back1 back when it starts', async () => {
    const stopped = await t.call('servers:stop', { environment: name, server: 'back1' });
    expect(stopped.state).toBe('exited');
    // The user who was on back1 keeps its cookie: redispatch sends it to back2.
    for (let i = 0; i < 20; i++) {
      const cookie = i % 2 ? 'SERVERID=back1' : undefined;
      const r = await get(port, { cookie });
      expect(r.status).toBe(200);
      expect(r.backend).toBe('back2');
    }
    await until('back1 reported DOWN', async () => {
      const s = await t.call('environments:status', { environment: name });
      return s.servers.find((x) => x.name === 'back1')?.health !== 'UP' && s.state === 'partly-down';
    });

    await t.call('servers:start', { environment: name, server: 'back1' });
    await until(
      'back1 back UP',
      async () => {
        const s = await t.call('environments:status', { environment: name });
        return s.servers.find((x) => x.name === 'back1')?.health === 'UP' && s.state === 'running';
      },
      30_000,
    );
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await get(port)).backend!);
    expect([...seen].sort()).toEqual(['back1', 'back2']);
  });

  it('a second deploy creates or recreates no container', async () => {
    const before = await docker.listContainers({ all: true, filters: { label: [`io.switchyard.environment=${name}`] } });
    const task = await t.runTask('environments:deploy', name);
    expect(task.state).toBe('succeeded');
    expect(task.message).toContain('nothing to change');
    const after = await docker.listContainers({ all: true, filters: { label: [`io.switchyard.environment=${name}`] } });
    const ids = (list: typeof before) => list.map((c) => `${c.Id}@${c.Created}`).sort();
    expect(ids(after)).toEqual(ids(before));
  });

  it('shows the status with HAProxy reachable and the config in sync', async () => {
    const s = await t.call('environments:status', { environment: name });
    expect(s.state).toBe('running');
    expect(s.url).toBe(`http://localhost:${port}/`);
    expect(s.haproxy.reachable).toBe(true);
    expect(s.haproxy.configInSync).toBe(true);
    expect(s.haproxy.version).toMatch(/^2\.6\./);
    expect(s.containers.map((c) => c.role).sort()).toEqual(['backend', 'backend', 'haproxy']);
  });

  it('keeps the runtime API away from the backends but open to the host', async () => {
    const lb = await docker.getContainer(names.haproxy(name)).inspect();
    const backendNet = names.backendNetwork(name);
    const lbBackendIp = lb.NetworkSettings.Networks[backendNet].IPAddress;
    const lbEdgeIp = lb.NetworkSettings.Networks[EDGE_NETWORK].IPAddress;
    const back1 = docker.getContainer(names.backend(name, 'back1'));
    for (const target of [names.haproxy(name), lbBackendIp, lbEdgeIp]) {
      const res = await execIn(docker, back1, ['sh', '-c', `echo "show info" | nc -w 2 ${target} 9999; echo "exit=$?"`]);
      expect(res.output, `from back1 to ${target}`).not.toMatch(/Version:/);
    }
    // Nor from anything else on the shared edge network (another environment's load balancer).
    const neighbour = await docker.createContainer({
      Image: TEST_IMAGES.demoBase,
      Cmd: ['sh', '-c', `echo "show info" | nc -w 2 ${lbEdgeIp} 9999; echo done`],
      Labels: { 'io.switchyard.environment': name },
      HostConfig: { NetworkMode: EDGE_NETWORK },
    });
    await neighbour.start();
    await neighbour.wait();
    const neighbourLog = (await neighbour.logs({ stdout: true, stderr: true })).toString();
    await neighbour.remove({ force: true });
    expect(neighbourLog).toContain('done');
    expect(neighbourLog).not.toMatch(/Version:/);
    // The same command from the host, through the loopback-only published port, works.
    const hostPort = Number(lb.NetworkSettings.Ports['9999/tcp']![0].HostPort);
    expect(lb.NetworkSettings.Ports['9999/tcp']![0].HostIp).toBe('127.0.0.1');
    const { RuntimeApi } = await import('../../electron/core/haproxy/runtime-api');
    const { default: net } = await import('node:net');
    const api = new RuntimeApi(() => Promise.resolve(net.connect(hostPort, '127.0.0.1')), name);
    expect((await api.showInfo()).Version).toMatch(/^2\.6\./);
  });
});
