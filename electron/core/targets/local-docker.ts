import net from 'node:net';
import Docker from 'dockerode';
import type { Target } from './target';

/** The Docker engine of this computer (DOCKER_HOST is respected, as docker's own CLI does). */
export class LocalDockerTarget implements Target {
  readonly hostId = 'local';
  readonly docker: Docker;
  readonly publicHost: string;
  private readonly loopbackHost: string;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.docker = new Docker();
    // A tcp:// DOCKER_HOST points at another machine: its "loopback" is that machine.
    const tcp = /^tcp:\/\/([^:/]+)/.exec(env.DOCKER_HOST ?? '');
    this.loopbackHost = tcp ? tcp[1] : '127.0.0.1';
    this.publicHost = tcp ? tcp[1] : 'localhost';
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
