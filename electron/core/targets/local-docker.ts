import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Docker from 'dockerode';
import { SwitchyardError } from '../../../shared/errors';
import type { Target } from './target';

/** Connection options for the engine DOCKER_HOST names, as docker's own CLI reads it. */
export function dockerOptions(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): Docker.DockerOptions {
  const host = env.DOCKER_HOST;
  if (!host) return { socketPath: platform === 'win32' ? '//./pipe/docker_engine' : '/var/run/docker.sock' };
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('npipe://')) return { socketPath: host.slice('npipe://'.length) };
  if (host.startsWith('tcp://')) {
    const url = new URL(host);
    const tls = Boolean(env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0');
    const opts: Docker.DockerOptions = { host: url.hostname, port: Number(url.port) || (tls ? 2376 : 2375), protocol: tls ? 'https' : 'http' };
    if (tls) {
      const dir = env.DOCKER_CERT_PATH ?? path.join(env.HOME ?? '', '.docker');
      opts.ca = readFileSync(path.join(dir, 'ca.pem'));
      opts.cert = readFileSync(path.join(dir, 'cert.pem'));
      opts.key = readFileSync(path.join(dir, 'key.pem'));
    }
    return opts;
  }
  throw new SwitchyardError('VALIDATION', `DOCKER_HOST "${host}" is not supported here: use unix://, npipe:// or tcp:// (remote hosts over SSH are added as hosts)`, {
    field: 'DOCKER_HOST',
  });
}

/** The Docker engine of this computer (DOCKER_HOST is respected, as docker's own CLI does). */
export class LocalDockerTarget implements Target {
  readonly hostId = 'local';
  readonly docker: Docker;
  readonly publicHost: string;
  private readonly loopbackHost: string;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const opts = dockerOptions(env);
    this.docker = new Docker(opts);
    // A tcp:// DOCKER_HOST points at another machine: its "loopback" is that machine.
    this.loopbackHost = opts.host ?? '127.0.0.1';
    this.publicHost = opts.host ?? 'localhost';
  }

  connectLoopback(port: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.loopbackHost, port });
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  isPortFree(port: number): Promise<boolean> {
    if (this.loopbackHost !== '127.0.0.1') return Promise.resolve(true);
    return new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
    });
  }

  async close(): Promise<void> {
    /* the local engine needs no teardown */
  }
}
