import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import type { EnvironmentStatus, Task } from '../../../shared/contract';
import type { ServerStats } from '../../../shared/live';
import type { Environment } from '../../../shared/model';
import ServerCard from '../../../renderer/components/ServerCard.vue';
import TaskCard from '../../../renderer/components/TaskCard.vue';
import DistributionChart from '../../../renderer/components/DistributionChart.vue';
import EnvironmentsView from '../../../renderer/views/EnvironmentsView.vue';
import { FakeTransport, flush, freshApp, labEnvironment, mountInApp, unmountAll } from './fake-transport';

const stamp = '2026-01-01T00:00:00.000Z';
let fake: FakeTransport;
let wrapper: VueWrapper | undefined;
beforeEach(() => {
  fake = freshApp();
});
afterEach(unmountAll);

const stats = (over: Partial<ServerStats> = {}): ServerStats => ({
  name: 'back1',
  health: 'UP',
  status: 'UP',
  state: 'ready',
  checkStatus: 'L7OK',
  weight: 100,
  sessions: 2,
  hits: 1234,
  hitsPerSecond: 12.5,
  responses: { '2xx': 1234, '3xx': 0, '4xx': 0, '5xx': 0 },
  ...over,
});
const container = (state: string) => ({ name: 'sy-lab-back1', role: 'backend' as const, server: 'back1', state, image: 'demo', id: 'abc' });

describe('ServerCard', () => {
  const mountCard = (props: Record<string, unknown>, locale: 'en' | 'fr' = 'en') =>
    (wrapper = mountInApp(ServerCard, { environment: 'lab', server: { name: 'back1', kind: 'demo', weight: 100, state: 'ready' }, index: 0, ...props }, locale));

  it('shows health in colour and words, and the hit counts', () => {
    const w = mountCard({ stats: stats(), container: container('running') });
    const card = w.find('[data-test=server-card]');
    expect(card.attributes('data-health')).toBe('UP');
    expect(card.classes()).toContain('health-success');
    expect(w.find('[data-test=server-health]').text()).toBe('Healthy');
    expect(w.find('[data-test=server-hits]').text()).toBe('1,234');
  });

  it('turns red at once when its container is stopped, before HAProxy notices', () => {
    const w = mountCard({ stats: stats(), container: container('exited') }, 'fr');
    expect(w.find('[data-test=server-card]').classes()).toContain('health-error');
    expect(w.find('[data-test=server-health]').text()).toBe('Hors service');
    expect(w.text()).toContain('Conteneur : arrêté');
    expect(w.find('[data-test=server-container]').text()).toBe('Démarrer le conteneur');
  });

  it('maintenance and stop go to servers:set and servers:stop', async () => {
    fake
      .handle('servers:set', (r) => ({ environment: 'lab', server: r.server, state: r.state ?? 'ready', weight: 100, applied: true }))
      .handle('servers:stop', () => container('exited'))
      .handle('environments:list', () => [])
      .handle('environments:status', () => ({ name: 'lab', state: 'partly-down', containers: [], servers: [], haproxy: { reachable: true, configInSync: true } }));
    const w = mountCard({ stats: stats(), container: container('running') });
    await w.find('[data-test=mode-maint] input').setValue(true);
    await flush();
    expect(fake.callsTo('servers:set')).toEqual([{ environment: 'lab', server: 'back1', state: 'maint' }]);
    await w.find('[data-test=server-container]').trigger('click');
    await flush();
    expect(fake.callsTo('servers:stop')).toEqual([{ environment: 'lab', server: 'back1' }]);
  });
});

describe('EnvironmentsView', () => {
  const env = (name: string, port: number): Environment => labEnvironment({ name, httpPort: port });

  const server = (name: string, health: 'UP' | 'DOWN') => ({ name, health, status: health, weight: 100 });

  it('lists each environment with its state, address, backends and health', async () => {
    const statuses: Record<string, EnvironmentStatus> = {
      lab: {
        name: 'lab',
        state: 'partly-down',
        url: 'http://localhost:8080/',
        containers: [],
        servers: [server('back1', 'UP'), server('back2', 'DOWN')],
        haproxy: { reachable: true, configInSync: true },
      },
      shop: { name: 'shop', state: 'not-deployed', containers: [], servers: [], haproxy: { reachable: false, configInSync: false } },
    };
    fake.handle('environments:list', () => [env('lab', 8080), env('shop', 8081)]).handle('environments:status', ({ environment: name }) => statuses[name]);
    wrapper = mountInApp(EnvironmentsView);
    await flush();
    await flush();
    const rows = wrapper.findAll('[data-test=environment-row]');
    expect(rows.map((r) => r.attributes('data-env'))).toEqual(['lab', 'shop']);
    expect(rows[0].find('[data-test=state]').attributes('data-state')).toBe('partly-down');
    expect(rows[0].find('[data-test=env-url]').attributes()).toMatchObject({ href: 'http://localhost:8080/', target: '_blank', rel: 'noopener noreferrer' });
    expect(rows[0].text()).toContain('1 of 2 up');
    expect(rows[0].text()).toContain('1 down');
    expect(rows[0].text()).toContain('Off');
    expect(rows[1].find('[data-test=state]').text()).toContain('Not deployed');
    expect(rows[1].text()).toContain('not deployed');
  });

  it('shows "deploying" while a deploy task runs on an environment', async () => {
    fake
      .handle('environments:list', () => [env('lab', 8080)])
      .handle('environments:status', () => ({ name: 'lab', state: 'not-deployed', containers: [], servers: [], haproxy: { reachable: false, configInSync: false } }));
    wrapper = mountInApp(EnvironmentsView, {}, 'fr');
    await flush();
    fake.emit('tasks:updated', { id: 't', kind: 'deploy', target: 'lab', state: 'running', step: 'images', progress: 5, message: '', steps: [], createdAt: stamp } satisfies Task);
    await flush();
    expect(wrapper.find('[data-test=state]').attributes('data-state')).toBe('deploying');
    expect(wrapper.find('[data-test=state]').text()).toContain('Déploiement');
  });

  it("says what failed in the user's language, with the core's words as detail", async () => {
    fake.handle('environments:list', () => ({ error: { code: 'STORE_LOCKED', message: 'The data folder /x is locked by process 42' } }));
    wrapper = mountInApp(EnvironmentsView, {}, 'fr');
    await flush();
    const alert = wrapper.find('[data-test=error]');
    expect(alert.attributes('data-code')).toBe('STORE_LOCKED');
    expect(alert.text()).toContain('Un autre processus Switchyard utilise le dossier de données.');
    expect(alert.text()).toContain('The data folder /x is locked by process 42');
  });
});

describe('TaskCard', () => {
  const failed: Task = {
    id: 'd1',
    kind: 'deploy',
    target: 'lab',
    state: 'failed',
    step: 'ports',
    progress: 20,
    message: 'Port 8080 is taken',
    steps: [
      { name: 'images', state: 'done', startedAt: stamp, endedAt: stamp },
      { name: 'ports', state: 'failed', startedAt: stamp, endedAt: stamp, message: 'Checking that port 8080 is free' },
    ],
    error: { code: 'PORT_IN_USE', message: 'Port 8080 is already used by another program', field: 'httpPort' },
    createdAt: stamp,
    endedAt: stamp,
  };

  it('shows the steps and the translated error with its cause', () => {
    wrapper = mountInApp(TaskCard, { task: failed }, 'fr');
    expect(wrapper.text()).toContain('Déploiement de lab');
    expect(wrapper.text()).toContain('En échec');
    // The error is said once (the alert), not again as the task's line.
    expect(wrapper.text().split('Ce port est déjà utilisé sur cet ordinateur.')).toHaveLength(2);
    expect(wrapper.text()).toContain('Port 8080 is already used by another program');
    // The field by its name on the form, not its path.
    expect(wrapper.find('[data-test=error-field]').text()).toBe('Champ : Port HTTP');
    expect(wrapper.text()).toContain('Ports');
    expect(wrapper.find('[data-test=task-cancel]').exists()).toBe(false);
  });

  it('a running task can be cancelled', async () => {
    fake.handle('tasks:cancel', ({ id }) => ({ ...failed, id, state: 'cancelled' }));
    wrapper = mountInApp(TaskCard, { task: { ...failed, state: 'running', error: undefined } });
    await wrapper.find('[data-test=task-cancel]').trigger('click');
    await flush();
    expect(fake.callsTo('tasks:cancel')).toEqual([{ id: 'd1' }]);
  });
});

describe('DistributionChart', () => {
  it('splits the hits by share, in the order given', () => {
    wrapper = mountInApp(DistributionChart, {
      items: [
        { name: 'back1', value: 30 },
        { name: 'back2', value: 10 },
      ],
      emptyText: 'none',
    });
    const rows = wrapper.findAll('[data-test=distribution-row]');
    expect(rows.map((r) => r.attributes('data-server'))).toEqual(['back1', 'back2']);
    expect(rows[0].text()).toContain('75%');
    expect(rows[1].text()).toContain('25%');
  });
});
