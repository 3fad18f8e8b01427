import type { ContainerStatus, DeployPlan, EnvironmentStatus, Footprint, Task, TaskKind } from '../../../shared/contract';
import { SwitchyardError } from '../../../shared/errors';
import { msg, type Message } from '../../../shared/messages';
import type { ConfigTrigger } from '../../../shared/config-history';
import { AppInput } from '../../../shared/apps';
import { parseHttpsSettings } from '../../../shared/https';
import type { AppSecrets } from '../apps/app-secrets';
import { removeAppImages } from '../apps/app-image';
import { Environment, EnvironmentInput, EnvironmentPatch, parseOrThrow, type Environment as Env, type ServerInput } from '../../../shared/model';
import { renderConfig } from '../haproxy/render';
import type { RuntimeApi } from '../haproxy/runtime-api';
import { markServerDown, takeServerOut } from '../haproxy/server-health';
import type { Store } from '../store/store';
import type { TaskContext, TaskManager } from '../tasks/task-manager';
import { dockerError, isNotFound } from '../targets/docker-util';
import type { Target } from '../targets/target';
import { Deployer, type ClusterTargets, type DeployOptions } from './deployer';
import type { ClusterInfo } from '../../../shared/clusters';
import { clusterStatus } from '../clusters/swarm-status';
import { currentConfig, portHolder } from './haproxy-container';
import type { ImageService } from './images';
import { footprintOf } from './footprint';
import { Inspector, containerStatus } from './inspector';
import { LABEL_ENV, envFilter, names, type Owner } from './naming';
import { assertOwned, claimOf, isForeign, ownerOf } from './ownership';
import type { Installation } from '../store/installation';
import { PREVIEW_FACTS, currentFacts } from './network-facts';
import { destroyEnvironment } from './teardown';
import { EnvironmentLocks, type Release } from './environment-locks';
import { ConfigHistory, dropHistory } from '../history/config-history';

export type TargetResolver = (hostId: string) => Target | Promise<Target>;

/** What an environment on a cluster needs of the cluster: its manager, and its nodes with the hosts that reach them. */
export interface ClusterLookup {
  managerOf(hostId: string): Promise<{ target: Target; info: ClusterInfo }>;
}

/** How a deploy runs inside a task: what made it (kept with the config it serves), and what the caller resolved already. */
export type DeployWithin = DeployOptions & { trigger?: ConfigTrigger; target?: Target; me?: Owner };

/** A server's live settings, as a toggle changes them. */
export type ServerChange = { state?: Env['servers'][number]['state']; weight?: number };

/** Environments: the desired state in the store, and the tasks that make Docker match it. */
export class EnvironmentService {
  constructor(
    private readonly store: Store,
    private readonly tasks: TaskManager,
    private readonly images: ImageService,
    private readonly targetFor: TargetResolver,
    /** This installation (the data folder's id and who made it), read once. */
    private readonly installation: () => Promise<Installation>,
    private readonly now: () => Date = () => new Date(),
    /** Seals an app's secret variables; without it an app with secrets is refused. */
    private readonly appSecrets?: AppSecrets,
  ) {
    this.locks = new EnvironmentLocks(store.dataDir);
    this.history = new ConfigHistory(store, now);
  }

  private readonly locks: EnvironmentLocks;
  /** Every config a deploy left serving, per environment: kept by deployWithin, dropped with the environment. */
  readonly history: ConfigHistory;
  /** An app's secret values, for the deployer to hand to its containers and to nothing else. */
  private readonly openSecrets = async (app: NonNullable<Env['app']>): Promise<Record<string, string>> => {
    if (!app.secrets.length) return {};
    if (!this.appSecrets) throw new SwitchyardError('INTERNAL', 'No secret store to open the app’s secret variables from');
    return this.appSecrets.open(app);
  };

  /** This installation as the labels and deeds on an engine name it. */
  async me(): Promise<Owner> {
    return ownerOf(await this.installation());
  }

  /** Refuses (OWNED_ELSEWHERE, nothing changed) when another Switchyard manages `env` on its host. */
  async assertOwned(env: Env): Promise<void> {
    await assertOwned((await this.target(env)).docker, env.name, await this.me());
  }

  async list(): Promise<Env[]> {
    return (await this.store.read()).environments;
  }

  async get(name: string): Promise<Env> {
    const env = (await this.list()).find((e) => e.name === name);
    if (!env) throw SwitchyardError.because('NOT_FOUND', 'environment', { env: name }, { field: 'environment' });
    return env;
  }

  async create(input: EnvironmentInput): Promise<Env> {
    const parsed = parseOrThrow(EnvironmentInput, input);
    const target = await this.targetFor(parsed.host);
    const stamp = this.now().toISOString();
    const others = (await this.list()).filter((e) => e.name !== parsed.name);
    // Before anything is saved: a port taken is said on its field now, not at the first deploy.
    checkPortClaim(others, parsed);
    await this.checkHostPorts(parsed);
    const https = parsed.https ?? (await this.keepHttpsPort(target, parsed, others));
    const app = parsed.app ? await this.sealApp(parsed.app) : undefined;
    try {
      return await this.add(parseOrThrow(Environment, { ...parsed, https, app, createdAt: stamp, updatedAt: stamp }));
    } catch (err) {
      await this.appSecrets?.dropUnused(app, undefined);
      throw err;
    }
  }

  /**
   * The tutorial lab (the model's defaults: two demo backends, round robin, a sticky cookie,
   * redispatch), named and placed so that it can deploy now: the first of lab, lab-2, … that no
   * environment here or on the host has, on the first port from 8080 up that no environment here
   * claims and nothing on the host holds.
   */
  async createLab(host = 'local'): Promise<Env> {
    const target = await this.targetFor(host);
    const envs = await this.list();
    const onHost = await withTimeout(environmentsOnHost(target), HOST_PORT_CHECK_MS).catch(() => new Set<string>());
    let name = 'lab';
    for (let i = 2; envs.some((e) => e.name === name) || onHost.has(name); i++) name = `lab-${i}`;
    const port = await firstFreePort(target, name, LAB_PORTS, claimedOn(envs, host));
    if (port !== undefined) return this.create({ name, host, httpPort: port });
    throw SwitchyardError.because('PORT_IN_USE', 'noneFree', { from: LAB_PORTS.from, to: LAB_PORTS.to, host }, { field: 'httpPort' });
  }

  /**
   * HTTPS settings that only keep a port for HTTPS, off: the first deploy publishes it, so
   * switching HTTPS on later reloads the load balancer instead of replacing it (a replacement
   * would hold up the first HTTPS answer by seconds, and stop HTTP for a moment). The first port
   * from 8443 up that no other environment on the host claims and nothing there holds; none when
   * all are taken (the HTTPS form then offers 8443, as for an environment made before).
   */
  private async keepHttpsPort(target: Target, env: PortsOf, others: PortsOf[]): Promise<Env['https'] | undefined> {
    const port = await firstFreePort(target, env.name, HTTPS_PORTS, claimedOn(others, env.host).add(env.httpPort));
    return port === undefined ? undefined : parseHttpsSettings({ enabled: false, httpsPort: port });
  }

  private async sealApp(app: NonNullable<EnvironmentPatch['app']>, previous?: Env['app'], field = 'app'): Promise<NonNullable<Env['app']>> {
    const parsed = parseOrThrow(AppInput, app, field);
    if (!this.appSecrets) {
      if (parsed.secrets.length) throw new SwitchyardError('INTERNAL', 'No secret store to seal the app’s secret variables in');
      return { ...parsed, secrets: [] };
    }
    return this.appSecrets.seal(parsed, previous, field);
  }

  /** Saves a new, checked environment: its name must be free, and its port on its host. */
  async add(env: Env): Promise<Env> {
    return this.store.update((data) => {
      if (data.environments.some((e) => e.name === env.name)) {
        throw SwitchyardError.because('ALREADY_EXISTS', 'environment', { env: env.name }, { field: 'name' });
      }
      checkPortClaim(data.environments, env);
      data.environments.push(env);
      return env;
    });
  }

  async update(name: string, patch: EnvironmentPatch): Promise<Env> {
    const p = parseOrThrow(EnvironmentPatch, patch, 'patch');
    if (p.host) await this.targetFor(p.host);
    const saved = await this.get(name);
    // Only the published ports matter here: the app's secrets are not sealed yet.
    await this.checkHostPorts({ ...saved, httpPort: p.httpPort ?? saved.httpPort, https: p.https ?? saved.https }, saved);
    // Secret values are sealed before the store's lock, and given back to the secret store if the save fails.
    const before = p.app !== undefined ? saved.app : undefined;
    const app = p.app ? await this.sealApp(p.app, before, 'patch.app') : undefined;
    try {
      const saved = await this.store.update((data) => {
        const i = data.environments.findIndex((e) => e.name === name);
        if (i < 0) throw SwitchyardError.because('NOT_FOUND', 'environment', { env: name }, { field: 'environment' });
        const env = applyPatch(data.environments[i], app ? { ...p, app } : p, this.now());
        checkPortClaim(
          data.environments.filter((_, j) => j !== i),
          env,
        );
        data.environments[i] = env;
        return env;
      });
      if (app || p.app === null) await this.appSecrets?.dropUnused(before, app);
      return saved;
    } catch (err) {
      if (app) await this.appSecrets?.dropUnused({ secrets: app.secrets.filter((s) => !before?.secrets.some((b) => b.ref === s.ref)) }, undefined);
      throw err;
    }
  }

  /**
   * Refuses a port the environment would publish anew (on create, or changed by an edit) when
   * something on its host holds it: a container (named) or another program. A host that cannot
   * be asked now does not stop the save: the deploy checks the port again before it starts.
   */
  private async checkHostPorts(env: PortsOf, before?: PortsOf): Promise<void> {
    const kept = new Set(before ? publishedPorts(before).map((p) => p.port) : []);
    const fresh = publishedPorts(env).filter((p) => !kept.has(p.port));
    if (!fresh.length) return;
    const target = await Promise.resolve(this.targetFor(env.host)).catch(() => undefined);
    if (!target) return;
    for (const { port, field } of fresh) {
      const holder = await withTimeout(portHolder(target, env.name, port), HOST_PORT_CHECK_MS).catch(() => undefined);
      if (holder === undefined || holder === null) continue;
      throw holder === '' ? SwitchyardError.because('VALIDATION', 'portProgram', { port }, { field }) : SwitchyardError.because('VALIDATION', 'portContainer', { port, holder }, { field });
    }
  }

  /** The config a patch would render, without saving anything: for a diff before saving. */
  async preview(name: string, patch: EnvironmentPatch): Promise<{ config: string }> {
    const parsed = parseOrThrow(EnvironmentPatch, patch, 'patch');
    // Secret variables play no part in haproxy.cfg: nothing is sealed for a preview.
    const p = parsed.app ? { ...parsed, app: { ...parseOrThrow(AppInput, parsed.app, 'patch.app'), secrets: [] } } : parsed;
    return this.renderFor(applyPatch(await this.get(name), p, this.now()));
  }

  /** Removes an environment whose containers are gone; its lock is held so no deploy creates one meanwhile. */
  async remove(name: string): Promise<{ removed: true }> {
    const env = await this.get(name);
    const release = await this.lock(name);
    try {
      const left = await (await this.target(env)).docker.listContainers({ all: true, filters: envFilter(name) }).catch((err) => {
        const e = dockerError(err, 'checking for containers');
        if (!(e instanceof SwitchyardError) || e.code !== 'HOST_UNREACHABLE') throw e;
        // The window words the cause from its reason; the way out is offered beside the environment.
        throw new SwitchyardError('HOST_UNREACHABLE', `${e.message}. If that server is gone for good, forget "${name}" instead: Switchyard then drops it without reaching the server`, {
          field: e.field,
          detail: e.detail,
          reason: e.reason,
          params: e.params,
          cause: e,
        });
      });
      // Containers another Switchyard manages are not this one's to destroy: dropping the name
      // from this list touches nothing on the host.
      if (left.length && !isForeign(await claimOf((await this.target(env)).docker, name), await this.me())) {
        throw SwitchyardError.because('BUSY', 'containersLeft', { env: name, count: left.length }, { field: 'environment' });
      }
      await this.store.update((data) => {
        data.environments = data.environments.filter((e) => e.name !== name);
        dropHistory(data, [name]);
      });
      // Its app's images go with it (builds and releases kept for rollbacks): nothing of it runs any more.
      if (!left.length) await removeAppImages((await this.target(env)).docker, name).catch(() => undefined);
    } finally {
      await release().catch(() => undefined);
    }
    return { removed: true };
  }

  /** What an environment has on its host, by name; the host is not contacted. */
  async footprint(name: string): Promise<Footprint> {
    return footprintOf(await this.get(name));
  }

  /**
   * Forgets an environment whose host is gone for good: only the store changes, the host is never
   * contacted. Refused while a task of it runs. Answers with what may remain on the host.
   */
  async forget(name: string): Promise<Footprint> {
    await this.get(name);
    const release = await this.lock(name);
    try {
      return await this.store.update((data) => {
        const env = data.environments.find((e) => e.name === name);
        if (!env) throw SwitchyardError.because('NOT_FOUND', 'environment', { env: name }, { field: 'environment' });
        data.environments = data.environments.filter((e) => e.name !== name);
        dropHistory(data, [name]);
        return footprintOf(env);
      });
    } finally {
      await release().catch(() => undefined);
    }
  }

  /** What the environments placed on a host have there, by name; the host is not contacted. */
  async footprintsOn(hostId: string): Promise<Footprint[]> {
    return (await this.list()).filter((e) => e.host === hostId).map(footprintOf);
  }

  /** Forgets, at once, every environment placed on a host that is itself being forgotten; the host is never contacted. */
  async forgetAllOn(hostId: string): Promise<Footprint[]> {
    const placed = (await this.list()).filter((e) => e.host === hostId);
    const releases: (() => Promise<void>)[] = [];
    try {
      for (const e of placed) releases.push(await this.lock(e.name));
      return await this.store.update((data) => {
        const gone = data.environments.filter((e) => e.host === hostId);
        data.environments = data.environments.filter((e) => e.host !== hostId);
        dropHistory(
          data,
          gone.map((e) => e.name),
        );
        return gone.map(footprintOf);
      });
    } finally {
      for (const release of releases) await release().catch(() => undefined);
    }
  }

  /**
   * Changes an environment's servers, then deploys them. The lock is taken before the change, so
   * a call refused because a task runs changes nothing; `change` may refuse too (it sees the
   * servers as saved, under the store's lock).
   */
  async changeServers(name: string, change: (servers: Env['servers']) => ServerInput[]): Promise<Task> {
    await this.get(name);
    let changed: Env | undefined;
    const save = async () => {
      changed = await this.store.update((data) => {
        const i = data.environments.findIndex((e) => e.name === name);
        if (i < 0) throw SwitchyardError.because('NOT_FOUND', 'environment', { env: name }, { field: 'environment' });
        const patch = parseOrThrow(EnvironmentPatch, { servers: change(data.environments[i].servers) }, 'patch');
        return (data.environments[i] = applyPatch(data.environments[i], patch, this.now()));
      });
    };
    return this.exclusive(name, 'deploy', (ctx) => this.deployWithin(changed!, ctx), save);
  }

  async render(name: string): Promise<{ config: string }> {
    return this.renderFor(await this.get(name));
  }

  /** The config of `env` with the addresses of what is deployed (placeholders before a first deploy). */
  private async renderFor(env: Env): Promise<{ config: string }> {
    const facts = await currentFacts((await this.target(env)).docker, env.name);
    return { config: renderConfig(env, facts ?? PREVIEW_FACTS) };
  }

  /** The config file in the load balancer's container, which toggles keep saying what HAProxy does. */
  async runningConfig(name: string): Promise<{ config: string | null }> {
    const env = await this.get(name);
    await this.assertOwned(env);
    const lb = (await this.target(env)).docker.getContainer(names.haproxy(env.name));
    try {
      return { config: (await currentConfig(lb)) ?? null };
    } catch (err) {
      if (isNotFound(err)) return { config: null };
      throw dockerError(err, `reading the configuration of ${env.name}`);
    }
  }

  /** Clusters (clusters/cluster-service.ts): without it an environment on a cluster is refused. */
  clusters?: ClusterLookup;

  /** The cluster an environment is placed on: its manager, and the other nodes Switchyard reaches. */
  async clusterTargets(env: Env): Promise<ClusterTargets & { info: ClusterInfo }> {
    if (!this.clusters) throw new SwitchyardError('INTERNAL', 'No cluster service to place environments on a cluster');
    const { target: manager, info } = await this.clusters.managerOf(env.host);
    const others = info.nodes.filter((n) => n.host !== undefined && n.id !== info.nodeId && n.state === 'ready');
    const nodes = await Promise.all(others.map(async (n) => ({ name: n.hostname, docker: (await this.targetFor(n.host!)).docker })));
    return { manager, nodes, info };
  }

  /** Runs first in a deploy's task: app replicas to replace go out as a rolling release (release-service.ts). */
  beforeDeploy?: (env: Env, ctx: TaskContext) => Promise<void>;

  async deploy(name: string): Promise<Task> {
    const env = await this.get(name);
    const target = await this.target(env);
    const me = await this.me();
    return this.exclusive(name, 'deploy', async (ctx) => {
      await this.beforeDeploy?.(env, ctx);
      return this.deployWithin(env, ctx, { target, me });
    });
  }

  /** What a deploy would do now (the deploy's own plan); nothing changes. Refused like a deploy for another installation's environment. */
  async plan(name: string): Promise<DeployPlan> {
    const env = await this.get(name);
    const cluster = env.cluster ? await this.clusterTargets(env) : undefined;
    return new Deployer(await this.target(env), this.images, await this.me(), this.now, undefined, this.openSecrets, cluster).plan(env);
  }

  /** `destroyed` runs inside the task once everything is gone, never after a failure or a cancel. */
  async destroy(name: string, destroyed?: () => Promise<void>): Promise<Task> {
    const env = await this.get(name);
    const target = await this.target(env);
    const me = await this.me();
    return this.exclusive(name, 'destroy', async (ctx) => {
      // On a cluster: the services go first, on its manager (the manager may be gone for good: then only what the load balancer's node has).
      const manager = env.cluster ? (await this.clusterTargets(env)).manager.docker : undefined;
      const message = await destroyEnvironment(target.docker, name, ctx, me, manager);
      await destroyed?.();
      return message;
    });
  }

  async status(name: string): Promise<EnvironmentStatus> {
    const env = await this.get(name);
    const status = await new Inspector(await this.target(env)).status(env, await this.me());
    if (!env.cluster || status.state === 'owned-elsewhere') return status;
    return clusterStatus(env, status, () => this.clusterTargets(env));
  }

  /** Stops or starts one demo backend's container: the tutorial's failover drill. */
  async setServerRunning(envName: string, server: string, running: boolean): Promise<ContainerStatus> {
    const env = await this.get(envName);
    const s = env.servers.find((x) => x.name === server);
    if (!s) throw SwitchyardError.because('NOT_FOUND', 'server', { env: envName, server }, { field: 'server' });
    if (s.kind === 'external') {
      throw SwitchyardError.because('VALIDATION', 'externalServer', { server }, { field: 'server' });
    }
    await this.assertOwned(env);
    const docker = (await this.target(env)).docker;
    const c = docker.getContainer(names.backend(envName, server));
    // Out of the load balancer before the container goes, so no request meets a dying server.
    // Not fatal: without a load balancer (or with this server not in its config yet) there is
    // nothing to take it out of, and its checks still see it go. On start, they bring it back.
    const api = running ? undefined : await this.runtimeApi(env).catch(() => undefined);
    if (api) await takeServerOut(api, server).catch(() => undefined);
    try {
      if (running) await c.start();
      else await c.stop({ t: 5 });
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (isNotFound(err)) throw SwitchyardError.because('NOT_FOUND', 'noContainer', { server, env: envName }, { field: 'server' });
      if (code !== 304) throw dockerError(err, `${running ? 'starting' : 'stopping'} ${server}`);
    }
    // Again once stopped: a check that passed while it was still answering must not bring it back.
    if (api) await markServerDown(api, server).catch(() => undefined);
    const [info] = await docker.listContainers({ all: true, filters: { name: [`^/${names.backend(envName, server)}$`] } });
    return containerStatus(info);
  }

  /** Saves a server's state and/or weight in the model. */
  async saveServer(envName: string, server: string, change: ServerChange): Promise<Env> {
    return this.store.update((data) => this.applyServerChange(data.environments, envName, server, change, this.now()));
  }

  /**
   * As saveServer, without waiting for the disk: for a toggle HAProxy already applied. This
   * process reads the change at once; the save follows straight away (see Store.updateSoon).
   */
  saveServerSoon(envName: string, server: string, change: ServerChange): Promise<void> {
    const at = this.now();
    return this.store.updateSoon((data) => void this.applyServerChange(data.environments, envName, server, change, at));
  }

  private applyServerChange(environments: Env[], envName: string, server: string, change: ServerChange, at: Date): Env {
    const env = environments.find((e) => e.name === envName);
    if (!env) throw SwitchyardError.because('NOT_FOUND', 'environment', { env: envName }, { field: 'environment' });
    const s = env.servers.find((x) => x.name === server);
    if (!s) throw SwitchyardError.because('NOT_FOUND', 'server', { env: envName, server }, { field: 'server' });
    if (change.state !== undefined) s.state = change.state;
    if (change.weight !== undefined) s.weight = change.weight;
    env.updatedAt = at.toISOString();
    return env;
  }

  /** The runtime API of an environment's running load balancer, or undefined. */
  async runtimeApi(name: string | Env): Promise<RuntimeApi | undefined> {
    const env = typeof name === 'string' ? (await this.list()).find((e) => e.name === name) : name;
    if (!env) return undefined;
    // The stats, toggles and certificates of another installation's environment are not ours to touch.
    await this.assertOwned(env);
    return new Inspector(await this.target(env)).runtimeApi(env.name);
  }

  /** Where an environment's load balancer runs: its host, or on a cluster the node picked for it. */
  async target(env: Env): Promise<Target> {
    const node = env.cluster?.lbNode;
    if (!node) return this.targetFor(env.host);
    const known = this.lbHosts.get(`${env.host}/${node}`);
    if (known && known.until > Date.now()) return this.targetFor(known.host);
    const { info } = await this.clusterTargets(env);
    const found = info.nodes.find((n) => n.hostname === node || n.id === node || (node.length >= 6 && n.id.startsWith(node)));
    if (!found?.host) throw SwitchyardError.because('CLUSTER_FAILED', 'lbNode', { node, host: env.host }, { field: 'cluster.lbNode' });
    this.lbHosts.set(`${env.host}/${node}`, { host: found.host, until: Date.now() + 60_000 });
    return this.targetFor(found.host);
  }

  /** Which host reaches a load balancer's node, kept a minute (the poller asks every second). */
  private readonly lbHosts = new Map<string, { host: string; until: number }>();

  /** Deploys inside another task (the caller holds the environment's lock). */
  async deployWithin(env: Env, ctx: TaskContext, how: DeployWithin = {}): Promise<Message> {
    const { trigger = { kind: 'deploy' }, target, me, ...options } = how;
    const owner = me ?? (await this.me());
    let served: string | undefined;
    const cluster = env.cluster ? await this.clusterTargets(env) : undefined;
    const done = await new Deployer(target ?? (await this.target(env)), this.images, owner, this.now, undefined, this.openSecrets, cluster).deploy(env, ctx, {
      ...options,
      served: (config) => (served = config),
    });
    // The deploy succeeded: a history that cannot be written is said, and does not fail it.
    if (served !== undefined) await this.history.record(env, served, trigger, owner).catch((err: Error) => ctx.note(msg('history.notRecorded', { reason: err.message })));
    return done;
  }

  /**
   * One deploy, destroy or certificate order per environment at a time, across processes (the app
   * and the CLI). `prepare` runs once the lock is held, before the task starts: what it throws is
   * the call's answer, and the lock is let go.
   */
  async exclusive(name: string, kind: TaskKind, run: Parameters<TaskManager['start']>[2], prepare?: () => Promise<void>): Promise<Task> {
    const release = await this.lock(name);
    try {
      await prepare?.();
    } catch (err) {
      await release().catch(() => undefined);
      throw err;
    }
    return this.tasks.start(kind, name, async (ctx) => {
      try {
        return await run(ctx);
      } finally {
        await release().catch(() => undefined);
      }
    });
  }

  /** The environment's lock, shared by the processes on one data folder; BUSY while a task of it runs. */
  private lock(name: string): Promise<Release> {
    return this.locks.acquire(name);
  }
}

/** What decides the ports an environment publishes, and where. */
type PortsOf = Pick<Env, 'name' | 'host' | 'httpPort'> & { https?: { httpsPort?: number } };

/** How long asking a host which ports it listens on may hold up a save. */
const HOST_PORT_CHECK_MS = 5000;

/** Where a new environment's HTTPS port is kept: 8443, then the next ones. */
const HTTPS_PORTS = { from: 8443, to: 8542 };

/** Where the one-click lab looks for a free HTTP port: the tutorial's 8080, then the next ones. */
const LAB_PORTS = { from: 8080, to: 8179 };

/** The names of the environments whose containers are on a host, whoever deployed them. */
async function environmentsOnHost(target: Target): Promise<Set<string>> {
  const containers = await target.docker.listContainers({ all: true, filters: { label: [LABEL_ENV] } });
  return new Set(containers.map((c) => c.Labels?.[LABEL_ENV]).filter((n): n is string => !!n));
}

/** The host ports an environment's load balancer publishes, each with the field that sets it. */
function publishedPorts(env: PortsOf): { port: number; field: string }[] {
  const ports = [{ port: env.httpPort, field: 'httpPort' }];
  if (env.https?.httpsPort !== undefined) ports.push({ port: env.https.httpsPort, field: 'https.httpsPort' });
  return ports;
}

/** Refuses a port another environment on the same host publishes, or one the environment would publish twice. */
export function checkPortClaim(others: PortsOf[], env: PortsOf): void {
  const mine = publishedPorts(env);
  if (mine.length > 1 && mine[1].port === mine[0].port) {
    throw SwitchyardError.because('VALIDATION', 'portTwice', { port: mine[1].port }, { field: mine[1].field });
  }
  for (const { port, field } of mine) {
    const clash = others.find((e) => e.host === env.host && publishedPorts(e).some((p) => p.port === port));
    if (clash) throw SwitchyardError.because('VALIDATION', 'portEnvironment', { port, holder: clash.name }, { field });
  }
}

/** The host ports the environments on `host` publish or keep. */
function claimedOn(envs: PortsOf[], host: string): Set<number> {
  return new Set(envs.filter((e) => e.host === host).flatMap((e) => publishedPorts(e).map((p) => p.port)));
}

/**
 * The first port of `range` not `claimed` that nothing on the host holds. A host that does not
 * answer in time counts as free: the save or the deploy asks again, naming the field.
 */
async function firstFreePort(target: Target, envName: string, range: { from: number; to: number }, claimed: Set<number>): Promise<number | undefined> {
  for (let port = range.from; port <= range.to; port++) {
    if (claimed.has(port)) continue;
    const holder = await withTimeout(portHolder(target, envName, port), HOST_PORT_CHECK_MS).catch(() => undefined);
    if (holder === null || holder === undefined) return port;
  }
  return undefined;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** An environment with a checked patch applied: nested settings merge, `servers` and `https` are replaced whole. */
function applyPatch(cur: Env, p: EnvironmentPatch, now: Date): Env {
  const { app, ...rest } = p;
  const merged = {
    ...cur,
    ...rest,
    ...(app === null ? { app: undefined } : app !== undefined ? { app } : {}),
    sticky: { ...cur.sticky, ...p.sticky },
    healthCheck: { ...cur.healthCheck, ...p.healthCheck },
    timeouts: { ...cur.timeouts, ...p.timeouts },
    images: { ...cur.images, ...p.images },
    servers: p.servers ?? cur.servers,
    updatedAt: now.toISOString(),
  };
  return parseOrThrow(Environment, merged, 'patch');
}
