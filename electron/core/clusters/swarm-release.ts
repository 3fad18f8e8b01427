/**
 * A release on a cluster: Swarm's own rolling update of the environment's service (start-first,
 * `batch` tasks at a time, rolled back by Swarm when a new task fails within the monitor window),
 * with HAProxy kept ahead of it: a task Swarm is stopping is taken out of its slot at once, new
 * tasks are watched through the same health checks as on one host, and a new task that never gets
 * healthy (or goes DOWN) makes Switchyard roll the service back itself.
 */
import type Docker from 'dockerode';
import type { ReleaseCause, RolloutPolicy, ServerPhase } from '../../../shared/releases';
import { BACKEND_NAME } from '../environments/naming';
import type { RuntimeApi } from '../haproxy/runtime-api';
import { healthOf } from '../haproxy/stat-csv';
import { passedCheck } from '../haproxy/server-health';
import { RolloutStopped, frontend5xx } from '../releases/rollout';
import type { TaskContext } from '../tasks/task-manager';
import { msg } from '../../../shared/messages';
import { applyBackendService, serviceTasks, updateState, type TaskFact } from './swarm-backend';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NS = 1e6;

export interface SwarmReleasePlan {
  /** The service (`sy-<env>-<server>`) and the overlay network its tasks are on. */
  service: string;
  network: string;
  /** The model's server: slots are named after it (web1, web2, …) and tasks `web.<slot>` in the record. */
  server: string;
  /** The service spec of the new release (its image, its variables). */
  spec: Docker.CreateServiceOptions;
  policy: RolloutPolicy;
  /** The server's state in the model: what a slot goes back to once the task it held is gone. */
  restState: 'ready' | 'drain' | 'maint';
}

/** What HAProxy says of one slot: the address it sends to, and its health. */
interface Slot {
  name: string;
  address?: string;
  health: string;
  /** A health check has passed since it got its address (passedCheck): HAProxy 2.6 counts a slot UP as soon as DNS fills it, before any check. */
  checked: boolean;
}

export class SwarmRollout {
  /** Tasks Swarm is stopping that HAProxy no longer sends to. */
  private readonly drained = new Set<string>();
  /** Slots set to maintenance for a stopping task, with that task's address: given back once it is gone. */
  private readonly heldSlots = new Map<string, string>();
  /** The phase last reported per task name: the loop sees the same one every poll, the record hears of changes only. */
  private readonly reported = new Map<string, ServerPhase>();
  private newRef = '';

  constructor(
    private readonly docker: Docker,
    private readonly api: RuntimeApi,
    private readonly plan: SwarmReleasePlan,
    private readonly ctx: TaskContext,
    private readonly phase: (task: string, phase: ServerPhase) => void,
  ) {}

  /** Resolves when Swarm has every task on the new release; throws RolloutStopped once it is back on the old one. */
  async run(): Promise<{ failedRequests: number }> {
    const before = await this.frontend5xx().catch(() => 0);
    const { spec, policy } = this.plan;
    this.newRef = (spec.TaskTemplate as { ContainerSpec?: { Image?: string } } | undefined)?.ContainerSpec?.Image ?? '';
    const timed: Docker.CreateServiceOptions = {
      ...spec,
      UpdateConfig: { ...spec.UpdateConfig, Parallelism: policy.batch, Monitor: policy.monitorMs * NS, Order: 'start-first', FailureAction: 'rollback', MaxFailureRatio: 0 },
    };
    const { id } = await applyBackendService(this.docker, timed);
    const startedAt = Date.now();
    const seenSince = new Map<string, number>();
    let swarmDoneAt: number | undefined;
    try {
      for (;;) {
        this.ctx.checkCancelled();
        const [state, tasks, slots] = await Promise.all([updateState(this.docker, id), serviceTasks(this.docker, this.plan.service, this.plan.network), this.slots()]);
        await this.drainStopping(tasks, slots);
        const rolledBack = state.state === 'rollback_completed' || state.state === 'rollback_paused' || state.state === 'rollback_started';
        // New tasks: named in the record as they run, and held to the health check.
        const fresh = tasks.filter((x) => x.desired === 'running' && x.image.split('@')[0] === this.newRef.split('@')[0]);
        let serving = 0;
        for (const t of fresh) {
          const name = `${this.plan.server}.${t.slot}`;
          if (t.state !== 'running' || !t.address) continue;
          const slot = slots.find((s) => s.address === t.address);
          if (!seenSince.has(t.id)) {
            seenSince.set(t.id, Date.now());
            this.report(name, 'starting');
          }
          // A drained server's slots say DRAIN: HAProxy says so only of a server its checks find up.
          // A server in maintenance runs no checks: its new tasks are judged by Swarm's monitor alone.
          const healthy = (slot?.health === 'UP' || slot?.health === 'DRAIN') && slot.checked;
          if (healthy || (this.plan.restState === 'maint' && slot?.health === 'MAINT')) {
            this.report(name, 'new');
            serving++;
          } else if (!rolledBack && Date.now() - seenSince.get(t.id)! > policy.healthTimeoutMs) {
            await this.rollBack(id, {
              kind: 'unhealthy',
              server: name,
              message: `${name} did not pass its health check within ${policy.healthTimeoutMs} ms`,
              params: { ms: policy.healthTimeoutMs, check: slot?.health ?? 'no address' },
              logs: [],
            });
          }
        }
        // Done once Swarm has finished and every new task has passed a check in HAProxy: Swarm's
        // monitor may end before the first check of the last task.
        const swarmDone = state.state === 'completed' || (state.state === undefined && Date.now() - startedAt > 2000);
        if (swarmDone && serving === fresh.length) break;
        if (swarmDone) swarmDoneAt ??= Date.now();
        if (swarmDoneAt !== undefined && Date.now() - swarmDoneAt > policy.healthTimeoutMs) {
          const waiting = fresh.find((t) => t.state !== 'running');
          const name = waiting ? `${this.plan.server}.${waiting.slot}` : this.plan.server;
          await this.rollBack(id, {
            kind: 'unhealthy',
            server: name,
            message: `${name} was not serving within ${policy.healthTimeoutMs} ms of Swarm's update`,
            params: { ms: policy.healthTimeoutMs, check: waiting?.state ?? 'not checked' },
            logs: [],
          });
        }
        if (rolledBack) {
          await this.waitRolledBack(id);
          await this.settleSlots();
          const failed = tasks.find((t) => ['failed', 'rejected'].includes(t.state) && t.image.split('@')[0] === this.newRef.split('@')[0]);
          const server = failed ? `${this.plan.server}.${failed.slot}` : this.plan.server;
          const cause: ReleaseCause = failed
            ? { kind: 'exited', server, message: `the new task ${server} failed: ${failed.error ?? state.message ?? ''}`, params: { exitCode: failed.exitCode ?? '?' }, logs: [] }
            : { kind: 'failed', server, message: state.message ?? 'Swarm rolled the update back', params: {}, logs: [] };
          throw new RolloutStopped(cause);
        }
        if (state.state === 'paused') {
          await this.rollBack(id, { kind: 'failed', server: this.plan.server, message: state.message ?? 'Swarm paused the update', params: {}, logs: [] });
        }
        await sleep(100);
      }
    } catch (err) {
      if (err instanceof RolloutStopped) {
        err.failedRequests = await this.frontend5xx()
          .then((n) => Math.max(0, n - before))
          .catch(() => undefined);
        throw err;
      }
      if ((err as { code?: string }).code === 'CANCELLED') {
        const stopped = await this.rollBack(id, { kind: 'cancelled', message: 'cancelled', params: {}, logs: [] }).catch((e: unknown) => e);
        if (stopped instanceof RolloutStopped)
          stopped.failedRequests = await this.frontend5xx()
            .then((n) => Math.max(0, n - before))
            .catch(() => undefined);
        throw stopped;
      }
      throw err;
    }
    await this.settleSlots();
    return { failedRequests: Math.max(0, (await this.frontend5xx()) - before) };
  }

  /** After the update: waits (a little) until the stopped tasks left their slots, and gives those back. */
  private async settleSlots(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (this.heldSlots.size && Date.now() < deadline) {
      const [tasks, slots] = await Promise.all([serviceTasks(this.docker, this.plan.service, this.plan.network), this.slots()]);
      await this.drainStopping(tasks, slots);
      if (this.heldSlots.size) await sleep(200);
    }
  }

  /**
   * Switchyard's own rollback (a new task never healthy, or Swarm paused): the service goes back
   * to its previous spec the same way, old tasks drained as Swarm stops them. Always throws.
   */
  private async rollBack(id: string, cause: ReleaseCause): Promise<never> {
    this.ctx.note(msg('release.rollingBack', { cause: cause.message }));
    const svc = this.docker.getService(id);
    const info = (await svc.inspect()) as { Version: { Index: number }; PreviousSpec?: Docker.CreateServiceOptions; UpdateStatus?: { State?: string } };
    if (info.PreviousSpec && !String(info.UpdateStatus?.State ?? '').startsWith('rollback')) {
      await svc.update({ _query: { version: info.Version.Index }, _body: info.PreviousSpec });
    }
    await this.waitRolledBack(id);
    await this.settleSlots();
    throw new RolloutStopped(cause);
  }

  /** Waits until every task runs the previous release again, draining the new ones as Swarm stops them. */
  private async waitRolledBack(id: string): Promise<void> {
    const deadline = Date.now() + 10 * 60_000;
    while (Date.now() < deadline) {
      const [state, tasks, slots] = await Promise.all([updateState(this.docker, id), serviceTasks(this.docker, this.plan.service, this.plan.network), this.slots()]);
      await this.drainStopping(tasks, slots);
      const current = tasks.filter((t) => t.desired === 'running');
      const settled = state.state === 'rollback_completed' || state.state === 'completed' || state.state === 'rollback_paused' || state.state === 'paused';
      if (settled && current.every((t) => t.state === 'running')) return;
      await sleep(100);
    }
  }

  /** Takes every task Swarm is stopping out of HAProxy at once, so no new request reaches it. */
  private async drainStopping(tasks: TaskFact[], slots: Slot[]): Promise<void> {
    // A slot that now holds another task (or none) is ready for the next one.
    for (const [name, address] of this.heldSlots) {
      const slot = slots.find((s) => s.name === name);
      if (slot && slot.address === address) continue;
      this.heldSlots.delete(name);
      await this.api.execute(`set server ${BACKEND_NAME}/${name} state ${this.plan.restState}`).catch(() => undefined);
    }
    for (const t of tasks) {
      if (t.desired === 'running' || t.state !== 'running' || !t.address || this.drained.has(t.id)) continue;
      const slot = slots.find((s) => s.address === t.address);
      if (!slot) continue;
      // Swarm marks a task to stop as soon as its replacement runs, before HAProxy's DNS has the
      // replacement: the last slot serving is not taken out until another one serves (the old task
      // still answers meanwhile; Swarm stops it only after its grace period).
      const others = slots.filter((s) => s.name !== slot.name && !this.heldSlots.has(s.name) && s.health === 'UP' && s.checked);
      if (others.length === 0) continue;
      this.drained.add(t.id);
      this.heldSlots.set(slot.name, t.address);
      await this.api.execute(`set server ${BACKEND_NAME}/${slot.name} state maint`).catch(() => undefined);
      this.report(`${this.plan.server}.${t.slot}`, 'switched');
    }
  }

  private report(name: string, phase: ServerPhase): void {
    if (this.reported.get(name) === phase) return;
    this.reported.set(name, phase);
    this.phase(name, phase);
  }

  private async slots(): Promise<Slot[]> {
    const rows = await this.api.showStat();
    return rows
      .filter((r) => r.pxname === BACKEND_NAME && r.svname !== 'BACKEND' && r.svname !== 'FRONTEND')
      .map((r) => ({ name: r.svname, address: r.addr ? r.addr.replace(/:\d+$/, '') : undefined, health: healthOf(r.status), checked: passedCheck(r) }));
  }

  private frontend5xx(): Promise<number> {
    return frontend5xx(this.api);
  }
}
