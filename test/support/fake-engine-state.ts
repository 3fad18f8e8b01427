import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { FakeHaproxy, fakeHaproxyCheck } from './fake-haproxy';

/**
 * The state of a fake Docker engine, in memory: containers, networks, volumes, images and execs,
 * changed with the rules Docker applies (name conflicts, ports, files in volumes, label filters)
 * and refused with the status codes Docker answers. fake-docker-engine.ts serves it over HTTP.
 */

/** An engine refusal: the HTTP status and the `message` Docker would answer. */
export class FakeEngineError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type FakeContainerState = 'created' | 'running' | 'exited' | 'paused' | 'dead';

/** The parts of a create request's body the fake reads (Docker's field names). */
export interface FakeCreateBody {
  Image: string;
  Labels?: Record<string, string>;
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  ExposedPorts?: Record<string, object>;
  HostConfig?: {
    NetworkMode?: string;
    PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null>;
    Mounts?: { Type?: string; Source?: string; Target: string }[];
    RestartPolicy?: { Name?: string };
  };
  NetworkingConfig?: { EndpointsConfig?: Record<string, { Aliases?: string[] }> };
}

export interface FakeContainer {
  id: string;
  name: string;
  /** The image as the create request named it. */
  image: string;
  imageId: string;
  body: FakeCreateBody;
  labels: Record<string, string>;
  state: FakeContainerState;
  exitCode: number;
  /** Seconds, as Docker lists it. */
  created: number;
  startedAt: string;
  finishedAt: string;
  /** Restarts by the restart policy (after a crash), as Docker counts them. */
  restartCount: number;
  /** Files outside mounted volumes, by absolute path. */
  files: Map<string, string>;
  mounts: { volume: string; target: string }[];
  /** Network id → the endpoint in it. */
  networks: Map<string, { ip: string; aliases: string[] }>;
  /** Host ports bound while it runs. */
  published: { privatePort: number; hostIp: string; hostPort: number }[];
  log: string;
  /** The HAProxy master when the container runs `haproxy -W`. */
  haproxy?: FakeHaproxy;
}

export interface FakeNetwork {
  id: string;
  name: string;
  driver: string;
  internal: boolean;
  labels: Record<string, string>;
  subnet?: string;
  gateway?: string;
  created: string;
  builtin: boolean;
  nextIp: number;
}

export interface FakeVolume {
  name: string;
  labels: Record<string, string>;
  created: string;
  files: Map<string, string>;
}

export interface FakeImage {
  id: string;
  tags: string[];
  labels: Record<string, string>;
}

export interface FakeExec {
  id: string;
  containerId: string;
  cmd: string[];
  exitCode?: number;
  output: string;
}

/** What a started container does instead of running, when a test says so. */
export interface FakeExit {
  exitCode: number;
  log: string;
}

const hex = (bytes = 32) => randomBytes(bytes).toString('hex');
const now = () => new Date().toISOString();

/** `name` → `name:latest`; ids and refs with a tag are left alone. */
export function normalizeRef(ref: string): string {
  if (ref.startsWith('sha256:') || ref.includes('@')) return ref;
  const slash = ref.lastIndexOf('/');
  return ref.slice(slash + 1).includes(':') ? ref : `${ref}:latest`;
}

export class FakeEngineState {
  readonly containers = new Map<string, FakeContainer>();
  readonly networks = new Map<string, FakeNetwork>();
  readonly volumes = new Map<string, FakeVolume>();
  readonly images = new Map<string, FakeImage>();
  readonly execs = new Map<string, FakeExec>();
  /** What the fake registry holds: a pull of anything else fails as Docker says "manifest unknown". */
  readonly registry = new Set<string>();
  /** Host ports held by programs outside Docker (binding one fails with "address already in use"). */
  readonly hostPortsInUse = new Set<number>();
  /** What `haproxy -c` says of a config (undefined: valid). */
  haproxyCheck: (config: string | undefined, file: string) => string | undefined = fakeHaproxyCheck;
  /** Decides that a container exits as soon as it starts (a crash at start). */
  exitOnStart: ((c: FakeContainer) => FakeExit | undefined) | undefined;
  /** Runtime API answers forced by tests: the first pattern a command matches answers it. */
  readonly forcedAnswers: { pattern: RegExp; answer: string }[] = [];
  /** Whether a running container answers (its health check passes): all do unless a test says otherwise. */
  answers: (c: FakeContainer) => boolean = () => true;
  /** Whether an address that names no container (an external server) is up. */
  externalUp: (address: string) => boolean = () => false;
  /**
   * Every change, in order, as `verb name [detail]` (`create container sy-lab-back1`, `start …`,
   * `write sy-lab-haproxy:/var/lib/haproxy/owner.json`): what order tests read.
   */
  readonly history: string[] = [];
  private nextPort = 32768;
  private nextSubnet = 18;
  private readonly waiters = new Map<string, (() => void)[]>();

  constructor() {
    for (const [name, driver, subnet] of [
      ['bridge', 'bridge', '172.17.0.0/16'],
      ['host', 'host', undefined],
      ['none', 'null', undefined],
    ] as const) {
      const id = hex();
      this.networks.set(id, { id, name, driver, internal: false, labels: {}, subnet, gateway: subnet?.replace('0.0/16', '0.1'), created: now(), builtin: true, nextIp: 2 });
    }
  }

  // ---- images ----

  addImage(ref: string, labels: Record<string, string> = {}): FakeImage {
    const tag = normalizeRef(ref);
    for (const img of this.images.values()) img.tags = img.tags.filter((t) => t !== tag);
    const image: FakeImage = {
      id: `sha256:${createHash('sha256')
        .update(`${tag}\0${hex(8)}`)
        .digest('hex')}`,
      tags: [tag],
      labels,
    };
    this.images.set(image.id, image);
    return image;
  }

  image(ref: string): FakeImage {
    const found = this.findImage(ref);
    if (!found) throw new FakeEngineError(404, `No such image: ${ref}`);
    return found;
  }

  findImage(ref: string): FakeImage | undefined {
    const byId = this.images.get(ref) ?? this.images.get(`sha256:${ref}`);
    if (byId) return byId;
    const tag = normalizeRef(ref);
    return [...this.images.values()].find((i) => i.tags.includes(tag));
  }

  pull(ref: string): FakeImage {
    const tag = normalizeRef(ref);
    if (!this.registry.has(tag)) throw new FakeEngineError(404, `manifest for ${tag} not found: manifest unknown: manifest unknown`);
    return this.addImage(tag);
  }

  // ---- containers ----

  container(ref: string): FakeContainer {
    const found = this.findContainer(ref);
    if (!found) throw new FakeEngineError(404, `No such container: ${ref}`);
    return found;
  }

  findContainer(ref: string): FakeContainer | undefined {
    const name = ref.replace(/^\//, '');
    const exact = this.containers.get(ref) ?? [...this.containers.values()].find((c) => c.name === name);
    if (exact) return exact;
    const byPrefix = [...this.containers.values()].filter((c) => c.id.startsWith(ref));
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  create(name: string | undefined, body: FakeCreateBody): FakeContainer {
    const containerName = name ?? `fake_${hex(4)}`;
    const taken = [...this.containers.values()].find((c) => c.name === containerName);
    if (taken) {
      throw new FakeEngineError(
        409,
        `Conflict. The container name "/${containerName}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const image = this.image(body.Image);
    const mode = body.HostConfig?.NetworkMode || 'bridge';
    const network = ['default', 'bridge'].includes(mode) ? this.network('bridge') : this.network(mode);
    const c: FakeContainer = {
      id: hex(),
      name: containerName,
      image: body.Image,
      imageId: image.id,
      body,
      labels: { ...image.labels, ...(body.Labels ?? {}) },
      state: 'created',
      exitCode: 0,
      created: Math.floor(Date.now() / 1000),
      startedAt: '0001-01-01T00:00:00Z',
      finishedAt: '0001-01-01T00:00:00Z',
      restartCount: 0,
      files: new Map(),
      mounts: [],
      networks: new Map(),
      published: [],
      log: '',
    };
    for (const m of body.HostConfig?.Mounts ?? []) {
      // Docker creates a named volume the first time a container mounts it.
      if (m.Source && !this.volumes.has(m.Source)) this.createVolume(m.Source, {});
      if (m.Source) c.mounts.push({ volume: m.Source, target: m.Target });
    }
    if (network.name !== 'none' && network.name !== 'host') this.attach(c, network, body.NetworkingConfig?.EndpointsConfig?.[mode]?.Aliases ?? []);
    this.containers.set(c.id, c);
    this.history.push(`create container ${c.name}`);
    return c;
  }

  start(ref: string): void {
    const c = this.container(ref);
    if (c.state === 'running') throw new FakeEngineError(304, 'container already started');
    // Docker publishes ports through a network with a gateway: none on internal networks alone.
    c.published = this.onGatewayNetwork(c) ? this.bindPorts(c) : [];
    this.history.push(`start ${c.name}`);
    c.state = 'running';
    c.startedAt = now();
    c.exitCode = 0;
    const crash = this.exitOnStart?.(c);
    if (crash) return this.exit(c, crash.exitCode, crash.log);
    // A server whose container starts again is up again, whatever `health down` said.
    for (const other of this.containers.values()) {
      for (const s of other.haproxy?.servers ?? []) if (s.address.split(':')[0] === c.name) s.forcedDown = false;
    }
    const argv = [...(c.body.Entrypoint ?? []), ...(c.body.Cmd ?? [])];
    if (argv[0] !== 'haproxy') return;
    const file = argv[argv.indexOf('-f') + 1];
    const config = this.readFile(c, file);
    const alerts = this.haproxyCheck(config, file);
    if (argv.includes('-c')) return this.exit(c, alerts ? 1 : 0, alerts ?? 'Configuration file is valid\n');
    if (alerts) return this.exit(c, 1, alerts);
    c.haproxy = new FakeHaproxy(config!, this.readFile(c, '/var/lib/haproxy/server-state'), {
      serverUp: (address) => this.serverUp(address),
      forcedAnswer: (command) => this.forcedAnswers.find((f) => f.pattern.test(command))?.answer,
    });
  }

  stop(ref: string): void {
    const c = this.container(ref);
    if (c.state !== 'running') throw new FakeEngineError(304, 'container already stopped');
    this.history.push(`stop ${c.name}`);
    this.exit(c, 0, '');
  }

  kill(ref: string, signal = 'SIGKILL'): void {
    const c = this.container(ref);
    if (c.state !== 'running') throw new FakeEngineError(409, `Cannot kill container: ${ref}: Container ${c.id} is not running`);
    const sig = signal.replace(/^SIG/, '');
    this.history.push(`kill ${c.name} ${sig}`);
    if (sig === 'USR2' && c.haproxy) {
      // The master starts a new worker only if the new config is valid; otherwise the old one serves on.
      const config = this.readFile(c, '/usr/local/etc/haproxy/haproxy.cfg');
      const alerts = this.haproxyCheck(config, '/usr/local/etc/haproxy/haproxy.cfg');
      if (alerts) c.log += alerts;
      else c.haproxy.reload(config!, this.readFile(c, '/var/lib/haproxy/server-state'));
      return;
    }
    if (sig === 'HUP' || sig === 'USR1' || sig === 'USR2') return;
    this.exit(c, sig === 'KILL' || sig === '9' ? 137 : 143, '');
  }

  remove(ref: string, force: boolean): void {
    const c = this.container(ref);
    if (c.state === 'running' && !force) {
      throw new FakeEngineError(409, `You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`);
    }
    if (c.state === 'running') this.exit(c, 137, '');
    this.containers.delete(c.id);
    this.history.push(`remove container ${c.name}`);
  }

  rename(ref: string, name: string): void {
    const c = this.container(ref);
    const taken = [...this.containers.values()].find((x) => x.name === name && x !== c);
    if (taken)
      throw new FakeEngineError(
        409,
        `Conflict. The container name "/${name}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    this.history.push(`rename ${c.name} ${name}`);
    c.name = name;
  }

  /** Resolves with the exit code once the container is not running. */
  async wait(ref: string): Promise<number> {
    const c = this.container(ref);
    if (c.state === 'running') await new Promise<void>((resolve) => this.waiters.set(c.id, [...(this.waiters.get(c.id) ?? []), resolve]));
    return c.exitCode;
  }

  /** Answers every pending wait with the container's state now (the engine is going away). */
  releaseWaits(): void {
    for (const resolves of this.waiters.values()) for (const resolve of resolves) resolve();
    this.waiters.clear();
  }

  /** Ends a running container as its process would (a crash, a `docker stop` from elsewhere). */
  exit(c: FakeContainer, exitCode: number, log: string): void {
    c.state = 'exited';
    c.exitCode = exitCode;
    c.finishedAt = now();
    c.log += log;
    c.published = [];
    c.haproxy = undefined;
    for (const resolve of this.waiters.get(c.id) ?? []) resolve();
    this.waiters.delete(c.id);
  }

  // ---- files (through the container's mounts, as Docker's archive endpoints see them) ----

  private locate(c: FakeContainer, file: string): { files: Map<string, string>; key: string } {
    const p = path.posix.normalize(file);
    const mount = c.mounts.find((m) => p.startsWith(`${m.target}/`));
    if (!mount) return { files: c.files, key: p };
    return { files: this.volume(mount.volume).files, key: p.slice(mount.target.length + 1) };
  }

  readFile(c: FakeContainer, file: string): string | undefined {
    const { files, key } = this.locate(c, file);
    return files.get(key);
  }

  /**
   * The files under a directory, by their path in it; undefined when no such directory exists
   * (a volume's mount point always does).
   */
  filesUnder(c: FakeContainer, dir: string): Map<string, string> | undefined {
    const d = path.posix.normalize(dir).replace(/\/$/, '');
    const mount = c.mounts.find((m) => m.target === d);
    if (mount) return new Map(this.volume(mount.volume).files);
    const { files, key } = this.locate(c, d);
    const under = [...files].filter(([k]) => k.startsWith(`${key}/`)).map(([k, v]) => [k.slice(key.length + 1), v] as [string, string]);
    return under.length ? new Map(under) : undefined;
  }

  writeFile(c: FakeContainer, file: string, content: string): void {
    this.history.push(`write ${c.name}:${path.posix.normalize(file)}`);
    const { files, key } = this.locate(c, file);
    files.set(key, content);
  }

  deleteFile(c: FakeContainer, file: string): void {
    const { files, key } = this.locate(c, file);
    files.delete(key);
  }

  // ---- execs ----

  createExec(ref: string, cmd: string[]): FakeExec {
    const c = this.container(ref);
    if (c.state !== 'running') throw new FakeEngineError(409, `Container ${c.id} is not running`);
    const exec: FakeExec = { id: hex(), containerId: c.id, cmd, output: '' };
    this.execs.set(exec.id, exec);
    return exec;
  }

  /** Runs an exec: `haproxy -c -f <file>` is answered by the config check; anything else is not found. */
  runExec(id: string): FakeExec {
    const exec = this.exec(id);
    const c = this.container(exec.containerId);
    this.history.push(`exec ${c.name} ${exec.cmd.join(' ')}`);
    if (exec.cmd[0] === 'haproxy' && exec.cmd.includes('-c')) {
      const file = exec.cmd[exec.cmd.indexOf('-f') + 1];
      const alerts = this.haproxyCheck(this.readFile(c, file), file);
      exec.exitCode = alerts ? 1 : 0;
      exec.output = alerts ?? 'Configuration file is valid\n';
    } else {
      exec.exitCode = 127;
      exec.output = `OCI runtime exec failed: exec failed: unable to start container process: exec: "${exec.cmd[0]}": executable file not found in $PATH: unknown\n`;
    }
    return exec;
  }

  exec(id: string): FakeExec {
    const exec = this.execs.get(id);
    if (!exec) throw new FakeEngineError(404, `No such exec instance: ${id}`);
    return exec;
  }

  // ---- networks ----

  network(ref: string): FakeNetwork {
    const found = this.networks.get(ref) ?? [...this.networks.values()].find((n) => n.name === ref) ?? [...this.networks.values()].find((n) => n.id.startsWith(ref));
    if (!found) throw new FakeEngineError(404, `network ${ref} not found`);
    return found;
  }

  createNetwork(name: string, opts: { driver?: string; internal?: boolean; labels?: Record<string, string> }): FakeNetwork {
    if ([...this.networks.values()].some((n) => n.name === name)) throw new FakeEngineError(409, `network with name ${name} already exists`);
    const octet = this.nextSubnet++;
    const net: FakeNetwork = {
      id: hex(),
      name,
      driver: opts.driver ?? 'bridge',
      internal: opts.internal ?? false,
      labels: opts.labels ?? {},
      subnet: `172.${octet}.0.0/16`,
      gateway: `172.${octet}.0.1`,
      created: now(),
      builtin: false,
      nextIp: 2,
    };
    this.networks.set(net.id, net);
    this.history.push(`create network ${name}`);
    return net;
  }

  connect(networkRef: string, containerRef: string, aliases: string[] = []): void {
    const net = this.network(networkRef);
    const c = this.container(containerRef);
    if (c.networks.has(net.id)) throw new FakeEngineError(403, `endpoint with name ${c.name} already exists in network ${net.name}`);
    // A running container joining its first network with a gateway publishes its ports now. A
    // port held elsewhere fails the join, which Docker leaves half done: the container is listed
    // on the network, publishes nothing, and a second join is refused (above) until a restart.
    const publish = c.state === 'running' && !net.internal && !this.onGatewayNetwork(c);
    this.attach(c, net, aliases);
    this.history.push(`connect ${c.name} ${net.name}`);
    if (publish) c.published = this.bindPorts(c);
  }

  removeNetwork(ref: string): void {
    const net = this.network(ref);
    if (net.builtin) throw new FakeEngineError(403, `${net.name} is a pre-defined network and cannot be removed`);
    const active = [...this.containers.values()].filter((c) => c.state === 'running' && c.networks.has(net.id));
    if (active.length) throw new FakeEngineError(403, `error while removing network: network ${net.name} id ${net.id} has active endpoints`);
    for (const c of this.containers.values()) c.networks.delete(net.id);
    this.networks.delete(net.id);
    this.history.push(`remove network ${net.name}`);
  }

  private attach(c: FakeContainer, net: FakeNetwork, aliases: string[]): void {
    const base = net.subnet?.split('.').slice(0, 2).join('.') ?? '0.0';
    c.networks.set(net.id, { ip: `${base}.0.${net.nextIp++}`, aliases });
  }

  // ---- volumes ----

  volume(name: string): FakeVolume {
    const v = this.volumes.get(name);
    if (!v) throw new FakeEngineError(404, `get ${name}: no such volume`);
    return v;
  }

  /** Like Docker, creating a volume that exists answers with it. */
  createVolume(name: string, labels: Record<string, string>): FakeVolume {
    const existing = this.volumes.get(name);
    if (existing) return existing;
    const v: FakeVolume = { name, labels, created: now(), files: new Map() };
    this.volumes.set(name, v);
    this.history.push(`create volume ${name}`);
    return v;
  }

  removeVolume(name: string): void {
    this.volume(name);
    const users = [...this.containers.values()].filter((c) => c.mounts.some((m) => m.volume === name));
    if (users.length) throw new FakeEngineError(409, `remove ${name}: volume is in use - [${users.map((c) => c.id).join(', ')}]`);
    this.volumes.delete(name);
    this.history.push(`remove volume ${name}`);
  }

  // ---- what runs where ----

  /** The running container that published a host port, and the port inside it. */
  listener(hostPort: number): { container: FakeContainer; privatePort: number } | undefined {
    for (const c of this.containers.values()) {
      const p = c.state === 'running' ? c.published.find((b) => b.hostPort === hostPort) : undefined;
      if (p) return { container: c, privatePort: p.privatePort };
    }
    return undefined;
  }

  private serverUp(address: string): boolean {
    const host = address.split(':')[0];
    const c = [...this.containers.values()].find((x) => x.name === host || [...x.networks.values()].some((n) => n.aliases.includes(host) || n.ip === host));
    return c ? c.state === 'running' && this.answers(c) : this.externalUp(address);
  }

  private onGatewayNetwork(c: FakeContainer): boolean {
    return [...c.networks.keys()].some((id) => this.networks.get(id)?.internal === false);
  }

  private bindPorts(c: FakeContainer): FakeContainer['published'] {
    const bound: FakeContainer['published'] = [];
    const taken = new Set([...this.containers.values()].flatMap((x) => (x.state === 'running' ? x.published.map((p) => p.hostPort) : [])));
    for (const [key, bindings] of Object.entries(c.body.HostConfig?.PortBindings ?? {})) {
      const privatePort = Number.parseInt(key, 10);
      for (const b of bindings ?? []) {
        const hostIp = b.HostIp || '0.0.0.0';
        let hostPort = Number(b.HostPort);
        if (!b.HostPort) {
          while (taken.has(this.nextPort) || this.hostPortsInUse.has(this.nextPort)) this.nextPort++;
          hostPort = this.nextPort++;
        } else if (taken.has(hostPort)) {
          throw new FakeEngineError(500, `driver failed programming external connectivity on endpoint ${c.name} (${c.id}): Bind for ${hostIp}:${hostPort} failed: port is already allocated`);
        } else if (this.hostPortsInUse.has(hostPort)) {
          throw new FakeEngineError(
            500,
            `driver failed programming external connectivity on endpoint ${c.name} (${c.id}): Error starting userland proxy: listen tcp4 ${hostIp}:${hostPort}: bind: address already in use`,
          );
        }
        taken.add(hostPort);
        bound.push({ privatePort, hostIp, hostPort });
      }
    }
    return bound;
  }
}
