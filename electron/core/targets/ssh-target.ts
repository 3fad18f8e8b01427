import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import Docker from 'dockerode';
import type { ClientChannel } from 'ssh2';
import { SwitchyardError } from '../../../shared/errors';
import type { SshConnection } from './ssh-connection';
import type { Target } from './target';

export const REMOTE_DOCKER_SOCKET = '/var/run/docker.sock';

export interface SshTargetOptions {
  hostId: string;
  /** What a browser uses to reach published ports: the host's address. */
  publicHost: string;
  user: string;
  dockerSocket?: string;
}

/**
 * A Docker engine on another machine, reached through one persistent SSH connection. Each
 * Docker API request is a channel to the engine's Unix socket on that machine
 * (`direct-streamlocal`, what `ssh -L local:/var/run/docker.sock` uses), and loopback ports
 * are reached with `direct-tcpip`. Nothing listens anywhere: not on the server (no Docker TCP
 * port, no published runtime API), and not on this computer either, since the channels are
 * handed straight to the HTTP client.
 */
export class SshDockerTarget implements Target {
  readonly hostId: string;
  readonly publicHost: string;
  readonly user: string;
  readonly docker: Docker;
  /** The engine's socket on the host. */
  readonly socketPath: string;

  constructor(
    readonly connection: SshConnection,
    private readonly opts: SshTargetOptions,
  ) {
    this.hostId = opts.hostId;
    this.publicHost = opts.publicHost;
    this.user = opts.user;
    this.socketPath = opts.dockerSocket ?? REMOTE_DOCKER_SOCKET;
    // The path also goes into a diagnostic shell command.
    if (!/^\/[A-Za-z0-9._/-]+$/.test(this.socketPath)) throw new SwitchyardError('VALIDATION', `${this.socketPath} is not a usable socket path`, { field: 'dockerSocket' });
    const agent = new http.Agent({ keepAlive: false });
    agent.createConnection = (_options, callback) => {
      this.openDockerSocket().then(
        (s) => callback?.(null, s),
        (err: Error) => callback?.(err, undefined as unknown as Duplex),
      );
      return undefined;
    };
    // docker-modem logs every request with util.inspect(options, { depth: null }) even when
    // its debug output is off; walking the agent's sockets (and so the whole SSH client)
    // costs more than the request itself.
    Object.defineProperty(agent, inspect.custom, { value: () => `[SSH agent for ${opts.hostId}]` });
    // An explicit host and protocol, so a DOCKER_HOST in this process's environment (read by
    // docker-modem as defaults) cannot redirect these requests; the host name is only the
    // HTTP Host header, the agent decides where bytes go. docker-modem 5 takes `agent` (it
    // hands it to http.request); the typings lag behind.
    this.docker = new Docker({ host: 'docker', port: 2375, protocol: 'http', agent } as Docker.DockerOptions);
  }

  async connectLoopback(port: number): Promise<net.Socket> {
    return asSocket(await this.connection.forwardLoopback(port), port);
  }

  /**
   * Asks the kernel through `ss` (iproute2: on every Debian and Ubuntu install, sees
   * listeners on any address and both IP families, and needs no bash, unlike a /dev/tcp
   * probe, which dash lacks and which misses a port bound to one specific address). Minimal
   * systems without iproute2 fall back to reading /proc/net/tcp{,6} directly.
   */
  async isPortFree(port: number): Promise<boolean> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SwitchyardError('VALIDATION', `${port} is not a TCP port`);
    const r = await this.connection.exec(`sh -c 'ss -Htln "sport = :${port}" 2>/dev/null || cat /proc/net/tcp /proc/net/tcp6 2>/dev/null'`);
    if (r.code !== 0 && !r.stdout) {
      throw new SwitchyardError('INTERNAL', `Cannot list the listening ports on ${this.hostId}: ${r.stderr.trim() || `exit code ${r.code}`}`);
    }
    return !listeningPorts(r.stdout).has(port);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  private async openDockerSocket(): Promise<net.Socket> {
    try {
      return asSocket(await this.connection.forwardUnixSocket(this.socketPath), 0);
    } catch (err) {
      if ((err as SwitchyardError).detail !== 'ssh-channel-refused') throw err;
      const problem = await dockerSocketProblem(this.connection, this.opts, this.socketPath).catch(() => err as Error);
      // New group memberships only apply to new logins: after "usermod -aG docker", a fresh
      // connection is what makes the next attempt work.
      if ((problem as SwitchyardError | undefined)?.detail === 'docker-permission-denied') await this.connection.close();
      throw problem ?? SwitchyardError.because('DOCKER_UNAVAILABLE', 'socketRefused', { host: this.hostId, socket: this.socketPath }, { detail: 'docker-not-running', cause: err });
    }
  }
}

/** Why the Docker socket cannot be opened over SSH, or undefined when it looks usable. */
export async function dockerSocketProblem(connection: SshConnection, who: { hostId: string; user: string }, socketPath = REMOTE_DOCKER_SOCKET): Promise<SwitchyardError | undefined> {
  const p = socketPath;
  const r = await connection.exec(`sh -c 'if [ ! -S ${p} ]; then echo missing; elif [ -r ${p} ] && [ -w ${p} ]; then echo usable; else echo denied; fi'`);
  const state = r.stdout.trim();
  if (state === 'missing') {
    return SwitchyardError.because('DOCKER_UNAVAILABLE', 'socketMissing', { host: who.hostId, socket: p }, { detail: 'docker-missing' });
  }
  if (state === 'denied') {
    return SwitchyardError.because('DOCKER_ACCESS_DENIED', 'socket', { user: who.user, host: who.hostId, socket: p }, { field: 'user', detail: 'docker-permission-denied' });
  }
  return undefined;
}

/** Ports in the LISTEN state, from `ss -Htln` lines or /proc/net/tcp lines. */
export function listeningPorts(text: string): Set<number> {
  const ports = new Set<number>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'LISTEN' && f.length >= 4) {
      const port = Number(f[3].slice(f[3].lastIndexOf(':') + 1));
      if (Number.isInteger(port)) ports.add(port);
    } else if (/^\d+:$/.test(f[0] ?? '') && f[3] === '0A') {
      ports.add(parseInt(f[1].split(':')[1], 16));
    }
  }
  return ports;
}

/**
 * Lets an SSH channel stand where a net.Socket is expected (the Target interface, Node's
 * HTTP client). The channel is already a Duplex; what it lacks are the socket knobs, which
 * mean nothing for a channel, an idle timeout, which the HTTP client relies on, and closing
 * when the other side does.
 */
export function asSocket(ch: ClientChannel, port: number): net.Socket {
  const s = ch as unknown as Record<string, unknown>;
  let idleMs = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    if (idleMs > 0) timer = setTimeout(() => ch.emit('timeout'), idleMs);
  };
  // Incoming data passes through push(); watching it there keeps the stream's flow untouched.
  const push = ch.push.bind(ch);
  ch.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk !== null) arm();
    return push(chunk, encoding);
  };
  ch.once('close', () => clearTimeout(timer));
  // ssh2 channels stay half-open after the peer's EOF; a net.Socket (allowHalfOpen false)
  // ends too, and readers such as the runtime API wait for that 'close'.
  ch.on('end', () => {
    if (!ch.writableEnded) ch.end();
  });
  s.setTimeout = (ms: number, cb?: () => void) => {
    idleMs = ms;
    // As net.Socket does: a zero timeout takes the callback off again, so reused channels
    // do not gather listeners.
    if (cb && ms === 0) ch.removeListener('timeout', cb);
    else if (cb) ch.once('timeout', cb);
    arm();
    return ch;
  };
  s.setNoDelay = () => ch;
  s.setKeepAlive = () => ch;
  s.ref = () => ch;
  s.unref = () => ch;
  s.remoteAddress = '127.0.0.1';
  s.remotePort = port;
  return ch as unknown as net.Socket;
}
