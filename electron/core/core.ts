import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { SystemInfo } from '../../shared/contract';
import { LOCAL_HOST } from '../../shared/model';
import { SwitchyardError } from '../../shared/errors';
import { createDispatcher, type Invoke } from './api';
import { EnvironmentService } from './environments/service';
import { Adoption } from './environments/adoption';
import { RegistryService } from './registries/registry-service';
import { LiveService } from './environments/live';
import { HttpsService } from './environments/https';
import { ImageService } from './environments/images';
import { ContainerEventsWatcher } from './environments/container-events';
import { markServerDown } from './haproxy/server-health';
import { EventBus } from './events';
import { Store } from './store/store';
import { loadInstallation, whoOf, type Installation } from './store/installation';
import { LocalDockerTarget } from './targets/local-docker';
import type { Target } from './targets/target';
import { TaskManager } from './tasks/task-manager';
import { HostService } from './hosts/host-service';
import { localKeyCipher } from './secrets/ciphers';
import { FileSecretStore, type SecretCipher } from './secrets/secret-store';

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
  now?: () => Date;
}

export interface Core {
  invoke: Invoke;
  events: EventBus;
  tasks: TaskManager;
  close(): Promise<void>;
}

/** Wires the services together; the shell, the headless server and the CLI each make one. */
export function createCore(opts: CoreOptions): Core {
  const now = opts.now ?? (() => new Date());
  const events = new EventBus();
  const tasks = new TaskManager(events, now);
  const store = new Store(opts.dataDir);
  // Logins are looked up when a pull needs one; the service is made below, once targets exist.
  let registries: RegistryService | undefined;
  const images = new ImageService(path.join(opts.appRoot, 'docker', 'demo-backend'), (ref, host) => registries!.authFor(ref, host));
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
  const environments = new EnvironmentService(store, tasks, images, targetFor, thisInstallation, now);
  const adoption = new Adoption(environments, targetFor, now);
  registries = new RegistryService(
    { list: async () => (await store.read()).registries, update: (fn) => store.update((d) => fn(d.registries)) },
    secrets,
    async (id) => targetFor(id),
  );
  const live = new LiveService(environments, tasks, events, opts.dataDir);
  const https = new HttpsService(environments, tasks, events, {
    dataDir: opts.dataDir,
    secrets: { seal: (plain) => secrets.put(plain), open: (ref) => secrets.get(ref) },
    dnsServers: env.SWITCHYARD_DNS_SERVERS ? env.SWITCHYARD_DNS_SERVERS.split(',') : undefined,
  });
  // Only long-lived processes (the app, `serve`) renew: a one-shot CLI command must not.
  if (opts.renewals) void https.startRenewals();
  const containerEvents = opts.watchContainers
    ? new ContainerEventsWatcher({
        environments: async () => (await store.read()).environments,
        docker: async (host) => (await targetFor(host)).docker,
        markDown: async (env, server) => {
          const api = await environments.runtimeApi(env);
          if (api) await markServerDown(api, server);
        },
      })
    : undefined;
  containerEvents?.start();

  const systemInfo = async (): Promise<SystemInfo> => {
    const pkg = JSON.parse(await fs.readFile(path.join(opts.appRoot, 'package.json'), 'utf8')) as { version: string };
    const me = await thisInstallation();
    const info: SystemInfo = {
      version: pkg.version,
      dataDir: opts.dataDir,
      installation: { installation: me.id, by: whoOf(me) },
      docker: { reachable: false },
    };
    try {
      const v = await (await targetFor('local')).docker.version();
      info.docker = { reachable: true, version: v.Version };
    } catch (err) {
      info.docker.error = (err as Error).message;
    }
    return info;
  };

  const invoke = createDispatcher({
    'system:info': () => systemInfo(),
    'hosts:list': async () => [LOCAL_HOST, ...(await hosts.list())],
    'hosts:add': (r) => hosts.add(r),
    'hosts:trust': (r) => hosts.trust(r.id, r.hostKey),
    'hosts:remove': async (r) => {
      const removed = await hosts.remove(r.id);
      await registries!.forgetHost(r.id);
      return removed;
    },
    'hosts:footprint': async (r) => (await hosts.get(r.id), environments.footprintsOn(r.id)),
    'hosts:forget': async (r) => {
      const forgotten = await hosts.forget(r.id, async (id) => {
        const left = await environments.forgetAllOn(id);
        for (const f of left) await https.forget(f.environment);
        return left;
      });
      await registries!.forgetHost(r.id);
      return forgotten;
    },
    'registries:list': () => registries!.list(),
    'registries:login': (r) => registries!.login(r),
    'registries:logout': (r) => registries!.logout(r),
    'hosts:environments': (r) => adoption.found(r.id),
    'hosts:check': (r) => hosts.check(r.id, r.ports),
    'environments:list': () => environments.list(),
    'environments:get': (r) => environments.get(r.name),
    'environments:create': (r) => environments.create(r),
    'environments:update': async (r) => {
      const updated = await environments.update(r.name, r.patch);
      await https.settingsChanged(updated);
      return updated;
    },
    'environments:remove': async (r) => {
      const removed = await environments.remove(r.name);
      await https.forget(r.name);
      return removed;
    },
    'environments:footprint': (r) => environments.footprint(r.name),
    // Never reaches the host: it is gone. Its certificate renewals go with it (it has no secrets of its own).
    'environments:forget': async (r) => {
      const left = await environments.forget(r.name);
      await https.forget(r.name);
      return { forgotten: true as const, left: [left] };
    },
    'environments:render': (r) => environments.render(r.name),
    'environments:preview': (r) => environments.preview(r.name, r.patch),
    'environments:running': (r) => environments.runningConfig(r.name),
    'environments:deploy': async (r) => ({ taskId: (await environments.deploy(r.name)).id }),
    // The certificate lived in the state volume: gone with it, so no renewal either.
    'environments:destroy': async (r) => ({ taskId: (await environments.destroy(r.name, () => https.forget(r.name))).id }),
    'environments:status': (r) => environments.status(r.name),
    'environments:adopt': async (r) => ({ taskId: (await adoption.adopt(r.name, r.host)).id }),
    'servers:stop': (r) => environments.setServerRunning(r.environment, r.server, false),
    'servers:start': (r) => environments.setServerRunning(r.environment, r.server, true),
    'servers:set': (r) => live.setServer(r),
    'servers:add': (r) => live.addServer(r.environment, r.server),
    'servers:remove': (r) => live.removeServer(r.environment, r.server),
    'stats:watch': (r) => live.watchStats(r.environment),
    'stats:unwatch': (r) => live.unwatchStats(r.environment),
    'stats:get': (r) => live.stats(r.environment),
    'stats:settings': (r) => (r.intervalMs === undefined ? live.statsSettings() : live.setInterval(r.intervalMs)),
    'traffic:run': (r) => live.runTraffic(r),
    'traffic:get': (r) => live.trafficReport(r.taskId),
    'logs:watch': (r) => live.watchLogs(r.environment),
    'logs:unwatch': (r) => live.unwatchLogs(r.environment),
    'logs:tail': (r) => live.tailLogs(r.environment, r.limit),
    'certificates:order': (r) => https.order(r.environment),
    'certificates:status': (r) => https.status(r.environment),
    'tasks:list': () => tasks.list(),
    'tasks:get': (r) => tasks.get(r.id),
    'tasks:cancel': (r) => tasks.cancel(r.id),
  });

  return {
    invoke,
    events,
    tasks,
    async close() {
      await https.scheduler.stop();
      await live.close();
      await containerEvents?.close();
      await Promise.all([local?.close(), hosts.close()]);
    },
  };
}
