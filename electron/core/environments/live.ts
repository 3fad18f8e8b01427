import type { TaskStarted } from '../../../shared/contract';
import { SwitchyardError } from '../../../shared/errors';
import type { ServerApplied, StatsHistory, StatsSnapshot, TrafficReport, TrafficRequest, ServerSetRequest, AccessLogEntry } from '../../../shared/live';
import { Environment, MAX_SERVERS, type Environment as Env, type ServerInput } from '../../../shared/model';
import type { EventBus } from '../events';
import { renderConfig } from '../haproxy/render';
import type { RuntimeApi } from '../haproxy/runtime-api';
import { LogFollower } from '../logs/log-follower';
import { MonotonicCounters } from '../stats/counters';
import { StatsPoller } from '../stats/poller';
import { putFile } from '../targets/docker-util';
import type { TaskManager } from '../tasks/task-manager';
import { TrafficRunner } from '../traffic/traffic';
import { BACKEND_NAME, HAPROXY_CONFIG_DIR, names } from './naming';
import { currentFacts } from './network-facts';
import { readDeed, writeDeed } from './ownership';
import type { EnvironmentService } from './service';

async function runtimeCommand(api: RuntimeApi, command: string): Promise<void> {
  const out = (await api.execute(command)).trim();
  // HAProxy answers these with nothing on success, and with a sentence when it refuses.
  if (out) throw SwitchyardError.because('RUNTIME_API', 'refused', { command }, { detail: out });
}

/**
 * Live operations on deployed environments: server toggles and weights (hitless, through the
 * runtime API, and kept in the model), scaling, stats, the traffic generator and access logs.
 */
export class LiveService {
  readonly poller: StatsPoller;
  private readonly logs: LogFollower;
  private readonly traffic: TrafficRunner;
  private readonly configSyncs = new Map<string, NodeJS.Timeout>();
  /** Runtime API per environment, kept between toggles (looking it up costs a Docker call). */
  private readonly apis = new Map<string, RuntimeApi>();

  constructor(
    private readonly envs: EnvironmentService,
    private readonly tasks: TaskManager,
    events: EventBus,
    dataDir: string,
  ) {
    this.poller = new StatsPoller((env) => this.envs.runtimeApi(env), events, new MonotonicCounters(dataDir));
    this.logs = new LogFollower(async (name) => {
      const env = await this.envs.get(name);
      await this.envs.assertOwned(env);
      return (await this.envs.target(env)).docker;
    }, events);
    this.traffic = new TrafficRunner(events);
    // What was polled of an environment that is gone must not show again, nor add to a new one's
    // figures: destroyed (its task succeeded), or removed and forgotten (this process or another).
    events.on('tasks:updated', (t) => {
      if (t.kind === 'destroy' && t.state === 'succeeded') this.poller.forget(t.target);
      if (t.kind === 'deploy' && t.state === 'succeeded') this.poller.deployed(t.target);
    });
    events.on('environments:changed', (c) => {
      if (c.change === 'removed') this.poller.forget(c.name);
    });
  }

  async setServer(req: ServerSetRequest): Promise<ServerApplied> {
    const env = await this.envs.get(req.environment);
    // On a cluster one slot (web3: a task) is set on its own, for as long as HAProxy runs; the
    // server itself (web) sets every slot, and is kept in the model.
    const slot = env.cluster ? slotOf(env, req.server) : undefined;
    const server = env.servers.find((s) => s.name === req.server) ?? (slot ? env.servers[0] : undefined);
    if (!server) throw SwitchyardError.because('NOT_FOUND', 'server', { env: env.name, server: req.server }, { field: 'server' });
    const targets = slot ? [req.server] : env.cluster ? Array.from({ length: env.cluster.slots }, (_, i) => `${server.name}${i + 1}`) : [server.name];
    const apply = async (api: RuntimeApi) => {
      for (const n of targets) {
        const target = `${BACKEND_NAME}/${n}`;
        if (req.weight !== undefined) await runtimeCommand(api, `set server ${target} weight ${req.weight}`);
        if (req.state !== undefined) await runtimeCommand(api, `set server ${target} state ${req.state}`);
      }
    };
    // Known already (an earlier toggle, or the poller of an open window): no Docker call.
    const known = this.apis.get(env.name) ?? this.poller.apiOf(env.name);
    let api = known ?? (await this.envs.runtimeApi(env));
    if (api) {
      try {
        await apply(api);
      } catch (err) {
        // The load balancer may have been replaced since: look it up again, once.
        if ((err as SwitchyardError).code !== 'RUNTIME_API' || !known) throw err;
        this.apis.delete(env.name);
        api = await this.envs.runtimeApi(env);
        if (api) await apply(api);
      }
    }
    if (api) this.apis.set(env.name, api);
    else this.apis.delete(env.name);
    // HAProxy has it: the answer need not wait for the disk too. Reads here see the change at
    // once, the save starts now, and the core's close waits for it.
    if (slot) {
      // A slot's setting lives in HAProxy (and its server-state file across reloads), not in the model.
      if (!api) throw new SwitchyardError('NOT_DEPLOYED', `${env.name} has no load balancer running: the slot ${req.server} is HAProxy's, so there is nothing to set`, { field: 'server' });
      return { environment: env.name, server: req.server, state: req.state ?? server.state, weight: req.weight ?? server.weight, applied: true };
    }
    void this.envs.saveServerSoon(env.name, server.name, { state: req.state, weight: req.weight });
    if (api) this.scheduleConfigSync(env.name);
    return { environment: env.name, server: server.name, state: req.state ?? server.state, weight: req.weight ?? server.weight, applied: Boolean(api) };
  }

  /** Adds a server and deploys; refused (nothing saved) while a task of the environment runs. */
  async addServer(environment: string, server: ServerInput): Promise<TaskStarted> {
    const task = await this.envs.changeServers(environment, (servers) => {
      if (servers.some((s) => s.name === server.name)) {
        throw SwitchyardError.because('ALREADY_EXISTS', 'server', { env: environment, server: server.name }, { field: 'server.name' });
      }
      if (servers.length >= MAX_SERVERS) {
        throw SwitchyardError.because('VALIDATION', 'tooManyServers', { env: environment, count: servers.length }, { field: 'server' });
      }
      return [...servers, server];
    });
    return { taskId: task.id };
  }

  /** Removes a server and deploys; refused (nothing saved) while a task runs, or for the last server. */
  async removeServer(environment: string, server: string): Promise<TaskStarted> {
    const task = await this.envs.changeServers(environment, (servers) => {
      if (!servers.some((s) => s.name === server)) {
        throw SwitchyardError.because('NOT_FOUND', 'server', { env: environment, server }, { field: 'server' });
      }
      if (servers.length === 1) {
        throw SwitchyardError.because('VALIDATION', 'lastServer', { env: environment, server }, { field: 'server' });
      }
      return servers.filter((s) => s.name !== server);
    });
    return { taskId: task.id };
  }

  /** Polls an environment's stats until the returned function is called; refused for another installation's. */
  async watchStats(environment: string): Promise<() => void> {
    await this.envs.assertOwned(await this.envs.get(environment));
    return this.poller.watch(environment);
  }

  async stats(environment: string): Promise<StatsSnapshot> {
    await this.envs.assertOwned(await this.envs.get(environment));
    return this.poller.snapshot(environment);
  }

  /** The last hour of an environment's polled figures; refused for another installation's. */
  async history(environment: string): Promise<StatsHistory> {
    await this.envs.assertOwned(await this.envs.get(environment));
    return this.poller.history.of(environment);
  }

  statsSettings(): { intervalMs: number } {
    return { intervalMs: this.poller.interval };
  }

  setInterval(intervalMs: number): { intervalMs: number } {
    this.poller.setInterval(intervalMs);
    return { intervalMs: this.poller.interval };
  }

  async runTraffic(req: TrafficRequest): Promise<TaskStarted> {
    const env = await this.envs.get(req.environment);
    await this.envs.assertOwned(env);
    const target = await this.envs.target(env);
    const task = this.tasks.start('traffic', env.name, (ctx) => this.traffic.run(task.id, req, `${target.publicHost}:${env.httpPort}`, () => target.connectLoopback(env.httpPort), ctx));
    return { taskId: task.id };
  }

  trafficReport(taskId: string): TrafficReport {
    const r = this.traffic.report(taskId);
    if (!r) throw new SwitchyardError('NOT_FOUND', `No traffic run with task id ${taskId}`, { field: 'taskId' });
    return r;
  }

  /** Follows an environment's access log until the returned function is called; refused for another installation's. */
  async watchLogs(environment: string): Promise<() => void> {
    await this.envs.assertOwned(await this.envs.get(environment));
    await this.logs.watch(environment);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.logs.unwatch(environment);
    };
  }

  async tailLogs(environment: string, limit: number): Promise<AccessLogEntry[]> {
    await this.envs.assertOwned(await this.envs.get(environment));
    return this.logs.tail(environment, limit);
  }

  async close(): Promise<void> {
    for (const t of this.configSyncs.values()) clearTimeout(t);
    this.logs.close();
    await this.poller.close();
  }

  /**
   * After a live change, the config file in the container is rewritten (no reload) so that it
   * says what HAProxy is doing; bursts of changes are written once.
   */
  private scheduleConfigSync(name: string): void {
    clearTimeout(this.configSyncs.get(name));
    const timer = setTimeout(() => {
      this.configSyncs.delete(name);
      void this.syncConfig(name).catch(() => undefined);
    }, 300);
    timer.unref();
    this.configSyncs.set(name, timer);
  }

  /**
   * Renders what runs: the settings last deployed (kept in the deed) with the servers' live
   * states and weights. Not the saved settings: an edit not deployed yet must not slip into the
   * file, or the next deploy would find nothing to reload.
   */
  private async syncConfig(name: string): Promise<void> {
    const env = await this.envs.get(name);
    const docker = (await this.envs.target(env)).docker;
    const [facts, deed] = await Promise.all([currentFacts(docker, name), readDeed(docker, name)]);
    const deployed = Environment.safeParse(deed?.model);
    // Without a deed (deployed before deeds existed) what runs is not known: the file stays.
    if (!facts || !deployed.success) return;
    const live: Env = {
      ...deployed.data,
      servers: deployed.data.servers.map((s) => {
        const now = env.servers.find((x) => x.name === s.name);
        return now ? { ...s, state: now.state, weight: now.weight } : s;
      }),
    };
    const lb = docker.getContainer(names.haproxy(name));
    await putFile(lb, HAPROXY_CONFIG_DIR, 'haproxy.cfg', renderConfig(live, facts));
    // The deed carries the settings an adopter starts from: live changes included.
    await writeDeed(lb, await this.envs.me(), live, new Date());
  }
}

/** The slot a name is on a cluster environment (`web3` of `web` with 16 slots), if it is one. */
function slotOf(env: Env, name: string): number | undefined {
  const base = env.servers[0]?.name;
  if (!base || !env.cluster || !name.startsWith(base)) return undefined;
  const rest = name.slice(base.length);
  if (!/^[1-9]\d*$/.test(rest)) return undefined;
  const n = Number(rest);
  return n <= env.cluster.slots ? n : undefined;
}
