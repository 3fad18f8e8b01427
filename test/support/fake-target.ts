import { once } from 'node:events';
import net from 'node:net';
import type Docker from 'dockerode';
import type { Target } from '../../electron/core/targets/target';
import { HAPROXY_ADMIN_PORT } from '../../electron/core/environments/naming';
import type { FakeDockerEngine } from './fake-docker-engine';
import type { FakeContainer } from './fake-engine-state';

type Listener = { container: FakeContainer; privatePort: number };

/**
 * A fake Target: the fake engine's client, and a host loopback where the ports the fake engine
 * "published" answer. A load balancer's admin port answers like HAProxy's runtime API (one
 * command per connection, then it closes; or, after `prompt`, every line followed by the prompt,
 * as the stats poller's kept connection wants) and its HTTP port like its front end; a port nothing
 * publishes refuses the connection. Connections are real loopback sockets to one server of this
 * fake, so the core's clients run unchanged.
 */
export class FakeTarget implements Target {
  readonly docker: Docker;
  readonly publicHost = 'localhost';
  /**
   * How every runtime API behaves: `silent` accepts connections and never answers (a hung HAProxy;
   * callers then wait out their own timeout), `refuses` refuses them (the admin listener is gone).
   */
  runtimeApi: 'answers' | 'silent' | 'refuses' = 'answers';
  /** Host ports `connectLoopback` was asked for, in order. */
  readonly connections: number[] = [];
  private server: net.Server | undefined;
  private serverPort: Promise<number> | undefined;
  private readonly pending = new Map<number, Listener>();
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly engine: FakeDockerEngine,
    readonly hostId = 'local',
  ) {
    this.docker = engine.docker();
  }

  async connectLoopback(port: number): Promise<net.Socket> {
    this.connections.push(port);
    const listener = this.engine.state.listener(port);
    const refused = !listener || (this.runtimeApi === 'refuses' && listener.privatePort === HAPROXY_ADMIN_PORT);
    if (refused) throw Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), { code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port });
    const socket = net.connect(await this.listen(), '127.0.0.1');
    await once(socket, 'connect');
    // The server side learns which published port this is from the client's own port.
    this.pending.set(socket.localPort!, listener);
    return socket;
  }

  async isPortFree(port: number): Promise<boolean> {
    return !this.engine.state.hostPortsInUse.has(port) && !this.engine.state.listener(port);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private listen(): Promise<number> {
    this.serverPort ??= new Promise((resolve, reject) => {
      this.server = net.createServer((sock) => this.serve(sock));
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve((this.server!.address() as net.AddressInfo).port));
    });
    return this.serverPort;
  }

  private serve(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    let received = '';
    let interactive: Listener | undefined;
    sock.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const listener = interactive ?? this.pending.get(sock.remotePort!);
      if (!listener) return void sock.destroy();
      const { container, privatePort } = listener;
      if (privatePort === HAPROXY_ADMIN_PORT) {
        if (this.runtimeApi === 'silent') return;
        if (interactive || received.startsWith('prompt\n')) {
          interactive = listener;
          this.pending.delete(sock.remotePort!);
          for (let nl = received.indexOf('\n'); nl >= 0; nl = received.indexOf('\n')) {
            const line = received.slice(0, nl).trim();
            received = received.slice(nl + 1);
            const haproxy = container.haproxy;
            if (!haproxy) return void sock.destroy();
            const out =
              line === 'prompt'
                ? ''
                : line
                    .split(';')
                    .map((c) => haproxy.answer(c.trim()))
                    .join('');
            sock.write(`${out}\n> `);
          }
          return;
        }
        // `cmd <<` carries a payload that ends with an empty line; anything else ends at the first newline.
        const complete = received.includes(' <<\n') ? received.endsWith('\n\n') : received.includes('\n');
        if (!complete) return;
        this.pending.delete(sock.remotePort!);
        // A process that is gone (the container stopped meanwhile) resets the connection.
        if (!container.haproxy) return void sock.destroy();
        sock.end(container.haproxy.answer(received.split('\n')[0].replace(/ <<$/, '').trim()));
        return;
      }
      if (!received.includes('\r\n\r\n')) return;
      this.pending.delete(sock.remotePort!);
      const answer = container.haproxy?.http() ?? { status: 200, body: `fake ${container.name}\n` };
      const head = [
        `HTTP/1.1 ${answer.status} ${answer.status === 200 ? 'OK' : 'Service Unavailable'}`,
        'content-type: text/html',
        `content-length: ${Buffer.byteLength(answer.body)}`,
        'connection: close',
      ];
      if ('server' in answer && answer.server) head.push(`x-served-by: ${answer.server}`);
      sock.end(`${head.join('\r\n')}\r\n\r\n${answer.body}`);
    });
  }
}
