/**
 * Docker API calls to a host over SSH: container inspects through Switchyard's persistent
 * connection (one channel to the forwarded Docker socket per call) beside docker-modem's own
 * `protocol: 'ssh'` mode (a new SSH handshake and `docker system dial-stdio` per call), with
 * the local socket for scale. Real OpenSSH server on loopback. Prints figures; asserts nothing.
 */
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { LABEL_ENV } from '../../electron/core/environments/naming';
import { fingerprintOf } from '../../electron/core/targets/ssh-errors';
import { SshConnection } from '../../electron/core/targets/ssh-connection';
import { SshDockerTarget } from '../../electron/core/targets/ssh-target';
import { TEST_IMAGES, docker as localDocker, removeEnvironments, uniqueName } from '../support/lab';
import { TestSshd } from '../support/sshd';

async function timeCalls(iterations: number, call: () => Promise<unknown>): Promise<number> {
  await call(); // first use: connects, or warms the engine's caches
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await call();
  return (performance.now() - t0) / iterations;
}

export async function benchSsh(iterations: number): Promise<void> {
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
  } finally {
    await target?.close();
    await removeEnvironments(env);
    await sshd.stop();
  }
}
