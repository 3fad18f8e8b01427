import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentStatus, FoundEnvironment, Task } from '../../../shared/contract';
import { LOCAL_HOST } from '../../../shared/model';
import EnvironmentView from '../../../renderer/views/EnvironmentView.vue';
import HostsView from '../../../renderer/views/HostsView.vue';
import { useEnvironmentsStore } from '../../../renderer/stores/environments';
import { FakeTransport, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

const OTHER = { installation: '9f2c4e1a-5b6d-4c3e-8f7a-0123456789ab', by: 'bob@desk' };
const ownedElsewhere: EnvironmentStatus = {
  name: 'lab',
  state: 'owned-elsewhere',
  owner: OTHER,
  containers: [],
  servers: [],
  haproxy: { reachable: false, configInSync: false },
};
const dialogButton = (text: string) => [...document.body.querySelectorAll('.n-dialog button')].find((b) => b.textContent?.trim() === text) as HTMLButtonElement | undefined;
const adoptTask = (target: string, state: Task['state']): Task => ({
  id: 't-adopt',
  kind: 'adopt',
  target,
  state,
  step: 'verify',
  progress: 100,
  message: `${target} is up`,
  steps: [],
  createdAt: '2026-01-01T00:00:00.000Z',
});

let fake: FakeTransport;
beforeEach(() => {
  fake = freshApp();
});
afterEach(unmountAll);

describe('an environment another Switchyard manages', () => {
  beforeEach(() => {
    fake
      .handle('environments:list', () => [labEnvironment()])
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:status', () => ownedElsewhere)
      .refuse('stats:snapshot', { code: 'OWNED_ELSEWHERE', message: '"lab" on this host is managed by another Switchyard', field: 'name' })
      .refuse('stats:health', { code: 'OWNED_ELSEWHERE', message: '"lab" on this host is managed by another Switchyard', field: 'name' })
      .handle('environments:adopt', () => ({ taskId: 't-adopt' }));
  });

  it('says so in French, with who manages it, and adopts it only once confirmed', async () => {
    const w = mountInApp(EnvironmentView, { name: 'lab' }, 'fr');
    await settle();
    const alert = w.find('[data-test=owned-elsewhere]');
    expect(alert.text()).toContain('Géré par un autre Switchyard');
    expect(alert.text()).toContain('bob@desk');
    expect(alert.text()).toContain('9f2c4e1a');
    expect(w.text()).toContain('À un autre Switchyard');
    // Nothing here may act on it: no deploy, no destroy, no server controls.
    expect(w.find('[data-test=deploy]').attributes('disabled')).toBeDefined();
    expect(w.find('[data-test=server-cards]').exists()).toBe(false);

    await alert.find('[data-test=adopt]').trigger('click');
    await settle();
    expect(document.body.querySelector('.n-dialog')!.textContent).toContain('Ce Switchyard reprend lab à bob@desk (9f2c4e1a)');
    dialogButton('Annuler')!.click();
    await settle();
    expect(fake.callsTo('environments:adopt')).toEqual([]);

    await alert.find('[data-test=adopt]').trigger('click');
    await settle();
    dialogButton('Adopter')!.click();
    await settle();
    expect(fake.callsTo('environments:adopt')).toEqual([{ environment: 'lab', host: 'local' }]);
  });
});

describe("a host's environments", () => {
  const found: FoundEnvironment[] = [
    { name: 'lab', known: true, managedHere: true, owner: { installation: 'aaaaaaaa-0000-4000-8000-000000000000', by: 'ann@laptop' }, containers: 3, running: 3, httpPort: 8080, adoptable: true },
    { name: 'shop', known: false, managedHere: false, owner: OTHER, containers: 4, running: 3, httpPort: 8081, adoptable: true },
    { name: 'old', known: false, managedHere: false, containers: 2, running: 2, adoptable: false },
  ];

  it('lists what this and other Switchyards deployed there, and adopts an unknown one with the settings it carries', async () => {
    let list = [labEnvironment()];
    fake
      .handle('hosts:list', () => [LOCAL_HOST])
      .handle('environments:list', () => list)
      .handle('hosts:environments', () => found)
      .handle('environments:adopt', () => ({ taskId: 't-adopt' }))
      .handle('environments:status', ({ environment: name }) => ({ name, state: 'running', containers: [], servers: [], haproxy: { reachable: true, configInSync: true } }));
    const w = mountInApp(HostsView);
    await settle();
    await w.find('[data-test=show-found]').trigger('click');
    await settle();
    expect(fake.callsTo('hosts:environments')).toEqual([{ id: 'local' }]);
    const rows = w.findAll('[data-test=found-environment]');
    expect(rows.map((r) => r.attributes('data-env'))).toEqual(['lab', 'shop', 'old']);
    expect(rows[0].text()).toContain('Managed by this Switchyard');
    expect(rows[0].find('[data-test=adopt]').exists()).toBe(false);
    expect(rows[1].text()).toContain('Managed by bob@desk (installation 9f2c4e1a)');
    expect(rows[1].text()).toContain('3 of 4 containers running');
    expect(rows[2].text()).toContain('create an environment of that name on this host first');
    expect(rows[2].find('[data-test=adopt]').exists()).toBe(false);

    await rows[1].find('[data-test=adopt]').trigger('click');
    await settle();
    expect(document.body.querySelector('.n-dialog')!.textContent).toContain('the settings it was last deployed with');
    dialogButton('Adopt')!.click();
    await settle();
    expect(fake.callsTo('environments:adopt')).toEqual([{ environment: 'shop', host: 'local' }]);

    // The adoption ends: the environment joins this Switchyard's list.
    list = [labEnvironment(), labEnvironment({ name: 'shop', httpPort: 8081 })];
    fake.emit('tasks:updated', adoptTask('shop', 'succeeded'));
    await settle();
    expect(useEnvironmentsStore().byName('shop')).toBeDefined();
  });
});
