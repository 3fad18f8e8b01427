import { promises as fs } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import type { ContainerStatus, EnvironmentStatus, Task, TaskKind } from '../../../shared/contract';
import { SwitchyardError } from '../../../shared/errors';
import { Environment, EnvironmentInput, EnvironmentPatch, parseOrThrow, type Environment as Env } from '../../../shared/model';
import { renderConfig } from '../haproxy/render';
import type { RuntimeApi } from '../haproxy/runtime-api';
import type { Store } from '../store/store';
import type { TaskContext, TaskManager } from '../tasks/task-manager';
import { dockerError, isNotFound } from '../targets/docker-util';
import type { Target } from '../targets/target';
import { Deployer } from './deployer';
import { currentConfig } from './haproxy-container';
import type { ImageService } from './images';
import { Inspector, containerStatus } from './inspector';
import { envFilter, names } from './naming';
import { PREVIEW_FACTS, currentFacts } from './network-facts';
import { destroyEnvironment } from './teardown';

export type TargetResolver = (hostId: string) => Target | Promise<Target>;

/** Environments: the desired state in the store, and the tasks that make Docker match it. */
export class EnvironmentService {
  constructor(
    private readonly store: Store,
    private readonly tasks: TaskManager,
    private readonly images: ImageService,
    private readonly targetFor: TargetResolver,
    private readonly now: () => Date = () => new Date(),
  ) {}

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
    const env = parseOrThrow(Environment, { ...parsed, createdAt: stamp, updatedAt: stamp });
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
    return this.store.update((data) => {
      const i = data.environments.findIndex((e) => e.name === name);
      if (i < 0) throw new SwitchyardError('NOT_FOUND', `There is no environment named "${name}"`, { field: 'name' });
      const env = applyPatch(data.environments[i], p, this.now());
      checkPortClaim(data.environments.filter((_, j) => j !== i), env);
      data.environments[i] = env;
      return env;
    });
  }

  /** The config a patch would render, without saving anything: for a diff before saving. */
  async preview(name: string, patch: EnvironmentPatch): Promise<{ config: string }> {
    const p = parseOrThrow(EnvironmentPatch, patch, 'patch');
    return this.renderFor(applyPatch(await this.get(name), p, this.now()));
  }

  async remove(name: string): Promise<{ removed: true }> {
    const env = await this.get(name);
    const left = await (await this.target(env)).docker.listContainers({ all: true, filters: envFilter(name) }).catch((err) => {
      throw dockerError(err, 'checking for containers');
    });
    if (left.length) {
      throw new SwitchyardError('BUSY', `"${name}" still has ${left.length} containers; destroy it first`, { field: 'name' });
    }
    await this.store.update((data) => {
      data.environments = data.environments.filter((e) => e.name !== name);
    });
    return { removed: true };
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
    return this.exclusive(name, 'deploy', (ctx) => new Deployer(target, this.images).deploy(env, ctx));
  }

  /** `destroyed` runs inside the task once everything is gone, never after a failure or a cancel. */
  async destroy(name: string, destroyed?: () => Promise<void>): Promise<Task> {
    const env = await this.get(name);
    const target = await this.target(env);
    return this.exclusive(name, 'destroy', async (ctx) => {
      const message = await destroyEnvironment(target.docker, name, ctx);
      await destroyed?.();
      return message;
    });
  }

  async status(name: string): Promise<EnvironmentStatus> {
    const env = await this.get(name);
    return new Inspector(await this.target(env)).status(env);
  }

  /** Stops or starts one demo backend's container: the tutorial's failover drill. */
  async setServerRunning(envName: string, server: string, running: boolean): Promise<ContainerStatus> {
    const env = await this.get(envName);
    const s = env.servers.find((x) => x.name === server);
    if (!s) throw new SwitchyardError('NOT_FOUND', `"${envName}" has no server named "${server}"`, { field: 'server' });
    if (s.kind !== 'demo') {
      throw new SwitchyardError('VALIDATION', `"${server}" is an external server: Switchyard does not run its container`, { field: 'server' });
    }
    const docker = (await this.target(env)).docker;
    const c = docker.getContainer(names.backend(envName, server));
    try {
      if (running) await c.start();
      else await c.stop({ t: 5 });
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (isNotFound(err)) throw new SwitchyardError('NOT_FOUND', `"${server}" has no container yet: deploy "${envName}" first`, { field: 'server' });
      if (code !== 304) throw dockerError(err, `${running ? 'starting' : 'stopping'} ${server}`);
    }
    const [info] = await docker.listContainers({ all: true, filters: { name: [`^/${names.backend(envName, server)}$`] } });
    return containerStatus(info);
  }

  /** Saves a server's state and/or weight in the model. */
  async saveServer(envName: string, server: string, change: { state?: Env['servers'][number]['state']; weight?: number }): Promise<Env> {
    return this.store.update((data) => {
      const env = data.environments.find((e) => e.name === envName);
      if (!env) throw new SwitchyardError('NOT_FOUND', `There is no environment named "${envName}"`, { field: 'environment' });
      const s = env.servers.find((x) => x.name === server);
      if (!s) throw new SwitchyardError('NOT_FOUND', `"${envName}" has no server named "${server}"`, { field: 'server' });
      if (change.state !== undefined) s.state = change.state;
      if (change.weight !== undefined) s.weight = change.weight;
      env.updatedAt = this.now().toISOString();
      return env;
    });
  }

  /** The runtime API of an environment's running load balancer, or undefined. */
  async runtimeApi(name: string | Env): Promise<RuntimeApi | undefined> {
    const env = typeof name === 'string' ? (await this.list()).find((e) => e.name === name) : name;
    return env ? new Inspector(await this.target(env)).runtimeApi(env.name) : undefined;
  }

  /** Where an environment runs. */
  async target(env: Env): Promise<Target> {
    return this.targetFor(env.host);
  }

  /** Deploys inside another task (the caller holds the environment's lock). */
  async deployWithin(env: Env, ctx: TaskContext): Promise<string> {
    return new Deployer(await this.target(env), this.images).deploy(env, ctx);
  }

  /** One deploy, destroy or certificate order per environment at a time, across processes (the app and the CLI). */
  async exclusive(name: string, kind: TaskKind, run: Parameters<TaskManager['start']>[2]): Promise<Task> {
    const dir = path.join(this.store.dataDir, 'locks');
    await fs.mkdir(dir, { recursive: true });
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(path.join(dir, name), { realpath: false, stale: 15_000, update: 5_000 });
    } catch {
      throw new SwitchyardError('BUSY', `A deploy or destroy of "${name}" is already running; wait for it to finish`, { field: 'name' });
    }
    return this.tasks.start(kind, name, async (ctx) => {
      try {
        return await run(ctx);
      } finally {
        await release().catch(() => undefined);
      }
    });
  }
}

function checkPortClaim(others: Env[], env: Env): void {
  const clash = others.find((e) => e.host === env.host && e.httpPort === env.httpPort);
  if (clash) {
    throw new SwitchyardError('PORT_IN_USE', `Port ${env.httpPort} is already used by the environment "${clash.name}" on the same host`, { field: 'httpPort' });
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
