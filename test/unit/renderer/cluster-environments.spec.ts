/**
 * An environment on a Docker Swarm cluster in the window: each HAProxy slot's card names its task
 * and node and is set on its own, the Cluster panel (service, tasks, Swarm's update, nodes), a lost
 * node said plainly, scaling saved then deployed, and the new-environment form offering the
 * cluster for a manager host only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import type { ClusterInfo, ClusterNode } from '../../../shared/clusters';
import type { SshHost } from '../../../shared/hosts';
import type { EnvironmentStatus } from '../../../shared/contract';
import { LOCAL_HOST, type Environment, type EnvironmentInput } from '../../../shared/model';
import EnvironmentView from '../../../renderer/views/EnvironmentView.vue';
import NewEnvironmentView from '../../../renderer/views/NewEnvironmentView.vue';
import { useNavStore } from '../../../renderer/stores/nav';
import { FakeTransport, flush, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

const STAMP = '2026-01-01T00:00:00.000Z';
const SWARM_HOST: SshHost = { id: 'swarm', kind: 'ssh', name: 'swarm', address: '10.250.0.11', port: 22, user: 'root', auth: { method: 'agent' } };

function node(hostname: string, over: Partial<ClusterNode> = {}): ClusterNode {
  return {
    id: `id-${hostname}`,
    hostname,
    role: 'worker',
    leader: false,
    state: 'ready',
    availability: 'active',
    address: '10.250.0.1',
    engineVersion: '20.10.24',
    cpus: 2,
    memoryBytes: 2 ** 31,
    labels: {},
    tasks: 0,
    ...over,
  };
}

const managerInfo: ClusterInfo = {
  host: 'swarm',
  state: 'active',
  manager: true,
  nodeId: 'id-swn1',
  nodes: [node('swn1', { role: 'manager', leader: true }), node('swn2'), node('swn3')],
  problems: [],
};

let fake: FakeTransport;
let saved: Environment;
let status: EnvironmentStatus;

/** A demo service of 3 tasks on the cluster `swarm` manages; slot 2 has no task (it is not listed). */
function clusterStatus(over: Partial<NonNullable<EnvironmentStatus['cluster']>> = {}): EnvironmentStatus {
  const task = (slot: number, nodeName: string) => ({
    name: `sy-lab-web.${slot}`,
    role: 'backend' as const,
    server: 'web',
    state: 'running',
    image: 'switchyard-demo:1',
    id: `t${slot}`,
    node: nodeName,
  });
  return {
    name: 'lab',
    state: 'running',
    url: 'http://10.250.0.11:8080/',
    containers: [task(1, 'swn1'), task(3, 'swn2'), task(4, 'swn3')],
    servers: [
      { name: 'web1', health: 'UP', status: 'UP', weight: 100, address: '10.0.1.5:80', task: 'sy-lab-web.1', node: 'swn1', container: 'sy-lab-web.1' },
      { name: 'web3', health: 'UP', status: 'UP', weight: 100, address: '10.0.1.7:80', task: 'sy-lab-web.3', node: 'swn2', container: 'sy-lab-web.3' },
      { name: 'web4', health: 'UP', status: 'UP', weight: 100, address: '10.0.1.8:80', task: 'sy-lab-web.4', node: 'swn3', container: 'sy-lab-web.4' },
    ],
    cluster: {
      manager: 'swarm',
      service: 'sy-lab-web',
      replicas: 3,
      running: 3,
      nodes: [
        { id: 'id-swn1', hostname: 'swn1', state: 'ready', availability: 'active', tasks: 1 },
        { id: 'id-swn2', hostname: 'swn2', state: 'ready', availability: 'active', tasks: 1 },
        { id: 'id-swn3', hostname: 'swn3', state: 'ready', availability: 'drain', tasks: 1 },
      ],
      lost: [],
      ...over,
    },
    haproxy: { reachable: true, configInSync: true, portsInSync: true },
  };
}

beforeEach(() => {
  saved = labEnvironment({ host: 'swarm', cluster: { replicas: 3, slots: 8 }, servers: [{ name: 'web', kind: 'demo' }] });
  status = clusterStatus();
  fake = freshApp()
    .handle('environments:list', () => [saved])
    .handle('environments:render', () => ({ config: 'global\n' }))
    .handle('environments:status', () => status)
    .handle('environments:update', ({ patch }) => (saved = { ...saved, ...patch } as Environment))
    .handle('environments:deploy', () => ({ taskId: 'task-1' }))
    .handle('servers:set', (r) => ({ environment: r.environment, server: r.server, state: r.state ?? 'ready', weight: r.weight ?? 100, applied: true }))
    .handle('hosts:list', () => [LOCAL_HOST, SWARM_HOST])
    .handle('clusters:info', ({ host }) => (host === 'swarm' ? managerInfo : { host, state: 'inactive', manager: false, nodes: [], problems: [] }));
});
afterEach(unmountAll);

async function openEnvironment(locale: 'en' | 'fr' = 'en'): Promise<VueWrapper> {
  const w = mountInApp(EnvironmentView, { name: 'lab' }, locale);
  await settle();
  return w;
}

const card = (w: VueWrapper, server: string) => w.find(`[data-test=server-cards] [data-test=server-card][data-server=${server}]`);

describe('an environment on a cluster', () => {
  it('shows one card per slot with a task, naming the task and its node; a slot is set on its own', async () => {
    const w = await openEnvironment();
    const cards = w.findAll('[data-test=server-cards] [data-test=server-card]');
    expect(cards.map((c) => c.attributes('data-server'))).toEqual(['web1', 'web3', 'web4']);
    expect(card(w, 'web3').find('[data-test=server-task]').text()).toBe('sy-lab-web.3 on swn2');
    expect(card(w, 'web3').text()).toContain('Task: running');
    // Swarm runs the tasks: no container to stop or start from here.
    expect(card(w, 'web3').find('[data-test=server-container]').exists()).toBe(false);

    await card(w, 'web3').find('[data-test=mode-drain]').trigger('click');
    await settle();
    expect(fake.callsTo('servers:set')).toEqual([{ environment: 'lab', server: 'web3', state: 'drain' }]);
  });

  it('shows the service’s own card before any task has a slot: its toggles set every slot, and Swarm runs its tasks', async () => {
    status = { ...clusterStatus(), servers: [] };
    const w = await openEnvironment();
    const cards = w.findAll('[data-test=server-cards] [data-test=server-card]');
    expect(cards.map((c) => c.attributes('data-server'))).toEqual(['web']);
    expect(card(w, 'web').find('[data-test=server-task]').exists()).toBe(false);
    expect(card(w, 'web').find('[data-test=server-container]').exists()).toBe(false);
    expect(card(w, 'web').find('[data-test=server-output]').exists()).toBe(false);
    await card(w, 'web').find('[data-test=mode-maint]').trigger('click');
    await settle();
    expect(fake.callsTo('servers:set')).toEqual([{ environment: 'lab', server: 'web', state: 'maint' }]);
  });

  it('names each slot’s task and node in French too', async () => {
    const w = await openEnvironment('fr');
    expect(card(w, 'web1').find('[data-test=server-task]').text()).toBe('sy-lab-web.1 sur swn1');
    expect(card(w, 'web1').text()).toContain('Tâche : démarrée');
  });

  it('has a Cluster panel: the service, tasks running of those asked for, each node with its state, availability and tasks', async () => {
    status = clusterStatus({ running: 2, nodes: [...clusterStatus().cluster!.nodes.slice(0, 2), { id: 'id-swn3', hostname: 'swn3', state: 'ready', availability: 'drain', tasks: 0 }] });
    const w = await openEnvironment();
    const panel = w.find('[data-test=cluster-panel]');
    expect(panel.find('[data-test=cluster-service]').text()).toBe('sy-lab-web');
    expect(panel.find('[data-test=cluster-running]').text()).toBe('2 of 3 running');
    const rows = panel.findAll('[data-test=cluster-env-node]');
    expect(rows.map((r) => [r.attributes('data-node'), r.find('[data-test=node-state]').text(), r.find('[data-test=node-availability]').text(), r.find('[data-test=node-tasks]').text()])).toEqual([
      ['swn1', 'ready', 'active', '1'],
      ['swn2', 'ready', 'active', '1'],
      ['swn3', 'ready', 'drained', '0'],
    ]);
    expect(panel.find('[data-test=cluster-update]').exists()).toBe(false);
  });

  it('shows Swarm’s update while it runs, and when it stopped, with Swarm’s own words', async () => {
    status = clusterStatus({ update: { state: 'updating', message: 'update in progress' } });
    const w = await openEnvironment();
    expect(w.find('[data-test=cluster-update]').attributes('data-state')).toBe('updating');
    expect(w.find('[data-test=cluster-update]').text()).toContain('Swarm is updating the service');
    expect(w.find('[data-test=cluster-update-message]').text()).toBe('Swarm says: update in progress');
    unmountAll();

    status = clusterStatus({ update: { state: 'paused', message: 'update paused due to failure or early termination of task abc' } });
    const fr = await openEnvironment('fr');
    expect(fr.find('[data-test=cluster-update]').text()).toContain('Swarm a mis en pause la mise à jour du service');
    expect(fr.find('[data-test=cluster-update-message]').text()).toContain('task abc');
  });

  it('says plainly that a node is lost, and which', async () => {
    status = clusterStatus({ lost: ['swn2'], running: 2 });
    status.cluster!.nodes[1] = { ...status.cluster!.nodes[1], state: 'down', tasks: 0 };
    // Its task waits for a node; it has no slot, so no card: the panel says why, in Docker's words.
    status.containers[1] = { ...status.containers[1], name: 'sy-lab-web.2', state: 'pending', node: undefined, error: 'no suitable node (1 node not available for new tasks)' };
    status.servers = status.servers.filter((s) => s.name !== 'web3');
    const w = await openEnvironment();
    const alert = w.find('[data-test=cluster-lost]');
    expect(alert.text()).toContain('Node swn2 is lost: its tasks are being moved; HAProxy took its slots out.');
    expect(w.find('[data-test=cluster-env-node][data-node=swn2] [data-test=node-state]').text()).toBe('down');
    expect(w.findAll('[data-test=cluster-waiting-task]').map((t) => t.text())).toEqual(['sy-lab-web.2: pending (no suitable node (1 node not available for new tasks))']);
    expect(w.findAll('[data-test=server-cards] [data-test=server-card]').map((c) => c.attributes('data-server'))).toEqual(['web1', 'web4']);
    unmountAll();

    status = clusterStatus({ lost: ['swn2', 'swn3'], running: 1 });
    const fr = await openEnvironment('fr');
    expect(fr.find('[data-test=cluster-lost]').text()).toContain('Les nœuds swn2, swn3 sont perdus : leurs tâches sont déplacées ; HAProxy a retiré leurs emplacements.');
  });

  it('shows no lost-node alert when every node is ready', async () => {
    const w = await openEnvironment();
    expect(w.find('[data-test=cluster-lost]').exists()).toBe(false);
  });

  it('scales: the new count is saved with the rest of the placement, then deployed as a task', async () => {
    const w = await openEnvironment();
    const apply = () => w.find('[data-test=cluster-scale-apply]');
    expect(apply().attributes('disabled')).toBeDefined();
    await w.find('[data-test=cluster-scale] input').setValue('5');
    await w.find('[data-test=cluster-scale] input').trigger('blur');
    await flush();
    expect(apply().attributes('disabled')).toBeUndefined();
    await apply().trigger('click');
    await settle();
    expect(fake.callsTo('environments:update')).toEqual([{ environment: 'lab', patch: { cluster: { replicas: 5, slots: 8, constraints: [] } } }]);
    expect(fake.callsTo('environments:deploy')).toEqual([{ environment: 'lab' }]);
    const order = fake.calls.map((c) => c.channel).filter((c) => c === 'environments:update' || c === 'environments:deploy');
    expect(order).toEqual(['environments:update', 'environments:deploy']);

    // The deploy shows as any deploy does, and scaling waits for it.
    const step = {
      name: 'service',
      state: 'running' as const,
      startedAt: STAMP,
      code: 'deploy.service' as const,
      params: { name: 'sy-lab-web', replicas: 5 },
      message: 'Starting the service sy-lab-web on the cluster (5 tasks)',
    };
    fake.emit('tasks:updated', {
      id: 'task-1',
      kind: 'deploy',
      target: 'lab',
      state: 'running',
      step: 'service',
      progress: 40,
      message: step.message,
      code: step.code,
      params: step.params,
      steps: [step],
      createdAt: STAMP,
    });
    await settle();
    expect(w.find('[data-test=environment-task]').text()).toContain('Starting the service sy-lab-web on the cluster (5 tasks)');
    expect(w.find('[data-test=cluster-scale] input').element).toHaveProperty('value', '5');
    expect(apply().attributes('disabled')).toBeDefined();
  });

  it('does not scale past the slots HAProxy has: it says why, and nothing is saved', async () => {
    const w = await openEnvironment();
    await w.find('[data-test=cluster-scale] input').setValue('8');
    await w.find('[data-test=cluster-scale] input').trigger('blur');
    await flush();
    expect(w.find('[data-field="cluster.replicas"]').text()).toContain('At most 7 with 8 slots: raise the slots in Settings first.');
    expect(w.find('[data-test=cluster-scale-apply]').attributes('disabled')).toBeDefined();
    expect(fake.callsTo('environments:update')).toEqual([]);
  });
});

describe('the new-environment form and clusters', () => {
  async function openForm(host: string, locale: 'en' | 'fr' = 'en'): Promise<{ w: VueWrapper; created: EnvironmentInput[] }> {
    const created: EnvironmentInput[] = [];
    fake.handle('environments:list', () => []).handle('environments:create', (input) => (created.push(input), labEnvironment({ name: input.name })));
    useNavStore().go({ name: 'new', host });
    const w = mountInApp(NewEnvironmentView, {}, locale);
    await settle();
    return { w, created };
  }

  it('runs on the cluster by default when the host manages one, as one demo service named web', async () => {
    const { w, created } = await openForm('swarm');
    expect(fake.callsTo('clusters:info')).toContainEqual({ host: 'swarm' });
    expect(w.find('[data-test=field-cluster]').classes()).toContain('n-switch--active');
    expect(w.find('[data-test=servers]').exists()).toBe(false);
    expect(w.find('[data-test=cluster-servers]').text()).toContain('web1 to web16');
    // The load balancer's node: the manager by default, or any node of the cluster.
    expect(w.find('[data-test=field-cluster-lbNode]').text()).toContain('The manager (swn1)');

    const replicas = w.find('[data-test=field-cluster-replicas] input');
    await replicas.setValue('4');
    await replicas.trigger('blur');
    await w.find('[data-test=cluster-constraint-add]').trigger('click');
    await flush();
    await w.find('[data-test=cluster-constraint-value] input').setValue('node.role==worker');
    await w.find('[data-test=field-cluster-spread] input').setValue('node.labels.zone');
    await flush();
    await w.find('[data-test=submit]').trigger('click');
    await settle();
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ host: 'swarm', cluster: { replicas: 4, slots: 16, constraints: ['node.role==worker'], spread: 'node.labels.zone' } });
    expect(created[0].cluster).not.toHaveProperty('lbNode');
    expect(created[0].servers).toEqual([{ name: 'web', kind: 'demo', weight: 100, state: 'ready' }]);
  });

  it('runs the app as one service named app on the cluster', async () => {
    const { w, created } = await openForm('swarm');
    await w.find('[data-test=backends-app]').trigger('click');
    await flush();
    // The cluster's replicas are the app's: no replica count or prefix of its own.
    expect(w.find('[data-test=app-replicas]').exists()).toBe(false);
    await w.find('[data-test=app-image] input').setValue('registry.example.com/team/shop:1.2');
    await flush();
    await w.find('[data-test=submit]').trigger('click');
    await settle();
    expect(created).toHaveLength(1);
    expect(created[0].servers).toEqual([{ name: 'app', kind: 'app', weight: 100, state: 'ready' }]);
    expect(created[0].cluster).toMatchObject({ replicas: 2, slots: 16 });
  });

  it('sends no placement for a host in no cluster, nor when the user turns it off', async () => {
    const { w, created } = await openForm('local');
    expect(w.find('[data-test=field-cluster]').exists()).toBe(false);
    await w.find('[data-test=submit]').trigger('click');
    await settle();
    expect(created[0]).not.toHaveProperty('cluster');
    expect(created[0].servers?.map((s) => s.name)).toEqual(['back1', 'back2']);
    unmountAll();

    const again = await openForm('swarm');
    await again.w.find('[data-test=field-cluster]').trigger('click');
    await flush();
    expect(again.w.find('[data-test=servers]').exists()).toBe(true);
    await again.w.find('[data-test=submit]').trigger('click');
    await settle();
    expect(again.created[0]).not.toHaveProperty('cluster');
  });

  it('offers nothing when the host’s cluster cannot be read', async () => {
    fake.handle('clusters:info', () => ({ error: { code: 'HOST_UNREACHABLE', message: 'swarm: connection refused' } }));
    const { w, created } = await openForm('swarm');
    expect(w.find('[data-test=field-cluster]').exists()).toBe(false);
    expect(w.find('[data-test=error]').exists()).toBe(false);
    await w.find('[data-test=submit]').trigger('click');
    await settle();
    expect(created[0]).not.toHaveProperty('cluster');
  });

  it('checks the placement before sending, on its fields, in French', async () => {
    const { w, created } = await openForm('swarm', 'fr');
    const slots = w.find('[data-test=field-cluster-slots] input');
    await slots.setValue('2');
    await slots.trigger('blur');
    await w.find('[data-test=cluster-constraint-add]').trigger('click');
    await flush();
    await w.find('[data-test=cluster-constraint-value] input').setValue('role=worker');
    await flush();
    await w.find('[data-test=submit]').trigger('click');
    await settle();
    expect(created).toEqual([]);
    expect(w.find('[data-field="cluster.slots"]').text()).toContain('Doit dépasser le nombre de répliques');
    expect(w.find('[data-field="cluster.constraints.0"]').text()).toContain('Une contrainte de placement comme node.role==worker');
  });

  it('shows the core’s refusal of a placement field on that field', async () => {
    const { w } = await openForm('swarm');
    fake.handle('environments:create', () => ({ error: { code: 'VALIDATION', message: 'cluster.replicas: must be between 1 and 64', field: 'cluster.replicas' } }));
    await w.find('[data-test=submit]').trigger('click');
    await settle();
    expect(w.find('[data-field="cluster.replicas"]').text()).toContain('must be between 1 and 64');
    // Shown there, not apart.
    expect(w.find('[data-test=error]').exists()).toBe(false);
  });
});
