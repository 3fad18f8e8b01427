/**
 * The first-run screen: when this computer's Docker is missing, stopped or refuses the user, the
 * window says which and what to do on this operating system, in English and in French, checks
 * again by itself and goes away once Docker answers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SystemInfo, SystemOs } from '../../../shared/contract';
import App from '../../../renderer/App.vue';
import DockerSetup from '../../../renderer/components/DockerSetup.vue';
import { useDockerStore } from '../../../renderer/stores/docker';
import { useNavStore } from '../../../renderer/stores/nav';
import { useSettingsStore } from '../../../renderer/stores/settings';
import { FakeTransport, freshApp, mountInApp, settle, unmountAll } from './fake-transport';

function systemInfo(docker: Partial<SystemInfo['docker']>, os: SystemOs = 'linux'): SystemInfo {
  return {
    version: '0.1.0',
    dataDir: '/home/ana/.config/Switchyard',
    installation: { installation: '6f1c2c9e-3d0b-4d55-9d1e-0c6a1f1b2a10', by: 'ana@laptop' },
    os,
    docker: { reachable: false, endpoint: os === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock', ...docker },
  };
}
const answering = (os: SystemOs = 'linux') => systemInfo({ reachable: true, version: '27.3.1' }, os);

interface Case {
  name: string;
  os: SystemOs;
  docker: Partial<SystemInfo['docker']>;
  screen: 'missing' | 'stopped' | 'denied' | 'other';
  /** Title, the reason, one step, and a command or link the step carries. */
  en: [string, string, string];
  fr: [string, string, string];
  command?: string;
  link?: string;
}

const cases: Case[] = [
  {
    name: 'Docker not installed (Linux)',
    os: 'linux',
    docker: { problem: 'missing-socket', installed: false, error: 'connect ENOENT /var/run/docker.sock' },
    screen: 'missing',
    en: ['Docker is not installed', 'nothing is there.', 'Install Docker Engine. On Debian or Ubuntu:'],
    fr: ['Docker n’est pas installé', 'il n’y a rien à cet endroit.', 'Installez Docker Engine. Sur Debian ou Ubuntu :'],
    command: 'sudo apt install docker.io',
  },
  {
    name: 'Docker installed but not started (Linux: no socket)',
    os: 'linux',
    docker: { problem: 'missing-socket', installed: true, error: 'connect ENOENT /var/run/docker.sock' },
    screen: 'stopped',
    en: ['Docker is not running', 'nothing is there.', 'Start the Docker service, and have it start with the computer from now on:'],
    fr: ['Docker n’est pas démarré', 'il n’y a rien à cet endroit.', 'Démarrez le service Docker, et faites-le démarrer avec l’ordinateur désormais :'],
    command: 'sudo systemctl enable --now docker',
  },
  {
    name: 'Docker stopped, its socket left behind (Linux: connection refused)',
    os: 'linux',
    docker: { problem: 'connection-refused', installed: true, error: 'connect ECONNREFUSED /var/run/docker.sock' },
    screen: 'stopped',
    en: ['Docker is not running', 'nothing answers there.', 'If it does not start, its log says why:'],
    fr: ['Docker n’est pas démarré', 'rien n’y répond.', 'S’il ne démarre pas, son journal dit pourquoi :'],
    command: 'journalctl -u docker --no-pager -n 50',
  },
  {
    name: 'Docker refuses the user (Linux: not in the docker group)',
    os: 'linux',
    docker: { problem: 'permission-denied', installed: true, error: 'connect EACCES /var/run/docker.sock' },
    screen: 'denied',
    en: [
      'Docker refuses your user',
      'your user is not allowed to use it.',
      'Let your user use Docker by adding it to the docker group (its members have full control of this computer through Docker):',
    ],
    fr: [
      'Docker refuse votre utilisateur',
      'votre utilisateur n’a pas le droit de l’utiliser.',
      'Autorisez votre utilisateur à se servir de Docker en l’ajoutant au groupe docker (ses membres ont le contrôle total de cet ordinateur à travers Docker) :',
    ],
    command: 'sudo usermod -aG docker $USER',
  },
  {
    name: 'Docker Desktop not installed (macOS)',
    os: 'darwin',
    docker: { problem: 'missing-socket', installed: false },
    screen: 'missing',
    en: ['Docker is not installed', 'nothing is there.', 'Install Docker Desktop for Mac.'],
    fr: ['Docker n’est pas installé', 'il n’y a rien à cet endroit.', 'Installez Docker Desktop pour Mac.'],
    link: 'https://docs.docker.com/desktop/setup/install/mac-install/',
  },
  {
    name: 'Docker Desktop not started (Windows)',
    os: 'win32',
    docker: { problem: 'missing-socket', installed: true },
    screen: 'stopped',
    en: ['Docker is not running', 'nothing is there.', 'Start Docker Desktop from the Start menu and wait until it says the engine is running.'],
    fr: ['Docker n’est pas démarré', 'il n’y a rien à cet endroit.', 'Lancez Docker Desktop depuis le menu Démarrer et attendez qu’il indique que le moteur tourne.'],
  },
  {
    name: 'Docker refuses the user (Windows: not in docker-users)',
    os: 'win32',
    docker: { problem: 'permission-denied', installed: true },
    screen: 'denied',
    en: ['Docker refuses your user', 'your user is not allowed to use it.', 'Your Windows account must be in the docker-users group. In a Command Prompt opened as administrator:'],
    fr: [
      'Docker refuse votre utilisateur',
      'votre utilisateur n’a pas le droit de l’utiliser.',
      'Votre compte Windows doit faire partie du groupe docker-users. Dans une invite de commandes ouverte en tant qu’administrateur :',
    ],
    command: 'net localgroup docker-users "%USERNAME%" /add',
  },
  {
    name: 'anything else (a DOCKER_HOST it cannot use)',
    os: 'linux',
    docker: { problem: 'other', endpoint: 'unix:///run/user/1000/docker.sock', error: 'Docker did not answer within 5 s' },
    screen: 'other',
    en: [
      'Docker cannot be reached',
      'it did not answer as Docker does.',
      'Check that the Docker engine runs and listens at unix:///run/user/1000/docker.sock; the DOCKER_HOST variable chooses another address.',
    ],
    fr: [
      'Docker est injoignable',
      'la réponse n’est pas celle de Docker.',
      'Vérifiez que le moteur Docker tourne et écoute à l’adresse unix:///run/user/1000/docker.sock ; la variable DOCKER_HOST permet d’en choisir une autre.',
    ],
  },
];

let fake: FakeTransport;
beforeEach(() => {
  localStorage.clear();
  // The route lives in the page's hash, which outlives a test.
  history.replaceState(null, '', '#/environments');
  fake = freshApp();
});
afterEach(() => {
  useDockerStore().stop();
  unmountAll();
});

describe('the first-run screen says which problem it is and what to do', () => {
  for (const c of cases) {
    for (const locale of ['en', 'fr'] as const) {
      it(`${c.name}, in ${locale === 'en' ? 'English' : 'French'}`, async () => {
        fake.handle('system:info', () => systemInfo(c.docker, c.os));
        const docker = useDockerStore();
        await docker.start();
        const w = mountInApp(DockerSetup, {}, locale);
        await settle();
        const [title, reason, step] = c[locale];
        expect(w.find(`[data-test=docker-setup-${c.screen}]`).exists()).toBe(true);
        expect(w.find('[data-test=docker-setup-title]').text()).toBe(title);
        const why = w.find('[data-test=docker-setup-reason]').text();
        expect(why).toContain(c.docker.endpoint ?? (c.os === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock'));
        expect(why).toContain(reason);
        const steps = w.findAll('[data-test=docker-setup-steps] li');
        const withStep = steps.find((li) => li.find('span').text() === step);
        expect(withStep, `no step "${step}" in ${JSON.stringify(steps.map((s) => s.text()))}`).toBeDefined();
        if (c.command) expect(withStep!.find('pre').text()).toBe(c.command);
        if (c.link) expect(withStep!.find('a').attributes()).toMatchObject({ href: c.link, target: '_blank' });
        if (c.screen === 'other') expect(w.find('[data-test=docker-setup-error]').text()).toContain(c.docker.error);
      });
    }
  }

  it('a DOCKER_HOST on another machine asks to check that machine, not to install anything here', async () => {
    fake.handle('system:info', () => systemInfo({ problem: 'connection-refused', endpoint: 'tcp://10.1.2.3:2375' }));
    await useDockerStore().start();
    const w = mountInApp(DockerSetup);
    await settle();
    expect(w.findAll('[data-test=docker-setup-steps] li').map((li) => li.text())).toEqual([
      'DOCKER_HOST points Switchyard at the engine at tcp://10.1.2.3:2375: make sure it runs and accepts connections there, or unset DOCKER_HOST to use this computer’s Docker.',
    ]);
  });
});

describe('the app opens on it, and it goes away by itself', () => {
  function wireApp(dockerAnswers: () => boolean): void {
    fake
      .handle('system:info', () => (dockerAnswers() ? answering() : systemInfo({ problem: 'connection-refused', installed: true })))
      .handle('tasks:list', () => [])
      .handle('stats:settings', () => ({ intervalMs: 1000 }))
      .handle('environments:list', () => [])
      .handle('hosts:list', () => []);
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 200 && !condition(); i++) await settle();
    expect(condition(), what).toBe(true);
  }

  it('in place of the environments while Docker is down, then the environments once it answers, without a click', async () => {
    let up = false;
    wireApp(() => up);
    useDockerStore().retryMs = 10;
    const w = mountInApp(App);
    await until(() => w.find('[data-test-screen=docker-setup]').exists(), 'the screen shows');
    expect(w.find('[data-test=environments]').exists()).toBe(false);
    const asked = fake.callsTo('system:info').length;
    await until(() => fake.callsTo('system:info').length > asked + 1, 'it asks again by itself');

    up = true;
    await until(() => !w.find('[data-test-screen=docker-setup]').exists(), 'the screen goes away');
    expect(w.find('[data-test=environments]').exists()).toBe(true);
    // Docker answers: no more asking.
    const after = fake.callsTo('system:info').length;
    await new Promise((r) => setTimeout(r, 60));
    expect(fake.callsTo('system:info').length).toBe(after);
  });

  it('the rest of the app stays reachable: hosts, over SSH, need no Docker here', async () => {
    wireApp(() => false);
    const w = mountInApp(App);
    await until(() => w.find('[data-test-screen=docker-setup]').exists(), 'the screen shows');
    useNavStore().go({ name: 'hosts' });
    await until(() => w.find('[data-test=hosts]').exists(), 'the hosts view shows');
    expect(w.find('[data-test-screen=docker-setup]').exists()).toBe(false);
  });

  it('"Continue without" puts the environments back and is remembered, until Docker is seen answering', async () => {
    let up = false;
    wireApp(() => up);
    // The app takes its language from its settings, not from the test's mount.
    useSettingsStore().localePref = 'fr';
    const w = mountInApp(App, {}, 'fr');
    await until(() => w.find('[data-test-screen=docker-setup]').exists(), 'the screen shows');
    const skip = w.find('[data-test=docker-setup-skip]');
    expect(skip.text()).toBe('Continuer sans le Docker de cet ordinateur');
    await skip.trigger('click');
    await settle();
    expect(w.find('[data-test-screen=docker-setup]').exists()).toBe(false);
    expect(w.find('[data-test=environments]').exists()).toBe(true);
    expect(localStorage.getItem('switchyard.dockerSetup')).toBe('skipped');

    up = true;
    await useDockerStore().check();
    expect(localStorage.getItem('switchyard.dockerSetup')).toBeNull();
  });
});
