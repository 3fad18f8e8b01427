import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Docker from 'dockerode';
import { answer, frame, type Reply } from './fake-engine-api';
import type { FakeHaproxy } from './fake-haproxy';
import { FakeEngineError, FakeEngineState, type FakeContainer, type FakeContainerState, type FakeCreateBody } from './fake-engine-state';
import type { FakeSwarmMember } from './fake-engine-swarm';

/**
 * A fake Docker engine: the Engine API endpoints the core calls, served over real HTTP on
 * loopback (so dockerode runs exactly as against a real engine) from an in-memory state
 * (fake-engine-state.ts). Containers "run" nothing, except that a container started as
 * `haproxy -W` gets a FakeHaproxy and `haproxy -c` answers as the config check. Tests can
 * make any call fail (`fail`), hold one until they let it go (`hold`), and read the state
 * before and after (`snapshot`).
 */

export interface FakeRequest {
  method: string;
  /** Without the `/v1.xx` prefix. */
  path: string;
  query: URLSearchParams;
  headers?: http.IncomingHttpHeaders;
}

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  message: string;
  times: number;
}

interface Hold {
  method: string;
  path: RegExp;
  reached: () => void;
  release: () => void;
  gate: Promise<void>;
}

/** What a test compares before and after a failed step: everything a deploy may change. */
export interface FakeEngineSnapshot {
  containers: { name: string; id: string; state: FakeContainerState; image: string }[];
  networks: string[];
  volumes: string[];
}

export class FakeDockerEngine {
  readonly state = new FakeEngineState();
  readonly requests: FakeRequest[] = [];
  /** When set, `GET /events` fails with this status instead of streaming. */
  failEvents: number | undefined;
  /** Set: this engine answers `/info` and the swarm endpoints as that node of a fake swarm (fake-engine-swarm.ts). */
  swarm: FakeSwarmMember | undefined;
  port = 0;
  private readonly faults: Fault[] = [];
  private readonly holds: Hold[] = [];
  private readonly streams = new Set<http.ServerResponse>();
  private closing = false;
  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => {
      void this.handle(req, res)
        .then((reply) => {
          if (reply === 'streaming') return;
          const headers: Record<string, string> = { ...reply.headers };
          let body: Buffer | string | undefined = reply.body;
          if (reply.json !== undefined) {
            body = JSON.stringify(reply.json);
            headers['content-type'] = 'application/json';
          } else if (reply.type) headers['content-type'] = reply.type;
          // While closing, no connection is kept for another request.
          if (this.closing) headers.connection = 'close';
          res.writeHead(reply.status, headers).end(body);
        })
        .catch((err: unknown) => {
          const status = err instanceof FakeEngineError ? err.status : 500;
          const headers: Record<string, string> = { 'content-type': 'application/json', ...(this.closing ? { connection: 'close' } : {}) };
          res.writeHead(status, headers).end(JSON.stringify({ message: (err as Error).message }));
        });
    });
    // `exec start` with hijack asks for an upgraded connection and reads Docker's frames from it.
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Socket) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const route = url.pathname.replace(/^\/v[\d.]+/, '');
      this.requests.push({ method: req.method ?? 'GET', path: route, query: url.searchParams });
      const m = /^\/exec\/([^/]+)\/start$/.exec(route);
      try {
        if (!m) throw new FakeEngineError(404, `page not found: ${route}`);
        const exec = this.state.runExec(m[1]);
        socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
        socket.end(frame(exec.output));
      } catch (err) {
        const status = err instanceof FakeEngineError ? err.status : 500;
        const body = JSON.stringify({ message: (err as Error).message });
        socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      }
    });
  }

  static async start(): Promise<FakeDockerEngine> {
    const engine = new FakeDockerEngine();
    await new Promise<void>((resolve) => engine.server.listen(0, '127.0.0.1', resolve));
    engine.port = (engine.server.address() as AddressInfo).port;
    return engine;
  }

  /** A client for this fake, as dockerode talks to a real engine. */
  docker(): Docker {
    return new Docker({ host: '127.0.0.1', port: this.port, protocol: 'http' });
  }

  // ---- what tests set up and look at ----

  /** An image present on the engine. */
  addImage(ref: string): string {
    return this.state.addImage(ref).id;
  }

  /** A container made without the API (another tool's, or one from an older Switchyard). */
  seedContainer(opts: { name: string; image?: string; labels?: Record<string, string>; state?: FakeContainerState; ports?: Record<number, number> }): FakeContainer {
    const image = opts.image ?? 'fake/anything:1';
    if (!this.state.findImage(image)) this.state.addImage(image);
    const body: FakeCreateBody = { Image: image, Labels: opts.labels ?? {} };
    if (opts.ports) {
      body.ExposedPorts = Object.fromEntries(Object.keys(opts.ports).map((p) => [`${p}/tcp`, {}]));
      body.HostConfig = { PortBindings: Object.fromEntries(Object.entries(opts.ports).map(([p, host]) => [`${p}/tcp`, [{ HostPort: String(host) }]])) };
    }
    const c = this.state.create(opts.name, body);
    if (opts.state && opts.state !== 'created') this.state.start(c.id);
    if (opts.state === 'exited' || opts.state === 'dead') this.state.exit(c, 0, '');
    if (opts.state === 'paused') c.state = 'paused';
    return c;
  }

  container(ref: string): FakeContainer | undefined {
    return this.state.findContainer(ref);
  }

  /** A file as the container sees it (through its mounts), or undefined. */
  file(container: string, file: string): string | undefined {
    return this.state.readFile(this.state.container(container), file);
  }

  writeFile(container: string, file: string, content: string): void {
    this.state.writeFile(this.state.container(container), file, content);
  }

  deleteFile(container: string, file: string): void {
    this.state.deleteFile(this.state.container(container), file);
  }

  /** The HAProxy process a running container holds, if any. */
  haproxy(container: string): FakeHaproxy | undefined {
    return this.state.findContainer(container)?.haproxy;
  }

  /** Stops a container from outside the core (`docker stop` in a terminal, a crash). */
  stopContainer(ref: string, exitCode = 0): void {
    const c = this.state.container(ref);
    if (c.state === 'running') this.state.exit(c, exitCode, '');
  }

  /** `haproxy -c` (and HAProxy at start) refuses the configs `when` picks, with this alert. */
  refuseConfig(when: (config: string) => boolean, alert = "unknown keyword 'fake-refusal' in 'backend' section"): void {
    const previous = this.state.haproxyCheck;
    this.state.haproxyCheck = (config, file) =>
      config !== undefined && when(config) ? `[ALERT]    (1) : config : parsing [${file}:1] : ${alert}\n[ALERT]    (1) : config : Fatal errors found in configuration.\n` : previous(config, file);
  }

  /** The runtime API answers commands matching `pattern` with `answer` (HAProxy refusing them). */
  forceAnswer(pattern: RegExp, answer: string): void {
    this.state.forcedAnswers.push({ pattern, answer });
  }

  /**
   * The next `times` calls matching `method` and `pathPattern` fail as Docker would, with `status`.
   * A container in the path may be named by its name (`/containers/sy-lab-haproxy/start`).
   */
  fail(method: string, pathPattern: RegExp, status: number, message: string, times = 1): void {
    this.faults.push({ method, path: pathPattern, status, message, times });
  }

  /** The next call matching is held until `release()`; `reached` resolves when it arrives. */
  hold(method: string, pathPattern: RegExp): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const arrived = new Promise<void>((r) => (reached = r));
    this.holds.push({ method, path: pathPattern, reached, release, gate });
    return { reached: arrived, release };
  }

  /** Calls made so far that match (for "nothing was created" checks). */
  calls(method: string, pathPattern: RegExp): FakeRequest[] {
    return this.requests.filter((r) => r.method === method && pathPattern.test(r.path));
  }

  snapshot(): FakeEngineSnapshot {
    const s = this.state;
    return {
      containers: [...s.containers.values()].map((c) => ({ name: c.name, id: c.id, state: c.state, image: c.image })).sort((a, b) => a.name.localeCompare(b.name)),
      networks: [...s.networks.values()]
        .filter((n) => !n.builtin)
        .map((n) => n.name)
        .sort(),
      volumes: [...s.volumes.keys()].sort(),
    };
  }

  // ---- events (the container-events watcher) ----

  /** Open event streams (one per watcher connection). */
  get subscribers(): number {
    return this.streams.size;
  }

  /** Sends an event to every open stream, one JSON document per line as the engine does. */
  emit(event: unknown): void {
    for (const res of this.streams) res.write(`${JSON.stringify(event)}\n`);
  }

  /** Sends a raw line to every open stream (what a broken engine might send). */
  emitRaw(line: string): void {
    for (const res of this.streams) res.write(`${line}\n`);
  }

  /** Ends every open event stream, as a restarting engine or a dropped connection would. */
  dropStreams(): void {
    for (const res of this.streams) res.destroy();
    this.streams.clear();
  }

  /**
   * Calls under way are answered first (a client that is shutting down may still be waiting for
   * one, and must not see a reset it would report); held calls and container waits are let go.
   */
  async close(): Promise<void> {
    // Idempotent: a test may close the engine early to play an engine that went away.
    if (!this.server.listening) return;
    this.closing = true;
    this.dropStreams();
    for (const h of this.holds.splice(0)) {
      h.reached();
      h.release();
    }
    this.state.releaseWaits();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    await closed;
  }

  // ---- the API ----

  /** `res` is used only by `GET /events`, which is answered here and held open. */
  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<Reply | 'streaming'> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = url.pathname.replace(/^\/v[\d.]+/, '');
    const method = req.method ?? 'GET';
    const q = url.searchParams;
    this.requests.push({ method, path: route, query: q, headers: req.headers });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    // A container's calls name it by id; a test names it by name: either matches.
    const named = route.replace(/^\/containers\/([^/]+)/, (whole, ref: string) => (ref === 'json' || ref === 'create' ? whole : `/containers/${this.state.findContainer(ref)?.name ?? ref}`));
    const matches = (p: { method: string; path: RegExp }) => p.method === method && (p.path.test(route) || p.path.test(named));
    const hold = this.holds.find(matches);
    if (hold) {
      this.holds.splice(this.holds.indexOf(hold), 1);
      hold.reached();
      await hold.gate;
    }
    const fault = this.faults.find(matches);
    if (fault) {
      if (--fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      throw new FakeEngineError(fault.status, fault.message);
    }
    if (method === 'GET' && route === '/events') {
      if (this.failEvents) throw new FakeEngineError(this.failEvents, 'fake engine failure');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      this.streams.add(res);
      res.on('close', () => this.streams.delete(res));
      return 'streaming';
    }

    return this.swarm?.answer(method, route, q, body) ?? answer(this.state, method, route, q, body);
  }
}

const nameFor = (labels: Record<string, string>) =>
  labels['io.switchyard.environment'] && labels['io.switchyard.server'] ? `sy-${labels['io.switchyard.environment']}-${labels['io.switchyard.server']}` : 'sy-x';

/** A container event as the engine sends it: the container's labels are in the actor's attributes. */
export function containerEvent(action: string, labels: Record<string, string>, extra: Record<string, string> = {}): unknown {
  const now = Date.now();
  return {
    status: action,
    id: 'c0ffee',
    Type: 'container',
    Action: action,
    // Named as Switchyard names a backend's container, when the labels say whose it is.
    Actor: { ID: 'c0ffee', Attributes: { name: nameFor(labels), image: 'demo', ...labels, ...extra } },
    scope: 'local',
    time: Math.floor(now / 1000),
    timeNano: now * 1e6,
  };
}
