import { createHash } from 'node:crypto';
import http from 'node:http';
import type Docker from 'dockerode';
import type { DeployPlan, PlannedContainer } from '../../../shared/contract';
import { expandFor, type App } from '../../../shared/apps';
import type { Environment } from '../../../shared/model';
import { appImageTag, ensureAppImage } from '../apps/app-image';
import { SwitchyardError } from '../../../shared/errors';
import { msg, type Message } from '../../../shared/messages';
import { renderConfig } from '../haproxy/render';
import type { RuntimeApi } from '../haproxy/runtime-api';
import { passedCheck } from '../haproxy/server-health';
import type { StatRow } from '../haproxy/stat-csv';
import type { TaskContext } from '../tasks/task-manager';
import { dockerError, isNotFound, putFile } from '../targets/docker-util';
import type { Target } from '../targets/target';
import {
  createHaproxy,
  currentConfig,
  errorText,
  haproxyCreateOptions,
  isPortConflict,
  joinEdge,
  lastLines,
  logsOf,
  onEdge,
  startsOnEdge,
  portHolder,
  portInUse,
  conflictOf,
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
import {
  BACKEND_NAME,
  DEMO_BACKEND_PORT,
  EDGE_NETWORK,
  HAPROXY_CONFIG_DIR,
  HAPROXY_HTTPS_PORT,
  LABEL_APP,
  LABEL_ROLE,
  LABEL_SERVER,
  LABEL_SPEC,
  envFilter,
  labelsFor,
  names,
  type Owner,
} from './naming';
import { PREVIEW_FACTS, currentFacts, hasCertificate, networkFacts, type NetworkFacts } from './network-facts';
import { planDeploy, type ContainerFact } from './deploy-plan';
import { claimOf, isForeign, ownedElsewhere, writeDeed } from './ownership';
import {
  applyBackendService,
  backendServiceSpec,
  backendSpecHash,
  distributeImage,
  removeService,
  serviceChange,
  serviceTasks,
  waitTasks,
  waitUpdate,
  type BackendImage,
} from '../clusters/swarm-backend';

/**
 * Where a cluster environment's backend runs: the manager of its Swarm (services, the overlay
 * network, images built there) and the other nodes Switchyard reaches (images copied there).
 * The deployer's own target is then the load balancer's node.
 */
export interface ClusterTargets {
  manager: Target;
  nodes: { name: string; docker: Docker }[];
}

export interface DeployOptions {
  /** Take the environment over from the installation that manages it (a confirmed adoption). */
  adopt?: boolean;
  /** Told the config the load balancer serves, once the new setup serves (what the config history keeps). */
  served?: (config: string) => void;
}

type Undo = () => Promise<unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);

/** How long a deploy waits for what takes time on a real engine; tests against a fake one shorten them. */
export interface DeployTimings {
  /** For a load balancer's runtime API to answer. */
  readyMs: number;
  /** How long a deploy that started app replicas waits for one of them to pass its health check. */
  appHealthMs?: number;
  /** For the front end to answer HTTP. */
  httpMs: number;
  /** For an old HAProxy process to finish requests on a server just taken out of its config. */
  drainMs: number;
}

/** The longest an app may take to pass its first health check after a deploy started it (a release's default health timeout). */
const APP_HEALTH_MS = 60_000;

export const DEPLOY_TIMINGS: DeployTimings = { readyMs: 20_000, httpMs: 20_000, drainMs: 1000 };

/**
 * What the load balancer is created from; its hash decides whether it must be recreated.
 * The HTTPS port is published while HTTPS is on. While it is off, the port the environment
 * keeps for it is published too, so that switching HTTPS on reloads the load balancer instead
 * of replacing it; but a kept port never costs anything: a load balancer made without it is not
 * replaced to add it, and one taken on the host is left out (`free` says which are).
 */
async function haproxySpec(env: Environment, imageId: string, lb: Docker.ContainerInfo | undefined, free: (port: number) => Promise<boolean>): Promise<HaproxySpec> {
  const spec: HaproxySpec = { env: env.name, image: env.images.haproxy, imageId, httpPort: env.httpPort };
  const https = env.https;
  if (!https) return spec;
  if (https.enabled || (lb && publishedPort(lb, HAPROXY_HTTPS_PORT) === https.httpsPort)) return { ...spec, httpsPort: https.httpsPort };
  if (lb?.Labels[LABEL_SPEC] === hash(spec)) return spec;
  return (await free(https.httpsPort)) ? { ...spec, httpsPort: https.httpsPort } : spec;
}

const publishedPort = (c: Docker.ContainerInfo, inner: number) => c.Ports?.find((p) => p.PrivatePort === inner && p.PublicPort)?.PublicPort;

/**
 * The backends a deploy runs (demo servers and the app's replicas), each with the hash of what
 * its container is created from. An app's secret variables count by their sealed references:
 * a new value is a new reference, so its replicas are recreated, and no value is ever hashed.
 */
export function backendSpecs(env: Environment, demoImageId: string | undefined, appImageId: string | undefined): { server: string; specHash: string }[] {
  // On a cluster the backend is a service, not containers (clusters/swarm-backend.ts).
  if (env.cluster) return [];
  const network = names.backendNetwork(env.name);
  return env.servers
    .filter((s) => s.kind !== 'external')
    .map((s) => {
      if (s.kind === 'demo') return { server: s.name, specHash: hash({ image: demoImageId, server: s.name, network, port: DEMO_BACKEND_PORT }) };
      const app = env.app!;
      const spec = { image: appImageId, server: s.name, network, port: app.port, env: appEnv(env, s.name), secrets: app.secrets, command: app.command, memoryMb: app.memoryMb, cpus: app.cpus };
      return { server: s.name, specHash: hash(spec) };
    });
}

/** A replica's variables, `{{server}}` and `{{index}}` expanded (index: 1-based among the app's servers). */
function appEnv(env: Environment, server: string): string[] {
  const index = env.servers.filter((s) => s.kind === 'app').findIndex((s) => s.name === server) + 1;
  return (env.app?.env ?? []).map((v) => `${v.name}=${expandFor(v.value, server, index)}`);
}

const factOf = (c: Docker.ContainerInfo): ContainerFact => ({
  name: c.Names[0]?.slice(1) ?? c.Id,
  role: c.Labels[LABEL_ROLE],
  server: c.Labels[LABEL_SERVER],
  spec: c.Labels[LABEL_SPEC],
  state: c.State,
  published: Object.fromEntries((c.Ports ?? []).filter((p) => p.PublicPort).map((p) => [p.PrivatePort, p.PublicPort])),
});

/** The host ports the load balancer must publish. */
const portsOf = (spec: HaproxySpec) => ({ http: spec.httpPort, ...(spec.httpsPort !== undefined ? { https: spec.httpsPort } : {}) });

const loadBalancerOf = (existing: Docker.ContainerInfo[], env: string) => existing.find((c) => c.Labels[LABEL_ROLE] === 'haproxy' && c.Names.includes(`/${names.haproxy(env)}`));

const CHANGE_OF = { create: 'change.created', recreate: 'change.recreated', start: 'change.started' } as const;

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
    private readonly timings: DeployTimings = DEPLOY_TIMINGS,
    /** An app's secret values, opened only to create its containers. */
    private readonly secretsOf: (app: App) => Promise<Record<string, string>> = async (app) => {
      if (app.secrets.length) throw new SwitchyardError('INTERNAL', 'No secret store to open the app’s secret variables from');
      return {};
    },
    /** Set for an environment on a cluster. */
    private readonly cluster?: ClusterTargets,
  ) {}

  /** The engine the backends are made on: the cluster's manager, or the target itself. */
  private get backendDocker(): Docker {
    return this.cluster?.manager.docker ?? this.target.docker;
  }

  private get docker(): Docker {
    return this.target.docker;
  }

  async deploy(env: Environment, ctx: TaskContext, how: DeployOptions = {}): Promise<Message> {
    const undo: Undo[] = [];
    const changes: Message[] = [];
    let unlock: (() => Promise<void>) | undefined;
    try {
      ctx.step('images', 5, msg('deploy.images'));
      const haproxyImageId = await this.images.ensureImage(this.docker, env.images.haproxy, 'images.haproxy', (l) => ctx.note(l), this.target.hostId);
      const demo = env.servers.some((s) => s.kind === 'demo') ? await this.images.ensureDemoImage(this.backendDocker, env.images.demoBase, (l) => ctx.note(l)) : undefined;
      const appImage =
        env.app && env.servers.some((s) => s.kind === 'app')
          ? await ensureAppImage(this.backendDocker, this.images, env.name, env.app, this.cluster?.manager.hostId ?? this.target.hostId, (l) => ctx.note(l))
          : undefined;
      const serviceImage = demo ? { ref: demo.tag, id: demo.id } : appImage;
      if (this.cluster && serviceImage) await distributeImage(this.backendDocker, serviceImage.ref, serviceImage.id, this.cluster.nodes, (l) => ctx.note(l));
      ctx.checkCancelled();

      // Held on the engine from here to the end: another installation's deploy of the same
      // environment waits for nothing and interleaves with nothing; it is refused.
      unlock = await acquireHostLock(this.docker, env.name, this.me, env.images.haproxy, this.now);
      const claim = await claimOf(this.docker, env.name);
      if (isForeign(claim, this.me) && !how.adopt) throw ownedElsewhere(env.name, claim.owner);

      ctx.step('ports', 20, msg('deploy.ports', { port: env.httpPort }));
      const existing = await this.containers(env.name);
      const lb = loadBalancerOf(existing, env.name);
      const spec = await haproxySpec(env, haproxyImageId, lb, (port) => this.portFree(env.name, port));
      await this.checkPort(env.name, spec);

      ctx.step('network', 25, msg('deploy.network'));
      const { facts, freshVolume } = await this.ensureNetworks(env.name, undo, changes, env.cluster !== undefined);
      ctx.checkCancelled();

      ctx.step('config', 35, msg('deploy.config'));
      if (lb) facts.certificate = await hasCertificate(this.docker, lb.Id);
      const config = renderConfig(env, facts);
      const specHash = hash(spec);
      const backends = backendSpecs(env, demo?.id, appImage?.id);
      const secretValues = appImage && env.app ? await this.secretsOf(env.app) : {};
      const plan = planDeploy({
        environment: env.name,
        haproxy: { specHash, config, ports: portsOf(spec) },
        backends,
        existing: existing.map(factOf),
        runningConfig: lb ? await currentConfig(this.docker.getContainer(lb.Id)) : undefined,
      });
      const action = plan.haproxy.action;
      // Checked before any container changes, so a refused config changes nothing at all.
      if (action === 'reload') await validateInPlace(this.docker, this.docker.getContainer(lb!.Id), config);
      if (action === 'recreate' || action === 'restart') await validateInThrowaway(this.docker, env.images.haproxy, env.name, config, this.me);
      ctx.checkCancelled();

      ctx.step('backends', 50, msg('deploy.backends'));
      const name = names.haproxy(env.name);
      const opts = haproxyCreateOptions(spec, name, specHash, this.me);
      // A new load balancer is prepared while the backends start; it starts once they run,
      // so their names resolve from its first second.
      const prepared =
        action === 'create'
          ? createHaproxy(this.docker, env, opts, config, freshVolume).then((c) => {
              undo.push(() => c.remove({ force: true }));
              return c;
            })
          : undefined;
      const running = plan.containers.filter((c) => c.role === 'backend' && c.action !== 'remove');
      // Settled, not raced: a rollback must wait for every container still being created, or
      // one finishing after it would be left behind.
      const settled = await Promise.allSettled([
        ...running.map((c) => this.applyBackend(env, c, backends.find((b) => b.server === c.server)!.specHash, { demo, app: appImage, secretValues }, existing, undo)),
        prepared,
      ]);
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      if (this.cluster && serviceImage) changes.push(...(await this.applyService(env, serviceImage, secretValues, ctx, undo)));
      for (const c of running) if (c.action !== 'unchanged' && c.action !== 'remove') changes.push(msg(CHANGE_OF[c.action], { name: c.name }));
      ctx.checkCancelled();

      ctx.step('haproxy', 75, action === 'unchanged' ? msg('deploy.haproxyUnchanged') : msg('deploy.haproxy', { action: msg(`action.${action}`) }));
      if (action === 'create') {
        let c = (await prepared)!;
        try {
          await this.startMapped(c, env);
        } catch (err) {
          // The port kept for HTTPS (off) was taken since it was found free: made without it.
          if (!(spec.httpsPort !== undefined && !env.https?.enabled && err instanceof SwitchyardError && err.field === 'https.httpsPort')) throw err;
          await c.remove({ force: true });
          const bare: HaproxySpec = { ...spec, httpsPort: undefined };
          c = await createHaproxy(this.docker, env, haproxyCreateOptions(bare, name, hash(bare), this.me), config);
          const made = c;
          undo.push(() => made.remove({ force: true }));
          await this.startMapped(c, env);
        }
        await waitReady(this.target, c, env.name, this.timings.readyMs);
        changes.push(msg('change.created', { name }));
      } else if (action === 'recreate') {
        await this.replaceHaproxy(env, lb!, opts, config, Object.values(portsOf(spec)));
        changes.push(msg('change.recreated', { name }));
      } else if (action === 'restart') {
        const c = this.docker.getContainer(lb!.Id);
        await putFile(c, HAPROXY_CONFIG_DIR, 'haproxy.cfg', config);
        await this.startMapped(c, env);
        await waitReady(this.target, c, env.name, this.timings.readyMs);
        changes.push(msg('change.started', { name }));
      } else if (action === 'reload') {
        await reload(this.target, this.docker.getContainer(lb!.Id), env.name, config);
        changes.push(msg('change.reloaded', { name }));
      } else {
        const c = this.docker.getContainer(lb!.Id);
        if (action === 'start') {
          await this.startMapped(c, env);
          changes.push(msg('change.started', { name }));
        }
        await waitReady(this.target, c, env.name, this.timings.readyMs);
      }
      // From here on the new setup serves: nothing to roll back.
      undo.length = 0;
      how.served?.(config);
      // Rewritten on every deploy: it claims the environment once this installation's load
      // balancer serves, and keeps the settings an adopter would start from up to date.
      // Written while the servers' states are applied: both are done before the deploy succeeds.
      const [api] = await Promise.all([
        waitReady(this.target, this.docker.getContainer(name), env.name, this.timings.readyMs).then(async (ready) => {
          await applyServerStates(ready, env);
          return ready;
        }),
        writeDeed(this.docker.getContainer(name), this.me, env, this.now()),
      ]);
      if (claim.kind === 'unclaimed') changes.push(msg('change.claimed'));
      if (isForeign(claim, this.me)) changes.push(msg('change.takenOver', { by: claim.owner.by }));

      ctx.step('cleanup', 90, msg('deploy.cleanup'));
      const stale = plan.containers.filter((c) => c.action === 'remove').map((c) => ({ planned: c, info: existing.find((e) => factOf(e).name === c.name)! }));
      // The old HAProxy process may still be finishing requests on a server just taken out of
      // the config: give them a moment before its container goes.
      if (stale.some((c) => c.planned.role === 'backend' && c.info.State === 'running') && action !== 'create') await sleep(this.timings.drainMs);
      for (const { planned, info } of stale) {
        await this.docker
          .getContainer(info.Id)
          .remove({ force: true })
          .catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
        changes.push(msg('change.removed', { name: planned.name }));
      }

      const url = `http://${this.target.publicHost}:${env.httpPort}/`;
      ctx.step('verify', 95, msg('deploy.verify', { url }));
      const status = await this.waitHttp(env.httpPort, this.timings.httpMs);
      // App replicas this deploy started must show they work: a deploy whose app never passes its
      // check fails, naming the checks and the app's last lines (it stays deployed, to be fixed).
      const apps = env.servers.filter((s) => s.kind === 'app' && s.state !== 'maint').map((s) => s.name);
      const started = running.some((c) => c.server && apps.includes(c.server) && c.action !== 'unchanged');
      if (!this.cluster && apps.length && started) {
        ctx.step('health', 97, msg('deploy.appHealth', { check: env.healthCheck.type === 'http' ? `${env.healthCheck.path} → ${env.healthCheck.expectStatus}` : 'TCP' }));
        await this.waitAppHealthy(env, api, apps);
      }
      return changes.length ? msg('deploy.up', { env: env.name, url, status, changes }) : msg('deploy.upUnchanged', { env: env.name, url, status });
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => undefined);
      if (err instanceof SwitchyardError) throw err;
      throw dockerError(err, `deploying ${env.name}`);
    } finally {
      await unlock?.();
    }
  }

  /**
   * What a deploy would do now, by the same plan the deploy follows; nothing is pulled, built,
   * created or changed. Refused, like a deploy, when another installation manages the environment.
   */
  async plan(env: Environment): Promise<DeployPlan> {
    try {
      const claim = await claimOf(this.docker, env.name);
      if (isForeign(claim, this.me)) throw ownedElsewhere(env.name, claim.owner);
      const needsDemo = env.servers.some((s) => s.kind === 'demo');
      const demoTag = needsDemo ? (await this.images.demoImage(env.images.demoBase)).tag : undefined;
      // A build's image is known once built: the plan compares with the last one built here.
      const appRef = env.app && env.servers.some((s) => s.kind === 'app') ? (env.app.source.kind === 'image' ? env.app.source.image : appImageTag(env.name)) : undefined;
      const [existing, haproxyImageId, demoImageId, appImageId, facts] = await Promise.all([
        this.containers(env.name),
        this.imageId(env.images.haproxy),
        demoTag ? this.imageId(demoTag) : undefined,
        appRef ? this.imageId(appRef) : undefined,
        currentFacts(this.docker, env.name),
      ]);
      const lb = loadBalancerOf(existing, env.name);
      const spec = await haproxySpec(env, haproxyImageId ?? '', lb, (port) => this.portFree(env.name, port));
      const images: DeployPlan['images'] = [{ ref: env.images.haproxy, role: 'haproxy', present: haproxyImageId !== undefined }];
      if (demoTag) images.push({ ref: demoTag, role: 'demo', present: demoImageId !== undefined });
      if (appRef) images.push({ ref: appRef, role: 'app', present: appImageId !== undefined });
      return planDeploy({
        environment: env.name,
        // An image still to be pulled has no id yet: the plan then says the container is recreated.
        haproxy: { specHash: hash(spec), config: renderConfig(env, facts ?? PREVIEW_FACTS), ports: portsOf(spec) },
        backends: backendSpecs(env, demoImageId ?? '', appImageId ?? ''),
        existing: existing.map(factOf),
        runningConfig: lb ? await currentConfig(this.docker.getContainer(lb.Id)) : undefined,
        images,
      });
    } catch (err) {
      throw dockerError(err, `planning a deploy of ${env.name}`);
    }
  }

  private async imageId(ref: string): Promise<string | undefined> {
    try {
      return (await this.docker.getImage(ref).inspect()).Id;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
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
  private async checkPort(envName: string, spec: HaproxySpec): Promise<void> {
    const wanted = [{ port: spec.httpPort, field: 'httpPort' }, ...(spec.httpsPort !== undefined ? [{ port: spec.httpsPort, field: 'https.httpsPort' }] : [])];
    for (const { port, field } of wanted) {
      const holder = await portHolder(this.target, envName, port);
      if (holder !== null) throw portInUse(port, holder || undefined, field);
    }
  }

  /** Nothing on the host holds `port` (the environment's own load balancer aside). */
  private async portFree(envName: string, port: number): Promise<boolean> {
    return (await portHolder(this.target, envName, port)) === null;
  }

  /**
   * A cluster environment's service, created or brought to the model (a rolling update when its
   * spec changed, a scale when only the replicas did); resolves once its tasks run.
   */
  private async applyService(env: Environment, image: BackendImage, secretValues: Record<string, string>, ctx: TaskContext, undo: Undo[]): Promise<Message[]> {
    const docker = this.backendDocker;
    const cluster = env.cluster!;
    const network = names.backendNetwork(env.name);
    const specHash = backendSpecHash(env, image, env.app?.secrets.map((s) => s.ref) ?? []);
    const spec = backendServiceSpec(env, image, secretValues, specHash, this.me);
    ctx.note(msg('deploy.service', { name: spec.Name!, replicas: cluster.replicas }));
    const known = new Set((await serviceTasks(docker, spec.Name!, network).catch(() => [])).map((t) => t.id));
    const { action, id } = await applyBackendService(docker, spec, (created) => undo.push(() => removeService(docker, created, network)));
    if (action === 'update') await waitUpdate(docker, id, this.timings.httpMs * 15);
    await waitTasks(docker, spec.Name!, network, cluster.replicas, action === 'unchanged' ? this.timings.httpMs : this.timings.httpMs * 6, { known });
    const change = serviceChange(action, spec.Name!, cluster.replicas);
    return change ? [change] : [];
  }

  /**
   * The environment's backend network and volume, and the shared edge network. `freshVolume`:
   * the volume was made just now, so it holds nothing yet.
   */
  private async ensureNetworks(env: string, undo: Undo[], changes: Message[], cluster = false): Promise<{ facts: NetworkFacts; freshVolume: boolean }> {
    const volume = names.stateVolume(env);
    const ensureVolume = async (): Promise<boolean> => {
      try {
        await this.docker.getVolume(volume).inspect();
        return false;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await this.docker.createVolume({ Name: volume, Labels: labelsFor(this.me, env, 'state') });
        undo.push(() => this.docker.getVolume(volume).remove());
        changes.push(msg('change.createdVolume', { name: volume }));
        return true;
      }
    };
    const [backend, edge, freshVolume] = await Promise.all([
      // On a cluster: an overlay the manager makes, attachable so the load balancer (a container) joins it.
      this.ensureNetwork(names.backendNetwork(env), { internal: true, labels: labelsFor(this.me, env, 'backends'), overlay: cluster }, undo, changes),
      // Shared by every environment and never rolled back: another deploy may be using it.
      this.ensureNetwork(EDGE_NETWORK, { internal: false, labels: { [LABEL_APP]: 'switchyard', [LABEL_ROLE]: 'edge' } }, [], changes),
      ensureVolume(),
    ]);
    return { facts: networkFacts(backend, edge), freshVolume };
  }

  private async ensureNetwork(name: string, opts: { internal: boolean; labels: Record<string, string>; overlay?: boolean }, undo: Undo[], changes: Message[]): Promise<Docker.NetworkInspectInfo> {
    const docker = opts.overlay ? this.backendDocker : this.docker;
    const net = docker.getNetwork(name);
    try {
      return await net.inspect();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      await docker.createNetwork({ Name: name, Driver: opts.overlay ? 'overlay' : 'bridge', Attachable: opts.overlay, Internal: opts.internal, CheckDuplicate: true, Labels: opts.labels });
    } catch (err) {
      // Two deploys may race to create the shared edge network; the loser uses the winner's.
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
      return net.inspect();
    }
    undo.push(() => net.remove());
    changes.push(msg('change.createdNetwork', { name }));
    if (!opts.overlay) return net.inspect();
    // Swarm gives a new overlay its subnet a moment after creating it.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const info = await net.inspect();
      if (info.IPAM?.Config?.some((c) => c.Subnet) || Date.now() > deadline) return info;
      await sleep(100);
    }
  }

  /** Does to one backend what the plan says (`unchanged`: nothing; `remove` is the clean-up's). */
  private async applyBackend(
    env: Environment,
    planned: PlannedContainer,
    specHash: string,
    images: { demo?: { tag: string; id: string }; app?: { ref: string; id: string }; secretValues: Record<string, string> },
    existing: Docker.ContainerInfo[],
    undo: Undo[],
  ): Promise<void> {
    const server = planned.server!;
    const found = existing.find((c) => c.Names.includes(`/${planned.name}`));
    if (planned.action === 'unchanged') return;
    if (planned.action === 'start') {
      await this.docker.getContainer(found!.Id).start();
      return;
    }
    if (found) await this.docker.getContainer(found.Id).remove({ force: true });
    const c = await this.docker.createContainer(backendCreateOptions(env, server, planned.name, specHash, images, this.me));
    if (!found) undo.push(() => c.remove({ force: true }));
    await c.start();
  }

  /** Starts a load balancer and publishes its ports (joining the edge network if it is not on it). */
  private async startMapped(c: Docker.Container, env: Environment): Promise<void> {
    const joined = await onEdge(c);
    try {
      await c.start();
    } catch (err) {
      if (isPortConflict(err)) throw conflictOf(err, env);
      throw SwitchyardError.because('CONTAINER_FAILED', 'start', {}, { detail: errorText(err), cause: err });
    }
    if (joined) return;
    try {
      await joinEdge(this.docker, c);
    } catch (err) {
      // Not left running with nothing published. Docker keeps the failed join in the container's
      // settings: a later start joins the edge network (and publishes) with the start itself.
      await c.stop({ t: 0 }).catch(() => undefined);
      if (isPortConflict(err)) throw conflictOf(err, env);
      throw err;
    }
  }

  /**
   * A new image or port: start the new container beside the old one and swap names. When both
   * want the same host port, the old one steps aside only for the call that publishes it (the
   * new one's join to the edge network, or its start when it starts there), and comes back if
   * the new one fails.
   */
  private async replaceHaproxy(env: Environment, lb: Docker.ContainerInfo, opts: Docker.ContainerCreateOptions, config: string, ports: number[]): Promise<void> {
    const oldC = this.docker.getContainer(lb.Id);
    const nextName = `${opts.name}-next`;
    await this.docker
      .getContainer(nextName)
      .remove({ force: true })
      .catch(() => undefined);
    // The new process loads the old one's live server states from the shared volume.
    if (lb.State === 'running') {
      const old = await waitReady(this.target, oldC, env.name, 5000).catch(() => undefined);
      if (old) await saveServerState(old, oldC);
    }
    const next = await createHaproxy(this.docker, env, { ...opts, name: nextName }, config);
    if (env.cluster) return this.swapOnOverlay(env, lb, oldC, next, opts.name!);
    let stoppedOld = false;
    try {
      // The old one gives up a port the new one wants only at the last moment: the join to the
      // edge network, the new one already running; or its start, when it starts on the edge.
      const samePort = lb.State === 'running' && lb.Ports.some((p) => p.PublicPort !== undefined && ports.includes(p.PublicPort));
      const stepAside = async () => {
        if (!samePort) return;
        await oldC.stop({ t: 10 });
        stoppedOld = true;
      };
      if (startsOnEdge(env)) {
        await stepAside();
        await next.start();
      } else {
        await next.start();
        await stepAside();
        await joinEdge(this.docker, next);
      }
      await waitReady(this.target, next, env.name, this.timings.readyMs);
    } catch (err) {
      await next.remove({ force: true }).catch(() => undefined);
      if (stoppedOld) await oldC.start().catch(() => undefined);
      if (isPortConflict(err)) throw conflictOf(err, env);
      throw err;
    }
    await oldC.remove({ force: true });
    await next.rename({ name: opts.name });
  }

  /**
   * The load balancer of an environment on a cluster is on the overlay network, where Docker
   * (20.10) refuses to rename a running container ("cannot create entry in table
   * endpoint_table … already exists"): the names are swapped while neither runs. The old one
   * stops first (a short gap: it would hold the HTTP port anyway), is set aside, and comes back
   * if the new one does not start.
   */
  private async swapOnOverlay(env: Environment, lb: Docker.ContainerInfo, oldC: Docker.Container, next: Docker.Container, name: string): Promise<void> {
    const aside = `${name}-old`;
    await this.docker
      .getContainer(aside)
      .remove({ force: true })
      .catch(() => undefined);
    const wasRunning = lb.State === 'running';
    if (wasRunning) await oldC.stop({ t: 10 }).catch((err) => (/not running|304/i.test(String(err)) ? undefined : Promise.reject(err)));
    await oldC.rename({ name: aside });
    try {
      await next.rename({ name });
      await this.startMapped(next, env);
      await waitReady(this.target, next, env.name, this.timings.readyMs);
    } catch (err) {
      await next.remove({ force: true }).catch(() => undefined);
      await oldC.rename({ name }).catch(() => undefined);
      if (wasRunning) await oldC.start().catch(() => undefined);
      if (isPortConflict(err)) throw conflictOf(err, env);
      throw err;
    }
    await oldC.remove({ force: true });
  }

  /** Waits until one of the app's servers is UP by a check that passed (not only out of maintenance). */
  private async waitAppHealthy(env: Environment, api: RuntimeApi, servers: string[]): Promise<void> {
    const ms = this.timings.appHealthMs ?? APP_HEALTH_MS;
    const deadline = Date.now() + ms;
    let rows: StatRow[] = [];
    for (;;) {
      rows = (await api.showStat()).filter((r) => r.pxname === BACKEND_NAME && servers.includes(r.svname));
      if (rows.some((r) => /^(UP|DRAIN)/.test(r.status) && passedCheck(r))) return;
      if (Date.now() >= deadline) break;
      await sleep(200);
    }
    const checks = rows.map((r) => `${r.svname}: ${r.check_status || r.status}${r.check_code ? ` ${r.check_code}` : ''}`).join(', ') || 'no check answered';
    const log = await logsOf(this.docker.getContainer(names.backend(env.name, servers[0])), 50).catch(() => '');
    throw SwitchyardError.because('APP_TEST_FAILED', 'deployUnhealthy', { env: env.name, checks, seconds: Math.ceil(ms / 1000), lines: lastLines(log, 3) }, { detail: log });
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
    throw SwitchyardError.because('TIMEOUT', 'http', { port }, { detail: String((last as Error)?.message) });
  }
}

/**
 * What a backend's container is created from: a demo server, or a replica of the app (its
 * image by id, its variables with `{{server}}`/`{{index}}` expanded, its secret values). A
 * release creates its new containers from the same, under another name.
 */
export function backendCreateOptions(
  env: Environment,
  server: string,
  name: string,
  specHash: string,
  images: { demo?: { tag: string }; app?: { id: string }; secretValues: Record<string, string> },
  me: Owner,
): Docker.ContainerCreateOptions {
  const network = names.backendNetwork(env.name);
  const isApp = env.servers.find((s) => s.name === server)?.kind === 'app';
  const app = env.app;
  const common = {
    name,
    Labels: labelsFor(me, env.name, 'backend', { [LABEL_SERVER]: server, [LABEL_SPEC]: specHash }),
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [server] } } },
  };
  if (isApp && app && images.app) {
    return {
      ...common,
      // By id: every replica of one deploy runs exactly the image that deploy pulled or built.
      Image: images.app.id,
      Env: [...appEnv(env, server), ...Object.entries(images.secretValues).map(([k, v]) => `${k}=${v}`)],
      ...(app.command ? { Cmd: app.command } : {}),
      ExposedPorts: { [`${app.port}/tcp`]: {} },
      HostConfig: {
        NetworkMode: network,
        RestartPolicy: { Name: 'unless-stopped' },
        ...(app.memoryMb ? { Memory: app.memoryMb * 1024 * 1024 } : {}),
        ...(app.cpus ? { NanoCpus: Math.round(app.cpus * 1e9) } : {}),
      },
    };
  }
  return {
    ...common,
    Image: images.demo!.tag,
    Env: [`BACKEND_NAME=${server}`, `PORT=${DEMO_BACKEND_PORT}`],
    HostConfig: { NetworkMode: network, RestartPolicy: { Name: 'unless-stopped' } },
  };
}

/** One GET through the target's loopback; resolves with the status code, rejects when nothing answers HTTP. */
export function httpStatus(target: Target, port: number, path = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        path,
        headers: { host: `localhost:${port}` },
        createConnection: (_opts, cb) => {
          target.connectLoopback(port).then(
            (s) => cb(null, s),
            (e: Error) => cb(e, undefined as never),
          );
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
