import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../shared/errors';
import { httpStatus } from '../../electron/core/environments/deployer';
import { LABEL_ENV } from '../../electron/core/environments/naming';
import { execIn } from '../../electron/core/targets/docker-util';
import { SshConnection } from '../../electron/core/targets/ssh-connection';
import { SshDockerTarget } from '../../electron/core/targets/ssh-target';
import { TEST_IMAGES, docker as localDocker, removeEnvironments, uniqueName, until } from '../support/lab';
import { TestSshd } from '../support/sshd';

/** Reads a stream to its end (or fails with its error). */
function readAll(s: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

describe('a Docker engine over SSH (SshDockerTarget)', () => {
  const envName = uniqueName('ssh');
  let sshd: TestSshd;
  let target: SshDockerTarget;
  let web: Docker.Container;
  let webPort: number;

  const runContainer = async (name: string, cmd: string[], ports: Record<string, string> = {}) => {
    const c = await target.docker.createContainer({
      name: `${envName}-${name}`,
      Image: TEST_IMAGES.demoBase,
      Cmd: cmd,
      Labels: { [LABEL_ENV]: envName },
      ExposedPorts: Object.fromEntries(Object.keys(ports).map((p) => [`${p}/tcp`, {}])),
      HostConfig: { PortBindings: Object.fromEntries(Object.entries(ports).map(([p, host]) => [`${p}/tcp`, [{ HostIp: '127.0.0.1', HostPort: host }]])) },
    });
    await c.start();
    return c;
  };

  beforeAll(async () => {
    sshd = await TestSshd.start();
    const u = sshd.users.dockerKey;
    const connection = new SshConnection({
      hostId: 'vps-1',
      address: sshd.address,
      port: sshd.port,
      user: u.name,
      hostKey: await sshd.hostFingerprint(),
      credentials: async () => ({ method: 'key', keyPath: u.keyPath! }),
    });
    target = new SshDockerTarget(connection, { hostId: 'vps-1', publicHost: sshd.address, user: u.name });
    // A tiny web server published on the host's loopback only, like HAProxy's runtime API.
    web = await runContainer('web', ['sh', '-c', 'mkdir -p /www && echo "hello over ssh" > /www/index.html && exec httpd -f -p 8000 -h /www'], { '8000': '' });
    const info = await web.inspect();
    webPort = Number(info.NetworkSettings.Ports['8000/tcp']![0].HostPort);
  });

  afterAll(async () => {
    await target?.close();
    await removeEnvironments(envName);
    await sshd?.stop();
  });

  it('lists the same containers as the local engine', async () => {
    const filters = { label: [`${LABEL_ENV}=${envName}`] };
    const remote = await target.docker.listContainers({ all: true, filters });
    const local = await localDocker.listContainers({ all: true, filters });
    expect(remote.map((c) => c.Id).sort()).toEqual(local.map((c) => c.Id).sort());
    expect(remote.map((c) => c.Names[0])).toContain(`/${envName}-web`);
  });

  it('creates, starts, runs a command in and removes a container', async () => {
    const c = await runContainer('job', ['sleep', '300']);
    expect((await c.inspect()).State.Running).toBe(true);
    // exec start is an HTTP upgrade: the hijacked stream is the SSH channel itself.
    const r = await execIn(target.docker, c, ['sh', '-c', 'echo out; echo err >&2; exit 4']);
    expect(r.exitCode).toBe(4);
    expect(r.output.split('\n').sort()).toEqual(['', 'err', 'out']);
    await c.remove({ force: true });
    const err = await c.inspect().catch((e: { statusCode?: number }) => e);
    expect((err as { statusCode?: number }).statusCode).toBe(404);
  });

  it('reaches a port published on the host loopback, raw and through the HTTP client', async () => {
    const socket = await target.connectLoopback(webPort);
    const reply = readAll(socket);
    socket.write('GET / HTTP/1.0\r\nHost: x\r\n\r\n');
    expect(await reply).toMatch(/^HTTP\/1\.[01] 200[\s\S]*hello over ssh/);
    expect(await httpStatus(target, webPort)).toBe(200);
  });

  it('tells a port in use from a free one on the host', async () => {
    expect(await target.isPortFree(webPort)).toBe(false);
    expect(await target.isPortFree(sshd.port)).toBe(false);
    const free = await until('a free port', async () => {
      const p = 20000 + Math.floor(Math.random() * 20000);
      return (await localDocker.listContainers({ filters: { publish: [String(p)] } })).length === 0 && p;
    });
    expect(await target.isPortFree(free)).toBe(true);
  });

  it('fails the calls under way when the connection drops, and reconnects on the next call', async () => {
    const sleeper = await runContainer('sleeper', ['sleep', '300']);
    const waiting = sleeper.wait().then(
      () => 'finished',
      (e: unknown) => e,
    );
    const socket = await target.connectLoopback(webPort);
    const socketDone = new Promise<string>((resolve) => {
      socket.on('error', (e: Error) => resolve(`error: ${e.message}`));
      socket.on('close', () => resolve('closed'));
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(sshd.killSessions()).toBeGreaterThan(0);

    const err = (await waiting) as SwitchyardError;
    expect(err).toBeInstanceOf(SwitchyardError);
    expect([err.code, err.detail]).toEqual(['CONNECTION_LOST', 'ssh-connection-lost']);
    expect(err.message).toBe(`The SSH connection to vps-1 (${sshd.address}) was lost; the next request reconnects`);
    expect(await socketDone).toMatch(/closed|was lost/);

    // No reconnect call: the next request makes a new connection by itself.
    const list = await target.docker.listContainers({ filters: { label: [`${LABEL_ENV}=${envName}`] } });
    expect(list.map((c) => c.Names[0])).toContain(`/${envName}-sleeper`);
    expect(target.connection.connected).toBe(true);
    expect(await httpStatus(target, webPort)).toBe(200);
  });

  it('recovers when the drop happens between two calls', async () => {
    await target.docker.ping();
    sshd.killSessions();
    // Straight away: the client may not have seen the connection close yet.
    expect(String(await target.docker.ping())).toBe('OK');
  });
});
