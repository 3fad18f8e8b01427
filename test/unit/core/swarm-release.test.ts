/**
 * A release on a cluster (SwarmRollout): Swarm's rolling update, with HAProxy taking each task
 * Swarm stops out of its slot first and giving the slot back once the task is gone, and
 * Switchyard's own rollback when a new task never gets healthy. The test plays Swarm (tasks,
 * update state) and Docker's DNS (which slot holds which address) against a fake swarm manager
 * and the load balancer's FakeHaproxy, reached through the real runtime API client.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyBackendService, backendServiceSpec, backendSpecHash, type BackendImage } from '../../../electron/core/clusters/swarm-backend';
import { SwarmRollout } from '../../../electron/core/clusters/swarm-release';
import type { RuntimeApi } from '../../../electron/core/haproxy/runtime-api';
import { RolloutStopped } from '../../../electron/core/releases/rollout';
import { RolloutPolicy, type ServerPhase } from '../../../shared/releases';
import { clusterEnvironment, startFakeClusterLab, type FakeClusterLab } from '../../support/fake-cluster-lab';
import { ME, recordingContext } from '../../support/fake-lab';
import { until } from '../../support/lab';

const SERVICE = 'sy-lab-web';
const NETWORK = 'sy-lab-backends';
const env = clusterEnvironment('lab', { cluster: { replicas: 2, slots: 4 } });
const r1: BackendImage = { ref: 'sy-lab-release:1', id: `sha256:${'1'.repeat(64)}` };
const r2: BackendImage = { ref: 'sy-lab-release:2', id: `sha256:${'2'.repeat(64)}` };
const specFor = (image: BackendImage) => backendServiceSpec(env, image, {}, backendSpecHash(env, image, []), ME);

describe('a release on a cluster, against a fake swarm and load balancer', () => {
  let lab: FakeClusterLab;
  let api: RuntimeApi;
  /** Addresses whose task fails HAProxy's health check. */
  let unhealthy: Set<string>;
  const phases: [string, ServerPhase][] = [];

  const haproxy = () => lab.haproxy('lab');
  const sets = () => haproxy().received.filter((c) => c.startsWith('set server'));
  const stats = () => haproxy().received.filter((c) => c === 'show stat').length;
  const updates = () => lab.swarm.changes.filter((c) => c.action === 'update');
  const soon = <T>(what: string, fn: () => T | undefined | false) => until(what, async () => fn(), 5000, 10);
  /** Lets the rollout read HAProxy a few more times (it polls every 100 ms). */
  const polls = async (n: number) => {
    const from = stats();
    await soon(`${n} more polls`, () => stats() >= from + n);
  };

  const rollout = (policy: Partial<RolloutPolicy> = {}, restState: 'ready' | 'drain' | 'maint' = 'ready') =>
    new SwarmRollout(lab.docker, api, { service: SERVICE, network: NETWORK, server: 'web', spec: specFor(r2), policy: RolloutPolicy.parse(policy), restState }, recordingContext(), (task, phase) =>
      phases.push([task, phase]),
    );

  beforeEach(async () => {
    phases.length = 0;
    lab = await startFakeClusterLab();
    unhealthy = new Set();
    lab.engine.state.externalUp = (address) => !unhealthy.has(address.split(':')[0]);
    await applyBackendService(lab.docker, specFor(r1));
    api = await lab.startLoadBalancer(env);
    lab.swarm.task(SERVICE, { slot: 1, node: 'node-a', state: 'running', address: '10.0.1.11' });
    lab.swarm.task(SERVICE, { slot: 2, node: 'node-b', state: 'running', address: '10.0.1.12' });
    haproxy().resolve('web1', '10.0.1.11');
    haproxy().resolve('web2', '10.0.1.12');
    haproxy().received.length = 0;
  });

  afterEach(async () => {
    await lab.close();
  });

  it('takes each task Swarm stops out of its slot once, and gives the slot back (to the model state) once the task left it', async () => {
    // The server is drained in the model: a slot goes back to drain, not to ready.
    const run = rollout({ batch: 1, monitorMs: 0 }, 'drain').run();
    await soon('the service update', () => updates().length === 1);
    const sent = updates()[0].spec as { UpdateConfig?: Record<string, unknown>; TaskTemplate?: { ContainerSpec?: { Image?: string } } };
    expect(sent.TaskTemplate?.ContainerSpec?.Image).toBe(r2.ref);
    expect(sent.UpdateConfig).toMatchObject({ Parallelism: 1, Order: 'start-first', FailureAction: 'rollback', Monitor: 0 });

    // Swarm: the first new task runs (Docker's DNS gives it slot web3), then the old task of slot 1 is stopped.
    lab.swarm.task(SERVICE, { slot: 1, node: 'node-c', state: 'running', address: '10.0.1.13' });
    haproxy().resolve('web3', '10.0.1.13');
    const old1 = lab.swarm.tasks.find((t) => t.Status.State === 'running' && t.Slot === 1 && t.NodeID === 'node-a')!;
    lab.swarm.change(old1, { desired: 'shutdown' });
    await soon('web1 in maintenance', () => sets().includes('set server servers/web1 state maint'));
    expect(haproxy().server('web1')?.admin).toBe('maint');
    // While the stopping task still holds the slot: nothing more is sent.
    await polls(3);
    expect(sets()).toEqual(['set server servers/web1 state maint']);

    // The old task is gone: DNS takes its address away, and the slot is given back.
    lab.swarm.change(old1, { state: 'shutdown' });
    haproxy().resolve('web1', undefined);
    await soon('web1 given back', () => sets().length === 2);
    expect(sets()[1]).toBe('set server servers/web1 state drain');

    // Slot 2 the same way; this time DNS gives the freed slot web1 to the new task.
    lab.swarm.task(SERVICE, { slot: 2, node: 'node-a', state: 'running', address: '10.0.1.14' });
    haproxy().resolve('web1', '10.0.1.14');
    const old2 = lab.swarm.tasks.find((t) => t.Slot === 2 && t.NodeID === 'node-b')!;
    lab.swarm.change(old2, { desired: 'shutdown' });
    await soon('web2 in maintenance', () => sets().includes('set server servers/web2 state maint'));
    await polls(2);
    lab.swarm.change(old2, { state: 'shutdown' });
    haproxy().resolve('web2', '10.0.1.99');
    await soon('web2 given back', () => sets().length === 4);

    lab.swarm.service(SERVICE).UpdateStatus = { State: 'completed', Message: 'update completed' };
    await expect(run).resolves.toEqual({ failedRequests: 0 });
    expect(sets()).toEqual(['set server servers/web1 state maint', 'set server servers/web1 state drain', 'set server servers/web2 state maint', 'set server servers/web2 state drain']);
    // Per task name: its old task switched out once, its new one ends `new` (the one in a drained
    // slot too: DRAIN is a server HAProxy's checks find up), and the record hears of changes only.
    for (const name of ['web.1', 'web.2']) {
      const seen = phases.filter(([n]) => n === name).map(([, p]) => p);
      expect(
        seen.filter((p) => p === 'switched'),
        name,
      ).toHaveLength(1);
      expect(seen[seen.length - 1], name).toBe('new');
      expect(
        seen.some((p, i) => i > 0 && seen[i - 1] === p),
        `${name}: ${seen.join(' → ')}`,
      ).toBe(false);
    }
  });

  it("ends in RolloutStopped with the new task's exit code when Swarm rolled the update back", async () => {
    const run = rollout().run();
    await soon('the service update', () => updates().length === 1);
    lab.swarm.task(SERVICE, { slot: 1, node: 'node-c', state: 'failed', desired: 'shutdown', err: 'task: non-zero exit (3)', exitCode: 3 });
    lab.swarm.service(SERVICE).UpdateStatus = { State: 'rollback_completed', Message: 'rollback completed' };
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RolloutStopped);
    const why = (err as RolloutStopped).why;
    expect(why).toMatchObject({ kind: 'exited', server: 'web.1', params: { exitCode: 3 } });
    expect(why.message).toContain('non-zero exit (3)');
    expect((err as RolloutStopped).failedRequests).toBe(0);
    // Swarm rolled back by itself: Switchyard did not update the service again.
    expect(updates()).toHaveLength(1);
  });

  it('updates the service back to its previous spec when a new task is not healthy within the health timeout', async () => {
    const healthTimeoutMs = 1000;
    const started = Date.now();
    const run = rollout({ healthTimeoutMs }).run();
    await soon('the service update', () => updates().length === 1);
    const previous = structuredClone(lab.swarm.service(SERVICE).PreviousSpec);
    expect(previous?.TaskTemplate?.ContainerSpec?.Image).toBe(r1.ref);

    // The new task runs, but fails HAProxy's check; Swarm (which knows nothing of it) stops the old one.
    unhealthy.add('10.0.1.13');
    const fresh = lab.swarm.task(SERVICE, { slot: 1, node: 'node-c', state: 'running', address: '10.0.1.13' });
    haproxy().resolve('web3', '10.0.1.13');
    const old1 = lab.swarm.tasks.find((t) => t.Slot === 1 && t.NodeID === 'node-a')!;
    lab.swarm.change(old1, { desired: 'shutdown' });
    await soon('web1 in maintenance', () => sets().includes('set server servers/web1 state maint'));

    await soon('the update back', () => updates().length === 2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(healthTimeoutMs);
    const back = updates()[1];
    expect(back.spec).toEqual(previous);
    expect(back.version).toBe(updates()[0].version! + 1);

    // Swarm goes back: a task of the previous release in slot 1, the unhealthy one stopped.
    lab.swarm.change(old1, { state: 'shutdown' });
    haproxy().resolve('web1', undefined);
    lab.swarm.task(SERVICE, { slot: 1, node: 'node-a', state: 'running', address: '10.0.1.15', image: r1.ref });
    haproxy().resolve('web4', '10.0.1.15');
    lab.swarm.change(fresh, { desired: 'shutdown' });
    await soon('web3 in maintenance', () => sets().includes('set server servers/web3 state maint'));
    lab.swarm.change(fresh, { state: 'shutdown' });
    haproxy().resolve('web3', undefined);
    lab.swarm.service(SERVICE).UpdateStatus = { State: 'completed', Message: 'update completed' };

    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RolloutStopped);
    expect((err as RolloutStopped).why).toMatchObject({ kind: 'unhealthy', server: 'web.1', params: { ms: healthTimeoutMs } });
    expect(updates()).toHaveLength(2);
    // Every slot taken out was given back.
    expect(sets()).toEqual(['set server servers/web1 state maint', 'set server servers/web1 state ready', 'set server servers/web3 state maint', 'set server servers/web3 state ready']);
    expect(haproxy().servers.filter((s) => s.admin !== 'ready')).toEqual([]);
  });
});
