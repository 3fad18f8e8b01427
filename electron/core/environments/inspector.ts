import type Docker from 'dockerode';
import type { ContainerRole, ContainerStatus, EnvironmentState, EnvironmentStatus, ServerStatus } from '../../../shared/contract';
import type { Environment } from '../../../shared/model';
import { healthOf } from '../haproxy/stat-csv';
import { renderConfig } from '../haproxy/render';
import { dockerError } from '../targets/docker-util';
import type { Target } from '../targets/target';
import { adminPortOf, currentConfig, runtimeApiFor } from './haproxy-container';
import { BACKEND_NAME, HAPROXY_HTTP_PORT, HAPROXY_HTTPS_PORT, LABEL_ROLE, LABEL_SERVER, envFilter, names, type Owner } from './naming';
import { claimOf, isForeign } from './ownership';
import { currentFacts } from './network-facts';
import type { RuntimeApi } from '../haproxy/runtime-api';

export function containerStatus(c: Docker.ContainerInfo): ContainerStatus {
  const s: ContainerStatus = {
    name: c.Names[0]?.replace(/^\//, '') ?? c.Id,
    role: c.Labels[LABEL_ROLE] as ContainerRole,
    state: c.State,
    image: c.Image,
    id: c.Id,
  };
  if (c.Labels[LABEL_SERVER]) s.server = c.Labels[LABEL_SERVER];
  return s;
}

/** Reads an environment's actual state back from Docker and from HAProxy's runtime API. */
export class Inspector {
  constructor(private readonly target: Target) {}

  async containers(env: string): Promise<Docker.ContainerInfo[]> {
    try {
      return await this.target.docker.listContainers({ all: true, filters: envFilter(env) });
    } catch (err) {
      throw dockerError(err, 'listing containers');
    }
  }

  /** The runtime API of the environment's load balancer, or undefined if it is not running. */
  async runtimeApi(env: string): Promise<RuntimeApi | undefined> {
    const c = this.target.docker.getContainer(names.haproxy(env));
    const port = await adminPortOf(c).catch(() => undefined);
    return port ? runtimeApiFor(this.target, env, port) : undefined;
  }

  /**
   * Adds what the list leaves out: when each container started, how often Docker restarted it,
   * and its image by name (a replica runs its image by id, so that every replica of a deploy
   * runs the same one). A container gone meanwhile keeps what the list said.
   */
  private async describe(containers: ContainerStatus[]): Promise<void> {
    const docker = this.target.docker;
    const imageNames = new Map<string, Promise<string>>();
    const nameOf = (id: string) => {
      let known = imageNames.get(id);
      if (!known) {
        known = docker
          .getImage(id)
          .inspect()
          .then(
            (i) => i.RepoTags?.find((t) => t !== '<none>:<none>') ?? i.RepoDigests?.[0] ?? id,
            () => id,
          );
        imageNames.set(id, known);
      }
      return known;
    };
    await Promise.all(
      containers.map(async (c) => {
        const info = await docker
          .getContainer(c.id)
          .inspect()
          .catch(() => undefined);
        if (info) {
          // Docker's zero time: created, never started.
          if (info.State.StartedAt && !info.State.StartedAt.startsWith('0001-')) c.startedAt = info.State.StartedAt;
          c.restartCount = info.RestartCount;
        }
        if (/^sha256:[a-f0-9]{64}$/.test(c.image)) c.image = await nameOf(c.image);
      }),
    );
  }

  /** `me`: this installation; an environment another one manages is reported as such, and not looked into. */
  async status(env: Environment, me: Owner): Promise<EnvironmentStatus> {
    const list = (await this.containers(env.name)).filter((c) => ['haproxy', 'backend'].includes(c.Labels[LABEL_ROLE]));
    const containers = list.map(containerStatus);
    const lb = list.find((c) => c.Names.includes(`/${names.haproxy(env.name)}`));
    const status: EnvironmentStatus = {
      name: env.name,
      state: 'not-deployed',
      containers,
      servers: [],
      haproxy: { reachable: false, configInSync: false },
    };
    if (!list.length) return status;
    const claim = await claimOf(this.target.docker, env.name);
    if (isForeign(claim, me)) return { ...status, state: 'owned-elsewhere', owner: claim.owner };
    await this.describe(containers);
    if (!lb) return status;
    // Where it answers now: the port it publishes, until a deploy moves it to a new one.
    status.url = `http://${this.target.publicHost}:${publishes(lb, HAPROXY_HTTP_PORT) ?? env.httpPort}/`;
    if (lb.State === 'running') {
      const api = await this.runtimeApi(env.name);
      try {
        if (api) {
          const [info, rows] = await Promise.all([api.showInfo(), api.showStat()]);
          status.haproxy.reachable = true;
          status.haproxy.version = info.Version;
          status.servers = rows
            .filter((r) => r.pxname === BACKEND_NAME && r.svname !== 'FRONTEND' && r.svname !== 'BACKEND')
            // On a cluster, a slot without a task (no address yet) is room to scale into, not a server.
            .filter((r) => !env.cluster || hasTask(r.addr))
            .map((r): ServerStatus => {
              const s: ServerStatus = { name: r.svname, health: healthOf(r.status), status: r.status, weight: Number(r.weight) || 0 };
              if (r.addr) s.address = r.addr;
              // The server's own container, not a release's new one being tried or old one kept meanwhile.
              const c = containers.find((x) => x.name === names.backend(env.name, r.svname)) ?? containers.find((x) => x.server === r.svname);
              if (c) s.container = c.name;
              return s;
            });
        }
      } catch {
        status.haproxy.reachable = false;
      }
      const facts = await currentFacts(this.target.docker, env.name);
      const running = await currentConfig(this.target.docker.getContainer(lb.Id)).catch(() => undefined);
      status.haproxy.configInSync = running !== undefined && facts !== undefined && running === renderConfig(env, facts);
      // The port kept for HTTPS while it is off may be left out (taken on the host when the load balancer was made).
      const https = publishes(lb, HAPROXY_HTTPS_PORT);
      const httpsInSync = env.https?.enabled ? https === env.https.httpsPort : https === undefined || https === env.https?.httpsPort;
      status.haproxy.portsInSync = publishes(lb, HAPROXY_HTTP_PORT) === env.httpPort && httpsInSync;
    }
    status.state = stateOf(env, lb, status);
    return status;
  }
}

/** Whether HAProxy has an address for a cluster slot (a task), not its placeholder. */
export function hasTask(addr: string | undefined): boolean {
  return Boolean(addr) && !/^(?:0\.0\.0\.0|::)(?::|$)/.test(addr!) && !addr!.startsWith('[::]');
}

/** The host port a container publishes for one of its ports, if any. */
function publishes(c: Docker.ContainerInfo, containerPort: number): number | undefined {
  return c.Ports?.find((p) => p.PrivatePort === containerPort && p.PublicPort)?.PublicPort;
}

function stateOf(env: Environment, lb: Docker.ContainerInfo, status: EnvironmentStatus): EnvironmentState {
  if (lb.State !== 'running') {
    return status.containers.some((c) => c.state === 'running') ? 'failed' : 'stopped';
  }
  if (!status.haproxy.reachable) return 'failed';
  // Drain and maintenance are the user's choice, not a fault; nor is a server a release is
  // switching (its new container is there beside it).
  const releasing = (server: string) => status.containers.some((c) => c.name === names.nextBackend(env.name, server) || c.name === names.prevBackend(env.name, server));
  const deliberate = new Set(env.servers.filter((s) => s.state !== 'ready' || releasing(s.name)).map((s) => s.name));
  // A cluster's slots are set to maintenance only by a user (a slot without a task is not listed).
  const down = env.cluster
    ? status.servers.some((s) => s.health === 'DOWN') && env.servers[0]?.state === 'ready'
    : status.servers.some((s) => !deliberate.has(s.name) && (s.health === 'DOWN' || s.health === 'MAINT'));
  // Only the servers' own containers count (a release's new one may be starting or crashing).
  const stopped = status.containers.some((c) => c.role === 'backend' && c.state !== 'running' && !/_(next|prev)$/.test(c.name));
  return down || stopped ? 'partly-down' : 'running';
}
