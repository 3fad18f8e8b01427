/**
 * Cluster management against fake engines that share a fake Docker Swarm (fake-engine-swarm.ts):
 * starting a cluster, adding hosts, draining nodes, taking hosts out, and every refusal, which
 * must name its field and change nothing.
 */
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { ClusterInfo, ClusterNode } from '../../../shared/clusters';
import { ClusterJoin } from '../../../shared/clusters';
import type { RequestOf, ResponseOf, EventPayload } from '../../../shared/contract';
import { SwitchyardError } from '../../../shared/errors';
import { english } from '../../../shared/messages';
import type { SshHost } from '../../../shared/hosts';
import { ClusterService } from '../../../electron/core/clusters/cluster-service';
import { checkHost } from '../../../electron/core/hosts/host-checks';
import type { SshDockerTarget } from '../../../electron/core/targets/ssh-target';
import { FakeDockerEngine } from '../../support/fake-docker-engine';
import { FakeSwarmMember, FakeSwarmNetwork } from '../../support/fake-engine-swarm';
import { FakeTarget } from '../../support/fake-target';

interface Machine {
  id: string;
  hostname: string;
  /** The address the engine would advertise by itself; none: it cannot choose. */
  address?: string;
  /** For an SSH host: its SSH address (the default advertise address). */
  sshAddress?: string;
}

const engines: FakeDockerEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function setup(
  machines: Machine[] = [
    { id: 'local', hostname: 'laptop', address: '10.0.0.1' },
    { id: 'vps-1', hostname: 'vps1', address: '10.0.0.2', sshAddress: '10.0.0.2' },
    { id: 'vps-2', hostname: 'vps2', address: '10.0.0.3', sshAddress: '10.0.0.3' },
  ],
) {
  const network = new FakeSwarmNetwork();
  const targets = new Map<string, FakeTarget>();
  const members = new Map<string, FakeSwarmMember>();
  const sshHosts: SshHost[] = [];
  for (const m of machines) {
    const engine = await FakeDockerEngine.start();
    engines.push(engine);
    engine.swarm = new FakeSwarmMember(network, { hostname: m.hostname, address: m.address });
    members.set(m.id, engine.swarm);
    targets.set(m.id, new FakeTarget(engine, m.id));
    if (m.id !== 'local') sshHosts.push({ kind: 'ssh', id: m.id, name: m.id, address: m.sshAddress ?? m.address ?? '10.9.9.9', port: 22, user: 'root', auth: { method: 'agent' } });
  }
  const placed: Record<string, string[]> = {};
  const changes: ClusterInfo[] = [];
  const service = new ClusterService({
    targetFor: async (id) => {
      const t = targets.get(id);
      if (!t) throw new SwitchyardError('VALIDATION', `host: there is no host "${id}"`, { field: 'host' });
      return t;
    },
    hosts: async () => sshHosts,
    environmentsOn: async (id) => placed[id] ?? [],
    changed: (info) => changes.push(info),
    joinReadyTimeoutMs: 1000,
  });
  const engine = (id: string) => targets.get(id)!.engine;
  return { service, members, engine, placed, changes };
}

/** The refusal a call threw, to compare its code, field and words. */
async function refusal(p: Promise<unknown>): Promise<SwitchyardError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SwitchyardError);
  return err as SwitchyardError;
}

describe('the cluster contract', () => {
  it('locks the requests and answers of the cluster channels and event', () => {
    expectTypeOf<RequestOf<'clusters:info'>>().toEqualTypeOf<{ host: string }>();
    expectTypeOf<RequestOf<'clusters:init'>>().toEqualTypeOf<{ host: string; advertiseAddress?: string | undefined }>();
    expectTypeOf<RequestOf<'clusters:leave'>>().toEqualTypeOf<{ host: string; force?: boolean | undefined }>();
    expectTypeOf<ResponseOf<'clusters:info'>>().toEqualTypeOf<ClusterInfo>();
    expectTypeOf<ResponseOf<'clusters:join'>>().toEqualTypeOf<ClusterInfo>();
    expectTypeOf<ResponseOf<'nodes:availability'>>().toEqualTypeOf<ClusterNode>();
    expectTypeOf<EventPayload<'clusters:changed'>>().toEqualTypeOf<ClusterInfo>();
  });

  it('a join defaults to a worker and may not name the joining host as its manager', () => {
    expect(ClusterJoin.parse({ host: 'vps-1', manager: 'local' }).role).toBe('worker');
    expect(ClusterJoin.safeParse({ host: 'vps-1', manager: 'vps-1' }).error?.issues[0].path).toEqual(['manager']);
    expect(ClusterJoin.safeParse({ host: 'vps-1', manager: 'local', advertiseAddress: '10.0.0.300' }).error?.issues[0].path).toEqual(['advertiseAddress']);
    expect(ClusterJoin.safeParse({ host: 'vps-1', manager: 'local', advertiseAddress: '10.0.0.3:2377' }).error?.issues[0].path).toEqual(['advertiseAddress']);
  });
});

describe('starting a cluster', () => {
  it('a host in no cluster says so: inactive, not a manager, no nodes, nothing wrong', async () => {
    const { service } = await setup();
    expect(await service.info('local')).toEqual({ host: 'local', state: 'inactive', manager: false, nodes: [], problems: [] });
  });

  it('init makes the host the manager and leader of a one-node cluster, mapped to its host, and tells it', async () => {
    const { service, members, changes } = await setup();
    const info = await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    expect(members.get('local')!.calls[0].body).toMatchObject({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: '10.0.0.1' });
    expect(info).toMatchObject({ host: 'local', state: 'active', manager: true, managerAddress: '10.0.0.1:2377', problems: [] });
    expect(info.clusterId).toBeTruthy();
    expect(info.nodes).toHaveLength(1);
    expect(info.nodes[0]).toMatchObject({
      id: info.nodeId,
      hostname: 'laptop',
      role: 'manager',
      leader: true,
      state: 'ready',
      availability: 'active',
      // Docker shows a manager's own status address as 0.0.0.0: its manager address has the real one.
      address: '10.0.0.1',
      engineVersion: '26.1.0-fake',
      cpus: 2,
      memoryBytes: 4 * 1024 ** 3,
      host: 'local',
      tasks: 0,
    });
    expect(changes).toEqual([info]);
  });

  it('an SSH host advertises its SSH address unless told another', async () => {
    const { service, members } = await setup();
    await service.init({ host: 'vps-1' });
    expect(members.get('vps-1')!.calls[0].body).toMatchObject({ AdvertiseAddr: '10.0.0.2' });
  });

  it('a local engine that cannot choose its address is refused naming advertiseAddress, with Docker’s words, and stays out', async () => {
    const { service, members, changes } = await setup([{ id: 'local', hostname: 'laptop' }]);
    const e = await refusal(service.init({ host: 'local' }));
    expect(e).toMatchObject({ code: 'VALIDATION', field: 'advertiseAddress', reason: 'advertiseNeeded' });
    expect(e.message).toContain('--advertise-addr');
    expect(e.detail).toContain('could not choose an IP address to advertise');
    expect(members.get('local')!.state).toBe('inactive');
    expect(changes).toEqual([]);
    // With the address given, it starts.
    expect((await service.init({ host: 'local', advertiseAddress: '192.168.56.10' })).manager).toBe(true);
  });

  it('a host already in a cluster is refused naming host, and Docker is not asked', async () => {
    const { service, members } = await setup();
    await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    const e = await refusal(service.init({ host: 'local', advertiseAddress: '10.0.0.1' }));
    expect(e).toMatchObject({ code: 'VALIDATION', field: 'host', reason: 'swarmAlreadyIn' });
    expect(e.message).toBe('host: local is already in a Docker Swarm cluster: take it out first (switchyard cluster leave local)');
    expect(members.get('local')!.calls).toHaveLength(1);
  });
});

describe('adding a host to a cluster', () => {
  it('joins with the manager’s worker token and address, advertising the SSH address; both nodes listed ready and mapped', async () => {
    const { service, members, changes } = await setup();
    const manager = await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    changes.length = 0;
    const info = await service.join({ host: 'vps-1', manager: 'local' });
    const cluster = members.get('local')!.cluster!;
    expect(members.get('vps-1')!.calls[0].body).toEqual({ ListenAddr: '0.0.0.0:2377', RemoteAddrs: ['10.0.0.1:2377'], JoinToken: cluster.tokens.Worker, AdvertiseAddr: '10.0.0.2' });
    expect(info.host).toBe('local');
    expect(info.nodes.map((n) => [n.hostname, n.role, n.state, n.host])).toEqual([
      ['laptop', 'manager', 'ready', 'local'],
      ['vps1', 'worker', 'ready', 'vps-1'],
    ]);
    expect(info.nodes[1].address).toBe('10.0.0.2');
    // The joined host and its manager are both told.
    expect(changes.map((c) => [c.host, c.state, c.manager])).toEqual([
      ['vps-1', 'active', false],
      ['local', 'active', true],
    ]);
    const worker = await service.info('vps-1');
    expect(worker).toMatchObject({ state: 'active', manager: false, managerAddress: '10.0.0.1:2377', nodes: [] });
    expect(await service.nodeHost(manager.nodeId!)).toBe('local');
    expect(await service.nodeHost(worker.nodeId!)).toBe('vps-1');
  });

  it('joins as a manager with the manager token', async () => {
    const { service, members } = await setup();
    await service.init({ host: 'vps-1' });
    const info = await service.join({ host: 'vps-2', manager: 'vps-1', role: 'manager', advertiseAddress: '10.0.0.30' });
    expect(members.get('vps-2')!.calls[0].body).toMatchObject({ JoinToken: members.get('vps-1')!.cluster!.tokens.Manager, AdvertiseAddr: '10.0.0.30' });
    expect(info.nodes.filter((n) => n.role === 'manager').map((n) => n.host)).toEqual(['vps-1', 'vps-2']);
  });

  it('refuses a host already in a cluster (host) and a manager that manages none (manager), changing nothing', async () => {
    const { service, members } = await setup();
    await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    await service.join({ host: 'vps-1', manager: 'local' });

    const inCluster = await refusal(service.join({ host: 'vps-1', manager: 'local' }));
    expect(inCluster).toMatchObject({ code: 'VALIDATION', field: 'host', reason: 'swarmAlreadyIn' });

    const worker = await refusal(service.join({ host: 'vps-2', manager: 'vps-1' }));
    expect(worker).toMatchObject({ code: 'VALIDATION', field: 'manager', reason: 'managerNotManager' });
    expect(worker.message).toContain('switchyard cluster init vps-1');
    expect(members.get('vps-2')!.calls).toEqual([]);
    expect(members.get('vps-2')!.state).toBe('inactive');
  });

  it('a join Docker refuses is CLUSTER_FAILED naming both hosts, the address and the ports, with Docker’s words', async () => {
    const { service, engine } = await setup();
    await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    engine('vps-1').fail('POST', /^\/swarm\/join$/, 500, 'Timeout was reached before node joined.');
    const e = await refusal(service.join({ host: 'vps-1', manager: 'local' }));
    expect(e).toMatchObject({ code: 'CLUSTER_FAILED', reason: 'join', detail: 'Timeout was reached before node joined.' });
    expect(e.message).toContain('Docker on vps-1 could not join the cluster of local (at 10.0.0.1:2377)');
    expect(e.message).toContain('2377');
  });
});

describe('draining and activating nodes', () => {
  it('drains a node by hostname and activates it by id, through the manager', async () => {
    const { service, members, changes } = await setup();
    await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    await service.join({ host: 'vps-1', manager: 'local' });
    const workerId = members.get('vps-1')!.node!.id;
    members.get('local')!.cluster!.tasks.set(workerId, 3);
    changes.length = 0;

    const drained = await service.setAvailability({ host: 'local', node: 'vps1', availability: 'drain' });
    expect(drained).toMatchObject({ id: workerId, hostname: 'vps1', availability: 'drain', host: 'vps-1', tasks: 3 });
    expect(changes.map((c) => c.nodes.find((n) => n.id === workerId)?.availability)).toEqual(['drain']);

    const active = await service.setAvailability({ host: 'local', node: workerId.slice(0, 12), availability: 'active' });
    expect(active.availability).toBe('active');
    expect((await service.info('local')).nodes.find((n) => n.id === workerId)?.availability).toBe('active');
  });

  it('a change that lost a race with another one is tried once more', async () => {
    const { service, members } = await setup();
    await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    members.get('local')!.cluster!.conflicts = 1;
    expect((await service.setAvailability({ host: 'local', node: 'laptop', availability: 'pause' })).availability).toBe('pause');
    members.get('local')!.cluster!.conflicts = 2;
    const e = await refusal(service.setAvailability({ host: 'local', node: 'laptop', availability: 'active' }));
    expect(e).toMatchObject({ code: 'CLUSTER_FAILED', reason: 'availability', field: 'node' });
    expect(e.detail).toContain('update out of sequence');
  });

  it('an unknown node is NOT_FOUND naming node; a host that manages no cluster is NOT_A_CLUSTER naming host', async () => {
    const { service } = await setup();
    const none = await refusal(service.setAvailability({ host: 'local', node: 'vps1', availability: 'drain' }));
    expect(none).toMatchObject({ code: 'NOT_A_CLUSTER', field: 'host', reason: 'inactive' });
    expect(none.message).toBe('local is not in a Docker Swarm cluster: start one with switchyard cluster init local');

    await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    const unknown = await refusal(service.setAvailability({ host: 'local', node: 'nosuch', availability: 'drain' }));
    expect(unknown).toMatchObject({ code: 'NOT_FOUND', field: 'node', reason: 'node' });
  });
});

describe('the manager of a host, for environments on a cluster', () => {
  it('gives a manager’s target and cluster; refuses a worker naming its manager, and a host in none', async () => {
    const { service } = await setup();
    await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    await service.join({ host: 'vps-1', manager: 'local' });
    const { target, info } = await service.managerOf('local');
    expect(target.hostId).toBe('local');
    expect(info.nodes).toHaveLength(2);

    const worker = await refusal(service.managerOf('vps-1'));
    expect(worker).toMatchObject({ code: 'NOT_A_CLUSTER', reason: 'worker', field: 'host' });
    expect(worker.message).toContain('its manager is at 10.0.0.1:2377');
    const none = await refusal(service.managerOf('vps-2'));
    expect(none.message).toContain('switchyard cluster init vps-2');
  });

  it('maps nodes to hosts once, then from memory; an engine that does not answer maps nothing', async () => {
    const { service, engine } = await setup();
    const info = await service.init({ host: 'vps-2' });
    await engine('vps-1').close();
    const asked = () => engine('local').calls('GET', /^\/info$/).length;
    expect(await service.nodeHost(info.nodeId!)).toBe('vps-2');
    const before = asked();
    expect(await service.nodeHost('nosuchnode')).toBeUndefined();
    expect(asked()).toBe(before);
  });
});

describe('taking a host out of its cluster', () => {
  it('a worker leaves, and its node goes from the manager’s list', async () => {
    const { service, members } = await setup();
    await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    await service.join({ host: 'vps-1', manager: 'local' });
    const left = await service.leave({ host: 'vps-1' });
    expect(left).toMatchObject({ host: 'vps-1', state: 'inactive', manager: false, nodes: [] });
    expect(members.get('vps-1')!.state).toBe('inactive');
    const manager = await service.info('local');
    expect(manager.nodes.map((n) => n.hostname)).toEqual(['laptop']);
    expect(manager.problems).toEqual([]);
  });

  it('refused while this Switchyard’s environments are placed on it, unless forced', async () => {
    const { service, members, placed } = await setup();
    await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    await service.join({ host: 'vps-1', manager: 'local' });
    placed['vps-1'] = ['shop', 'lab'];
    const e = await refusal(service.leave({ host: 'vps-1' }));
    expect(e).toMatchObject({ code: 'BUSY', field: 'host', reason: 'clusterPlaced' });
    expect(e.message).toContain('(shop, lab)');
    expect(members.get('vps-1')!.state).toBe('active');
    expect((await service.leave({ host: 'vps-1', force: true })).state).toBe('inactive');
  });

  it('a manager Docker will not let go without force is refused naming force, still in; with force it leaves', async () => {
    const { service, members } = await setup();
    await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    const e = await refusal(service.leave({ host: 'local' }));
    expect(e).toMatchObject({ code: 'VALIDATION', field: 'force', reason: 'leaveManager' });
    expect(e.detail).toContain('Use `--force`');
    expect(members.get('local')!.state).toBe('active');
    expect((await service.leave({ host: 'local', force: true })).state).toBe('inactive');
  });

  it('a host in no cluster has nothing to leave: refused naming host', async () => {
    const { service } = await setup();
    expect(await refusal(service.leave({ host: 'vps-1' }))).toMatchObject({ code: 'VALIDATION', field: 'host', reason: 'swarmNotIn' });
  });
});

describe('what is wrong with a cluster', () => {
  it('a node down and a manager unreachable are problems, each with its English; no leader is one too', async () => {
    const { service, members } = await setup();
    await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    await service.join({ host: 'vps-1', manager: 'local' });
    await service.join({ host: 'vps-2', manager: 'local', role: 'manager' });
    members.get('vps-1')!.node!.state = 'down';
    members.get('vps-2')!.node!.reachability = 'unreachable';
    const info = await service.info('local');
    // Two managers, one of them unreachable: no quorum either.
    expect(info.problems.map((p) => p.code)).toEqual(['clusterProblem.nodeNotReady', 'clusterProblem.managerUnreachable', 'clusterProblem.noQuorum']);
    expect(info.problems[0]).toEqual({
      code: 'clusterProblem.nodeNotReady',
      params: { node: 'vps1', address: '10.0.0.2', state: 'down' },
      message: 'node vps1 (10.0.0.2) is not ready: down',
    });
    expect(info.nodes.find((n) => n.hostname === 'vps1')).toMatchObject({ state: 'down', message: 'heartbeat failure' });

    members.get('local')!.cluster!.leaderless = true;
    const lost = await service.info('local');
    expect(lost.problems.map((p) => p.message)).toEqual(['the cluster has no leader: too few of its managers are online']);
  });

  it('more than half of the managers unreachable is no quorum', async () => {
    const { service, members } = await setup();
    await service.init({ host: 'local', advertiseAddress: '10.0.0.1' });
    await service.join({ host: 'vps-1', manager: 'local', role: 'manager' });
    members.get('vps-1')!.node!.reachability = 'unreachable';
    const info = await service.info('local');
    expect(info.problems.map((p) => p.code)).toContain('clusterProblem.noQuorum');
    expect(info.problems.find((p) => p.code === 'clusterProblem.noQuorum')!.params).toEqual({ reachable: 1, managers: 2 });
  });
});

describe("a host's swarm check", () => {
  /** An SSH host as the checks see it, whose engine is a fake one in a fake swarm. */
  function sshTarget(engine: FakeDockerEngine): SshDockerTarget {
    const facts = 'arch=x86_64\nsock=usable\ncli=/usr/bin/docker\ngroups=root docker\ndbgroups=root docker\n';
    const connection = {
      presentedHostKey: { algorithm: 'ssh-ed25519', fingerprint: 'SHA256:Lq4Z+MP3sNz/c1jh1tMyjIrRZKQIonBujtFet9n3qlw' },
      connect: async () => undefined,
      close: async () => undefined,
      exec: async (command: string) =>
        command === 'sh -s'
          ? { code: 0, stdout: facts, stderr: '' }
          : { code: 0, stdout: 'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 41152736 1000 20971520 50% /\n', stderr: '' },
    };
    return { hostId: 'vps-1', user: 'root', connection, docker: engine.docker(), isPortFree: async () => true } as unknown as SshDockerTarget;
  }
  const swarmLine = async (engine: FakeDockerEngine) => (await checkHost(sshTarget(engine))).find((r) => r.check === 'swarm')!;

  it('not in a cluster: fine; a manager counts its nodes; a worker names its manager', async () => {
    const { service, engine } = await setup();
    expect(await swarmLine(engine('vps-1'))).toMatchObject({ ok: true, message: 'Not in a Docker Swarm cluster', text: { code: 'check.swarmNone' } });
    await service.init({ host: 'vps-1' });
    await service.join({ host: 'vps-2', manager: 'vps-1' });
    const manager = await swarmLine(engine('vps-1'));
    expect(manager).toMatchObject({ ok: true, message: 'Manager of a Docker Swarm cluster of 2 nodes, 2 ready' });
    expect(english(manager.text!)).toBe(manager.message);
    expect(await swarmLine(engine('vps-2'))).toMatchObject({ ok: true, message: 'Worker of a Docker Swarm cluster (its manager is at 10.0.0.2:2377)' });
  });

  it('a node down fails the check as CLUSTER_FAILED, naming the node', async () => {
    const { service, engine, members } = await setup();
    await service.init({ host: 'vps-1' });
    await service.join({ host: 'vps-2', manager: 'vps-1' });
    members.get('vps-2')!.node!.state = 'down';
    const line = await swarmLine(engine('vps-1'));
    expect(line).toMatchObject({ ok: false, code: 'CLUSTER_FAILED', reason: 'problems' });
    expect(line.message).toBe('The cluster of vps-1 has problems: node vps2 (10.0.0.3) is not ready: down');
  });

  it('a cluster without a leader fails the check', async () => {
    const { service, engine, members } = await setup();
    await service.init({ host: 'vps-1' });
    members.get('vps-1')!.cluster!.leaderless = true;
    const line = await swarmLine(engine('vps-1'));
    expect(line).toMatchObject({ ok: false, code: 'CLUSTER_FAILED' });
    expect(line.message).toContain('the cluster has no leader');
  });
});
