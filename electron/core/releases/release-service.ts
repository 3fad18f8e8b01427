import type Docker from 'dockerode';
import type { TaskStarted } from '../../../shared/contract';
import { App, AppInput } from '../../../shared/apps';
import { SwitchyardError } from '../../../shared/errors';
import { msg, type Message } from '../../../shared/messages';
import { parseOrThrow, type Environment } from '../../../shared/model';
import { MAX_RELEASES_KEPT, ReleaseRequest, RollbackRequest, RolloutPolicy, appChanges, type ReleaseCause, type ReleaseRecord, type ServerPhase } from '../../../shared/releases';
import type { AppSecrets } from '../apps/app-secrets';
import { appImageTag, ensureAppImage } from '../apps/app-image';
import { backendCreateOptions, backendSpecs } from '../environments/deployer';
import { currentConfig, reload, validateInPlace } from '../environments/haproxy-container';
import { acquireHostLock } from '../environments/host-lock';
import type { ImageService } from '../environments/images';
import { HAPROXY_CONFIG_DIR, LABEL_SPEC, PREFIX, PROBE_BACKEND_NAME, envFilter, names, type Owner } from '../environments/naming';
import { currentFacts } from '../environments/network-facts';
import { readDeed, writeDeed } from '../environments/ownership';
import type { EnvironmentService } from '../environments/service';
import { renderConfig } from '../haproxy/render';
import type { Store } from '../store/store';
import { dockerError, isNotFound, putFile } from '../targets/docker-util';
import type { Target } from '../targets/target';
import type { TaskContext } from '../tasks/task-manager';
import { Rollout, RolloutStopped, settleAsides } from './rollout';
import { backendServiceSpec, backendSpecHash, clusterServer, distributeImage, findService, serviceTasks } from '../clusters/swarm-backend';
import { SwarmRollout } from '../clusters/swarm-release';

/** A release's image as kept for a rollback: tagged per release so it stays on the host. */
const releaseTag = (env: string, n: number) => ({ repo: `${PREFIX}-app/${env}`, tag: `r${n}` });

interface RunOptions {
  /** Going back to this release: its image is reused by id when the host still has it. */
  rollbackTo?: ReleaseRecord;
  /** Secret references sealed for this release only: given back if it does not become the app. */
  sealedNow?: string[];
  /**
   * Run by a deploy, before it: the model already holds the new app (`previous` is what was
   * deployed), and the deploy that follows writes the config and the ownership record.
   */
  forDeploy?: { previous: App };
}

/**
 * Releases of an environment's app: a change rolled out server by server (rollout.ts), a
 * rollback to any earlier release the same way, and the history of both. One release, deploy or
 * destroy of an environment runs at a time, across processes and installations.
 */
export class ReleaseService {
  constructor(
    private readonly envs: EnvironmentService,
    private readonly store: Store,
    private readonly images: ImageService,
    private readonly secrets: AppSecrets | undefined,
    private readonly now: () => Date = () => new Date(),
    /** Tells this process's listeners at once (other processes hear the saves). */
    private readonly emit: (record: ReleaseRecord) => void = () => undefined,
  ) {}

  /** Releases this process runs: it tells their progress itself, in order (see runsHere). */
  private readonly running = new Set<string>();

  /** Whether this process runs the release: then its saves are not told again (they could arrive out of order). */
  runsHere(r: Pick<ReleaseRecord, 'environment' | 'number'>): boolean {
    return this.running.has(`${r.environment}#${r.number}`);
  }

  /** Newest first. */
  async list(environment: string): Promise<ReleaseRecord[]> {
    await this.envs.get(environment);
    const data = await this.store.read();
    return data.releases.filter((r) => r.environment === environment).sort((a, b) => b.number - a.number);
  }

  async start(request: ReleaseRequest): Promise<TaskStarted> {
    const req = parseOrThrow(ReleaseRequest, request);
    const env = await this.envs.get(req.environment);
    const current = this.appOf(env);
    const policy = parseOrThrow(RolloutPolicy, req.rollout ?? {}, 'rollout');
    let app = current;
    let sealedNow: string[] = [];
    if (req.app) {
      const input = parseOrThrow(AppInput, req.app, 'app');
      if (input.secrets.length && !this.secrets) throw new SwitchyardError('INTERNAL', 'No secret store to seal the app’s secret variables in');
      app = this.secrets ? await this.secrets.seal(input, current) : { ...input, secrets: [] };
      sealedNow = app.secrets.map((s) => s.ref).filter((ref) => !current.secrets.some((s) => s.ref === ref));
    }
    try {
      const task = await this.envs.exclusive(env.name, 'release', (ctx) => this.run(env.name, app, policy, ctx, { sealedNow }));
      return { taskId: task.id };
    } catch (err) {
      await this.giveBack(sealedNow);
      throw err;
    }
  }

  async rollback(request: RollbackRequest): Promise<TaskStarted> {
    const req = parseOrThrow(RollbackRequest, request);
    const env = await this.envs.get(req.environment);
    this.appOf(env);
    const policy = parseOrThrow(RolloutPolicy, req.rollout ?? {}, 'rollout');
    const history = await this.list(env.name);
    const succeeded = history.filter((r) => r.result === 'succeeded');
    const serving = succeeded[0];
    const to = req.to !== undefined ? history.find((r) => r.number === req.to) : succeeded.find((r) => serving && r.number < serving.number);
    if (!to) {
      throw new SwitchyardError('NOT_FOUND', req.to !== undefined ? `to: "${env.name}" has no release ${req.to}` : `to: "${env.name}" has no earlier release that succeeded to go back to`, {
        field: 'to',
      });
    }
    if (to.result !== 'succeeded') throw new SwitchyardError('VALIDATION', `to: release ${to.number} did not succeed (${to.result}); choose one that did`, { field: 'to' });
    if (serving && to.number === serving.number) throw new SwitchyardError('VALIDATION', `to: release ${to.number} is the one serving now`, { field: 'to' });
    const task = await this.envs.exclusive(env.name, 'release', (ctx) => this.run(env.name, to.app, policy, ctx, { rollbackTo: to }));
    return { taskId: task.id };
  }

  /**
   * Before a deploy (inside its task, under its lock): app replicas the deploy would recreate on a
   * load balancer it keeps are rolled out as a release instead, so changing the app in the
   * settings and deploying is zero-downtime too and lands in the history. The deploy then finds
   * them up to date. A rollout that stops fails the deploy, with the previous release serving.
   */
  async beforeDeploy(env: Environment, ctx: TaskContext): Promise<void> {
    // On a cluster the deploy itself is Swarm's rolling update of the service.
    await this.closeInterrupted(env.name);
    if (env.cluster || !env.app || !env.servers.some((s) => s.kind === 'app')) return;
    // What a release stopped hard left is settled first, so the plan sees the servers as they serve
    // (and only in an environment this installation manages: the deploy refuses another's).
    const ours = await this.envs.assertOwned(env).then(
      () => true,
      () => false,
    );
    const docker = (await this.envs.target(env)).docker;
    for (const s of env.servers) if (ours && s.kind === 'app') await settleAsides(docker, env.name, s.name).catch(() => undefined);
    const plan = await this.envs.plan(env.name).catch(() => undefined);
    if (!plan || !['unchanged', 'reload', 'start'].includes(plan.haproxy.action)) return;
    const apps = new Set(env.servers.filter((s) => s.kind === 'app').map((s) => s.name));
    const existing = await (await this.envs.target(env)).docker.listContainers({ all: true, filters: envFilter(env.name) });
    const running = (server: string) => existing.some((c) => c.Names.includes(`/${names.backend(env.name, server)}`) && c.State === 'running');
    const replaced = plan.containers.filter((c) => c.role === 'backend' && c.action === 'recreate' && c.server && apps.has(c.server));
    if (!replaced.length || !replaced.every((c) => running(c.server!))) return;
    const deed = await readDeed((await this.envs.target(env)).docker, env.name);
    const deployed = (deed?.model as { app?: unknown } | undefined)?.app;
    const previous = App.safeParse(deployed);
    await this.run(env.name, env.app, parseOrThrow(RolloutPolicy, {}, 'rollout'), ctx, { forDeploy: { previous: previous.success ? previous.data : env.app } });
  }

  /** Refs of secret values that some kept release may run again: never deleted while kept. */
  async pinnedSecrets(): Promise<Set<string>> {
    const data = await this.store.read();
    return new Set(data.releases.flatMap((r) => r.app.secrets.map((s) => s.ref)));
  }

  /** Drops an environment's history (removed or forgotten), and the secret values only it kept. */
  async forget(environment: string): Promise<void> {
    let dropped: ReleaseRecord[] = [];
    await this.store.update((data) => {
      dropped = data.releases.filter((r) => r.environment === environment);
      data.releases = data.releases.filter((r) => r.environment !== environment);
    });
    await this.giveBack(dropped.flatMap((r) => r.app.secrets.map((s) => s.ref)));
  }

  private appOf(env: Environment): App {
    if (!env.app || !env.servers.some((s) => s.kind === 'app')) {
      throw new SwitchyardError('VALIDATION', `app: "${env.name}" runs no app of its own; set one (an image or a build folder) and deploy it first`, { field: 'app' });
    }
    return env.app;
  }

  private async run(name: string, app: App, policy: RolloutPolicy, ctx: TaskContext, opts: RunOptions): Promise<Message> {
    // Read again under the lock: what runs now is what the last task left.
    const env = await this.envs.get(name);
    await this.closeInterrupted(name);
    if (env.cluster) return this.runOnCluster(env, app, policy, ctx, opts);
    const current = opts.forDeploy?.previous ?? this.appOf(env);
    const target = await this.envs.target(env);
    const docker = target.docker;
    const me = await this.envs.me();
    const started = this.now();
    let record: ReleaseRecord | undefined;
    let unlock: (() => Promise<void>) | undefined;
    let adopted = false;
    try {
      if (opts.rollbackTo) ctx.step('rollback', 2, msg('release.rollback', { to: opts.rollbackTo.number }));
      ctx.step('images', 5, msg('deploy.images'));
      const image = await this.imageFor(target, env, app, opts.rollbackTo, ctx);
      ctx.checkCancelled();

      unlock = await acquireHostLock(docker, env.name, me, env.images.haproxy, this.now);
      // The runtime API is only given for an environment this installation manages (OWNED_ELSEWHERE otherwise):
      // only then is what a hard-stopped release left ours to settle.
      const api = await this.envs.runtimeApi(env);
      for (const s of env.servers) if (api && s.kind === 'app') await settleAsides(docker, env.name, s.name);
      const existing = await docker.listContainers({ all: true, filters: envFilter(env.name) });
      const lb = existing.find((c) => c.Names.includes(`/${names.haproxy(env.name)}`));
      if (!api || lb?.State !== 'running') throw notDeployed(env.name);
      const containerOf = (server: string) => existing.find((c) => c.Names.includes(`/${names.backend(env.name, server)}`));
      const appServers = env.servers.filter((s) => s.kind === 'app').map((s) => s.name);
      const missing = appServers.find((s) => !containerOf(s));
      if (missing) throw notDeployed(env.name, missing);

      await this.ensureProbeSlots(target, env);

      const next: Environment = { ...env, app };
      const specs = new Map(backendSpecs(next, undefined, image.id).map((b) => [b.server, b.specHash]));
      const toReplace = appServers.filter((s) => containerOf(s)!.Labels[LABEL_SPEC] !== specs.get(s));
      const runningImage = containerOf(appServers[0])!.ImageID;
      await this.recordBaseline(env, current, runningImage, me, ctx);
      if (!toReplace.length) {
        // Nothing runs differently: the history stays as it is.
        if (!opts.rollbackTo) await this.adopt(env.name, app);
        adopted = true;
        return msg('release.unchanged', { env: env.name });
      }

      record = await this.begin(env.name, { started, me, app, image, current, runningImage, opts }, toReplace);
      await docker
        .getImage(image.id)
        .tag(releaseTag(env.name, record.number))
        .catch(() => undefined);
      const secretValues = this.secrets ? await this.secrets.open(app) : {};
      const rollout = new Rollout(
        docker,
        api,
        {
          env,
          servers: toReplace,
          createOptions: (server, containerName) => backendCreateOptions(next, server, containerName, specs.get(server)!, { app: { id: image.id }, secretValues }, me),
          newPort: app.port,
          oldPort: current.port,
          policy,
        },
        ctx,
        (server, phase) => this.phase(record!, server, phase),
      );
      // Once every server runs the new containers, the model says what runs, and the config file
      // what HAProxy does (a new port): saved while the old containers are removed.
      const saved = { ...env, app };
      const outcome = await rollout.run(() =>
        Promise.all([
          this.adopt(env.name, app).then(() => (adopted = true)),
          opts.forDeploy ? undefined : this.syncConfig(docker, saved, record!.number, me),
          opts.forDeploy ? undefined : writeDeed(docker.getContainer(names.haproxy(env.name)), me, saved, this.now()).catch(() => undefined),
        ]),
      );
      const elapsed = this.now().getTime() - started.getTime();
      await this.close(record, { result: 'succeeded', durationMs: elapsed, failedRequests: outcome.failedRequests });
      await this.giveBack(current.secrets.map((s) => s.ref).filter((ref) => !app.secrets.some((s) => s.ref === ref)));
      return msg('release.done', { number: record.number, env: env.name, servers: toReplace.join(', '), elapsed: { ms: elapsed }, failed: outcome.failedRequests });
    } catch (err) {
      throw await this.failed(env.name, record, started, err);
    } finally {
      if (!adopted) await this.giveBack(opts.sealedNow ?? []);
      await unlock?.();
    }
  }

  /**
   * A release on a cluster: Swarm's rolling update of the service (clusters/swarm-release.ts),
   * recorded in the same history, task by task; a rollback is a release to an earlier one.
   */
  private async runOnCluster(env: Environment, app: App, policy: RolloutPolicy, ctx: TaskContext, opts: RunOptions): Promise<Message> {
    const current = this.appOf(env);
    const me = await this.envs.me();
    const started = this.now();
    const server = clusterServer(env);
    const service = names.backend(env.name, server.name);
    const network = names.backendNetwork(env.name);
    let record: ReleaseRecord | undefined;
    let adopted = false;
    try {
      if (opts.rollbackTo) ctx.step('rollback', 2, msg('release.rollback', { to: opts.rollbackTo.number }));
      ctx.step('images', 5, msg('deploy.images'));
      const cluster = await this.envs.clusterTargets(env);
      const docker = cluster.manager.docker;
      const image = await this.imageFor(cluster.manager, env, app, opts.rollbackTo, ctx);
      await distributeImage(docker, image.ref, image.id, cluster.nodes, (l) => ctx.note(l));
      ctx.checkCancelled();

      const [api, svc] = await Promise.all([this.envs.runtimeApi(env), findService(docker, service)]);
      if (!api || !svc) throw notDeployed(env.name);
      const running = (await svc.inspect()) as { Spec: { Labels?: Record<string, string>; TaskTemplate?: { ContainerSpec?: { Image?: string } } } };
      const runningRef = running.Spec.TaskTemplate?.ContainerSpec?.Image ?? '';
      const runningImage =
        (
          await docker
            .getImage(runningRef)
            .inspect()
            .catch(() => undefined)
        )?.Id ?? runningRef;
      const next: Environment = { ...env, app };
      const specHash = backendSpecHash(
        next,
        image,
        app.secrets.map((s) => s.ref),
      );
      await this.recordBaseline(env, current, runningImage, me, ctx, cluster.manager);
      if (running.Spec.Labels?.[LABEL_SPEC] === specHash) {
        if (!opts.rollbackTo) await this.adopt(env.name, app);
        adopted = true;
        return msg('release.unchanged', { env: env.name });
      }
      const tasks = (await serviceTasks(docker, service, network)).filter((t) => t.desired === 'running');
      record = await this.begin(
        env.name,
        { started, me, app, image, current, runningImage, opts },
        tasks.map((t) => `${server.name}.${t.slot}`),
      );
      // Tagged per release on the manager and copied to the nodes Switchyard reaches: the service
      // names the image by that tag, so every node runs this very image (and a rollback finds it).
      const tag = releaseTag(env.name, record.number);
      const releaseRef = `${tag.repo}:${tag.tag}`;
      await docker.getImage(image.id).tag(tag);
      await distributeImage(docker, releaseRef, image.id, cluster.nodes, (l) => ctx.note(l));
      const secretValues = this.secrets ? await this.secrets.open(app) : {};
      const spec = backendServiceSpec(next, { ref: releaseRef, id: image.id }, secretValues, specHash, me);
      ctx.step('release', 20, msg('release.batch', { servers: service }));
      const rollout = new SwarmRollout(docker, api, { service, network, server: server.name, spec, policy, restState: server.state }, ctx, (task, phase) => {
        if (!record!.servers.some((s) => s.name === task)) record!.servers.push({ name: task, phase });
        this.phase(record!, task, phase);
      });
      const outcome = await rollout.run();
      await this.adopt(env.name, app);
      adopted = true;
      const elapsed = this.now().getTime() - started.getTime();
      await this.close(record, { result: 'succeeded', durationMs: elapsed, failedRequests: outcome.failedRequests });
      await this.giveBack(current.secrets.map((s) => s.ref).filter((r) => !app.secrets.some((s) => s.ref === r)));
      return msg('release.done', { number: record.number, env: env.name, servers: service, elapsed: { ms: elapsed }, failed: outcome.failedRequests });
    } catch (err) {
      throw await this.failed(env.name, record, started, err);
    } finally {
      if (!adopted) await this.giveBack(opts.sealedNow ?? []);
    }
  }

  /**
   * Releases still "running" in the history while this process holds the environment's lock
   * (under which every release runs) were left by a process that went away mid-way: closed as
   * interrupted. Their containers are settled by the rollout (settleAsides) or the deploy.
   */
  async closeInterrupted(environment: string): Promise<void> {
    const stale = (await this.store.read()).releases.filter((r) => r.environment === environment && r.result === 'running' && !this.runsHere(r));
    if (!stale.length) return;
    const now = this.now().toISOString();
    const closed = await this.store.update((data) => {
      const left = data.releases.filter((r) => r.environment === environment && r.result === 'running' && !this.runsHere(r));
      for (const r of left) {
        r.result = 'failed';
        r.endedAt = now;
        r.cause = { kind: 'interrupted', message: 'Stopped before it ended: the process running it went away', params: {}, logs: [] };
      }
      return structuredClone(left);
    });
    for (const r of closed) this.emit(r);
  }

  /** Opens a release's record (servers in their old phase) and tells it. */
  private async begin(
    environment: string,
    r: { started: Date; me: Owner; app: App; image: ReleaseRecord['image']; current: App; runningImage: string; opts: RunOptions },
    servers: string[],
  ): Promise<ReleaseRecord> {
    const record = await this.open(environment, (number) => ({
      environment,
      number,
      startedAt: r.started.toISOString(),
      by: { installation: r.me.installation.slice(0, 8), user: r.me.by },
      app: r.app,
      image: r.image,
      changes: appChanges(r.current, r.app, { before: r.runningImage, after: r.image.id }),
      ...(r.opts.rollbackTo ? { rollbackTo: r.opts.rollbackTo.number } : {}),
      result: 'running',
      servers: servers.map((name) => ({ name, phase: 'old' as ServerPhase })),
    }));
    this.running.add(`${record.environment}#${record.number}`);
    this.emit(structuredClone(record));
    return record;
  }

  /** A release that stopped: closed in the history as rolled back (with its cause) or failed; the error to throw. */
  private async failed(environment: string, record: ReleaseRecord | undefined, started: Date, err: unknown): Promise<Error> {
    const elapsed = this.now().getTime() - started.getTime();
    if (err instanceof RolloutStopped && record) {
      await this.close(record, { result: 'rolled-back', cause: err.why, durationMs: elapsed, failedRequests: err.failedRequests });
      const c = err.why;
      // Every case's parameters, so a cause from Swarm (which knows fewer of them) still words fully.
      return SwitchyardError.because(
        'RELEASE_ROLLED_BACK',
        c.kind === 'interrupted' ? 'failed' : c.kind,
        { number: record.number, server: c.server ?? '', exitCode: '?', ms: 0, check: '', errors: 0, answers: 0, percent: 0, ...c.params } as never,
        {
          detail: [c.message, ...c.logs].join('\n'),
        },
      );
    }
    if (record) await this.close(record, { result: 'failed', cause: { kind: 'failed', message: (err as Error).message, params: {}, logs: [] }, durationMs: elapsed });
    if (err instanceof SwitchyardError) return err;
    return dockerError(err, `releasing ${environment}`);
  }

  /** The release's image: pulled or built as a deploy does, or for a rollback the one it ran when the host still has it. */
  private async imageFor(target: Target, env: Environment, app: App, rollbackTo: ReleaseRecord | undefined, ctx: TaskContext): Promise<ReleaseRecord['image']> {
    const docker = target.docker;
    if (rollbackTo) {
      const kept = await docker
        .getImage(rollbackTo.image.id)
        .inspect()
        .catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
      if (kept) return rollbackTo.image;
    }
    const image = await ensureAppImage(docker, this.images, env.name, app, target.hostId, (l) => ctx.note(l));
    const info = await docker.getImage(image.id).inspect();
    const digest = info.RepoDigests?.[0]?.split('@')[1];
    return { ref: app.source.kind === 'image' ? app.source.image : appImageTag(env.name), id: image.id, ...(digest ? { digest } : {}) };
  }

  /** The first release of an environment is what its deploy started: recorded once, so there is something to go back to. */
  private async recordBaseline(env: Environment, app: App, imageId: string, me: Owner, ctx: TaskContext, where?: Target): Promise<void> {
    const data = await this.store.read();
    if (data.releases.some((r) => r.environment === env.name)) return;
    ctx.note(msg('release.baseline', { number: 1 }));
    const ref = app.source.kind === 'image' ? app.source.image : appImageTag(env.name);
    const record = await this.open(env.name, (number) => ({
      environment: env.name,
      number,
      startedAt: env.updatedAt,
      endedAt: env.updatedAt,
      by: { installation: me.installation.slice(0, 8), user: me.by },
      app,
      image: { ref, id: imageId },
      changes: appChanges(undefined, app, { after: imageId }),
      result: 'succeeded',
      servers: env.servers.filter((s) => s.kind === 'app').map((s) => ({ name: s.name, phase: 'new' as ServerPhase })),
    }));
    await (where ? Promise.resolve(where) : this.envs.target(env)).then((t) => t.docker.getImage(imageId).tag(releaseTag(env.name, record.number))).catch(() => undefined);
  }

  /** Adds a release with the next number, and lets go of the oldest beyond the bound. */
  private async open(environment: string, make: (number: number) => ReleaseRecord): Promise<ReleaseRecord> {
    let dropped: ReleaseRecord[] = [];
    const record = await this.store.update((data) => {
      const mine = data.releases.filter((r) => r.environment === environment);
      const r = make(Math.max(0, ...mine.map((x) => x.number)) + 1);
      data.releases.push(r);
      const kept = [...mine, r].sort((a, b) => b.number - a.number).slice(0, MAX_RELEASES_KEPT);
      dropped = mine.filter((x) => !kept.includes(x));
      data.releases = data.releases.filter((x) => !dropped.includes(x));
      return r;
    });
    await this.giveBack(dropped.flatMap((r) => r.app.secrets.map((s) => s.ref)));
    return record;
  }

  /** A server's progress: saved at once for this process, and soon for the others (an open window). */
  private phase(record: ReleaseRecord, server: string, phase: ServerPhase): void {
    const s = record.servers.find((x) => x.name === server);
    if (s) s.phase = phase;
    this.emit(structuredClone(record));
    void this.store
      .updateSoon((data) => {
        const r = data.releases.find((x) => x.environment === record.environment && x.number === record.number);
        const t = r?.servers.find((x) => x.name === server);
        if (t) t.phase = phase;
      })
      .catch(() => undefined);
  }

  private async close(record: ReleaseRecord, end: { result: ReleaseRecord['result']; cause?: ReleaseCause; durationMs: number; failedRequests?: number }): Promise<void> {
    const closed = await this.store.update((data) => {
      const r = data.releases.find((x) => x.environment === record.environment && x.number === record.number);
      if (!r) return undefined;
      Object.assign(r, end, { endedAt: this.now().toISOString(), servers: record.servers });
      return structuredClone(r);
    });
    this.running.delete(`${record.environment}#${record.number}`);
    if (closed) this.emit(closed);
  }

  /** The environment's app becomes the one released (no secret sealed again: references only). */
  private async adopt(name: string, app: App): Promise<Environment> {
    return this.store.update((data) => {
      const env = data.environments.find((e) => e.name === name);
      if (!env) throw new SwitchyardError('NOT_FOUND', `There is no environment named "${name}"`, { field: 'environment' });
      env.app = app;
      env.updatedAt = this.now().toISOString();
      return env;
    });
  }

  /**
   * A load balancer deployed before releases existed has no probe slots: its config is rendered
   * again (same settings), checked with `haproxy -c` and reloaded, as a deploy would, once.
   */
  private async ensureProbeSlots(target: Target, env: Environment): Promise<void> {
    const lb = target.docker.getContainer(names.haproxy(env.name));
    if ((await currentConfig(lb))?.includes(`backend ${PROBE_BACKEND_NAME}\n`)) return;
    const facts = await currentFacts(target.docker, env.name);
    if (!facts) throw notDeployed(env.name);
    const config = renderConfig(env, facts);
    await validateInPlace(target.docker, lb, config);
    await reload(target, lb, env.name, config);
  }

  /** Writes the config the released settings render, without a reload: HAProxy already runs it through its runtime API. */
  private async syncConfig(docker: Docker, env: Environment, release: number, me: Owner): Promise<void> {
    const lb = docker.getContainer(names.haproxy(env.name));
    const facts = await currentFacts(docker, env.name);
    if (!facts) return;
    const config = renderConfig(env, facts);
    if ((await currentConfig(lb)) === config) return;
    await putFile(lb, HAPROXY_CONFIG_DIR, 'haproxy.cfg', config);
    // The config history keeps what runs: this release's config is a version of it too.
    await this.envs.history.record(env, config, { kind: 'release', number: release }, me).catch(() => undefined);
  }

  /** Deletes sealed values nothing uses any more: not the app of any environment, not any kept release. */
  private async giveBack(refs: string[]): Promise<void> {
    if (!refs.length || !this.secrets) return;
    const data = await this.store.read();
    const used = new Set([...data.environments.flatMap((e) => e.app?.secrets.map((s) => s.ref) ?? []), ...data.releases.flatMap((r) => r.app.secrets.map((s) => s.ref))]);
    await this.secrets.dropUnused({ secrets: refs.filter((ref) => !used.has(ref)).map((ref) => ({ name: 'X', ref })) }, undefined);
  }
}

function notDeployed(env: string, server?: string): SwitchyardError {
  return new SwitchyardError(
    'NOT_DEPLOYED',
    server ? `"${server}" of "${env}" has no container yet: deploy "${env}" first; a release replaces running servers` : `"${env}" is not running: deploy it first; a release replaces running servers`,
    { field: 'environment' },
  );
}
