/**
 * What `system:info` says when this computer's Docker does not answer: the reason (from a real
 * socket that is missing, or that nobody listens on), the operating system, and whether Docker
 * looks installed, which the window's first-run screen turns into steps.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../electron/core/core';
import { dockerEndpoint, dockerInstalled, dockerProblemOf, systemOs } from '../../../electron/core/system/docker-reachability';
import type { SystemInfo } from '../../../shared/contract';

const appRoot = path.resolve(import.meta.dirname, '../../..');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-docker-reach-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function infoWith(env: NodeJS.ProcessEnv): Promise<SystemInfo> {
  const core: Core = createCore({ dataDir: tmpDir(), appRoot, env });
  cleanups.push(() => core.close());
  const res = await core.invoke('system:info', {});
  if (!res.ok) throw new Error(res.error.message);
  return res.result as SystemInfo;
}

describe('system:info when Docker does not answer', () => {
  it('a socket that is not there: missing-socket, with where it looked and the OS', async () => {
    const socket = path.join(tmpDir(), 'docker.sock');
    const info = await infoWith({ DOCKER_HOST: `unix://${socket}`, PATH: '' });
    expect(info.os).toBe(systemOs());
    expect(info.docker).toMatchObject({ reachable: false, problem: 'missing-socket', endpoint: `unix://${socket}` });
    expect(info.docker.error).toContain('ENOENT');
    expect(typeof info.docker.installed === 'boolean' || info.docker.installed === undefined).toBe(true);
  });

  it('a socket file nobody listens on (a daemon that stopped): connection-refused', async () => {
    const socket = path.join(tmpDir(), 'docker.sock');
    // A process that listened there and died: its socket file stays, and nothing answers on it.
    const r = spawnSync(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.exit(0))", socket]);
    expect(r.status).toBe(0);
    expect(fs.statSync(socket).isSocket()).toBe(true);
    const info = await infoWith({ DOCKER_HOST: `unix://${socket}` });
    expect(info.docker).toMatchObject({ reachable: false, problem: 'connection-refused' });
  });

  it('a TCP engine that refuses: connection-refused, and no guess about this computer', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const info = await infoWith({ DOCKER_HOST: `tcp://127.0.0.1:${port}` });
    expect(info.docker).toMatchObject({ reachable: false, problem: 'connection-refused', endpoint: `tcp://127.0.0.1:${port}` });
    expect(info.docker.installed).toBeUndefined();
  });

  it('a DOCKER_HOST it cannot use: other, with the reason', async () => {
    const info = await infoWith({ DOCKER_HOST: 'ftp://example' });
    expect(info.docker).toMatchObject({ reachable: false, problem: 'other', endpoint: 'ftp://example' });
    expect(info.docker.error).toContain('DOCKER_HOST');
  });
});

describe('reasons and where to look', () => {
  const err = (code: string) => Object.assign(new Error(code), { code });

  it('reads the socket error', () => {
    expect(dockerProblemOf(err('ENOENT'))).toBe('missing-socket');
    expect(dockerProblemOf(err('ECONNREFUSED'))).toBe('connection-refused');
    expect(dockerProblemOf(err('EACCES'))).toBe('permission-denied');
    expect(dockerProblemOf(err('EPERM'))).toBe('permission-denied');
    expect(dockerProblemOf(err('ETIMEDOUT'))).toBe('other');
    expect(dockerProblemOf(new Error('no code'))).toBe('other');
  });

  it('names the default engine of each system, and DOCKER_HOST when set', () => {
    expect(dockerEndpoint({}, 'linux')).toBe('unix:///var/run/docker.sock');
    expect(dockerEndpoint({}, 'darwin')).toBe('unix:///var/run/docker.sock');
    expect(dockerEndpoint({}, 'win32')).toBe('npipe:////./pipe/docker_engine');
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://10.0.0.2:2376' }, 'linux')).toBe('tcp://10.0.0.2:2376');
    expect(systemOs('freebsd')).toBe('other');
  });

  it('tells installed from not installed by the programs on disk, per system', () => {
    const only =
      (...files: string[]) =>
      (f: string) =>
        files.includes(f);
    expect(dockerInstalled({ PATH: '/usr/bin:/bin' }, 'linux', only('/usr/bin/dockerd'))).toBe(true);
    expect(dockerInstalled({ PATH: '/usr/bin:/bin' }, 'linux', only('/usr/bin/docker'))).toBe(false);
    expect(dockerInstalled({ PATH: '/opt/x/bin' }, 'linux', only('/opt/x/bin/dockerd'))).toBe(true);
    expect(dockerInstalled({ HOME: '/Users/ana' }, 'darwin', only('/Applications/Docker.app'))).toBe(true);
    expect(dockerInstalled({ HOME: '/Users/ana' }, 'darwin', only('/Users/ana/Applications/Docker.app'))).toBe(true);
    expect(dockerInstalled({ HOME: '/Users/ana' }, 'darwin', only())).toBe(false);
    expect(dockerInstalled({ ProgramFiles: 'C:\\Program Files' }, 'win32', only('C:\\Program Files\\Docker\\Docker\\Docker Desktop.exe'))).toBe(true);
    expect(dockerInstalled({ ProgramFiles: 'C:\\Program Files', Path: 'C:\\tools' }, 'win32', only('C:\\tools\\docker.exe'))).toBe(true);
    expect(dockerInstalled({}, 'win32', only())).toBe(false);
    // An engine elsewhere says nothing about this computer; nor does a system we know no places for.
    expect(dockerInstalled({ DOCKER_HOST: 'tcp://10.0.0.2:2375' }, 'linux', only('/usr/bin/dockerd'))).toBeUndefined();
    expect(dockerInstalled({}, 'freebsd', only())).toBeUndefined();
  });
});
