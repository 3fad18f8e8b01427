/**
 * Cluster management on the real test nodes (test/support/cluster/nodes.sh): engines swn1 and swn2,
 * each in its own network namespace with its own sshd. A Switchyard whose own engine is swn1 starts
 * a cluster, adds swn2 over SSH, drains and activates it, and takes both out; another one, on the
 * default engine, does it all over SSH. swn3 and the default engine are never put in a swarm, and
 * swn1 and swn2 leave every swarm at the end.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterInfo } from '../../shared/clusters';
import type { SshHost } from '../../shared/hosts';
import { sshTargetFor } from '../../electron/core/hosts/host-service';
import type { SecretStore } from '../../electron/core/secrets/secret-store';
import { leaveSwarm, NODES, nodeDocker, requireNodes, sshHostInput, type TestNode } from '../support/cluster';
import { cli } from '../support/cli';
import { FakeDockerEngine } from '../support/fake-docker-engine';
import { FakeSwarmMember, FakeSwarmNetwork } from '../support/fake-engine-swarm';
import { docker, testCore, type TestCore } from '../support/lab';

const { swn1, swn2 } = NODES;

/** The engine's own id, as /info gives it. */
async function engineId(d: { info(): Promise<unknown> }): Promise<string> {
  return ((await d.info()) as { ID: string }).ID;
}

/**
 * Refuses to go on unless the SSH host reaches that node's own engine: a swarm call over it must
 * never land on the default engine (or on swn3).
 */
async function reachesOwnEngine(t: TestCore, id: string, n: TestNode): Promise<void> {
  const host = (await t.call('hosts:list', {})).find((h): h is SshHost => h.id === id && h.kind === 'ssh');
  // Key logins read no secret.
  const target = sshTargetFor(host!, {} as SecretStore);
  try {
    const [over, own, fallback] = await Promise.all([engineId(target.docker), engineId(nodeDocker(n)), engineId(docker)]);
    expect(own, `${n.name} has its own engine`).not.toBe(fallback);
    expect(over, `the SSH host ${id} reaches ${n.name}'s engine`).toBe(own);
  } finally {
    await target.close();
  }
}

async function defaultEngineUntouched(): Promise<void> {
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string } };
  expect(info.Swarm?.LocalNodeState ?? 'inactive').toBe('inactive');
}

const hostsOf = (info: ClusterInfo) => info.nodes.map((n) => [n.hostname, n.role, n.state, n.host]);

beforeAll(async () => {
  await requireNodes();
  await leaveSwarm(swn2);
  await leaveSwarm(swn1);
  await defaultEngineUntouched();
});

afterAll(async () => {
  await leaveSwarm(swn2).catch(() => undefined);
  await leaveSwarm(swn1).catch(() => undefined);
});

describe('a Switchyard whose own engine is swn1', () => {
  const env = { ...process.env, DOCKER_HOST: swn1.dockerHost };
  let t: TestCore;
  const changes: ClusterInfo[] = [];

  beforeAll(async () => {
    t = testCore(env);
    await t.core.subscribe('clusters:changed', {}, (info) => changes.push(info));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('starts a cluster on local, adds swn2 over SSH, lists both ready and mapped, drains and activates swn2, and takes both out', async () => {
    const started = Date.now();
    const init = await cli(t.dataDir, ['cluster', 'init', 'local', '--advertise-addr', swn1.address], env);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(new RegExp(`^started a cluster on local: its manager is node [a-z0-9]{12} at ${swn1.address.replace(/\./g, '\\.')}:2377\n`));
    expect(init.stdout).toContain('add a host with: switchyard cluster join <host> --manager local\n');

    await t.call('hosts:add', sshHostInput(swn2, 'swn2'));
    await reachesOwnEngine(t, 'swn2', swn2);
    const join = await cli(t.dataDir, ['cluster', 'join', 'swn2', '--manager', 'local'], env);
    expect(join.stderr).toBe('');
    expect(join.code).toBe(0);
    expect(join.stdout.split('\n')[0]).toBe('swn2 joined the cluster of local as a worker');

    const info = await t.call('clusters:info', { host: 'local' });
    expect(info).toMatchObject({ host: 'local', state: 'active', manager: true, managerAddress: `${swn1.address}:2377`, problems: [] });
    expect(hostsOf(info)).toEqual([
      ['swn1', 'manager', 'ready', 'local'],
      ['swn2', 'worker', 'ready', 'swn2'],
    ]);
    const [manager, worker] = info.nodes;
    expect(manager).toMatchObject({ leader: true, address: swn1.address, availability: 'active' });
    expect(worker).toMatchObject({ leader: false, address: swn2.address, availability: 'active' });
    expect(worker.engineVersion).toMatch(/^\d+\.\d+/);
    expect(worker.cpus).toBeGreaterThan(0);
    expect(worker.memoryBytes).toBeGreaterThan(0);
    expect(await t.call('clusters:info', { host: 'swn2' })).toMatchObject({ state: 'active', manager: false, managerAddress: `${swn1.address}:2377`, nodes: [] });

    const table = await cli(t.dataDir, ['cluster', 'nodes', 'local'], env);
    expect(table.code).toBe(0);
    const rows = table.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/ {2,}/));
    expect(rows[0]).toEqual(['ID', 'HOSTNAME', 'ROLE', 'STATE', 'AVAILABILITY', 'ADDRESS', 'ENGINE', 'TASKS', 'HOST']);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2], r[3], r[4], r[5], r[8]])).toEqual([
      [manager.id.slice(0, 12), 'swn1', 'leader', 'ready', 'active', swn1.address, 'local'],
      [worker.id.slice(0, 12), 'swn2', 'worker', 'ready', 'active', swn2.address, 'swn2'],
    ]);

    const drain = await cli(t.dataDir, ['node', 'drain', 'local', 'swn2'], env);
    expect(drain.stdout).toBe(`drained swn2 (${worker.id.slice(0, 12)})\n`);
    expect((await t.call('clusters:info', { host: 'local' })).nodes.find((n) => n.hostname === 'swn2')?.availability).toBe('drain');
    // Through the contract, by id, as the window does: the change is told.
    changes.length = 0;
    const active = await t.call('nodes:availability', { host: 'local', node: worker.id, availability: 'active' });
    expect(active).toMatchObject({ id: worker.id, availability: 'active', host: 'swn2' });
    expect(changes.map((c) => [c.host, c.nodes.find((n) => n.id === worker.id)?.availability])).toEqual([['local', 'active']]);

    const checks = await t.call('hosts:check', { id: 'swn2', ports: [] });
    expect(checks.find((c) => c.check === 'swarm')).toMatchObject({ ok: true, message: `Worker of a Docker Swarm cluster (its manager is at ${swn1.address}:2377)` });

    // A manager Docker keeps (the last one) is refused without force, and stays.
    const refused = await t.core.invoke('clusters:leave', { host: 'local' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'force', reason: 'leaveManager' } });
    expect((await t.call('clusters:info', { host: 'local' })).manager).toBe(true);

    const left = await cli(t.dataDir, ['cluster', 'leave', 'swn2'], env);
    expect(left.stdout).toBe('swn2 left its cluster\n');
    // The worker that left is off the manager's list, not a node down for good.
    const after = await t.call('clusters:info', { host: 'local' });
    expect(hostsOf(after)).toEqual([['swn1', 'manager', 'ready', 'local']]);
    expect(after.problems).toEqual([]);
    const gone = await cli(t.dataDir, ['cluster', 'leave', 'local', '--force'], env);
    expect(gone.stdout).toBe('local left its cluster\n');
    expect(await t.call('clusters:info', { host: 'local' })).toMatchObject({ state: 'inactive', manager: false, nodes: [] });
    const none = await cli(t.dataDir, ['cluster', 'nodes', 'local'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('error NOT_A_CLUSTER: local is not in a Docker Swarm cluster: start one with switchyard cluster init local\nfield: host\n');
    await defaultEngineUntouched();
    console.log(`cluster of local (swn1) and swn2: started, joined, drained, activated and left in ${Date.now() - started} ms`);
  });
});

describe('a Switchyard on the default engine, reaching swn1 and swn2 over SSH only', () => {
  let t: TestCore;

  beforeAll(async () => {
    t = testCore();
    await t.call('hosts:add', sshHostInput(swn1, 'swn1'));
    await t.call('hosts:add', sshHostInput(swn2, 'swn2'));
    await reachesOwnEngine(t, 'swn1', swn1);
    await reachesOwnEngine(t, 'swn2', swn2);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('starts a cluster on swn1 advertising its SSH address, adds swn2 as a manager, and lists both; refusals change nothing', async () => {
    const started = Date.now();
    const init = await t.call('clusters:init', { host: 'swn1' });
    expect(init).toMatchObject({ host: 'swn1', manager: true, managerAddress: `${swn1.address}:2377` });

    // Refusals before anything changes: a manager that manages none, a host already in one.
    expect(await t.core.invoke('clusters:join', { host: 'swn1', manager: 'swn2' })).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'host' } });
    expect(await t.core.invoke('clusters:join', { host: 'swn2', manager: 'local' })).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'manager', reason: 'managerNotManager' } });
    expect(await t.core.invoke('nodes:availability', { host: 'swn2', node: 'swn1', availability: 'drain' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_A_CLUSTER', field: 'host', reason: 'inactive' },
    });
    expect((await t.call('clusters:info', { host: 'swn2' })).state).toBe('inactive');

    const joined = await t.call('clusters:join', { host: 'swn2', manager: 'swn1', role: 'manager' });
    expect(hostsOf(joined)).toEqual([
      ['swn1', 'manager', 'ready', 'swn1'],
      ['swn2', 'manager', 'ready', 'swn2'],
    ]);
    expect(joined.nodes.find((n) => n.hostname === 'swn2')?.address).toBe(swn2.address);
    // Either manager answers for the cluster.
    const fromSwn2 = await t.call('clusters:info', { host: 'swn2' });
    expect(fromSwn2.manager).toBe(true);
    expect(fromSwn2.clusterId).toBe(joined.clusterId);
    expect(fromSwn2.nodes.map((n) => n.host)).toEqual(['swn1', 'swn2']);

    const check = (await t.call('hosts:check', { id: 'swn1', ports: [] })).find((c) => c.check === 'swarm');
    expect(check).toMatchObject({ ok: true, message: 'Manager of a Docker Swarm cluster of 2 nodes, 2 ready' });

    // With two managers, either leaving loses the quorum: Docker keeps them without force.
    expect(await t.core.invoke('clusters:leave', { host: 'swn2' })).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'force' } });
    expect((await t.call('clusters:leave', { host: 'swn2', force: true })).state).toBe('inactive');
    expect((await t.call('clusters:leave', { host: 'swn1', force: true })).state).toBe('inactive');
    await defaultEngineUntouched();
    console.log(`cluster over SSH of swn1 and swn2 (two managers): started, joined and left in ${Date.now() - started} ms`);
  });
});

describe('the fake swarm of the unit tests answers like Docker', () => {
  /** One script of the swarm calls the cluster service makes, on a manager `a` and a node `b`: what each step answered. */
  async function script(a: Docker, b: Docker): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    const step = async (what: string, fn: () => Promise<unknown>, words?: RegExp) => {
      try {
        const v = await fn();
        out[what] = typeof v === 'boolean' || typeof v === 'string' ? v : 'ok';
      } catch (err) {
        const e = err as { statusCode?: number; json?: { message?: string } };
        out[what] = words ? [e.statusCode, words.test(e.json?.message ?? '')] : e.statusCode;
      }
    };
    const state = async (d: Docker) => ((await d.info()) as { Swarm: { LocalNodeState: string; ControlAvailable: boolean } }).Swarm;
    await step('info, in none', async () => (await state(a)).LocalNodeState);
    await step('swarm, in none', () => a.swarmInspect());
    await step('leave, in none', () => a.swarmLeave({}));
    await step('init', async () => typeof (await a.swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: swn1.address })) === 'string');
    await step('init again', () => a.swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: swn1.address }), /already part of a swarm/);
    const tokens = ((await a.swarmInspect()) as { JoinTokens: { Worker: string } }).JoinTokens;
    await step('join', () => b.swarmJoin({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: swn2.address, RemoteAddrs: [`${swn1.address}:2377`], JoinToken: tokens.Worker }));
    await step('info, worker', async () => `${(await state(b)).LocalNodeState} ${(await state(b)).ControlAvailable}`);
    await step('swarm, on a worker', () => b.swarmInspect(), /not a swarm manager/);
    await step('nodes, on a worker', () => b.listNodes(), /not a swarm manager/);
    const me = ((await state(a)) as unknown as { NodeID: string }).NodeID;
    const node = (await a.getNode(me).inspect()) as { Version: { Index: number }; Spec: object; ManagerStatus: { Addr: string } };
    await step('manager address', async () => node.ManagerStatus.Addr);
    await step('update, stale version', () => a.getNode(me).update({ _query: { version: node.Version.Index - 1 }, _body: { ...node.Spec, Availability: 'drain' } }), /out of sequence/);
    await step('update', () => a.getNode(me).update({ _query: { version: node.Version.Index }, _body: { ...node.Spec, Availability: 'drain' } }));
    await step('drained', async () => ((await a.getNode(me).inspect()) as { Spec: { Availability: string } }).Spec.Availability);
    await step('tasks', async () => Array.isArray(await a.listTasks({ filters: { 'desired-state': ['running'] } })));
    await step('leave a manager', () => a.swarmLeave({}), /--force/);
    await step('leave a worker', () => b.swarmLeave({}));
    await step('leave, forced', () => a.swarmLeave({ force: true }));
    return out;
  }

  it('gives the same answers and the words the service reads, for the same script', async () => {
    const network = new FakeSwarmNetwork();
    const [fa, fb] = await Promise.all([FakeDockerEngine.start(), FakeDockerEngine.start()]);
    fa.swarm = new FakeSwarmMember(network, { hostname: 'swn1', address: swn1.address });
    fb.swarm = new FakeSwarmMember(network, { hostname: 'swn2', address: swn2.address });
    try {
      const real = await script(nodeDocker(swn1), nodeDocker(swn2));
      const fake = await script(fa.docker(), fb.docker());
      expect(real['manager address']).toBe(`${swn1.address}:2377`);
      expect(fake).toEqual(real);
    } finally {
      await Promise.all([fa.close(), fb.close()]);
      await leaveSwarm(swn2);
      await leaveSwarm(swn1);
    }
  });
});
