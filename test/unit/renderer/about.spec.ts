/**
 * About, in the settings: version, data folder, Docker, this installation's id, and the licenses
 * of the packages shipped with the app (the list the build makes from node_modules).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SystemInfo } from '../../../shared/contract';
import LicenseList from '../../../renderer/components/LicenseList.vue';
import SettingsView from '../../../renderer/views/SettingsView.vue';
import { useSettingsStore } from '../../../renderer/stores/settings';
import { FakeTransport, freshApp, mountInApp, settle, unmountAll } from './fake-transport';

const info: SystemInfo = {
  version: '0.1.0',
  dataDir: '/home/ana/.config/Switchyard',
  installation: { installation: '6f1c2c9e-3d0b-4d55-9d1e-0c6a1f1b2a10', by: 'ana@laptop' },
  os: 'linux',
  docker: { reachable: true, version: '27.3.1', endpoint: 'unix:///var/run/docker.sock' },
};

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await settle();
  expect(condition(), what).toBe(true);
}

let fake: FakeTransport;
beforeEach(() => {
  localStorage.clear();
  fake = freshApp();
  fake.handle('system:info', () => info).handle('stats:settings', () => ({ intervalMs: 1000 }));
});
afterEach(unmountAll);

describe('About', () => {
  it('says the version, the data folder, the Docker version and this installation', async () => {
    const w = mountInApp(SettingsView);
    await settle();
    const about = w.find('[data-test=settings-view]').text();
    expect(about).toContain('Version0.1.0');
    expect(w.find('[data-test=data-dir]').text()).toBe('/home/ana/.config/Switchyard');
    expect(about).toContain('reachable (version 27.3.1)');
    expect(w.find('[data-test=installation]').text()).toBe('6f1c2c9e-3d0b-4d55-9d1e-0c6a1f1b2a10, created by ana@laptop');
    expect(about).toContain('This installation');
  });

  it('in French too', async () => {
    // The view follows the language chosen in the settings.
    useSettingsStore().localePref = 'fr';
    const w = mountInApp(SettingsView, {}, 'fr');
    await settle();
    expect(w.find('[data-test=settings-view]').text()).toContain('Cette installation');
    expect(w.find('[data-test=installation]').text()).toBe('6f1c2c9e-3d0b-4d55-9d1e-0c6a1f1b2a10, créée par ana@laptop');
    expect(w.find('[data-test=settings-view]').text()).toContain('Licences libres');
  });
});

describe('the licenses of what ships', () => {
  it('lists each package with its version and license, and shows its license text when opened', async () => {
    const w = mountInApp(LicenseList);
    await until(() => w.find('[data-test=licenses-count]').exists(), 'the list loads');
    const count = Number(/\d+/.exec(w.find('[data-test=licenses-count]').text())![0]);
    expect(count).toBeGreaterThan(20);

    const dockerode = w.find('[data-test=license-dockerode]');
    expect(dockerode.text()).toMatch(/dockerode\s*\d+\.\d+\.\d+\s*Apache-2\.0/);
    // An old-style `licenses` array (ssh2) is read too.
    expect(w.find('[data-test=license-ssh2]').text()).toContain('MIT');
    await dockerode.find('.n-collapse-item__header-main').trigger('click');
    await settle();
    expect(dockerode.find('pre').text()).toContain('Apache License');
    expect(dockerode.find('a').attributes()).toMatchObject({ href: 'https://github.com/apocas/dockerode', target: '_blank' });
  });

  it('filters by name or license, and speaks French', async () => {
    const w = mountInApp(LicenseList, {}, 'fr');
    await until(() => w.find('[data-test=licenses-count]').exists(), 'the list loads');
    expect(w.find('[data-test=licenses]').text()).toContain('Switchyard est livré avec ces paquets libres.');
    await w.find('[data-test=licenses-filter] input').setValue('apache');
    await settle();
    const names = w.findAll('.n-collapse-item').map((i) => i.attributes('data-test'));
    expect(names).toContain('license-dockerode');
    expect(names).not.toContain('license-ws');
    expect(w.find('[data-test=licenses-count]').text()).toBe(`${names.length} paquets`);
  });
});
