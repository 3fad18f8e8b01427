import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Environment, EnvironmentInput, parseOrThrow } from '../../shared/model';
import { Deployer } from '../../electron/core/environments/deployer';
import { adminPortOf, runtimeApiFor } from '../../electron/core/environments/haproxy-container';
import { ImageService } from '../../electron/core/environments/images';
import { names } from '../../electron/core/environments/naming';
import { EventBus } from '../../electron/core/events';
import { SshConnection } from '../../electron/core/targets/ssh-connection';
import { SshDockerTarget } from '../../electron/core/targets/ssh-target';
import type { Target } from '../../electron/core/targets/target';
import { TaskManager } from '../../electron/core/tasks/task-manager';
import { TEST_IMAGES, TEST_OWNER, appRoot, freePort, removeEnvironments, uniqueName } from '../support/lab';
import { TestSshd } from '../support/sshd';

/** One GET / through the target's loopback, on a fresh connection; the backend that answered. */
function getVia(target: Target, port: number): Promise<{ status: number; backend?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        path: '/',
        headers: { host: `vps-1:${port}` },
        createConnection: (_o, cb) => {
          target.connectLoopback(port).then(
            (s) => cb(null, s),
            (e: Error) => cb(e, undefined as never),
          );
          return undefined;
        },
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, backend: /Hello from Backend: ([A-Za-z0-9_-]+)/.exec(body)?.[1] }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** The tutorial lab deployed by the real Deployer, with every Docker and HAProxy call going over SSH. */
describe('the tutorial lab on a host reached over SSH', () => {
  const name = uniqueName('sshlab');
  let sshd: TestSshd;
  let target: SshDockerTarget;
  let port: number;
  let deployMessage: string;
  let againMessage: string;

  beforeAll(async () => {
    sshd = await TestSshd.start();
    const u = sshd.users.dockerPassword;
    const connection = new SshConnection({
      hostId: 'vps-1',
      address: sshd.address,
      port: sshd.port,
      user: u.name,
      hostKey: await sshd.hostFingerprint(),
      credentials: async () => ({ method: 'password', password: u.password! }),
    });
    target = new SshDockerTarget(connection, { hostId: 'vps-1', publicHost: sshd.address, user: u.name });
    port = await freePort();
    const stamp = new Date().toISOString();
    const env = parseOrThrow(Environment, { ...parseOrThrow(EnvironmentInput, { name, host: 'vps-1', httpPort: port, images: TEST_IMAGES }), createdAt: stamp, updatedAt: stamp });
    const tasks = new TaskManager(new EventBus());
    const images = new ImageService(path.join(appRoot, 'docker', 'demo-backend'));
    const deploy = async () => {
      const started = tasks.start('deploy', name, (ctx) => new Deployer(target, images, TEST_OWNER).deploy(env, ctx));
      const done = await tasks.whenDone(started.id);
      expect(done.error, JSON.stringify(done.error)).toBeUndefined();
      return done.message;
    };
    deployMessage = await deploy();
    againMessage = await deploy();
  });

  afterAll(async () => {
    await target?.close();
    await removeEnvironments(name);
    await sshd?.stop();
  });

  it('deploys, reports the host address as the URL, and changes nothing the second time', () => {
    expect(deployMessage).toContain(`${name} is up at http://${sshd.address}:${port}/`);
    expect(againMessage).toContain('nothing to change');
  });

  it('alternates back1/back2 for requests made through the SSH connection', async () => {
    const backends: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await getVia(target, port);
      expect(r.status).toBe(200);
      backends.push(r.backend!);
    }
    expect(backends.filter((b) => b === 'back1')).toHaveLength(5);
    expect(backends.filter((b) => b === 'back2')).toHaveLength(5);
    for (let i = 1; i < backends.length; i++) expect(backends[i]).not.toBe(backends[i - 1]);
  });

  it("answers on HAProxy's runtime API, which is published on the host loopback only", async () => {
    const lb = target.docker.getContainer(names.haproxy(name));
    const info = await lb.inspect();
    const bindings = Object.values(info.NetworkSettings.Ports ?? {})
      .flat()
      .filter(Boolean) as { HostIp: string; HostPort: string }[];
    const adminPort = await adminPortOf(lb);
    expect(bindings.find((b) => Number(b.HostPort) === adminPort)?.HostIp).toBe('127.0.0.1');
    const api = runtimeApiFor(target, name, adminPort!);
    expect((await api.showInfo()).Version).toMatch(/^2\./);
  });
});
