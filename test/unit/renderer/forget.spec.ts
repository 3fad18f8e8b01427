import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NDropdown } from 'naive-ui';
import type { Footprint } from '../../../shared/contract';
import type { SshHost } from '../../../shared/hosts';
import { LOCAL_HOST } from '../../../shared/model';
import EnvironmentView from '../../../renderer/views/EnvironmentView.vue';
import HostsView from '../../../renderer/views/HostsView.vue';
import { useEnvironmentsStore } from '../../../renderer/stores/environments';
import { useNavStore } from '../../../renderer/stores/nav';
import { FakeTransport, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

const footprint = (environment: string, host = 'vps'): Footprint => ({
  environment,
  host,
  label: `io.switchyard.environment=${environment}`,
  containers: [`sy-${environment}-haproxy`, `sy-${environment}-back1`, `sy-${environment}-back2`],
  networks: [`sy-${environment}-backends`],
  volumes: [`sy-${environment}-haproxy-state`],
});
const unreachable = { error: { code: 'HOST_UNREACHABLE' as const, message: 'Cannot reach vps (203.0.113.10:22): connection refused', field: 'host' } };
const vps: SshHost = { kind: 'ssh', id: 'vps', name: 'vps', address: '203.0.113.10', port: 22, user: 'deploy', auth: { method: 'password', passwordRef: 'ref-0123456789' } };

const dialogButton = (text: string) => [...document.body.querySelectorAll('.n-dialog button')].find((b) => b.textContent?.trim() === text) as HTMLButtonElement | undefined;

let fake: FakeTransport;
beforeEach(() => {
  fake = freshApp();
});
afterEach(unmountAll);

describe('forgetting an environment whose server is gone', () => {
  beforeEach(() => {
    fake
      .handle('environments:list', () => [labEnvironment({ host: 'vps' })])
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:status', () => unreachable)
      .handle('environments:footprint', ({ environment: name }) => footprint(name))
      .handle('environments:forget', ({ environment: name }) => ({ forgotten: true, left: [footprint(name)] }));
  });

  it('offers to forget when the server cannot be reached, lists what may remain there, and forgets only once confirmed', async () => {
    useNavStore().go({ name: 'environment', environment: 'lab' });
    const w = mountInApp(EnvironmentView, { name: 'lab' });
    expect(useNavStore().route.name).toBe('environment');
    await settle();
    const offer = w.find('[data-test=unreachable]');
    expect(offer.text()).toContain('If the server of lab is gone for good, forget the environment');

    await offer.find('[data-test=forget]').trigger('click');
    await settle();
    expect(fake.callsTo('environments:footprint')).toEqual([{ environment: 'lab' }]);
    const dialog = document.body.querySelector('[data-test=forget-dialog]')!;
    expect(dialog.textContent).toContain('Whatever Switchyard created there stays');
    expect([...dialog.querySelectorAll('[data-test=footprint-containers] code')].map((c) => c.textContent)).toEqual(['sy-lab-haproxy', 'sy-lab-back1', 'sy-lab-back2']);
    expect(dialog.querySelector('[data-test=footprint-networks]')!.textContent).toBe('sy-lab-backends');
    expect(dialog.querySelector('[data-test=footprint-volumes]')!.textContent).toBe('sy-lab-haproxy-state');
    expect(dialog.textContent).toContain('io.switchyard.environment=lab');
    expect(fake.callsTo('environments:forget')).toEqual([]);

    dialogButton('Forget')!.click();
    await settle();
    expect(fake.callsTo('environments:forget')).toEqual([{ environment: 'lab' }]);
    expect(useEnvironmentsStore().environments).toEqual([]);
    expect(useNavStore().route.name).toBe('environments');
  });

  it('is in the environment’s menu too, in the user’s language; cancelling changes nothing', async () => {
    fake.handle('environments:status', () => ({ name: 'lab', state: 'running', containers: [], servers: [], haproxy: { reachable: true, configInSync: true } }));
    const w = mountInApp(EnvironmentView, { name: 'lab' }, 'fr');
    await settle();
    expect(w.find('[data-test=unreachable]').exists()).toBe(false);
    const menu = w.findComponent(NDropdown);
    expect((menu.props('options') as { label: string; key: string }[]).map((o) => [o.key, o.label])).toEqual([
      ['export', 'Exporter…'],
      ['forget', 'Oublier…'],
    ]);
    menu.vm.$emit('select', 'forget');
    await settle();
    const dialog = document.body.querySelector('[data-test=forget-dialog]')!;
    expect(dialog.textContent).toContain('Peut rester sur vps pour lab');
    expect(dialog.textContent).toContain('Ce que Switchyard y a créé reste en place');
    dialogButton('Annuler')!.click();
    await settle();
    expect(fake.callsTo('environments:forget')).toEqual([]);
    expect(useEnvironmentsStore().environments.map((e) => e.name)).toEqual(['lab']);
  });

  it('says why when forgetting is refused, and keeps the environment', async () => {
    fake.handle('environments:forget', () => ({ error: { code: 'BUSY', message: 'A deploy or destroy of "lab" is already running; wait for it to finish', field: 'name' } }));
    const w = mountInApp(EnvironmentView, { name: 'lab' });
    await settle();
    await w.find('[data-test=forget]').trigger('click');
    await settle();
    dialogButton('Forget')!.click();
    await settle();
    expect(w.find('[data-test=error][data-code=BUSY]').text()).toContain('already running');
    expect(useEnvironmentsStore().environments.map((e) => e.name)).toEqual(['lab']);
  });
});

describe('forgetting a host whose server is gone', () => {
  it('lists the environments forgotten with it and what may remain, then forgets host and environments once confirmed', async () => {
    let hosts = [LOCAL_HOST, vps];
    fake
      .handle('hosts:list', () => hosts)
      .handle('environments:list', () => [labEnvironment({ host: 'vps' }), labEnvironment({ name: 'shop', host: 'vps', httpPort: 8081 }), labEnvironment({ name: 'home', httpPort: 8082 })])
      .handle('hosts:footprint', () => [footprint('lab'), footprint('shop')])
      .handle('hosts:forget', () => {
        hosts = [LOCAL_HOST];
        return { forgotten: true, left: [footprint('lab'), footprint('shop')] };
      });
    const envs = useEnvironmentsStore();
    await envs.load();
    const w = mountInApp(HostsView);
    await settle();
    await w.find('[data-host=vps] [data-test=host-forget]').trigger('click');
    await settle();
    const dialog = document.body.querySelector('[data-test=forget-dialog]')!;
    expect(dialog.textContent).toContain('The environments lab, shop placed on it are forgotten too.');
    expect([...dialog.querySelectorAll('section')].map((s) => s.getAttribute('data-env'))).toEqual(['lab', 'shop']);
    expect(dialog.textContent).toContain('sy-shop-haproxy');
    expect(fake.callsTo('hosts:forget')).toEqual([]);

    dialogButton('Forget')!.click();
    await settle();
    expect(fake.callsTo('hosts:forget')).toEqual([{ id: 'vps' }]);
    expect(w.find('[data-host=vps]').exists()).toBe(false);
    expect(envs.environments.map((e) => e.name)).toEqual(['home']);
    expect(document.body.textContent).toContain('The host vps is forgotten.');
  });

  it('says so when no environment is placed on the host (in French)', async () => {
    fake.handle('hosts:list', () => [LOCAL_HOST, vps]).handle('hosts:footprint', () => []);
    const w = mountInApp(HostsView, {}, 'fr');
    await settle();
    await w.find('[data-host=vps] [data-test=host-forget]').trigger('click');
    await settle();
    const dialog = document.body.querySelector('[data-test=forget-dialog]')!;
    expect(dialog.textContent).toContain('Aucun environnement n’est placé sur cet hôte.');
    expect(dialog.textContent).toContain('Seulement si le serveur a disparu pour de bon');
    expect(dialogButton('Oublier')).toBeDefined();
  });
});
