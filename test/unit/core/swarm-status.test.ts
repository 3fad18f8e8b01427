/**
 * The status of an environment on a cluster: HAProxy's slots (read by the inspector from the
 * load balancer's runtime API) mapped to Swarm's tasks and the nodes they run on, lost nodes
 * named; against a fake swarm manager whose load balancer is a FakeHaproxy.
 */
import type Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyBackendService, backendServiceSpec, backendSpecHash } from '../../../electron/core/clusters/swarm-backend';
import { clusterStatus } from '../../../electron/core/clusters/swarm-status';
import { Inspector, hasTask } from '../../../electron/core/environments/inspector';
import type { ClusterInfo, ClusterNode } from '../../../shared/clusters';
import type { EnvironmentStatus } from '../../../shared/contract';
import { clusterEnvironment, startFakeClusterLab, type FakeClusterLab } from '../../support/fake-cluster-lab';
import { ME } from '../../support/fake-lab';

const env = clusterEnvironment('lab', { cluster: { replicas: 3, slots: 6 } });
const SERVICE = 'sy-lab-web';

const node = (id: string, hostname: string, state: ClusterNode['state'] = 'ready'): ClusterNode => ({
  id,
  hostname,
  role: 'worker',
  leader: false,
  state,
  availability: 'active',
  address: '10.250.0.1',
  engineVersion: '26.1.0',
  cpus: 2,
  memoryBytes: 2 ** 31,
  labels: {},
  tasks: 0,
});

describe('the status of an environment on a cluster, against a fake swarm', () => {
  let lab: FakeClusterLab;
  let info: ClusterInfo;
  const cluster = () => Promise.resolve({ manager: { docker: lab.docker, hostId: 'local' }, info });
  const status = async () => clusterStatus(env, await new Inspector(lab.target).status(env, ME), cluster);

  beforeEach(async () => {
    lab = await startFakeClusterLab();
    info = { host: 'local', state: 'active', manager: true, nodeId: 'node-a', nodes: [node('node-a', 'swn1'), node('node-b', 'swn2'), node('node-c', 'swn3')], problems: [] };
    const image = { ref: 'sy-lab-demo:1', id: `sha256:${'1'.repeat(64)}` };
    await applyBackendService(lab.docker, backendServiceSpec(env, image, {}, backendSpecHash(env, image, []), ME));
    await lab.startLoadBalancer(env);
    // Every address the fake DNS hands out answers the health checks.
    lab.engine.state.externalUp = () => true;
  });

  afterEach(async () => {
    await lab.close();
  });

  /** A running task of the service, and the slot Docker's DNS gave its address to. */
  const runs = (slot: number, nodeId: string, ip: string, haproxySlot?: string) => {
    const t = lab.swarm.task(SERVICE, { slot, node: nodeId, state: 'running', address: ip });
    if (haproxySlot) lab.haproxy('lab').resolve(haproxySlot, ip);
    return t;
  };

  it("maps each slot to its task and the task's node; slots without a task are not listed", async () => {
    runs(1, 'node-a', '10.0.1.11', 'web1');
    runs(2, 'node-b', '10.0.1.12', 'web2');
    runs(3, 'node-b', '10.0.1.13', 'web4');
    const s = await status();
    expect(s.servers.map((x) => ({ name: x.name, address: x.address, health: x.health, task: x.task, node: x.node }))).toEqual([
      { name: 'web1', address: '10.0.1.11:80', health: 'UP', task: 'sy-lab-web.1', node: 'swn1' },
      { name: 'web2', address: '10.0.1.12:80', health: 'UP', task: 'sy-lab-web.2', node: 'swn2' },
      { name: 'web4', address: '10.0.1.13:80', health: 'UP', task: 'sy-lab-web.3', node: 'swn2' },
    ]);
    expect(s.state).toBe('running');
    expect(s.cluster).toEqual({
      manager: 'local',
      service: SERVICE,
      replicas: 3,
      running: 3,
      nodes: [
        { id: 'node-a', hostname: 'swn1', state: 'ready', availability: 'active', tasks: 1 },
        { id: 'node-b', hostname: 'swn2', state: 'ready', availability: 'active', tasks: 2 },
        { id: 'node-c', hostname: 'swn3', state: 'ready', availability: 'active', tasks: 0 },
      ],
      lost: [],
    });
    // The tasks are shown as the backend's containers, each with its node.
    expect(s.containers.filter((c) => c.role === 'backend').map((c) => [c.name, c.node, c.state])).toEqual([
      ['sy-lab-web.1', 'swn1', 'running'],
      ['sy-lab-web.2', 'swn2', 'running'],
      ['sy-lab-web.3', 'swn2', 'running'],
    ]);
  });

  it('counts as running only tasks Swarm wants running: a task it is stopping keeps its slot but is not counted', async () => {
    runs(1, 'node-a', '10.0.1.11', 'web1');
    runs(2, 'node-b', '10.0.1.12', 'web2');
    lab.swarm.task(SERVICE, { slot: 3, node: 'node-c', state: 'running', desired: 'shutdown', address: '10.0.1.13' });
    lab.haproxy('lab').resolve('web3', '10.0.1.13');
    lab.swarm.task(SERVICE, { slot: 3, node: 'node-a', state: 'preparing' });
    // History Swarm keeps: a task that ended long ago is neither a container nor counted.
    lab.swarm.task(SERVICE, { slot: 1, node: 'node-c', state: 'shutdown', desired: 'shutdown', exitCode: 0 });
    const s = await status();
    expect(s.cluster?.running).toBe(2);
    expect(s.cluster?.nodes.map((n) => n.tasks)).toEqual([1, 1, 0]);
    expect(s.servers.find((x) => x.name === 'web3')).toMatchObject({ task: 'sy-lab-web.3', node: 'swn3' });
    expect(s.containers.filter((c) => c.role === 'backend').map((c) => [c.name, c.state, c.node])).toEqual([
      ['sy-lab-web.1', 'running', 'swn1'],
      ['sy-lab-web.2', 'running', 'swn2'],
      ['sy-lab-web.3', 'running', 'swn3'],
      ['sy-lab-web.3', 'preparing', 'swn1'],
    ]);
    // Two of the three replicas: partly down until the new one runs.
    expect(s.state).toBe('partly-down');
  });

  it('names the nodes that are lost, and the environment is partly down even with every replica running', async () => {
    info.nodes[2] = node('node-c', 'swn3', 'down');
    runs(1, 'node-a', '10.0.1.11', 'web1');
    runs(2, 'node-b', '10.0.1.12', 'web2');
    runs(3, 'node-a', '10.0.1.13', 'web3');
    const s = await status();
    expect(s.cluster?.running).toBe(3);
    expect(s.cluster?.lost).toEqual(['swn3']);
    expect(s.cluster?.nodes.find((n) => n.hostname === 'swn3')).toMatchObject({ state: 'down', tasks: 0 });
    expect(s.state).toBe('partly-down');
  });

  it("says why a task cannot start (Docker's words), and Swarm's rolling update while one runs", async () => {
    runs(1, 'node-a', '10.0.1.11', 'web1');
    runs(2, 'node-b', '10.0.1.12', 'web2');
    const reason = 'no suitable node (scheduling constraints not satisfied on 3 nodes)';
    lab.swarm.task(SERVICE, { slot: 3, node: '', state: 'pending', err: reason });
    lab.swarm.service(SERVICE).UpdateStatus = { State: 'updating', Message: 'update in progress' };
    const s = await status();
    expect(s.containers.find((c) => c.state === 'pending')).toMatchObject({ name: 'sy-lab-web.3', error: reason });
    expect(s.cluster?.update).toEqual({ state: 'updating', message: 'update in progress' });
  });

  it('names a node Switchyard does not know by the start of its id', async () => {
    runs(1, 'f00dfeedcafe0123456789abcdef', '10.0.1.11', 'web1');
    const s = await status();
    expect(s.servers[0].node).toBe('f00dfeedcafe');
  });

  it('a slot a user set to maintenance is no fault; a task its checks find DOWN is', async () => {
    runs(1, 'node-a', '10.0.1.11', 'web1');
    runs(2, 'node-b', '10.0.1.12', 'web2');
    runs(3, 'node-c', '10.0.1.13', 'web3');
    lab.haproxy('lab').answer('set server servers/web2 state maint');
    expect((await status()).state).toBe('running');
    lab.engine.state.externalUp = (address) => !address.startsWith('10.0.1.13');
    const s = await status();
    expect(s.servers.find((x) => x.name === 'web3')).toMatchObject({ health: 'DOWN', task: 'sy-lab-web.3' });
    expect(s.state).toBe('partly-down');
  });

  it("leaves the load balancer's status as it is when the manager does not answer", async () => {
    runs(1, 'node-a', '10.0.1.11', 'web1');
    const before = await new Inspector(lab.target).status(env, ME);
    const copy = structuredClone(before);
    const s = await clusterStatus(env, before, () => Promise.reject(new Error('connect ECONNREFUSED 10.250.0.11:22')));
    expect(s).toEqual(copy);
    expect(s.cluster).toBeUndefined();
    expect(s.state).toBe(copy.state);
  });

  it('a manager that answers but lists no tasks (its service gone) changes no slot and counts none running', async () => {
    const given: EnvironmentStatus = {
      name: 'lab',
      state: 'running',
      containers: [],
      servers: [{ name: 'web1', health: 'UP', status: 'UP', weight: 100, address: '10.0.1.11:80' }],
      haproxy: { reachable: true, configInSync: true },
    };
    const gone = { manager: { docker: lab.docker as Docker, hostId: 'local' }, info };
    lab.swarm.services.clear();
    const s = await clusterStatus(env, given, () => Promise.resolve(gone));
    expect(s.servers).toEqual([{ name: 'web1', health: 'UP', status: 'UP', weight: 100, address: '10.0.1.11:80' }]);
    expect(s.cluster).toMatchObject({ running: 0, replicas: 3 });
    expect(s.state).toBe('partly-down');
  });
});

describe("a slot's address", () => {
  it.each([
    ['10.0.1.11:80', true],
    ['10.0.1.11', true],
    ['[fd00::5]:80', true],
    ['0.0.0.0:80', false],
    ['0.0.0.0', false],
    ['[::]:80', false],
    ['::', false],
    ['', false],
    [undefined, false],
  ])('%s is a task: %s', (addr, task) => {
    expect(hasTask(addr)).toBe(task);
  });
});
