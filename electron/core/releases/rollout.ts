import type Docker from 'dockerode';
import { MAX_RELEASE_BATCH, type ReleaseCause, type RolloutPolicy, type ServerPhase } from '../../../shared/releases';
import type { Environment } from '../../../shared/model';
import { SwitchyardError } from '../../../shared/errors';
import { msg } from '../../../shared/messages';
import type { RuntimeApi } from '../haproxy/runtime-api';
import { waitSessionsEnd } from '../haproxy/server-health';
import type { StatRow } from '../haproxy/stat-csv';
import { logsOf } from '../environments/haproxy-container';
import { BACKEND_NAME, FRONTEND_NAME, PROBE_BACKEND_NAME, names } from '../environments/naming';
import { isNotFound } from '../targets/docker-util';
import type { TaskContext } from '../tasks/task-manager';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How often a rollout reads HAProxy's counters while it waits on a probe, a drain or a monitor window. */
const POLL_MS = 100;

/** How long a probe slot may take to run its first check (on a closed port: at once, in practice). */
const SLOT_READY_MS = 5000;

/** Restarted by its policy, a crashing container may look running between two attempts. */
const isDown = (info: Docker.ContainerInspectInfo) => !info.State.Running || info.State.Restarting || info.RestartCount > 0;

/** A rollout stopped: the cause goes into the release's history, and everything switched goes back. */
export class RolloutStopped extends Error {
  /** Failed requests HAProxy's front end answered from the start of the rollout to the end of its rollback. */
  failedRequests?: number;

  constructor(readonly why: ReleaseCause) {
    super(why.message);
  }
}

export interface RolloutPlan {
  env: Environment;
  /** The app servers to replace, in order. */
  servers: string[];
  /** The new container of one server (its own name is given). */
  createOptions(server: string, name: string): Docker.ContainerCreateOptions;
  /** The port the new containers listen on, and the old ones did (a release may change it). */
  newPort: number;
  oldPort: number;
  policy: RolloutPolicy;
}

interface Switch {
  server: string;
  /** The container serving before the release (renamed aside once switched), and its address. */
  old?: { id: string; ip: string };
  next?: { id: string; ip: string };
  /** How far the switch went: the server left its state, the old container has its aside name, the new one has the server's name. */
  drained: boolean;
  aside: boolean;
  switched: boolean;
}

export interface RolloutOutcome {
  /** Failed requests HAProxy's front end answered (5xx) while the rollout ran. */
  failedRequests: number;
}

/**
 * A rolling update through HAProxy's runtime API, server by server (or a batch at a time): the
 * new container starts beside the old one and is tried in a probe slot until it passes the
 * servers' own health check; the old server is drained (its sessions end, or after the drain
 * timeout it goes to maintenance and its sticky clients are redispatched); the server is pointed
 * at the new container without a reload (the names swap, so Docker's DNS, which HAProxy
 * follows, agrees); it is watched for the monitor window. Old containers are kept until the end,
 * so a stop at any point (unhealthy, DOWN, errors past the threshold, a cancel) points every
 * switched server back at its old container the same hitless way.
 */
export class Rollout {
  private readonly docker: Docker;
  private readonly switches: Switch[] = [];

  constructor(
    docker: Docker,
    private readonly api: RuntimeApi,
    private readonly plan: RolloutPlan,
    private readonly ctx: TaskContext,
    private readonly onPhase: (server: string, phase: ServerPhase) => void,
  ) {
    this.docker = docker;
  }

  /**
   * `whileCleaning`: work that needs every server switched but not the old containers gone (the
   * model and config saved), run while they are removed: Docker takes a while to remove them.
   */
  async run(whileCleaning?: () => Promise<unknown>): Promise<RolloutOutcome> {
    const { policy, servers } = this.plan;
    const before = await this.frontend5xx();
    const batches: string[][] = [];
    for (let i = 0; i < servers.length; i += policy.batch) batches.push(servers.slice(i, i + policy.batch));
    // The next batch's containers start (and pass their checks) while this one drains and
    // switches: they serve nothing until their own switch. That takes two sets of release slots.
    const overlap = policy.batch * 2 <= MAX_RELEASE_BATCH;
    // Settled, not raced: a stop must wait for every container of a batch still being made.
    const prepareBatch = (k: number) => settleAll(batches[k].map((server, j) => this.prepare(server, (overlap ? (k % 2) * policy.batch : 0) + j + 1)));
    let preparing: Promise<void> | undefined;
    try {
      for (let k = 0; k < batches.length; k++) {
        const batch = batches[k];
        this.ctx.step('release', 20 + Math.round((70 * k * policy.batch) / servers.length), msg('release.batch', { servers: batch.join(', ') }));
        this.checkCancelled();
        const ready = preparing ?? prepareBatch(k);
        preparing = undefined;
        await ready;
        this.checkCancelled();
        if (overlap && k + 1 < batches.length) {
          preparing = prepareBatch(k + 1);
          preparing.catch(() => undefined);
        }
        await settleAll(batch.map((server) => this.switchTo(server)));
        await this.monitor(batch);
        for (const server of batch) this.onPhase(server, 'new');
      }
    } catch (err) {
      // The next batch may still be making its containers: the rollback must know them all.
      await preparing?.catch(() => undefined);
      const cause = causeOf(err);
      this.ctx.note(msg('release.rollingBack', { cause: cause.message }));
      await this.rollBack();
      const stopped = new RolloutStopped(cause);
      stopped.failedRequests = await this.frontend5xx()
        .then((n) => Math.max(0, n - before))
        .catch(() => undefined);
      throw stopped;
    }
    this.ctx.step('cleanup', 92, msg('release.cleanup'));
    const removed = (async () => {
      if (policy.graceMs) await sleep(policy.graceMs);
      await Promise.all(this.switches.map((s) => (s.old ? this.remove(s.old.id) : undefined)));
    })();
    await settleAll([removed, Promise.resolve(whileCleaning?.())]);
    // After the removals: a request still in an old container when it went counts too.
    return { failedRequests: Math.max(0, (await this.frontend5xx()) - before) };
  }

  /** Starts a server's new container and waits until it passes its health check in a probe slot. */
  private async prepare(server: string, slot: number): Promise<void> {
    const s: Switch = { server, drained: false, aside: false, switched: false };
    this.switches.push(s);
    const { env } = this.plan;
    const oldName = names.backend(env.name, server);
    const nextName = names.nextBackend(env.name, server);
    // What a hard-stopped rollout left was settled by the release before this one began (settleAsides).
    const old = await this.docker
      .getContainer(oldName)
      .inspect()
      .catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
    if (!old) throw new SwitchyardError('NOT_FOUND', `"${server}" has no container to replace: deploy "${env.name}" first`, { field: 'server' });
    s.old = { id: old.Id, ip: ipOn(old, names.backendNetwork(env.name)) };
    this.onPhase(server, 'starting');
    // The release slot is readied while the container starts: neither waits for the other.
    const probe = `${PROBE_BACKEND_NAME}/next${slot}`;
    const slotReady = this.freshSlot(slot);
    slotReady.catch(() => undefined);
    const c = await this.docker.createContainer(this.plan.createOptions(server, nextName));
    s.next = { id: c.id, ip: '' };
    try {
      await c.start();
    } catch (err) {
      // A process that exits at once can make the start itself fail (its network is gone).
      const info = await c.inspect().catch(() => undefined);
      if (info && (info.State.ExitCode !== 0 || info.RestartCount > 0 || info.State.Restarting)) throw await this.crashed(server, c.id, info);
      throw err;
    }
    const first = await c.inspect();
    if (isDown(first)) throw await this.crashed(server, c.id, first);
    try {
      s.next.ip = ipOn(first, names.backendNetwork(env.name));
    } catch (err) {
      // Gone between the two reads: it crashed.
      const again = await c.inspect();
      throw isDown(again) ? await this.crashed(server, c.id, again) : err;
    }
    await slotReady;
    await this.command(`set server ${probe} addr ${s.next.ip} port ${this.plan.newPort}`);
    try {
      const deadline = Date.now() + this.plan.policy.healthTimeoutMs;
      for (;;) {
        this.checkCancelled();
        const row = (await this.api.showStat()).find((r) => r.pxname === PROBE_BACKEND_NAME && r.svname === `next${slot}`);
        if (row?.status === 'UP') {
          // A check that passed while a crashing process was briefly up does not make it healthy.
          const now = await c.inspect();
          if (isDown(now)) throw await this.crashed(server, c.id, now);
          break;
        }
        const info = await c.inspect();
        if (isDown(info)) throw await this.crashed(server, c.id, info);
        if (Date.now() >= deadline) {
          const check = row?.check_status ? `${row.check_status}${row.check_code ? ` ${row.check_code}` : ''}` : 'no check answered';
          const ms = this.plan.policy.healthTimeoutMs;
          throw new RolloutStopped({
            kind: 'unhealthy',
            server,
            params: { ms, check },
            message: `The new container of ${server} did not pass its health check within ${ms} ms (${check})`,
            logs: await this.lastLines(c.id),
          });
        }
        await sleep(POLL_MS);
      }
    } finally {
      await this.command(`set server ${probe} state maint`).catch(() => undefined);
    }
    this.onPhase(server, 'healthy');
  }

  /**
   * Readies a probe slot so that UP means a check passed against the address it is given next.
   * HAProxy 2.6 reports a server leaving maintenance UP, with its last check's status, until its
   * next check: whatever `health down` said, and whichever container that check was about. So the
   * slot leaves maintenance pointed at a closed port, and is given the new container only once a
   * check has failed there: from then on only passing checks bring it UP.
   */
  private async freshSlot(slot: number): Promise<void> {
    const probe = `${PROBE_BACKEND_NAME}/next${slot}`;
    await this.command(`set server ${probe} state maint`);
    await this.command(`set server ${probe} addr 127.0.0.1 port 1`);
    await this.command(`set server ${probe} state ready`);
    const deadline = Date.now() + SLOT_READY_MS;
    for (;;) {
      this.checkCancelled();
      const row = (await this.api.showStat()).find((r) => r.pxname === PROBE_BACKEND_NAME && r.svname === `next${slot}`);
      if (row?.status.startsWith('DOWN')) return;
      if (Date.now() >= deadline) throw new SwitchyardError('RUNTIME_API', `HAProxy did not check the release slot next${slot} within ${SLOT_READY_MS} ms (it reads ${row?.status ?? 'nothing'})`);
      await sleep(POLL_MS / 2);
    }
  }

  /** Why a new container is not up: its exit code (once its last attempt ended) and last lines. */
  private async crashed(server: string, id: string, seen: Docker.ContainerInspectInfo): Promise<RolloutStopped> {
    // Caught between two restarts, the state holds no exit code yet: read it once the attempt ends.
    let info = seen;
    const c = this.docker.getContainer(id);
    for (let i = 0; i < 40 && info.State.ExitCode === 0 && (info.State.Running || info.State.Restarting); i++) {
      await sleep(50);
      info = await c.inspect().catch(() => info);
    }
    return new RolloutStopped({
      kind: 'exited',
      server,
      params: { exitCode: info.State.ExitCode },
      message: `The new container of ${server} stopped (exit code ${info.State.ExitCode}) before it passed its health check`,
      logs: await this.lastLines(id),
    });
  }

  /** Drains the old server, then points it at the new container. */
  private async switchTo(server: string): Promise<void> {
    const s = this.switches.find((x) => x.server === server)!;
    const { env, policy } = this.plan;
    const target = `${BACKEND_NAME}/${server}`;
    const next = this.docker.getContainer(s.next!.id);
    // Still up? It may have stopped since its check passed: then the old server is not touched.
    const before = await next.inspect();
    if (isDown(before)) throw await this.crashed(server, s.next!.id, before);
    this.onPhase(server, 'draining');
    s.drained = true;
    await this.command(`set server ${target} state drain`);
    await waitSessionsEnd(this.api, server, policy.drainTimeoutMs);
    // Sticky clients still pinned here are redispatched from their next request on.
    await this.command(`set server ${target} state maint`);
    await waitSessionsEnd(this.api, server, policy.drainTimeoutMs);
    // The names swap first: HAProxy resolves the server's name every second, and must find the
    // new container's address (or, for the moment between the renames, none: it keeps the last).
    await this.docker.getContainer(s.old!.id).rename({ name: names.prevBackend(env.name, server) });
    s.aside = true;
    try {
      await next.rename({ name: names.backend(env.name, server) });
    } catch (err) {
      // Docker refuses to rename a container whose process has just exited ("sandbox … not found").
      const info = await next.inspect().catch(() => undefined);
      throw info && isDown(info) ? await this.crashed(server, s.next!.id, info) : err;
    }
    s.switched = true;
    await this.command(`set server ${target} addr ${s.next!.ip} port ${this.plan.newPort}`);
    await this.command(`set server ${target} state ${this.stateOf(server)}`);
    this.onPhase(server, 'switched');
  }

  /** Watches a switched batch for the monitor window: DOWN, or errors past the threshold, stop the rollout. */
  private async monitor(batch: string[]): Promise<void> {
    const { policy } = this.plan;
    const start = await this.rows(batch);
    const until = Date.now() + policy.monitorMs;
    do {
      this.checkCancelled();
      const now = await this.rows(batch);
      for (const server of batch) {
        const row = now.get(server);
        if (!row) continue;
        if (row.status.startsWith('DOWN')) {
          const s = this.switches.find((x) => x.server === server)!;
          const check = row.check_status || 'health check failed';
          throw new RolloutStopped({ kind: 'down', server, params: { check }, message: `${server} went DOWN on the new release (${check})`, logs: await this.lastLines(s.next!.id) });
        }
        const errors = errorCount(row) - errorCount(start.get(server)!);
        const answers = answerCount(row) - answerCount(start.get(server)!);
        if (errors >= policy.minErrors && errors / Math.max(1, answers) > policy.maxErrorRate) {
          const s = this.switches.find((x) => x.server === server)!;
          const percent = Math.round(policy.maxErrorRate * 100);
          throw new RolloutStopped({
            kind: 'errors',
            server,
            params: { errors, answers, percent },
            message: `${server} answered ${errors} errors in ${answers} requests on the new release (more than ${percent} %)`,
            logs: await this.lastLines(s.next!.id),
          });
        }
      }
      if (Date.now() >= until) break;
      await sleep(Math.min(POLL_MS * 2, Math.max(0, until - Date.now())));
    } while (true); // eslint-disable-line no-constant-condition
  }

  /**
   * Points every server the rollout touched back at its old container, hitlessly, however far its
   * switch went (drained, renamed aside, switched); removes the new containers.
   */
  private async rollBack(): Promise<void> {
    const { env } = this.plan;
    for (const s of [...this.switches].reverse()) {
      try {
        if (s.drained && s.old) {
          this.onPhase(s.server, 'rolling-back');
          const target = `${BACKEND_NAME}/${s.server}`;
          if (s.switched && s.next) {
            await this.command(`set server ${target} state maint`);
            await waitSessionsEnd(this.api, s.server, Math.min(this.plan.policy.drainTimeoutMs, 5000));
            await this.docker.getContainer(s.next.id).rename({ name: names.nextBackend(env.name, s.server) });
          }
          if (s.aside) await this.docker.getContainer(s.old.id).rename({ name: names.backend(env.name, s.server) });
          await this.command(`set server ${target} addr ${s.old.ip} port ${this.plan.oldPort}`);
          await this.command(`set server ${target} state ${this.stateOf(s.server)}`);
        }
        if (s.next) await this.remove(s.next.id);
        this.onPhase(s.server, s.drained ? 'restored' : 'old');
      } catch (err) {
        this.ctx.note(msg('release.rollbackTrouble', { server: s.server, detail: (err as Error).message }));
      }
    }
  }

  private stateOf(server: string): string {
    return this.plan.env.servers.find((s) => s.name === server)?.state ?? 'ready';
  }

  private async rows(servers: string[]): Promise<Map<string, StatRow>> {
    const out = new Map<string, StatRow>();
    for (const r of await this.api.showStat()) if (r.pxname === BACKEND_NAME && servers.includes(r.svname)) out.set(r.svname, r);
    return out;
  }

  private frontend5xx(): Promise<number> {
    return frontend5xx(this.api);
  }

  private async command(command: string): Promise<void> {
    const out = (await this.api.execute(command)).trim();
    // HAProxy answers a change of address with a sentence saying so; anything else is a refusal.
    if (out && !/changed from|no need to change/i.test(out)) throw new SwitchyardError('RUNTIME_API', `HAProxy refused "${command}": ${out}`);
  }

  private checkCancelled(): void {
    if (this.ctx.signal.aborted) throw new RolloutStopped({ kind: 'cancelled', message: 'The release was cancelled', params: {}, logs: [] });
  }

  private async lastLines(id: string): Promise<string[]> {
    const text = await logsOf(this.docker.getContainer(id), 20).catch(() => '');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-10);
  }

  /** By id or name; one already gone is fine. */
  private async remove(ref: string): Promise<void> {
    await this.docker
      .getContainer(ref)
      .remove({ force: true })
      .catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
  }
}

/**
 * What a rollout stopped hard (the app closed mid-way) may have left of a server: its new
 * container (`_next`) is removed; its old one, left under its aside name (`_prev`), is the server
 * again when nothing else has the server's name, and is removed when something does.
 */
export async function settleAsides(docker: Docker, environment: string, server: string): Promise<void> {
  const gone = (err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err));
  await docker.getContainer(names.nextBackend(environment, server)).remove({ force: true }).catch(gone);
  const prevName = names.prevBackend(environment, server);
  const aside = await docker
    .getContainer(prevName)
    .inspect()
    .catch(() => undefined);
  if (!aside) return;
  const serving = await docker
    .getContainer(names.backend(environment, server))
    .inspect()
    .catch(() => undefined);
  if (serving) await docker.getContainer(aside.Id).remove({ force: true }).catch(gone);
  else await docker.getContainer(aside.Id).rename({ name: names.backend(environment, server) });
}

async function settleAll(work: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function ipOn(info: Docker.ContainerInspectInfo, network: string): string {
  const ip = info.NetworkSettings.Networks?.[network]?.IPAddress;
  if (!ip) throw new SwitchyardError('CONTAINER_FAILED', `${info.Name.replace(/^\//, '')} has no address on ${network}`);
  return ip;
}

const num = (row: StatRow | undefined, key: string) => Number(row?.[key]) || 0;
/** Answers HAProxy counted as the server's fault: 5xx, failed connects, failed reads. */
const errorCount = (row: StatRow) => num(row, 'hrsp_5xx') + num(row, 'econ') + num(row, 'eresp');
const answerCount = (row: StatRow) => ['hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other', 'econ', 'eresp'].reduce((n, k) => n + num(row, k), 0);

function causeOf(err: unknown): ReleaseCause {
  if (err instanceof RolloutStopped) return err.why;
  if (err instanceof SwitchyardError && err.code === 'CANCELLED') return { kind: 'cancelled', message: 'The release was cancelled', params: {}, logs: [] };
  const detail = (err as Error).message ?? String(err);
  return { kind: 'failed', message: detail, params: { detail }, logs: [] };
}

/** The 5xx answers HAProxy's front end has given so far: what a release's failed requests are counted from. */
export async function frontend5xx(api: RuntimeApi): Promise<number> {
  const row = (await api.showStat()).find((r) => r.pxname === FRONTEND_NAME && r.svname === 'FRONTEND');
  return Number(row?.hrsp_5xx) || 0;
}
