import ssh2, { type Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { SwitchyardError } from '../../../shared/errors';
import type { HostKey } from '../../../shared/hosts';
import { authConfig, type SshCredentials } from './ssh-auth';
import { channelRefused, connectError, connectionLost, hostKeyAlgorithmsFor, hostKeyOf, type SshPeer } from './ssh-errors';

export type { SshCredentials };

const MAX_SESSIONS = 4;

export interface SshConnectionOptions {
  hostId: string;
  address: string;
  port: number;
  user: string;
  /** The key the user trusted. Without one, every connection is refused (and says which key was presented). */
  hostKey?: HostKey;
  /** Asked at each (re)connect, so secrets stay in the secret store in between. */
  credentials: () => Promise<SshCredentials>;
  /** Defaults: keepalive every 15 s, dropped after 3 unanswered; 15 s to connect. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  readyTimeoutMs?: number;
}

export interface ExecResult {
  /** null when the command was killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * One persistent SSH connection to a host. Docker API calls, the runtime API and remote
 * commands each open a channel on it, so a call costs a round trip, not a handshake. The
 * connection is made on first use and again on the first use after it drops; channels open
 * at the time of a drop fail with a clear error instead of hanging.
 *
 * The host key is never accepted on first sight: without a pinned key the connection is
 * refused with the presented fingerprint, so the user can compare it and decide.
 */
export class SshConnection {
  private client?: Client;
  private connecting?: Promise<Client>;
  private readonly live = new Set<ClientChannel>();
  private sessions = 0;
  private readonly waiting: (() => void)[] = [];
  /** The key the server presented on the last attempt, trusted or not. */
  presentedHostKey?: HostKey;

  constructor(private readonly opts: SshConnectionOptions) {}

  get peer(): SshPeer {
    return { hostId: this.opts.hostId, address: this.opts.address, port: this.opts.port, user: this.opts.user };
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** The ready client, connecting first when there is none. */
  connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** A byte stream to a Unix socket on the host (`openssh_forwardOutStreamLocal`). */
  forwardUnixSocket(socketPath: string): Promise<ClientChannel> {
    return this.openChannel(socketPath, (c, cb) => c.openssh_forwardOutStreamLocal(socketPath, cb));
  }

  /** A TCP stream to `port` on the host's own loopback. */
  forwardLoopback(port: number): Promise<ClientChannel> {
    return this.openChannel(`127.0.0.1:${port}`, (c, cb) => c.forwardOut('127.0.0.1', 0, '127.0.0.1', port, cb));
  }

  /**
   * Runs `command` with the user's login shell, `input` on its stdin; a non-zero exit is a
   * result, not an error.
   */
  async exec(command: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    await this.sessionSlot();
    try {
      return await this.execNow(command, opts.input, opts.timeoutMs ?? 15_000);
    } finally {
      this.sessions--;
      this.waiting.shift()?.();
    }
  }

  /**
   * sshd allows only MaxSessions (10 by default, fewer on hardened servers) sessions at once
   * per connection; forwarded channels do not count, so only commands wait their turn.
   */
  private async sessionSlot(): Promise<void> {
    while (this.sessions >= MAX_SESSIONS) await new Promise<void>((r) => this.waiting.push(r));
    this.sessions++;
  }

  private async execNow(command: string, input: string | undefined, timeoutMs: number): Promise<ExecResult> {
    const ch = await this.openChannel('a session', (c, cb) => c.exec(command, cb));
    return new Promise<ExecResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let code: number | null | undefined;
      const timer = setTimeout(() => {
        ch.close();
        reject(SwitchyardError.because('TIMEOUT', 'sshCommand', { command: command.split(' ')[0], host: this.opts.hostId, seconds: timeoutMs / 1000 }, { detail: 'ssh-timeout' }));
      }, timeoutMs);
      ch.on('data', (b: Buffer) => out.push(b));
      ch.stderr.on('data', (b: Buffer) => err.push(b));
      ch.on('exit', (c: number | null) => (code = c));
      ch.on('error', (e: Error) => {
        clearTimeout(timer);
        reject(e);
      });
      ch.end(input);
      // The whole answer (data, exit status, close) can arrive in the read that confirmed the
      // channel, before these listeners exist: ssh2 hands the exit status to 'close' as well.
      ch.on('close', (closeCode?: number | null) => {
        clearTimeout(timer);
        if (code === undefined) code = closeCode;
        if (code === undefined) reject(connectionLost(this.peer));
        else resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
    });
  }

  /** Ends the connection; the next call makes a new one (e.g. to pick up new group memberships). */
  async close(): Promise<void> {
    const c = this.client ?? (await this.connecting?.catch(() => undefined));
    if (!c) return;
    this.drop(c);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      c.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      c.end();
    });
  }

  private async open(): Promise<Client> {
    const o = this.opts;
    const creds = await o.credentials();
    const peer: SshPeer = { ...this.peer, method: creds.method, keyPath: creds.method === 'key' ? creds.keyPath : undefined };
    const readyTimeout = o.readyTimeoutMs ?? 15_000;
    const config: ConnectConfig = {
      host: o.address,
      port: o.port,
      username: o.user,
      readyTimeout,
      keepaliveInterval: o.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: o.keepaliveCountMax ?? 3,
      algorithms: { serverHostKey: hostKeyAlgorithmsFor(o.hostKey) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
      hostVerifier: (key: Buffer) => {
        const presented = hostKeyOf(key);
        this.presentedHostKey = presented;
        return o.hostKey !== undefined && o.hostKey.fingerprint === presented.fingerprint;
      },
      ...(await authConfig(creds, peer)),
    };
    this.presentedHostKey = undefined;
    const c = new ssh2.Client();
    if (creds.method === 'password') c.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => creds.password)));
    return new Promise<Client>((resolve, reject) => {
      let ready = false;
      c.on('ready', () => {
        ready = true;
        // Requests and answers are small; Nagle's algorithm would hold each for a delayed ACK.
        c.setNoDelay(true);
        this.client = c;
        startSession(c).then(() => resolve(c));
      });
      c.on('error', (err) => {
        if (!ready) reject(connectError(err, peer, o.hostKey, this.presentedHostKey, readyTimeout));
      });
      c.on('close', () => {
        if (!ready) reject(connectError(new Error('Connection lost before handshake'), peer, o.hostKey, this.presentedHostKey, readyTimeout));
        else this.lost(c);
      });
      try {
        c.connect(config);
      } catch (err) {
        reject(connectError(err, peer, o.hostKey, undefined, readyTimeout));
      }
    });
  }

  /**
   * Opens a channel. A connection that died before we noticed is replaced once: opening a
   * channel has no effect on the host, so trying again on a fresh connection is safe.
   */
  private async openChannel(what: string, open: (c: Client, cb: (err: Error | undefined, ch: ClientChannel) => void) => void): Promise<ClientChannel> {
    for (let attempt = 0; ; attempt++) {
      const c = await this.connect();
      try {
        const ch = await new Promise<ClientChannel>((resolve, reject) => {
          try {
            open(c, (err, ch) => (err ? reject(err) : resolve(ch)));
          } catch (err) {
            reject(err);
          }
        });
        this.live.add(ch);
        ch.once('close', () => this.live.delete(ch));
        return ch;
      } catch (err) {
        const dead = this.client !== c || /Not connected|No response from server/.test((err as Error).message);
        if (!dead) throw channelRefused(err, this.peer, what);
        this.drop(c);
        if (attempt > 0) throw connectionLost(this.peer, err);
      }
    }
  }

  private drop(c: Client): void {
    if (this.client === c) this.client = undefined;
  }

  /** The connection dropped: forget it, and fail the streams still open on it. */
  private lost(c: Client): void {
    this.drop(c);
    const err = connectionLost(this.peer);
    for (const ch of this.live) {
      // Their readers (an HTTP request, the runtime API) turn this into their own failure;
      // without a listener the plain end-of-stream that follows is enough.
      if (ch.listenerCount('error') > 0) ch.emit('error', err);
    }
    this.live.clear();
  }
}

/**
 * Runs one trivial session. sshd only sets TCP_NODELAY on a connection when its first
 * session starts (ssh_packet_set_interactive); with forwarded channels alone, every answer
 * Docker writes in two pieces waits ~40 ms for our delayed ACK. A server that refuses
 * sessions still works, only slower.
 */
function startSession(c: Client): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, 5000);
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    try {
      c.exec('true', (err, ch) => {
        if (err) return done();
        ch.on('close', done).resume();
        ch.stderr.resume();
      });
    } catch {
      done();
    }
  });
}
