/**
 * The three Docker engines that test/support/cluster/nodes.sh runs in network namespaces
 * (swn1..swn5 on the host bridge sybr0), each with its own sshd: a real multi-node Swarm on
 * this one machine. Tests init, join and leave the swarm themselves; `nodes.sh reset` cleans up.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import type { SshHostInput } from '../../shared/hosts';
import { appRoot, sleep } from './lab';

const run = promisify(execFile);

export type NodeName = 'swn1' | 'swn2' | 'swn3' | 'swn4' | 'swn5';

export interface TestNode {
  name: NodeName;
  /** The node's address on the host bridge, where its sshd listens and Swarm advertises. */
  address: string;
  /** The node engine's Unix socket on this machine. */
  socket: string;
  /** `unix://` + socket. */
  dockerHost: string;
}

const RUN_DIR = '/run/switchyard-test';
const SSH_DIR = path.join(RUN_DIR, 'ssh');
export const NODES_SCRIPT = path.join(appRoot, 'test/support/cluster/nodes.sh');

const node = (name: NodeName, address: string): TestNode => {
  const socket = path.join(RUN_DIR, name, 'docker.sock');
  return { name, address, socket, dockerHost: `unix://${socket}` };
};

export const NODES = {
  swn1: node('swn1', '10.250.0.11'),
  swn2: node('swn2', '10.250.0.12'),
  swn3: node('swn3', '10.250.0.13'),
  swn4: node('swn4', '10.250.0.14'),
  swn5: node('swn5', '10.250.0.15'),
} as const satisfies Record<NodeName, TestNode>;

/** Root logs in with this key on every node; each node's sshd points `docker` at its own engine. */
export const SSH = {
  user: 'root',
  port: 22,
  keyPath: path.join(SSH_DIR, 'id_ed25519'),
  hostKeyPub: path.join(SSH_DIR, 'ssh_host_ed25519_key.pub'),
} as const;

/**
 * The environment for running `docker -H ssh://root@<node>` or `ssh root@<node>` on this machine: an
 * `ssh` first on PATH that uses nodes.sh's client config (the key, the nodes' host key), so
 * root's own ~/.ssh is never touched.
 */
export function sshCliEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: `${path.join(SSH_DIR, 'bin')}:${env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` };
}

/** dockerode on the node's own socket (not through SSH). */
export function nodeDocker(n: TestNode): Docker {
  return new Docker({ socketPath: n.socket });
}

/** Throws, naming the command that fixes it, when a node's engine or sshd does not answer: tests fail, never skip. */
export async function requireNodes(): Promise<void> {
  const problems: string[] = [];
  await Promise.all(
    Object.values(NODES).map(async (n) => {
      if (!(await engineAnswers(n))) problems.push(`${n.name}: engine at ${n.socket} does not answer`);
      if (!(await sshdAnswers(n))) problems.push(`${n.name}: sshd at ${n.address}:22 does not answer`);
    }),
  );
  if (problems.length > 0) {
    throw new Error(`the test cluster nodes are not up (run \`test/support/cluster/nodes.sh up\` as root): ${problems.sort().join('; ')}`);
  }
}

/** Leaves the swarm, forcefully; a node that is in no swarm is fine. */
export async function leaveSwarm(n: TestNode): Promise<void> {
  try {
    await nodeDocker(n).swarmLeave({ force: true });
  } catch (err) {
    if (!/not part of a swarm/i.test((err as Error).message)) throw err;
  }
}

/** Stops the node's dockerd (SIGTERM) and waits until the process is gone: a lost node. */
export async function stopEngine(n: TestNode): Promise<void> {
  const pid = enginePid(n);
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  // dockerd stops its containers first (up to its 15 s shutdown timeout).
  const deadline = Date.now() + 60_000;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`${n.name}: dockerd (${pid}) still running 60 s after SIGTERM`);
    await sleep(100);
  }
}

/** Starts the node's dockerd again as nodes.sh does (`nodes.sh up <node>`) and waits until it answers. */
export async function startEngine(n: TestNode): Promise<void> {
  try {
    await run(NODES_SCRIPT, ['up', n.name], { timeout: 120_000 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`\`nodes.sh up ${n.name}\` failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  const deadline = Date.now() + 60_000;
  while (!(await engineAnswers(n))) {
    if (Date.now() > deadline) throw new Error(`${n.name}: engine did not answer within 60 s of \`nodes.sh up ${n.name}\``);
    await sleep(200);
  }
}

/** What the `hosts:add` channel takes to reach this node over SSH, host key included. */
export function sshHostInput(n: TestNode, name: string): SshHostInput {
  return {
    name,
    address: n.address,
    port: SSH.port,
    user: SSH.user,
    auth: { method: 'key', keyPath: SSH.keyPath },
    hostKey: hostKey(),
    // The node's own engine: /var/run/docker.sock on this machine is the default engine's.
    dockerSocket: n.socket,
  };
}

/** The shared host key as `ssh-keygen -lf` prints it: SHA256 of the key blob, base64 without padding. */
function hostKey(): { algorithm: string; fingerprint: string } {
  const [algorithm, blob] = readFileSync(SSH.hostKeyPub, 'utf8').trim().split(/\s+/);
  const digest = createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '');
  return { algorithm, fingerprint: `SHA256:${digest}` };
}

function enginePid(n: TestNode): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(RUN_DIR, n.name, 'docker.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function engineAnswers(n: TestNode): Promise<boolean> {
  const ping = nodeDocker(n)
    .ping()
    .then(
      () => true,
      () => false,
    );
  return Promise.race([ping, sleep(5_000).then(() => false)]);
}

/** Connects to the node's sshd and reads its `SSH-2.0-` banner. */
function sshdAnswers(n: TestNode): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: n.address, port: SSH.port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(5_000, () => done(false));
    s.once('data', (b: Buffer) => done(b.toString('latin1').startsWith('SSH-')));
    s.once('error', () => done(false));
  });
}
