import { createHash } from 'node:crypto';
import http from 'node:http';
import type Docker from 'dockerode';
import type { Environment } from '../../../shared/model';
import { SwitchyardError } from '../../../shared/errors';
import { renderConfig } from '../haproxy/render';
import type { TaskContext } from '../tasks/task-manager';
import { dockerError, isNotFound, putFile } from '../targets/docker-util';
import type { Target } from '../targets/target';
import {
  createHaproxy,
  currentConfig,
  errorText,
  haproxyCreateOptions,
  isPortConflict,
  portInUse,
  reload,
  applyServerStates,
  saveServerState,
  validateInPlace,
  validateInThrowaway,
  waitReady,
  type HaproxySpec,
} from './haproxy-container';
import type { ImageService } from './images';
import { acquireHostLock } from './host-lock';
import { DEMO_BACKEND_PORT, EDGE_NETWORK, HAPROXY_CONFIG_DIR, LABEL_APP, LABEL_ROLE, LABEL_SERVER, LABEL_SPEC, envFilter, labelsFor, names, type Owner } from './naming';
import { hasCertificate, networkFacts, type NetworkFacts } from './network-facts';
import { claimOf, isForeign, ownedElsewhere, writeDeed } from './ownership';

export interface DeployOptions {
  /** Take the environment over from the installation that manages it (a confirmed adoption). */
  adopt?: boolean;
}

type Undo = () => Promise<unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);

/**
 * Deploy is a reconcile: it compares what the model wants with what Docker has (found by
 * labels) and changes only the difference. What a failed run created is removed again, and
 * the load balancer is only touched once its new config has passed `haproxy -c`, so a
 * failure leaves the previous working setup serving.
 */
export class Deployer {
  constructor(
    private readonly target: Target,
    private readonly images: ImageService,
    /** The installation deploying: named by every resource it creates and by the deed. */
    private readonly me: Owner,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get docker(): Docker {
    return this.target.docker;
  }

  async deploy(env: Environment, ctx: TaskContext, how: DeployOptions = {}): Promise<string> {
    const undo: Undo[] = [];
    const changes: string[] = [];
    let unlock: (() => Promise<void>) | undefined;
    try {
      ctx.step('images', 5, 'Checking images');
      const haproxyImageId = await this.images.ensureImage(this.docker, env.images.haproxy, 'images.haproxy', (l) => ctx.note(l), this.target.hostId);
      const demo = env.servers.some((s) => s.kind === 'demo')
        ? await this.images.ensureDemoImage(this.docker, env.images.demoBase, (l) => ctx.note(l))
        : undefined;
      ctx.checkCancelled();

      // Held on the engine from here to the end: another installation's deploy of the same
      // environment waits for nothing and interleaves with nothing; it is refused.
      unlock = await acquireHostLock(this.docker, env.name, this.me, env.images.haproxy, this.now);
      const claim = await claimOf(this.docker, env.name);
      if (isForeign(claim, this.me) && !how.adopt) throw ownedElsewhere(env.name, claim.owner);

      ctx.step('ports', 20, `Checking that port ${env.httpPort} is free`);
      const existing = await this.containers(env.name);
      const lb = existing.find((c) => c.Labels[LABEL_ROLE] === 'haproxy' && c.Names.includes(`/${names.haproxy(env.name)}`));
      await this.checkPort(env, lb);

      ctx.step('network', 25, 'Preparing networks and volume');
      const facts = await this.ensureNetworks(env.name, undo, changes);
      ctx.checkCancelled();

      ctx.step('config', 35, 'Rendering and checking the HAProxy configuration');
      if (lb) facts.certificate = await hasCertificate(this.docker, lb.Id);
      const config = renderConfig(env, facts);
      const spec: HaproxySpec = { env: env.name, image: env.images.haproxy, imageId: haproxyImageId, httpPort: env.httpPort };
      if (env.https?.enabled) spec.httpsPort = env.https.httpsPort;
      const specHash = hash(spec);
      const plan = await this.planHaproxy(lb, specHash, config);
      // Checked before any container changes, so a refused config changes nothing at all.
      if (plan === 'reload') await validateInPlace(this.docker, this.docker.getContainer(lb!.Id), config);
      if (plan === 'recreate' || plan === 'restart') await validateInThrowaway(this.docker, env.images.haproxy, env.name, config, this.me);
      ctx.checkCancelled();

      ctx.step('backends', 50, 'Starting backend containers');
      const name = names.haproxy(env.name);
      const opts = haproxyCreateOptions(spec, name, specHash, this.me);
      // A new load balancer is prepared while the backends start; it starts once they run,
      // so their names resolve from its first second.
      const prepared =
        plan === 'create'
          ? createHaproxy(this.docker, env.name, opts, config).then((c) => {
              undo.push(() => c.remove({ force: true }));
              return c;
            })
          : undefined;
      const demoServers = env.servers.filter((s) => s.kind === 'demo');
      const [results] = await Promise.all([
        Promise.all(demoServers.map((s) => this.ensureBackend(env, s.name, demo!, existing, undo))),
        prepared,
      ]);
      results.forEach((r, i) => r !== 'unchanged' && changes.push(`${r} ${names.backend(env.name, demoServers[i].name)}`));
      ctx.checkCancelled();

      ctx.step('haproxy', 75, plan === 'unchanged' ? 'Load balancer is up to date' : `Load balancer: ${plan}`);
      if (plan === 'create') {
        const c = (await prepared)!;
        await this.startMapped(c, env);
        await waitReady(this.target, c, env.name);
        changes.push(`created ${name}`);
      } else if (plan === 'recreate') {
        await this.replaceHaproxy(env, lb!, opts, config);
        changes.push(`recreated ${name}`);
      } else if (plan === 'restart') {
        const c = this.docker.getContainer(lb!.Id);
        await putFile(c, HAPROXY_CONFIG_DIR, 'haproxy.cfg', config);
        await this.startMapped(c, env);
        await waitReady(this.target, c, env.name);
        changes.push(`started ${name}`);
      } else if (plan === 'reload') {
        await reload(this.target, this.docker.getContainer(lb!.Id), env.name, config);
        changes.push(`reloaded ${name}`);
      } else {
        const c = this.docker.getContainer(lb!.Id);
        if (lb!.State !== 'running') {
          await this.startMapped(c, env);
          changes.push(`started ${name}`);
        }
        await waitReady(this.target, c, env.name);
      }
      // From here on the new setup serves: nothing to roll back.
      undo.length = 0;
      // Rewritten on every deploy: it claims the environment once this installation's load
      // balancer serves, and keeps the settings an adopter would start from up to date.
      await writeDeed(this.docker.getContainer(name), this.me, env, this.now());
      if (claim.kind === 'unclaimed') changes.push('claimed for this Switchyard');
      if (isForeign(claim, this.me)) changes.push(`taken over from ${claim.owner.by}`);
      await applyServerStates(await waitReady(this.target, this.docker.getContainer(name), env.name), env);

      ctx.step('cleanup', 90, 'Removing what the environment no longer has');
      const wanted = new Set(demoServers.map((s) => s.name));
      const stale = existing.filter((c) => {
        const role = c.Labels[LABEL_ROLE];
        return (role === 'backend' && !wanted.has(c.Labels[LABEL_SERVER])) || role === 'config-check' || c.Names.includes(`/${name}-next`);
      });
      // The old HAProxy process may still be finishing requests on a server just taken out of
      // the config: give them a moment before its container goes.
      if (stale.some((c) => c.Labels[LABEL_ROLE] === 'backend' && c.State === 'running') && plan !== 'create') await sleep(1000);
      for (const c of stale) {
        {
          await this.docker.getContainer(c.Id).remove({ force: true }).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
          changes.push(`removed ${c.Names[0]?.slice(1)}`);
        }
      }

      ctx.step('verify', 95, `Waiting for http://${this.target.publicHost}:${env.httpPort}/ to answer`);
      const status = await this.waitHttp(env.httpPort);
      const url = `http://${this.target.publicHost}:${env.httpPort}/`;
      const what = changes.length ? changes.join(', ') : 'nothing to change';
      return `${env.name} is up at ${url} (HTTP ${status}; ${what})`;
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => undefined);
      if (err instanceof SwitchyardError) throw err;
      throw dockerError(err, `deploying ${env.name}`);
    } finally {
      await unlock?.();
    }
  }

  private async containers(env: string): Promise<Docker.ContainerInfo[]> {
    try {
      return await this.docker.listContainers({ all: true, filters: envFilter(env) });
    } catch (err) {
      throw dockerError(err, 'listing containers');
    }
  }

  /** Refuses early, before anything is created, when another container or program holds the port. */
  private async checkPort(env: Environment, lb: Docker.ContainerInfo | undefined): Promise<void> {
    const ours = lb?.Ports.some((p) => p.PublicPort === env.httpPort);
    if (ours) return;
    const holders = await this.docker.listContainers({ filters: { publish: [String(env.httpPort)] } });
    if (holders.length) throw portInUse(env.httpPort, holders[0].Names[0]?.slice(1));
    if (!(await this.target.isPortFree(env.httpPort))) throw portInUse(env.httpPort);
  }

  /** The environment's backend network and volume, and the shared edge network. */
  private async ensureNetworks(env: string, undo: Undo[], changes: string[]): Promise<NetworkFacts> {
    const volume = names.stateVolume(env);
    const ensureVolume = async () => {
      try {
        await this.docker.getVolume(volume).inspect();
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await this.docker.createVolume({ Name: volume, Labels: labelsFor(this.me, env, 'state') });
        undo.push(() => this.docker.getVolume(volume).remove());
        changes.push(`created volume ${volume}`);
      }
    };
    const [backend, edge] = await Promise.all([
      this.ensureNetwork(names.backendNetwork(env), { internal: true, labels: labelsFor(this.me, env, 'backends') }, undo, changes),
      // Shared by every environment and never rolled back: another deploy may be using it.
      this.ensureNetwork(EDGE_NETWORK, { internal: false, labels: { [LABEL_APP]: 'switchyard', [LABEL_ROLE]: 'edge' } }, [], changes),
      ensureVolume(),
    ]);
    return networkFacts(backend, edge);
  }

  private async ensureNetwork(
    name: string,
    opts: { internal: boolean; labels: Record<string, string> },
    undo: Undo[],
    changes: string[],
  ): Promise<Docker.NetworkInspectInfo> {
    const net = this.docker.getNetwork(name);
    try {
      return await net.inspect();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      await this.docker.createNetwork({ Name: name, Driver: 'bridge', Internal: opts.internal, CheckDuplicate: true, Labels: opts.labels });
    } catch (err) {
      // Two deploys may race to create the shared edge network; the loser uses the winner's.
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
      return net.inspect();
    }
    undo.push(() => net.remove());
    changes.push(`created network ${name}`);
    return net.inspect();
  }

  private async ensureBackend(
    env: Environment,
    server: string,
    demo: { tag: string; id: string },
    existing: Docker.ContainerInfo[],
    undo: Undo[],
  ): Promise<'created' | 'recreated' | 'started' | 'unchanged'> {
    const name = names.backend(env.name, server);
    const network = names.backendNetwork(env.name);
    const spec = { image: demo.id, server, network, port: DEMO_BACKEND_PORT };
    const specHash = hash(spec);
    const found = existing.find((c) => c.Names.includes(`/${name}`));
    if (found && found.Labels[LABEL_SPEC] === specHash) {
      if (found.State === 'running') return 'unchanged';
      await this.docker.getContainer(found.Id).start();
      return 'started';
    }
    if (found) await this.docker.getContainer(found.Id).remove({ force: true });
    const c = await this.docker.createContainer({
      name,
      Image: demo.tag,
      Env: [`BACKEND_NAME=${server}`, `PORT=${DEMO_BACKEND_PORT}`],
      Labels: labelsFor(this.me, env.name, 'backend', { [LABEL_SERVER]: server, [LABEL_SPEC]: specHash }),
      HostConfig: { NetworkMode: network, RestartPolicy: { Name: 'unless-stopped' } },
      NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [server] } } },
    });
    if (!found) undo.push(() => c.remove({ force: true }));
    await c.start();
    return found ? 'recreated' : 'created';
  }

  private async planHaproxy(
    lb: Docker.ContainerInfo | undefined,
    specHash: string,
    config: string,
  ): Promise<'create' | 'recreate' | 'restart' | 'reload' | 'unchanged'> {
    if (!lb) return 'create';
    if (lb.Labels[LABEL_SPEC] !== specHash) return 'recreate';
    const running = (await currentConfig(this.docker.getContainer(lb.Id))) ?? '';
    if (running === config) return 'unchanged';
    return lb.State === 'running' ? 'reload' : 'restart';
  }

  private async startMapped(c: Docker.Container, env: Environment): Promise<void> {
    try {
      await c.start();
    } catch (err) {
      if (isPortConflict(err)) throw portInUse(env.httpPort);
      throw new SwitchyardError('CONTAINER_FAILED', `The load balancer container did not start: ${errorText(err)}`, { cause: err });
    }
  }

  /**
   * A new image or port: start the new container beside the old one and swap names. When both
   * want the same host port, the old one steps aside only for the moment of the start, and
   * comes back if the new one fails.
   */
  private async replaceHaproxy(env: Environment, lb: Docker.ContainerInfo, opts: Docker.ContainerCreateOptions, config: string): Promise<void> {
    const oldC = this.docker.getContainer(lb.Id);
    const nextName = `${opts.name}-next`;
    await this.docker.getContainer(nextName).remove({ force: true }).catch(() => undefined);
    // The new process loads the old one's live server states from the shared volume.
    if (lb.State === 'running') {
      const old = await waitReady(this.target, oldC, env.name, 5000).catch(() => undefined);
      if (old) await saveServerState(old, oldC);
    }
    const next = await createHaproxy(this.docker, env.name, { ...opts, name: nextName }, config);
    let stoppedOld = false;
    try {
      try {
        await next.start();
      } catch (err) {
        const samePort = lb.Ports.some((p) => p.PublicPort === env.httpPort);
        if (!isPortConflict(err) || !samePort) throw err;
        await oldC.stop({ t: 10 });
        stoppedOld = true;
        await next.start();
      }
      await waitReady(this.target, next, env.name);
    } catch (err) {
      await next.remove({ force: true }).catch(() => undefined);
      if (stoppedOld) await oldC.start().catch(() => undefined);
      if (isPortConflict(err)) throw portInUse(env.httpPort);
      throw err;
    }
    await oldC.remove({ force: true });
    await next.rename({ name: opts.name });
  }

  /** Waits for the front end to answer HTTP (any status: backends may still be starting). */
  private async waitHttp(port: number, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        return await httpStatus(this.target, port);
      } catch (err) {
        last = err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new SwitchyardError('TIMEOUT', `The load balancer does not answer on port ${port}: ${(last as Error)?.message}`);
  }
}

/** One GET / through the target's loopback; resolves with the status code. */
export function httpStatus(target: Target, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        path: '/',
        headers: { host: `localhost:${port}` },
        createConnection: (_opts, cb) => {
          target.connectLoopback(port).then((s) => cb(null, s), (e: Error) => cb(e, undefined as never));
          return undefined;
        },
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}
