import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { docker, freePort, until } from './lab';
import { followProgress } from '../../electron/core/targets/docker-util';

export interface TestRegistry {
  /** `127.0.0.1:<port>`: the engine talks plain HTTP to loopback registries. */
  address: string;
  user: string;
  password: string;
  /** Tags a local image into the registry and pushes it; the local copy of the new tag is removed. */
  push(localImage: string, repo: string, tag: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Debian's docker-registry (the Distribution registry) on loopback, with htpasswd (bcrypt)
 * authentication, like a private registry a team runs.
 */
export async function startRegistry(): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-registry-'));
  const user = 'deployer';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const hash = spawnSync('htpasswd', ['-Bbn', user, password], { encoding: 'utf8' });
  if (hash.status !== 0) throw new Error(`htpasswd failed: ${hash.stderr}`);
  writeFileSync(path.join(dir, 'htpasswd'), hash.stdout);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  writeFileSync(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      'http:',
      `  addr: ${address}`,
      'auth:',
      '  htpasswd:',
      '    realm: switchyard-test',
      `    path: ${path.join(dir, 'htpasswd')}`,
      '',
    ].join('\n'),
  );
  const proc: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (log += c));
  await until(`the registry on ${address} to answer (${log})`, async () => {
    const res = await fetch(`http://${address}/v2/`).catch(() => undefined);
    return res?.status === 401;
  });
  const authconfig = { username: user, password, serveraddress: address };
  return {
    address,
    user,
    password,
    async push(localImage, repo, tag) {
      const ref = `${address}/${repo}:${tag}`;
      await docker.getImage(localImage).tag({ repo: `${address}/${repo}`, tag });
      await followProgress(docker, await docker.getImage(ref).push({ authconfig }));
      await docker.getImage(ref).remove();
      return ref;
    },
    async stop() {
      proc.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
