/**
 * Docker API calls to a host over SSH: container inspects through Switchyard's persistent
 * connection (one channel to the forwarded Docker socket per call) beside docker-modem's own
 * `protocol: 'ssh'` mode (a new SSH handshake and `docker system dial-stdio` per call), with
 * the local socket for scale. Real OpenSSH server on loopback. Prints figures; asserts nothing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { Environment, EnvironmentInput, parseOrThrow } from '../../shared/model';
import { Deployer } from '../../electron/core/environments/deployer';
import { ImageService } from '../../electron/core/environments/images';
import { LABEL_ENV } from '../../electron/core/environments/naming';
import { EventBus } from '../../electron/core/events';
import { LocalDockerTarget } from '../../electron/core/targets/local-docker';
import type { Target } from '../../electron/core/targets/target';
import { TaskManager } from '../../electron/core/tasks/task-manager';
import { fingerprintOf } from '../../electron/core/targets/ssh-errors';
import { SshConnection } from '../../electron/core/targets/ssh-connection';
import { SshDockerTarget } from '../../electron/core/targets/ssh-target';
import { TEST_IMAGES, TEST_OWNER, appRoot, docker as localDocker, freePort, removeEnvironments, uniqueName } from '../support/lab';
import { TestSshd } from '../support/sshd';

async function timeCalls(iterations: number, call: () => Promise<unknown>): Promise<number> {
  await call(); // first use: connects, or warms the engine's caches
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await call();
  return (performance.now() - t0) / iterations;
}

/**
 * The tutorial lab deployed from nothing to its own verified 200 through `target`; the time
 * of the deploy task. The environment is removed afterwards.
 */
async function timeLabDeploy(target: Target, host: string): Promise<number> {
  const name = uniqueName('sshdeploy');
  const stamp = new Date().toISOString();
  const env = parseOrThrow(Environment, { ...parseOrThrow(EnvironmentInput, { name, host, httpPort: await freePort(), images: TEST_IMAGES }), createdAt: stamp, updatedAt: stamp });
  const tasks = new TaskManager(new EventBus());
  const images = new ImageService(path.join(appRoot, 'docker', 'demo-backend'));
  try {
    const t0 = performance.now();
    const started = tasks.start('deploy', name, (ctx) => new Deployer(target, images, TEST_OWNER).deploy(env, ctx));
    const done = await tasks.whenDone(started.id);
    const took = performance.now() - t0;
    if (done.state !== 'succeeded') throw new Error(`deploy over ${host} failed: ${done.error?.code} ${done.message}`);
    return took;
  } finally {
    await removeEnvironments(name);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

export async function benchSsh(iterations: number, deployRuns = 1): Promise<void> {
  const env = uniqueName('sshbench');
  const sshd = await TestSshd.start();
  let target: SshDockerTarget | undefined;
  try {
    const u = sshd.users.dockerKey;
    const hostKey = await sshd.hostFingerprint();
    const c = await localDocker.createContainer({ name: `${env}-idle`, Image: TEST_IMAGES.demoBase, Cmd: ['sleep', '600'], Labels: { [LABEL_ENV]: env } });
    await c.start();

    const connection = new SshConnection({
      hostId: 'bench',
      address: sshd.address,
      port: sshd.port,
      user: u.name,
      hostKey,
      credentials: async () => ({ method: 'key', keyPath: u.keyPath! }),
    });
    target = new SshDockerTarget(connection, { hostId: 'bench', publicHost: sshd.address, user: u.name });
    const persistent = target.docker;
    const perHandshake = new Docker({
      protocol: 'ssh',
      host: sshd.address,
      port: sshd.port,
      username: u.name,
      // The same pinning as Switchyard's: a fair comparison, and no key accepted blindly.
      sshOptions: { privateKey: readFileSync(u.keyPath!), hostVerifier: (key: Buffer) => fingerprintOf(key) === hostKey.fingerprint },
    } as Docker.DockerOptions);

    const local = await timeCalls(iterations, () => localDocker.getContainer(c.id).inspect());
    const kept = await timeCalls(iterations, () => persistent.getContainer(c.id).inspect());
    const fresh = await timeCalls(iterations, () => perHandshake.getContainer(c.id).inspect());

    const ms = (v: number) => v.toFixed(2).padStart(8);
    console.log(`ssh: ${iterations} container inspects over SSH to 127.0.0.1 (OpenSSH ${sshd.port}), mean per call`);
    console.log(`  local socket (for scale)                  ${ms(local)} ms`);
    console.log(`  persistent connection, forwarded socket   ${ms(kept)} ms`);
    console.log(`  docker-modem ssh mode (handshake a call)  ${ms(fresh)} ms`);
    console.log(`  ratio handshake-per-call / persistent ${(fresh / kept).toFixed(1)}x   (goal: at least 5x)`);

    // The whole lab, from nothing to a verified 200: locally, then with every call over SSH.
    const local0 = new LocalDockerTarget();
    const localRuns: number[] = [];
    const sshRuns: number[] = [];
    await timeLabDeploy(local0, 'local'); // warms the image build cache for both
    for (let i = 0; i < deployRuns; i++) {
      localRuns.push(await timeLabDeploy(local0, 'local'));
      sshRuns.push(await timeLabDeploy(target, 'bench'));
    }
    await local0.close();
    const whole = (v: number) => `${v.toFixed(0)} ms`;
    console.log(
      `  lab deploy to its verified 200, median of ${deployRuns}: local ${whole(median(localRuns))}, over SSH ${whole(median(sshRuns))} (${(median(sshRuns) / median(localRuns)).toFixed(2)}x)`,
    );
  } finally {
    await target?.close();
    await removeEnvironments(env);
    await sshd.stop();
  }
}
