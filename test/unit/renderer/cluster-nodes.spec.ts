import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import { NSelect } from 'naive-ui';
import type { ClusterInfo, ClusterNode } from '../../../shared/clusters';
import { SwitchyardError } from '../../../shared/errors';
import type { SshHost } from '../../../shared/hosts';
import { english, msg } from '../../../shared/messages';
import { LOCAL_HOST } from '../../../shared/model';
import ClusterNodes from '../../../renderer/components/ClusterNodes.vue';
import HostsView from '../../../renderer/views/HostsView.vue';
import { useHostsStore } from '../../../renderer/stores/hosts';
import { FakeTransport, freshApp, mountInApp, settle, unmountAll } from './fake-transport';

const KEY = { algorithm: 'ssh-ed25519', fingerprint: 'SHA256:Lq4Z+MP3sNz/c1jh1tMyjIrRZKQIonBujtFet9n3qlw' };
const sshHost = (id: string, address: string): SshHost => ({ kind: 'ssh', id, name: id, address, port: 22, user: 'root', auth: { method: 'agent' }, hostKey: KEY });

const node = (over: Partial<ClusterNode> = {}): ClusterNode => ({
  id: 'n1aaaaaaaaaaaaaaaaaaaaaaa',
  hostname: 'laptop',
  role: 'manager',
  leader: true,
  state: 'ready',
  availability: 'active',
  address: '10.0.0.1',
  engineVersion: '20.10.24',
  cpus: 2,
  memoryBytes: 4 * 1024 ** 3,
  labels: {},
  host: 'local',
  tasks: 3,
  ...over,
});
const worker = (over: Partial<ClusterNode> = {}) => node({ id: 'n2bbbbbbbbbbbbbbbbbbbbbbb', hostname: 'vps1', role: 'worker', leader: false, address: '10.0.0.2', host: 'vps-1', tasks: 1, ...over });
const managerInfo = (nodes: ClusterNode[] = [node(), worker()], over: Partial<ClusterInfo> = {}): ClusterInfo => ({
  host: 'local',
  state: 'active',
  manager: true,
  clusterId: 'c1',
  nodeId: nodes[0]?.id,
  managerAddress: '10.0.0.1:2377',
  nodes,
  problems: [],
  ...over,
});
const inactive = (host = 'local'): ClusterInfo => ({ host, state: 'inactive', manager: false, nodes: [], problems: [] });

let fake: FakeTransport;
beforeEach(() => {
  fake = freshApp();
});
afterEach(unmountAll);

const rows = (w: VueWrapper) => w.findAll('[data-test=cluster-node]');
const dialogButton = (text: string) => [...document.body.querySelectorAll('.n-dialog button')].find((b) => b.textContent?.trim() === text) as HTMLButtonElement | undefined;

describe('a host’s cluster', () => {
  it('a manager lists its nodes with role, state, availability, resources, tasks and the host reaching each; Drain and Activate go through the manager', async () => {
    let current = managerInfo();
    fake
      .handle('clusters:info', () => current)
      .handle('nodes:availability', ({ node: id, availability }) => {
        current = managerInfo(current.nodes.map((n) => (n.id === id ? { ...n, availability } : n)));
        return current.nodes.find((n) => n.id === id)!;
      });
    const w = mountInApp(ClusterNodes, { host: 'local' });
    await settle();
    expect(fake.callsTo('clusters:info')).toEqual([{ host: 'local' }]);
    expect(w.find('[data-test=cluster-summary]').text()).toBe('Manager of a Docker Swarm cluster of 2 nodes.');
    expect(rows(w).map((r) => r.find('.name').text())).toEqual(['laptop', 'vps1']);
    expect(w.find('[data-node=laptop]').text()).toContain('leader');
    expect(w.find('[data-node=vps1]').text()).not.toContain('leader');
    expect(rows(w).map((r) => [...r.findAll('td')].slice(1).map((c) => c.text()))).toEqual([
      ['manager', 'ready', 'active', '10.0.0.1', '20.10.24', '2', '4 GB', '3', 'This computer', 'Drain'],
      ['worker', 'ready', 'active', '10.0.0.2', '20.10.24', '2', '4 GB', '1', 'vps-1', 'Drain'],
    ]);

    await w.find('[data-node=vps1] [data-test=node-drain]').trigger('click');
    await settle();
    expect(fake.callsTo('nodes:availability')).toEqual([{ host: 'local', node: worker().id, availability: 'drain' }]);
    const drained = w.find('[data-node=vps1]');
    expect(drained.attributes('data-availability')).toBe('drain');
    expect(drained.find('[data-test=node-availability]').text()).toBe('drained');
    await drained.find('[data-test=node-activate]').trigger('click');
    await settle();
    expect(fake.callsTo('nodes:availability')[1]).toEqual({ host: 'local', node: worker().id, availability: 'active' });
    expect(w.find('[data-node=vps1]').attributes('data-availability')).toBe('active');
  });

  it('follows clusters:changed and reads again on Refresh only: no polling', async () => {
    fake.handle('clusters:info', () => managerInfo([node()]));
    const w = mountInApp(ClusterNodes, { host: 'local' });
    await settle();
    expect(fake.subscribed('clusters:changed')).toContainEqual({});
    expect(rows(w)).toHaveLength(1);

    fake.emit('clusters:changed', managerInfo([node(), worker({ state: 'down' })], { problems: [problem()] }));
    await settle();
    expect(rows(w).map((r) => r.attributes('data-state'))).toEqual(['ready', 'down']);
    expect(w.find('[data-test=cluster-problem]').text()).toBe('node vps1 (10.0.0.2) is not ready: down');
    // Another host's cluster changing leaves this one as it is.
    fake.emit('clusters:changed', inactive('vps-2'));
    await settle();
    expect(rows(w)).toHaveLength(2);

    await new Promise((r) => setTimeout(r, 50));
    expect(fake.callsTo('clusters:info')).toHaveLength(1);
    await w.find('[data-test=cluster-refresh]').trigger('click');
    await settle();
    expect(fake.callsTo('clusters:info')).toHaveLength(2);
    expect(rows(w)).toHaveLength(1);
  });

  it('starts a cluster on a host in none, with the advertise address given; a bad one is said and nothing sent', async () => {
    fake.handle('clusters:info', () => inactive('vps-1')).handle('clusters:init', ({ host }) => managerInfo([node({ hostname: 'vps1', host })], { host }));
    const w = mountInApp(ClusterNodes, { host: 'vps-1', address: '203.0.113.10' });
    await settle();
    expect(w.find('[data-test=cluster-none]').text()).toContain('Not in a Docker Swarm cluster.');
    await w.find('[data-test=cluster-start]').trigger('click');
    expect(w.find('[data-test=cluster-init-form]').text()).toContain('Left empty: 203.0.113.10.');
    await w.find('[data-test=cluster-advertise] input').setValue('10.0.0.5:2377');
    await w.find('[data-test=cluster-init-form]').trigger('submit');
    await settle();
    expect(w.find('[data-test=cluster-advertise-invalid]').text()).toBe('An IPv4 address such as 10.0.0.5, without a port.');
    expect(fake.callsTo('clusters:init')).toEqual([]);

    await w.find('[data-test=cluster-advertise] input').setValue('10.0.0.5');
    await w.find('[data-test=cluster-init-form]').trigger('submit');
    await settle();
    expect(fake.callsTo('clusters:init')).toEqual([{ host: 'vps-1', advertiseAddress: '10.0.0.5' }]);
    expect(w.find('[data-test=cluster]').attributes('data-manager')).toBe('true');
    expect(rows(w)).toHaveLength(1);
  });

  it('a refusal is shown on the section in the window’s language, with the field it names', async () => {
    fake
      .handle('clusters:info', () => inactive())
      .handle('clusters:init', () => ({
        error: SwitchyardError.because('VALIDATION', 'advertiseNeeded', { host: 'local' }, { field: 'advertiseAddress', detail: 'could not choose an IP address to advertise' }).toInfo(),
      }));
    const w = mountInApp(ClusterNodes, { host: 'local' }, 'fr');
    await settle();
    await w.find('[data-test=cluster-start]').trigger('click');
    await w.find('[data-test=cluster-init-form]').trigger('submit');
    await settle();
    expect(fake.callsTo('clusters:init')).toEqual([{ host: 'local' }]);
    const error = w.find('[data-test=error]');
    expect(error.find('[data-test=error-body]').text()).toBe('Docker sur local ne sait pas à laquelle de ses adresses les autres nœuds le joignent : donnez cette adresse.');
    expect(error.find('[data-test=error-field]').text()).toContain('Adresse annoncée');
  });

  it('adds an SSH host of this Switchyard to the cluster, as the role chosen', async () => {
    fake
      .handle('clusters:info', ({ host }) => (host === 'local' ? managerInfo([node()]) : inactive(host)))
      .handle('clusters:join', ({ host, role }) => managerInfo([node(), worker({ host, role: role ?? 'worker' })]));
    useHostsStore().hosts = [LOCAL_HOST, sshHost('vps-1', '10.0.0.2'), { ...sshHost('new-one', '10.0.0.9'), hostKey: undefined }];
    const w = mountInApp(ClusterNodes, { host: 'local' });
    await settle();
    await w.find('[data-test=cluster-add]').trigger('click');
    const select = (name: string) => w.findAllComponents(NSelect).find((c) => c.attributes('data-test') === name)!;
    // A host whose key nobody trusted yet cannot be reached: it is not offered.
    expect(select('cluster-join-host').props('options')).toEqual([{ label: 'vps-1 (10.0.0.2)', value: 'vps-1' }]);
    select('cluster-join-host').vm.$emit('update:value', 'vps-1');
    select('cluster-join-role').vm.$emit('update:value', 'manager');
    await settle();
    await w.find('[data-test=cluster-join-form]').trigger('submit');
    await settle();
    expect(fake.callsTo('clusters:join')).toEqual([{ host: 'vps-1', manager: 'local', role: 'manager' }]);
    expect(rows(w).map((r) => r.attributes('data-node'))).toEqual(['laptop', 'vps1']);
    expect(w.find('[data-test=cluster-join-form]').exists()).toBe(false);
  });

  it('leaving refused because environments are placed there offers to leave anyway, after a confirmation', async () => {
    fake
      .handle('clusters:info', () => managerInfo([node(), worker()], { host: 'vps-1', manager: false, nodes: [] }))
      .handle('clusters:leave', ({ force }) =>
        force ? inactive('vps-1') : { error: SwitchyardError.because('BUSY', 'clusterPlaced', { host: 'vps-1', environments: 'shop' }, { field: 'host' }).toInfo() },
      );
    const w = mountInApp(ClusterNodes, { host: 'vps-1' });
    await settle();
    expect(w.find('[data-test=cluster-worker]').text()).toBe('Worker of a Docker Swarm cluster; its manager is at 10.0.0.1:2377.');
    await w.find('[data-test=cluster-leave]').trigger('click');
    await settle();
    dialogButton('Leave the cluster')!.click();
    await settle();
    expect(fake.callsTo('clusters:leave')).toEqual([{ host: 'vps-1', force: false }]);
    expect(w.find('[data-test=error][data-code=BUSY]').text()).toContain('(shop)');

    await w.find('[data-test=cluster-leave-force]').trigger('click');
    await settle();
    expect(fake.callsTo('clusters:leave')).toHaveLength(1); // not before the confirmation
    dialogButton('Leave anyway')!.click();
    await settle();
    expect(fake.callsTo('clusters:leave')[1]).toEqual({ host: 'vps-1', force: true });
    expect(w.find('[data-test=cluster]').attributes('data-state')).toBe('inactive');
    expect(w.find('[data-test=error]').exists()).toBe(false);
  });

  it('in French: nodes, states and problems in French', async () => {
    fake.handle('clusters:info', () => managerInfo([node(), worker({ state: 'down', availability: 'drain' })], { problems: [problem()] }));
    const w = mountInApp(ClusterNodes, { host: 'local' }, 'fr');
    await settle();
    expect(w.find('[data-test=cluster-summary]').text()).toBe('Gestionnaire d’une grappe Docker Swarm de 2 nœuds.');
    const cells = [...w.find('[data-node=vps1]').findAll('td')].map((c) => c.text());
    expect(cells.slice(1, 4)).toEqual(['exécutant', 'arrêté', 'drainé']);
    expect(cells[10]).toBe('Activer');
    expect(w.find('[data-test=cluster-problem]').text()).toBe('le nœud vps1 (10.0.0.2) n’est pas prêt : down');
  });

  it('shows on the Hosts view for this computer and each trusted SSH host', async () => {
    fake
      .handle('hosts:list', () => [LOCAL_HOST, sshHost('vps-1', '10.0.0.2'), { ...sshHost('vps-2', '10.0.0.3'), hostKey: undefined }])
      .handle('clusters:info', ({ host }) => (host === 'local' ? managerInfo() : inactive(host)));
    const w = mountInApp(HostsView);
    await settle();
    expect(w.findAll('[data-test=cluster]').map((c) => [c.attributes('data-host'), c.attributes('data-manager')])).toEqual([
      ['local', 'true'],
      ['vps-1', 'false'],
    ]);
    expect(fake.callsTo('clusters:info')).toEqual([{ host: 'local' }, { host: 'vps-1' }]);
  });
});

function problem() {
  const m = msg('clusterProblem.nodeNotReady', { node: 'vps1', address: '10.0.0.2', state: 'down' });
  return { code: m.code, params: m.params as Record<string, string>, message: english(m) };
}
