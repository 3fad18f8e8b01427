import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Environment } from '../../../shared/model';
import { LABEL_APP, LABEL_ENV, LABEL_ROLE, LABEL_SERVER, names } from './naming';

/** The part of a Docker engine event the watcher reads. */
export interface DockerEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** What the engine is asked for: only backend containers Switchyard created, only the actions below. */
export const BACKEND_EVENT_FILTERS = {
  type: ['container' as const],
  event: ['kill', 'die', 'stop', 'pause'],
  label: [`${LABEL_APP}=switchyard`, `${LABEL_ROLE}=backend`],
};

/**
 * What the engine is asked for when container states are also reported (`changed`): every
 * container Switchyard created, load balancers included, and every action that changes a state.
 */
export const CONTAINER_EVENT_FILTERS = {
  type: ['container' as const],
  event: ['create', 'start', 'restart', 'die', 'stop', 'kill', 'pause', 'unpause', 'destroy'],
  label: [`${LABEL_APP}=switchyard`],
};

/**
 * `docker stop` and `docker kill` announce the signal before the process ends: acting then takes
 * the server out while it still finishes its requests. Other signals (a reload's HUP) are no stop.
 */
const STOP_SIGNALS = new Set(['2', '3', '9', '15']);

/** The backend a container event takes out of service, if it does. */
export function serverGone(event: DockerEvent): { environment: string; server: string } | undefined {
  const attrs = event.Actor?.Attributes ?? {};
  if (event.Type !== 'container' || attrs[LABEL_ROLE] !== 'backend') return undefined;
  const environment = attrs[LABEL_ENV];
  const server = attrs[LABEL_SERVER];
  if (!environment || !server) return undefined;
  // A release's new container being tried, or the old one it keeps meanwhile, is not the server.
  if (attrs.name !== undefined && attrs.name !== names.backend(environment, server)) return undefined;
  const gone = event.Action === 'die' || event.Action === 'stop' || event.Action === 'pause' || (event.Action === 'kill' && STOP_SIGNALS.has(attrs.signal ?? ''));
  return gone ? { environment, server } : undefined;
}

export interface ContainerEventsDeps {
  /** This installation's environments, from its store: containers of any other are left alone. */
  environments(): Promise<Pick<Environment, 'name' | 'host' | 'servers'>[]>;
  docker(hostId: string): Promise<Docker>;
  /** Reports a server DOWN in its environment's load balancer, now. */
  markDown(environment: string, server: string): Promise<void>;
  /**
   * Hears that a container of an environment changed state (created, started, stopped, gone):
   * its status is to be read again. With it, the engine is asked for every such event.
   */
  changed?(environment: string, host: string): void;
  /** What could not be done; the watcher carries on. */
  onError?(err: unknown, doing: string): void;
}

export interface ContainerEventsOptions {
  /** How often the store is read again for hosts that gained or lost environments. */
  rescanMs?: number;
  /** First wait before reopening a dropped event stream; doubled on each failure up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

interface Follow {
  stream?: Readable;
  timer?: NodeJS.Timeout;
  retryMs: number;
  closed: boolean;
}

/**
 * Follows Docker's container events on every host that has environments, and when a backend
 * container stops, dies or pauses outside Switchyard (`docker stop`, a crash), reports its
 * server DOWN at once through the runtime API instead of waiting for failed checks. Its checks
 * bring it back when the container runs again. For long-lived processes (the app, `serve`).
 */
export class ContainerEventsWatcher {
  private readonly follows = new Map<string, Follow>();
  private readonly pending = new Set<Promise<unknown>>();
  private rescanTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly rescanMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;

  constructor(
    private readonly deps: ContainerEventsDeps,
    opts: ContainerEventsOptions = {},
  ) {
    this.rescanMs = opts.rescanMs ?? 15_000;
    this.retryMs = opts.retryMs ?? 1000;
    this.maxRetryMs = opts.maxRetryMs ?? 30_000;
  }

  start(): void {
    if (this.rescanTimer || this.closed) return;
    void this.rescan();
    this.rescanTimer = setInterval(() => void this.rescan(), this.rescanMs);
    this.rescanTimer.unref();
  }

  /** Hosts whose events are followed now, or being reconnected. */
  get hosts(): string[] {
    return [...this.follows.keys()];
  }

  /** Reads the store again now (it is also read every `rescanMs`). */
  refresh(): Promise<void> {
    return this.closed ? Promise.resolve() : this.rescan();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.rescanTimer);
    for (const [host, f] of this.follows) this.unfollow(host, f);
    // Take-outs in flight are short (the runtime API times out): let them end.
    await Promise.allSettled([...this.pending]);
  }

  private async rescan(): Promise<void> {
    let envs: Awaited<ReturnType<ContainerEventsDeps['environments']>>;
    try {
      envs = await this.deps.environments();
    } catch (err) {
      this.deps.onError?.(err, 'reading the environments');
      return;
    }
    if (this.closed) return;
    const hosts = new Set(envs.map((e) => e.host));
    for (const host of hosts) {
      if (this.follows.has(host)) continue;
      const f: Follow = { retryMs: this.retryMs, closed: false };
      this.follows.set(host, f);
      void this.open(host, f);
    }
    for (const [host, f] of this.follows) if (!hosts.has(host)) this.unfollow(host, f);
  }

  private unfollow(host: string, f: Follow): void {
    f.closed = true;
    clearTimeout(f.timer);
    f.stream?.destroy();
    this.follows.delete(host);
  }

  private async open(host: string, f: Follow): Promise<void> {
    if (f.closed) return;
    let docker: Docker;
    let stream: Readable;
    try {
      docker = await this.deps.docker(host);
      stream = (await docker.getEvents({ filters: this.deps.changed ? CONTAINER_EVENT_FILTERS : BACKEND_EVENT_FILTERS })) as unknown as Readable;
    } catch (err) {
      this.deps.onError?.(err, `following Docker events on ${host}`);
      this.retry(host, f);
      return;
    }
    if (f.closed) {
      stream.destroy();
      return;
    }
    f.stream = stream;
    f.retryMs = this.retryMs;
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        let event: DockerEvent;
        try {
          event = JSON.parse(line) as DockerEvent;
        } catch {
          continue;
        }
        const gone = serverGone(event);
        if (gone) this.track(this.takeOut(host, gone.environment, gone.server));
        const environment = event.Actor?.Attributes?.[LABEL_ENV];
        if (environment && this.deps.changed) {
          try {
            this.deps.changed(environment, host);
          } catch (err) {
            this.deps.onError?.(err, `reporting a change of ${environment}`);
          }
        }
      }
    });
    let dropped = false;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      if (f.stream === stream) f.stream = undefined;
      this.retry(host, f);
    };
    stream.on('end', drop);
    stream.on('close', drop);
    stream.on('error', drop);
    // Whatever stopped while nobody was listening: before this process started, or while the
    // stream was down (a restarted engine, a dropped SSH connection).
    await this.catchUp(host, docker);
  }

  private retry(host: string, f: Follow): void {
    if (f.closed || this.closed) return;
    clearTimeout(f.timer);
    f.timer = setTimeout(() => void this.open(host, f), f.retryMs);
    f.timer.unref();
    f.retryMs = Math.min(this.maxRetryMs, f.retryMs * 2);
  }

  private async catchUp(host: string, docker: Docker): Promise<void> {
    let stopped: Docker.ContainerInfo[];
    try {
      stopped = await docker.listContainers({
        all: true,
        filters: { label: BACKEND_EVENT_FILTERS.label, status: ['exited', 'dead', 'paused'] },
      });
    } catch (err) {
      this.deps.onError?.(err, `listing stopped backends on ${host}`);
      return;
    }
    for (const c of stopped) {
      const environment = c.Labels[LABEL_ENV];
      const server = c.Labels[LABEL_SERVER];
      if (environment && server) await this.track(this.takeOut(host, environment, server));
    }
  }

  private async takeOut(host: string, environment: string, server: string): Promise<void> {
    if (this.closed) return;
    try {
      const env = (await this.deps.environments()).find((e) => e.name === environment && e.host === host);
      if (!env?.servers.some((s) => s.name === server && s.kind === 'demo')) return;
      await this.deps.markDown(environment, server);
    } catch (err) {
      this.deps.onError?.(err, `taking ${server} of ${environment} out`);
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }
}
