import { promises as fs } from 'node:fs';
import path from 'node:path';
import { eventMatches, type EventArgumentOf, type EventName, type EventPayload, type SystemInfo } from '../../shared/contract';
import { LOCAL_HOST } from '../../shared/model';
import { SwitchyardError } from '../../shared/errors';
import { createDispatcher, type Invoke } from './api';
import { EnvironmentService } from './environments/service';
import { Adoption } from './environments/adoption';
import { ConfigRestore } from './history/config-restore';
import { ExportService } from './export/export-service';
import { RegistryService } from './registries/registry-service';
import { AppSecrets } from './apps/app-secrets';
import { ReleaseService } from './releases/release-service';
import { AppService } from './apps/app-service';
import { ReplicaOutput } from './apps/replica-output';
import { LiveService } from './environments/live';
import { HttpsService } from './environments/https';
import { ImageService, localImages } from './environments/images';
import { ContainerEventsWatcher } from './environments/container-events';
import { StatusFeed } from './environments/status-feed';
import { applyPreferences } from '../../shared/preferences';
import { Subscriptions } from './subscriptions';
import { markServerDown } from './haproxy/server-health';
import { EventBus } from './events';
import { Store } from './store/store';
import { loadInstallation, whoOf, type Installation } from './store/installation';
import { LocalDockerTarget } from './targets/local-docker';
import type { Target } from './targets/target';
import { TaskManager } from './tasks/task-manager';
import { HostService } from './hosts/host-service';
import { BackupService } from './backup/backup-service';
import { ClusterService } from './clusters/cluster-service';
import { localKeyCipher } from './secrets/ciphers';
import { FileSecretStore, type SecretCipher } from './secrets/secret-store';
import { dockerEndpoint, dockerInstalled, dockerProblemOf, systemOs } from './system/docker-reachability';

export interface CoreOptions {
  dataDir: string;
  /** The folder holding package.json and docker/ (the app's resources when packaged). */
  appRoot: string;
  env?: NodeJS.ProcessEnv;
  /** How secrets are sealed: the desktop app passes one backed by the OS keychain (safeStorage). */
  secretCipher?: SecretCipher;
  /** Run the certificate renewal scheduler (the app and `serve`; not one-shot CLI commands). */
  renewals?: boolean;
  /**
   * Follow Docker's container events and take a backend that stops outside Switchyard out of its
   * load balancer at once (the app and `serve`; a one-shot CLI command ends before any event).
   */
  watchContainers?: boolean;
  /**
   * Follow the data file for changes other processes make (the CLI beside the app), and tell
   * them as events (the app and `serve`; a one-shot CLI command sees the file as it is).
   */
  watchStore?: boolean;
  now?: () => Date;
}

export interface Core {
  invoke: Invoke;
  /** Everything the core emits, unfiltered: transports deliver only what `subscriptions` lets through. */
  events: EventBus;
  /** Who listens to what, for every transport (one count in the core). */
  subscriptions: Subscriptions;
  /**
   * Listens in this process (the CLI, tests): subscribes like a window would, refusals included
   * (OWNED_ELSEWHERE, NOT_FOUND thrown), and resolves with the function that gives it back.
   */
  subscribe<E extends EventName>(event: E, argument: EventArgumentOf<E>, listener: (payload: EventPayload<E>) => void): Promise<() => void>;
  tasks: TaskManager;
  close(): Promise<void>;
}

/** How long `system:info` waits for the local engine's version before calling it unreachable. */
const DOCKER_PROBE_TIMEOUT_MS = 5000;

/** Wires the services together; the shell, the headless server and the CLI each make one. */
export function createCore(opts: CoreOptions): Core {
  const now = opts.now ?? (() => new Date());
  const events = new EventBus();
  const tasks = new TaskManager(events, now);
  const store = new Store(opts.dataDir);
  // Logins are looked up when a pull needs one; the service is made below, once targets exist.
  const images = new ImageService(path.join(opts.appRoot, 'docker', 'demo-backend'), (ref, host) => registries.authFor(ref, host));
  const env = opts.env ?? process.env;
  const secrets = new FileSecretStore(opts.dataDir, opts.secretCipher ?? (() => localKeyCipher(opts.dataDir, env)));
  const hosts = new HostService(
    {
      list: async () => (await store.read()).hosts,
      update: (fn) => store.update((d) => fn(d.hosts)),
    },
    secrets,
    { inUse: async (id) => (await store.read()).environments.some((e) => e.host === id) },
  );
  let local: Target | undefined;
  const targetFor = async (hostId: string): Promise<Target> => {
    if (hostId === 'local') return (local ??= new LocalDockerTarget(env));
    try {
      return await hosts.targetFor(hostId);
    } catch (err) {
      if (err instanceof SwitchyardError && err.code === 'NOT_FOUND') {
        throw new SwitchyardError('VALIDATION', `host: there is no host "${hostId}"`, { field: 'host' });
      }
      throw err;
    }
  };
  let installation: Promise<Installation> | undefined;
  const thisInstallation = () => {
    installation ??= loadInstallation(opts.dataDir, now);
    // A failed read is not cached: the next call tries again.
    installation.catch(() => (installation = undefined));
    return installation;
  };
  // Values a kept release may run again stay sealed until that release leaves the history.
  const appSecrets: AppSecrets = new AppSecrets(secrets, (): Promise<Set<string>> => releases.pinnedSecrets());
  const environments = new EnvironmentService(store, tasks, images, targetFor, thisInstallation, now, appSecrets);
  const apps = new AppService(environments, images, tasks, appSecrets, new ReplicaOutput((o) => events.emit('apps:output', o)));
  const releases = new ReleaseService(environments, store, images, appSecrets, now, (r) => events.emit('releases:changed', r));
  environments.beforeDeploy = (env, ctx) => releases.beforeDeploy(env, ctx);
  const adoption = new Adoption(environments, targetFor, now);
  const clusters = new ClusterService({
    targetFor,
    hosts: () => hosts.list(),
    // Environments placed on the cluster through this host keep it from leaving without force.
    environmentsOn: async (id) => (await store.read()).environments.filter((e) => e.host === id && e.cluster !== undefined).map((e) => e.name),
    changed: (info) => events.emit('clusters:changed', info),
  });
  environments.clusters = clusters;
  const restorer = new ConfigRestore(environments, store, appSecrets, now);
  const exporter = new ExportService({
    environment: (name) => environments.get(name),
    demoImage: async (base) => (await images.demoImage(base)).tag,
    demoFolder: path.join(opts.appRoot, 'docker', 'demo-backend'),
  });
  const registries = new RegistryService({ list: async () => (await store.read()).registries, update: (fn) => store.update((d) => fn(d.registries)) }, secrets, async (id) => targetFor(id));
  const live = new LiveService(environments, tasks, events, opts.dataDir);
  const https = new HttpsService(environments, tasks, events, {
    dataDir: opts.dataDir,
    secrets: { seal: (plain) => secrets.put(plain), open: (ref) => secrets.get(ref) },
    dnsServers: env.SWITCHYARD_DNS_SERVERS ? env.SWITCHYARD_DNS_SERVERS.split(',') : undefined,
  });
  const backups = new BackupService({
    store,
    secrets,
    dataDir: opts.dataDir,
    installation: thisInstallation,
    appVersion: async () => (JSON.parse(await fs.readFile(path.join(opts.appRoot, 'package.json'), 'utf8')) as { version: string }).version,
    certificates: { installed: () => https.scheduler.installed(), track: (id, domains, cert) => https.scheduler.track(id, domains, cert) },
    restored: async (what) => {
      for (const id of what.hosts) await hosts.dropTarget(id);
      for (const e of what.environments) await https.settingsChanged(e);
    },
    now,
  });
  // Only long-lived processes (the app, `serve`) renew: a one-shot CLI command must not.
  if (opts.renewals) void https.startRenewals();
  const statusFeed = new StatusFeed({
    names: async () => (await store.read()).environments.map((e) => e.name),
    status: (name) => environments.status(name),
    pollHealth: (name) => live.poller.watch(name),
    emit: (status) => events.emit('environments:status', status),
  });
  const containerEvents = opts.watchContainers
    ? new ContainerEventsWatcher({
        environments: async () => (await store.read()).environments,
        docker: async (host) => (await targetFor(host)).docker,
        markDown: async (env, server) => {
          const api = await environments.runtimeApi(env);
          if (api) await markServerDown(api, server);
        },
        changed: (env) => statusFeed.changed(env),
      })
    : undefined;
  containerEvents?.start();

  // Pushed, not polled: saves (this process's, and with watchStore every other process's too),
  // health changes the poller sees, and tasks that end become events.
  store.onChange((changes) => {
    for (const c of changes.environments) events.emit('environments:changed', c);
    for (const c of changes.hosts) {
      clusters.forgetHost(c.id);
      events.emit('hosts:changed', c);
    }
    for (const r of changes.releases) if (!releases.runsHere(r)) events.emit('releases:changed', r);
    for (const c of changes.configs) events.emit('configs:changed', c);
    if (changes.preferences) events.emit('preferences:changed', changes.preferences);
    if (changes.environments.some((c) => c.change !== 'updated')) {
      statusFeed.listChanged();
      void containerEvents?.refresh();
    }
    for (const c of changes.environments) if (c.change === 'updated') statusFeed.changed(c.name);
  });
  live.poller.onChange((env) => statusFeed.changed(env));
  events.on('tasks:updated', (t) => {
    // A deploy may reload HAProxy at any step: the poller's kept connection would stay with the
    // process being replaced.
    if (t.kind !== 'traffic') live.poller.refresh(t.target);
    if (t.state !== 'running') statusFeed.changed(t.target);
  });
  if (opts.watchStore) void store.watch().catch((err: Error) => console.error(`Switchyard cannot follow ${store.file}: ${err.message}`));

  const subscriptions = new Subscriptions({
    'stats:snapshot': (env) => live.watchStats(env),
    'stats:health': (env) => live.watchStats(env),
    'logs:lines': (env) => live.watchLogs(env),
    'apps:output': (scope) => apps.watchOutput(scope),
    'environments:status': (scope) => statusFeed.watch(scope),
  });
  let nextLocal = 1;

  const systemInfo = async (): Promise<SystemInfo> => {
    const pkg = JSON.parse(await fs.readFile(path.join(opts.appRoot, 'package.json'), 'utf8')) as { version: string };
    const me = await thisInstallation();
    const info: SystemInfo = {
      version: pkg.version,
      dataDir: opts.dataDir,
      installation: { installation: me.id, by: whoOf(me) },
      os: systemOs(),
      docker: { reachable: false, endpoint: dockerEndpoint(env) },
    };
    try {
      // The window asks again every few seconds while Docker is down: an engine that never
      // answers (a tcp:// DOCKER_HOST gone quiet) must not leave it waiting for minutes.
      // dockerode passes an abortSignal on to the request; its type definitions leave the argument out.
      const docker = (await targetFor('local')).docker as unknown as { version(opts: { abortSignal: AbortSignal }): Promise<{ Version: string }> };
      const v = await docker.version({ abortSignal: AbortSignal.timeout(DOCKER_PROBE_TIMEOUT_MS) });
      info.docker = { reachable: true, version: v.Version, endpoint: info.docker.endpoint };
    } catch (err) {
      const timedOut = (err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError';
      info.docker.error = timedOut ? `Docker did not answer within ${DOCKER_PROBE_TIMEOUT_MS / 1000} s` : (err as Error).message;
      info.docker.problem = dockerProblemOf(err);
      info.docker.installed = dockerInstalled(env);
    }
    return info;
  };

  const invoke = createDispatcher({
    'system:info': () => systemInfo(),
    'hosts:list': async () => [LOCAL_HOST, ...(await hosts.list())],
    'hosts:add': (r) => hosts.add(r),
    'hosts:trust': (r) => hosts.trust(r.id, r.hostKey),
    'hosts:credentials': (r) => hosts.setCredentials(r.id, r.auth),
    'hosts:remove': async (r) => {
      const removed = await hosts.remove(r.id);
      await registries.forgetHost(r.id);
      return removed;
    },
    'hosts:footprint': async (r) => (await hosts.get(r.id), environments.footprintsOn(r.id)),
    'hosts:forget': async (r) => {
      const forgotten = await hosts.forget(r.id, async (id) => {
        const left = await environments.forgetAllOn(id);
        for (const f of left) await https.forget(f.environment);
        return left;
      });
      await registries.forgetHost(r.id);
      return forgotten;
    },
    'apps:test': (r) => apps.test(r.environment),
    'releases:start': (r) => releases.start(r),
    'releases:list': (r) => releases.list(r.environment),
    'releases:rollback': (r) => releases.rollback(r),
    'apps:report': (r) => apps.report(r.id),
    'apps:logs': (r) => apps.logs(r.environment, r.server, r.lines),
    'registries:list': () => registries.list(),
    'registries:login': (r) => registries.login(r),
    'registries:logout': (r) => registries.logout(r),
    'hosts:environments': (r) => adoption.found(r.id),
    'hosts:check': (r) => hosts.check(r.id, r.ports),
    'clusters:info': (r) => clusters.info(r.host),
    'clusters:init': (r) => clusters.init(r),
    'clusters:join': (r) => clusters.join(r),
    'clusters:leave': (r) => clusters.leave(r),
    'nodes:availability': (r) => clusters.setAvailability(r),
    'environments:list': () => environments.list(),
    'environments:get': (r) => environments.get(r.environment),
    'environments:create': (r) => environments.create(r),
    'lab:create': (r) => environments.createLab(r.host),
    'images:list': async (r) => localImages((await targetFor(r.host ?? 'local')).docker),
    'environments:update': async (r) => {
      const updated = await environments.update(r.environment, r.patch);
      await https.settingsChanged(updated);
      return updated;
    },
    'environments:remove': async (r) => {
      const removed = await environments.remove(r.environment);
      await https.forget(r.environment);
      await releases.forget(r.environment);
      return removed;
    },
    'environments:footprint': (r) => environments.footprint(r.environment),
    // Never reaches the host: it is gone. Its certificate renewals go with it (it has no secrets of its own).
    'environments:forget': async (r) => {
      const left = await environments.forget(r.environment);
      await https.forget(r.environment);
      await releases.forget(r.environment);
      return { forgotten: true as const, left: [left] };
    },
    'environments:render': (r) => environments.render(r.environment),
    'environments:preview': (r) => environments.preview(r.environment, r.patch),
    'environments:running': (r) => environments.runningConfig(r.environment),
    'environments:plan': (r) => environments.plan(r.environment),
    'environments:deploy': async (r) => ({ taskId: (await environments.deploy(r.environment)).id }),
    // The certificate lived in the state volume: gone with it, so no renewal either.
    'environments:destroy': async (r) => ({ taskId: (await environments.destroy(r.environment, () => https.forget(r.environment))).id }),
    'environments:status': (r) => environments.status(r.environment),
    'environments:adopt': async (r) => ({ taskId: (await adoption.adopt(r.environment, r.host)).id }),
    'environments:export': (r) => exporter.export(r),
    'servers:stop': (r) => environments.setServerRunning(r.environment, r.server, false),
    'servers:start': (r) => environments.setServerRunning(r.environment, r.server, true),
    'servers:set': (r) => live.setServer(r),
    'servers:add': (r) => live.addServer(r.environment, r.server),
    'servers:remove': (r) => live.removeServer(r.environment, r.server),
    'stats:get': (r) => live.stats(r.environment),
    'stats:history': (r) => live.history(r.environment),
    'stats:settings': (r) => (r.intervalMs === undefined ? live.statsSettings() : live.setInterval(r.intervalMs)),
    'preferences:get': async () => (await store.read()).preferences,
    'preferences:set': (r) =>
      store.update((data) => {
        data.preferences = applyPreferences(data.preferences, r);
        return data.preferences;
      }),
    'traffic:run': (r) => live.runTraffic(r),
    'traffic:get': (r) => live.trafficReport(r.taskId),
    'logs:tail': (r) => live.tailLogs(r.environment, r.limit),
    'certificates:order': (r) => https.order(r.environment),
    'certificates:status': (r) => https.status(r.environment),
    'tasks:list': () => tasks.list(),
    'tasks:get': (r) => tasks.get(r.id),
    'tasks:cancel': (r) => tasks.cancel(r.id),
    'tasks:clear': () => ({ cleared: tasks.clear() }),
    'configs:list': (r) => environments.history.list(r.environment),
    'configs:get': (r) => environments.history.get(r.environment, r.version),
    'configs:diff': (r) => environments.history.diff(r.environment, r.from, r.to),
    'configs:restore': async (r) => {
      const task = await restorer.restore(r.environment, r.version);
      // The version's HTTPS settings are the environment's now: renewals follow them.
      await https.settingsChanged(await environments.get(r.environment));
      return { taskId: task.id };
    },
    'backup:create': (r) => backups.create(r),
    'backup:preview': (r) => backups.preview(r),
    'backup:restore': (r) => backups.restore(r),
  });

  return {
    invoke,
    events,
    subscriptions,
    async subscribe(event, argument, listener) {
      const client = `local:${nextLocal++}`;
      const answer = await subscriptions.subscribe(client, event, argument);
      if (!answer.ok) throw SwitchyardError.fromInfo(answer.error);
      const off = events.on(event, (payload) => {
        if (eventMatches(event, argument, payload)) listener(payload);
      });
      return () => {
        off();
        subscriptions.release(client);
      };
    },
    tasks,
    async close() {
      await https.scheduler.stop();
      await subscriptions.close();
      await statusFeed.close();
      await live.close();
      await containerEvents?.close();
      // What was acknowledged before it was written (a toggle) is written before the process goes.
      await store.close();
      await Promise.all([local?.close(), hosts.close()]);
    },
  };
}
