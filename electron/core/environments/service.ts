import type { ContainerStatus, DeployPlan, EnvironmentStatus, Footprint, Task, TaskKind } from '../../../shared/contract';
import { SwitchyardError } from '../../../shared/errors';
import type { Message } from '../../../shared/messages';
import { AppInput } from '../../../shared/apps';
import type { AppSecrets } from '../apps/app-secrets';
import { Environment, EnvironmentInput, EnvironmentPatch, parseOrThrow, type Environment as Env, type ServerInput } from '../../../shared/model';
import { renderConfig } from '../haproxy/render';
import type { RuntimeApi } from '../haproxy/runtime-api';
import { markServerDown, takeServerOut } from '../haproxy/server-health';
import type { Store } from '../store/store';
import type { TaskContext, TaskManager } from '../tasks/task-manager';
import { dockerError, isNotFound } from '../targets/docker-util';
import type { Target } from '../targets/target';
import { Deployer, type DeployOptions } from './deployer';
import { currentConfig } from './haproxy-container';
import type { ImageService } from './images';
import { footprintOf } from './footprint';
import { Inspector, containerStatus } from './inspector';
import { envFilter, names, type Owner } from './naming';
import { assertOwned, claimOf, isForeign, ownerOf } from './ownership';
import type { Installation } from '../store/installation';
import { PREVIEW_FACTS, currentFacts } from './network-facts';
import { destroyEnvironment } from './teardown';
import { EnvironmentLocks, type Release } from './environment-locks';

export type TargetResolver = (hostId: string) => Target | Promise<Target>;

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
  }

  private readonly locks: EnvironmentLocks;
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
    if (!env) throw new SwitchyardError('NOT_FOUND', `There is no environment named "${name}"`, { field: 'name' });
    return env;
  }

  async create(input: EnvironmentInput): Promise<Env> {
    const parsed = parseOrThrow(EnvironmentInput, input);
    await this.targetFor(parsed.host);
    const stamp = this.now().toISOString();
    const app = parsed.app ? await this.sealApp(parsed.app) : undefined;
    try {
      return await this.add(parseOrThrow(Environment, { ...parsed, app, createdAt: stamp, updatedAt: stamp }));
    } catch (err) {
      await this.appSecrets?.dropUnused(app, undefined);
      throw err;
    }
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
        throw new SwitchyardError('ALREADY_EXISTS', `An environment named "${env.name}" already exists`, { field: 'name' });
      }
      checkPortClaim(data.environments, env);
      data.environments.push(env);
      return env;
    });
  }

  async update(name: string, patch: EnvironmentPatch): Promise<Env> {
    const p = parseOrThrow(EnvironmentPatch, patch, 'patch');
    if (p.host) await this.targetFor(p.host);
    // Secret values are sealed before the store's lock, and given back to the secret store if the save fails.
    const before = p.app ? (await this.get(name)).app : undefined;
    const app = p.app ? await this.sealApp(p.app, before, 'patch.app') : undefined;
    try {
      const saved = await this.store.update((data) => {
        const i = data.environments.findIndex((e) => e.name === name);
        if (i < 0) throw new SwitchyardError('NOT_FOUND', `There is no environment named "${name}"`, { field: 'name' });
        const env = applyPatch(data.environments[i], app ? { ...p, app } : p, this.now());
        checkPortClaim(data.environments.filter((_, j) => j !== i), env);
        data.environments[i] = env;
        return env;
      });
      if (app) await this.appSecrets?.dropUnused(before, app);
      return saved;
    } catch (err) {
      if (app) await this.appSecrets?.dropUnused({ secrets: app.secrets.filter((s) => !before?.secrets.some((b) => b.ref === s.ref)) }, undefined);
      throw err;
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
        throw new SwitchyardError('HOST_UNREACHABLE', `${e.message}. If that server is gone for good, forget "${name}" instead: Switchyard then drops it without reaching the server`, {
          field: e.field,
          detail: e.detail,
          cause: e,
        });
      });
      // Containers another Switchyard manages are not this one's to destroy: dropping the name
      // from this list touches nothing on the host.
      if (left.length && !isForeign(await claimOf((await this.target(env)).docker, name), await this.me())) {
        throw new SwitchyardError('BUSY', `"${name}" still has ${left.length} containers; destroy it first`, { field: 'name' });
      }
      await this.store.update((data) => {
        data.environments = data.environments.filter((e) => e.name !== name);
      });
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
        if (!env) throw new SwitchyardError('NOT_FOUND', `There is no environment named "${name}"`, { field: 'name' });
        data.environments = data.environments.filter((e) => e.name !== name);
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
        if (i < 0) throw new SwitchyardError('NOT_FOUND', `There is no environment named "${name}"`, { field: 'name' });
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

  async deploy(name: string): Promise<Task> {
    const env = await this.get(name);
    const target = await this.target(env);
    const me = await this.me();
    return this.exclusive(name, 'deploy', (ctx) => new Deployer(target, this.images, me, this.now, undefined, this.openSecrets).deploy(env, ctx));
  }

  /** What a deploy would do now (the deploy's own plan); nothing changes. Refused like a deploy for another installation's environment. */
  async plan(name: string): Promise<DeployPlan> {
    const env = await this.get(name);
    return new Deployer(await this.target(env), this.images, await this.me(), this.now, undefined, this.openSecrets).plan(env);
  }

  /** `destroyed` runs inside the task once everything is gone, never after a failure or a cancel. */
  async destroy(name: string, destroyed?: () => Promise<void>): Promise<Task> {
    const env = await this.get(name);
    const target = await this.target(env);
    const me = await this.me();
    return this.exclusive(name, 'destroy', async (ctx) => {
      const message = await destroyEnvironment(target.docker, name, ctx, me);
      await destroyed?.();
      return message;
    });
  }

  async status(name: string): Promise<EnvironmentStatus> {
    const env = await this.get(name);
    return new Inspector(await this.target(env)).status(env, await this.me());
  }

  /** Stops or starts one demo backend's container: the tutorial's failover drill. */
  async setServerRunning(envName: string, server: string, running: boolean): Promise<ContainerStatus> {
    const env = await this.get(envName);
    const s = env.servers.find((x) => x.name === server);
    if (!s) throw new SwitchyardError('NOT_FOUND', `"${envName}" has no server named "${server}"`, { field: 'server' });
    if (s.kind === 'external') {
      throw new SwitchyardError('VALIDATION', `"${server}" is an external server: Switchyard does not run its container`, { field: 'server' });
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
      if (isNotFound(err)) throw new SwitchyardError('NOT_FOUND', `"${server}" has no container yet: deploy "${envName}" first`, { field: 'server' });
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
    if (!env) throw new SwitchyardError('NOT_FOUND', `There is no environment named "${envName}"`, { field: 'environment' });
    const s = env.servers.find((x) => x.name === server);
    if (!s) throw new SwitchyardError('NOT_FOUND', `"${envName}" has no server named "${server}"`, { field: 'server' });
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

  /** Where an environment runs. */
  async target(env: Env): Promise<Target> {
    return this.targetFor(env.host);
  }

  /** Deploys inside another task (the caller holds the environment's lock). */
  async deployWithin(env: Env, ctx: TaskContext, how?: DeployOptions): Promise<Message> {
    return new Deployer(await this.target(env), this.images, await this.me(), this.now, undefined, this.openSecrets).deploy(env, ctx, how);
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

function checkPortClaim(others: Env[], env: Env): void {
  const clash = others.find((e) => e.host === env.host && e.httpPort === env.httpPort);
  if (clash) {
    throw SwitchyardError.because('PORT_IN_USE', 'environment', { port: env.httpPort, holder: clash.name }, { field: 'httpPort' });
  }
}

/** An environment with a checked patch applied: nested settings merge, `servers` and `https` are replaced whole. */
function applyPatch(cur: Env, p: EnvironmentPatch, now: Date): Env {
  const merged = {
    ...cur,
    ...p,
    sticky: { ...cur.sticky, ...p.sticky },
    healthCheck: { ...cur.healthCheck, ...p.healthCheck },
    timeouts: { ...cur.timeouts, ...p.timeouts },
    images: { ...cur.images, ...p.images },
    servers: p.servers ?? cur.servers,
    updatedAt: now.toISOString(),
  };
  return parseOrThrow(Environment, merged, 'patch');
}
