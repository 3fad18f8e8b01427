import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import type { VueWrapper } from '@vue/test-utils';
import type { DeployPlan, EnvironmentStatus, Task } from '../../../shared/contract';
import type { TrafficReport } from '../../../shared/live';
import type { Environment } from '../../../shared/model';
import EnvironmentView from '../../../renderer/views/EnvironmentView.vue';
import { useNavStore, type Route } from '../../../renderer/stores/nav';
import { FakeTransport, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

/**
 * An environment's page as a new user meets it: edits that must not get lost, a port change that
 * must count as a change, a deploy's outcome that stays, and the traffic generator.
 */

const CONFIG = 'global\nbackend servers\n  balance roundrobin\n';
const stamp = '2026-01-01T00:00:00.000Z';

let fake: FakeTransport;
let saved: Environment;
let status: EnvironmentStatus;
beforeEach(() => {
  saved = labEnvironment();
  status = {
    name: 'lab',
    state: 'running',
    url: 'http://localhost:8080/',
    containers: [],
    servers: [],
    haproxy: { reachable: true, configInSync: true, portsInSync: true },
  };
  fake = freshApp()
    .handle('environments:list', () => [saved])
    .handle('environments:render', () => ({ config: CONFIG }))
    .handle('environments:preview', () => ({ config: CONFIG }))
    .handle('environments:status', () => status)
    .handle('environments:update', ({ patch }) => (saved = { ...saved, ...patch } as Environment))
    .handle('hosts:list', () => []);
});
afterEach(unmountAll);

/** The page as the app shows it: the route decides the environment and the tab. */
const Routed = defineComponent({
  setup() {
    const nav = useNavStore();
    return () =>
      nav.route.name === 'environment' ? h(EnvironmentView, { key: nav.route.environment, name: nav.route.environment, tab: nav.route.tab }) : h('div', { 'data-test': 'elsewhere' }, nav.route.name);
  },
});

async function open(tab: string | undefined, locale: 'en' | 'fr' = 'en'): Promise<VueWrapper> {
  const w = mountInApp(Routed, {}, locale);
  useNavStore().go({ name: 'environment', environment: 'lab', ...(tab ? { tab } : {}) });
  await settle();
  return w;
}

const route = (): Route => useNavStore().route;
const dialog = () => document.body.querySelector('.n-dialog');
const dialogButton = (text: string) => [...document.body.querySelectorAll('.n-dialog button')].find((b) => b.textContent?.trim() === text) as HTMLButtonElement | undefined;
const tab = (w: VueWrapper, name: string) => w.find(`.n-tabs-tab[data-name=${name}]`);

async function typeInto(w: VueWrapper, testId: string, value: string): Promise<void> {
  const input = w.find(`[data-test=${testId}] input`);
  await input.setValue(value);
  await input.trigger('blur');
  await settle();
}

describe('unsaved settings', () => {
  it('mark the Settings tab, and opening another tab asks first: keep editing keeps them', async () => {
    const w = await open('settings');
    expect(w.find('[data-test=unsaved-dot]').exists()).toBe(false);
    await typeInto(w, 'field-retries', '7');
    expect(tab(w, 'settings').find('[data-test=unsaved-dot]').exists()).toBe(true);

    await tab(w, 'overview').trigger('click');
    await settle();
    expect(dialog()?.textContent).toContain('Unsaved changes');
    expect(dialog()?.textContent).toContain('The settings of lab were changed but not saved.');
    expect(route()).toMatchObject({ name: 'environment', tab: 'settings' });

    dialogButton('Keep editing')!.click();
    await settle();
    expect(route()).toMatchObject({ tab: 'settings' });
    expect((w.find('[data-test=field-retries] input').element as HTMLInputElement).value).toBe('7');
    expect(w.find('[data-test=unsaved-dot]').exists()).toBe(true);
    expect(fake.callsTo('environments:update')).toEqual([]);
  });

  it('leaving for another view asks too, in French; discarding goes, and the saved settings are back', async () => {
    const w = await open('settings', 'fr');
    await typeInto(w, 'field-retries', '7');
    useNavStore().go({ name: 'environments' });
    await settle();
    expect(dialog()?.textContent).toContain('Modifications non enregistrées');
    expect(route().name).toBe('environment');

    dialogButton('Abandonner les modifications')!.click();
    await settle();
    expect(route().name).toBe('environments');
    useNavStore().go({ name: 'environment', environment: 'lab', tab: 'settings' });
    await settle();
    expect((w.find('[data-test=field-retries] input').element as HTMLInputElement).value).toBe('3');
    expect(w.find('[data-test=unsaved-dot]').exists()).toBe(false);
    expect(fake.callsTo('environments:update')).toEqual([]);
  });

  it('on the HTTPS tab too: its settings typed but not saved mark the tab and are not dropped silently', async () => {
    fake.handle('certificates:status', () => null);
    const w = await open('https');
    expect(w.find('[data-test=unsaved-dot]').exists()).toBe(false);
    await w.find('[data-test=https-domains] textarea').setValue('www.example.com');
    await settle();
    expect(tab(w, 'https').find('[data-test=unsaved-dot]').exists()).toBe(true);
    await tab(w, 'logs').trigger('click');
    await settle();
    expect(dialog()?.textContent).toContain('Unsaved changes');
    dialogButton('Discard changes')!.click();
    await settle();
    expect(route()).toMatchObject({ tab: 'logs' });
    expect(w.find('[data-test=unsaved-dot]').exists()).toBe(false);
  });

  it('once saved, the dot goes and other tabs open without a question', async () => {
    const w = await open('settings');
    await typeInto(w, 'field-retries', '7');
    await w.find('[data-test=submit]').trigger('click');
    await settle();
    expect(fake.callsTo('environments:update')).toEqual([{ environment: 'lab', patch: expect.objectContaining({ retries: 7 }) }]);
    expect(w.find('[data-test=unsaved-dot]').exists()).toBe(false);
    await tab(w, 'overview').trigger('click');
    await settle();
    expect(dialog()).toBeNull();
    expect(route()).toMatchObject({ tab: 'overview' });
  });
});

describe('a port change', () => {
  it('a taken port is refused on the HTTP port field itself, naming who holds it, with no path printed', async () => {
    fake.handle('environments:update', () => ({
      error: {
        code: 'VALIDATION',
        message: 'Port 8081 is already in use on the host by the container web-proxy: choose another port',
        field: 'patch.httpPort',
        reason: 'portContainer',
        params: { port: 8081, holder: 'web-proxy' },
      },
    }));
    const w = await open('settings');
    await typeInto(w, 'field-httpPort', '8081');
    await w.find('[data-test=submit]').trigger('click');
    await settle();
    const field = w.find('[data-field=httpPort]');
    expect(field.text()).toContain('Port 8081 is already in use on the host by the container web-proxy. Choose another port.');
    expect(field.find('.n-input--error-status').exists()).toBe(true);
    // Said once, where the field is: no alert above the form, no "Field: httpPort".
    expect(w.find('[data-test=error]').exists()).toBe(false);
    expect(w.text()).not.toContain('httpPort');
  });

  it('counts as a change in Preview, though haproxy.cfg stays the same', async () => {
    const w = await open('settings');
    await typeInto(w, 'field-httpPort', '8081');
    await w.find('[data-test=preview]').trigger('click');
    await settle();
    const preview = document.body.querySelector('[data-test=preview-dialog]')!;
    expect(preview.querySelector('[data-test=preview-ports]')!.textContent).toContain('HTTP port: 8080 → 8081.');
    expect(preview.querySelector('[data-test=preview-same]')!.textContent).toContain('haproxy.cfg itself does not change');
    expect(preview.textContent).not.toContain('No changes.');
  });

  it('saved but not deployed: the page says the old port still answers, and the deploy dialog says the load balancer is replaced for it', async () => {
    saved = labEnvironment({ httpPort: 8081 });
    status = { ...status, haproxy: { reachable: true, configInSync: true, portsInSync: false } };
    const plan: DeployPlan = {
      environment: 'lab',
      haproxy: { name: 'sy-lab-haproxy', action: 'recreate', ports: [{ kind: 'http', from: 8080, to: 8081 }] },
      containers: [
        { name: 'sy-lab-back1', role: 'backend', server: 'back1', action: 'unchanged' },
        { name: 'sy-lab-back2', role: 'backend', server: 'back2', action: 'unchanged' },
      ],
      images: [],
      config: { running: CONFIG, next: CONFIG },
      unchanged: false,
    };
    fake.handle('environments:plan', () => plan);
    const w = await open(undefined, 'fr');
    expect(w.find('[data-test=ports-out-of-sync]').text()).toContain('Le répartiteur répond encore sur son ancien port : déployez pour le passer au port 8081.');
    expect(w.find('[data-test=deploy]').text()).toBe('Déployer les modifications');

    await w.find('[data-test=deploy]').trigger('click');
    await settle();
    const d = document.body.querySelector('[data-test=deploy-dialog]')!;
    expect(d.querySelector('[data-test=plan-haproxy]')!.getAttribute('data-action')).toBe('recreate');
    expect(d.querySelector('[data-test=plan-port]')!.textContent).toContain('Port HTTP : 8080 → 8081');
    expect(d.querySelector('[data-test=plan-config-same]')!.textContent).toContain('le répartiteur est remplacé pour son nouveau port');
    expect(d.querySelector('[data-test=plan-unchanged]')).toBeNull();
  });
});

describe("a deploy's outcome", () => {
  const deployTask = (over: Partial<Task>): Task => ({
    id: 'd1',
    kind: 'deploy',
    target: 'lab',
    state: 'running',
    step: 'images',
    progress: 5,
    message: 'Checking images',
    code: 'deploy.images',
    steps: [{ name: 'images', state: 'running', startedAt: stamp, code: 'deploy.images', message: 'Checking images' }],
    createdAt: stamp,
    ...over,
  });

  it('stays on the page with its steps and "Deployed in 1.1 s" until dismissed; "In progress" is the task, "Running" the environment', async () => {
    const w = await open(undefined);
    fake.emit('tasks:updated', deployTask({}));
    await settle();
    const card = () => w.find('[data-test=environment-task]');
    expect(card().find('[data-test=task-state]').text()).toBe('In progress');

    fake.emit(
      'tasks:updated',
      deployTask({
        state: 'succeeded',
        step: 'verify',
        progress: 100,
        code: 'deploy.upUnchanged',
        params: { env: 'lab', url: 'http://localhost:8080/', status: 200 },
        message: 'lab is up at http://localhost:8080/ (HTTP 200; nothing to change)',
        endedAt: '2026-01-01T00:00:01.100Z',
      }),
    );
    await settle();
    expect(card().exists()).toBe(true);
    expect(card().find('[data-test=task-result]').text()).toBe('Deployed in 1.1 s');
    expect(card().find('[data-test=task-state]').text()).toBe('Done');
    expect(w.find('[data-test=environment-view] [data-test=state]').text()).toBe('Running');

    // Opening another tab and coming back: still there.
    useNavStore().go({ name: 'environment', environment: 'lab', tab: 'traffic' });
    await settle();
    expect(card().find('[data-test=task-result]').text()).toBe('Deployed in 1.1 s');

    await card().find('[data-test=task-dismiss]').trigger('click');
    await settle();
    expect(card().exists()).toBe(false);

    // The next task shows again.
    fake.emit('tasks:updated', deployTask({ id: 'd2', createdAt: '2026-01-01T00:01:00.000Z' }));
    await settle();
    expect(card().attributes('data-task')).toBe('d2');
  });

  it('in French: "Déployé en 1,1 s", and "En cours" for the task against "En service" for the environment', async () => {
    const w = await open(undefined, 'fr');
    fake.emit('tasks:updated', deployTask({}));
    await settle();
    expect(w.find('[data-test=environment-task] [data-test=task-state]').text()).toBe('En cours');
    expect(w.find('[data-test=environment-view] [data-test=state]').text()).not.toBe('En cours');
    fake.emit(
      'tasks:updated',
      deployTask({ state: 'succeeded', progress: 100, code: 'deploy.upUnchanged', params: { env: 'lab', url: 'http://localhost:8080/', status: 200 }, endedAt: '2026-01-01T00:00:01.100Z' }),
    );
    await settle();
    expect(w.find('[data-test=task-result]').text()).toBe('Déployé en 1,1 s');
    expect(w.find('[data-test=environment-view] [data-test=state]').text()).toBe('En service');
  });

  it('a deploy refused for a setting leads to that field, shown there', async () => {
    const w = await open(undefined);
    fake.emit(
      'tasks:updated',
      deployTask({
        state: 'failed',
        step: 'ports',
        error: {
          code: 'PORT_IN_USE',
          message: 'Port 8080 is already in use by another program. Choose another HTTP port for this environment.',
          field: 'httpPort',
          reason: 'program',
          params: { port: 8080 },
        },
        endedAt: '2026-01-01T00:00:00.500Z',
      }),
    );
    await settle();
    expect(w.find('[data-test=error-field]').text()).toBe('Field: HTTP port');
    await w.find('[data-test=fix-field]').trigger('click');
    await settle();
    expect(route()).toMatchObject({ tab: 'settings' });
    const field = w.find('[data-field=httpPort]');
    expect(field.text()).toContain('Port 8080 is already used by another program. Choose another HTTP port for this environment.');
    expect(field.find('.n-input--error-status').exists()).toBe(true);
  });

  it("a missing image is said once: which image, what to do, and Docker's words only under Details", async () => {
    const docker = '(HTTP code 500) server error - Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host';
    const w = await open(undefined);
    fake.emit(
      'tasks:updated',
      deployTask({
        state: 'failed',
        error: {
          code: 'IMAGE_MISSING',
          message: `The image haproxy:lts is not on the host and could not be pulled: docker.io could not be reached or failed: ${docker}. Pull or load haproxy:lts on the host (docker pull haproxy:lts), check its name, or log in to docker.io if it is private.`,
          field: 'images.haproxy',
          detail: docker,
          reason: 'unreachable',
          params: { image: 'haproxy:lts', registry: 'docker.io' },
        },
        endedAt: '2026-01-01T00:00:00.500Z',
      }),
    );
    await settle();
    const card = w.find('[data-test=environment-task]');
    const text = card.text();
    expect(text.split('An image is missing and could not be pulled.')).toHaveLength(2);
    expect(card.find('[data-test=error-body]').text()).toBe(
      'The image haproxy:lts is not on the host and docker.io could not be reached to pull it. Pull or load haproxy:lts on the host (docker pull haproxy:lts), check its name, or log in to docker.io if it is private.',
    );
    expect(text.split('no such host')).toHaveLength(2);
    expect(card.find('[data-test=error-details]').text()).toContain('no such host');
    expect(card.find('[data-test=error-field]').text()).toBe('Field: HAProxy image');
  });
});

describe('the traffic generator', () => {
  const report = (over: Partial<TrafficReport>): TrafficReport => ({
    taskId: 't1',
    environment: 'lab',
    done: false,
    sent: 40,
    ok: 40,
    failed: 0,
    byServer: { back1: 20, back2: 20 },
    statuses: { '200': 40 },
    latencyMs: { p50: 1, p90: 2, p99: 3, max: 4 },
    elapsedMs: 800,
    errors: [],
    ...over,
  });

  beforeEach(() => {
    fake
      .handle('traffic:run', () => ({ taskId: 't1' }))
      .handle('tasks:cancel', ({ id }) => ({ id, kind: 'traffic', target: 'lab', state: 'running', step: 'sending', progress: 10, message: '', steps: [], createdAt: stamp }));
  });

  it('sends a rate limit and a duration typed in seconds, shows the backends while it runs, and stops with Stop', async () => {
    const w = await open('traffic');
    await w.find('[data-test=traffic-by-duration] input').setValue(true);
    await settle();
    await typeInto(w, 'traffic-duration', '2');
    await typeInto(w, 'traffic-rate', '50');
    await w.find('[data-test=traffic-run]').trigger('click');
    await settle();
    expect(fake.callsTo('traffic:run')).toEqual([{ environment: 'lab', durationMs: 2000, concurrency: 4, ratePerSecond: 50, keepCookies: false, path: '/' }]);

    fake.emit('traffic:progress', report({}));
    await settle();
    expect(w.findAll('[data-test=traffic-server-cards] [data-test=traffic-server-card]').map((c) => c.attributes('data-server'))).toEqual(['back1', 'back2']);

    await w.find('[data-test=traffic-stop]').trigger('click');
    await settle();
    expect(fake.callsTo('tasks:cancel')).toEqual([{ id: 't1' }]);

    fake.emit('traffic:progress', report({ done: true, stopped: true, sent: 57, ok: 57, elapsedMs: 1140 }));
    await settle();
    const results = w.find('[data-test=traffic-results]');
    expect(results.attributes('data-stopped')).toBe('true');
    expect(results.find('[data-test=traffic-stopped]').text()).toBe('Stopped');
    expect(results.find('[data-test=traffic-elapsed]').text()).toBe('1.1 s');
    expect(results.find('.n-progress--error').exists()).toBe(false);
    expect(w.find('[data-test=traffic-stop]').exists()).toBe(false);
  });

  it('keeps the form as it was when the user leaves and comes back', async () => {
    const w = await open('traffic', 'fr');
    await typeInto(w, 'traffic-requests', '500');
    await typeInto(w, 'traffic-rate', '25');
    useNavStore().go({ name: 'environments' });
    await settle();
    useNavStore().go({ name: 'environment', environment: 'lab', tab: 'traffic' });
    await settle();
    expect((w.find('[data-test=traffic-requests] input').element as HTMLInputElement).value).toBe('500');
    expect((w.find('[data-test=traffic-rate] input').element as HTMLInputElement).value).toBe('25');
    expect(w.find('[data-test=traffic-rate]').text()).toContain('req/s');
  });

  it('a stopped run in the task list reads "Stopped", not a red failure', async () => {
    const { default: TaskCard } = await import('../../../renderer/components/TaskCard.vue');
    const w = mountInApp(TaskCard, {
      task: {
        id: 't1',
        kind: 'traffic',
        target: 'lab',
        state: 'cancelled',
        step: 'sending',
        progress: 40,
        message: 'Stopped after 57 requests in 1140 ms',
        steps: [{ name: 'sending', state: 'failed', startedAt: stamp, endedAt: stamp }],
        error: { code: 'CANCELLED', message: 'Stopped after 57 requests in 1140 ms', reason: 'trafficStopped', params: { requests: { count: 57 }, elapsed: { ms: 1140 } } },
        createdAt: stamp,
        endedAt: stamp,
      } satisfies Task,
    });
    expect(w.find('[data-test=task-state]').text()).toBe('Stopped');
    expect(w.find('[data-test=task-message]').text()).toContain('Stopped after 57 requests in 1.1 s.');
    expect(w.find('[data-test=error]').exists()).toBe(false);
    expect(w.find('.n-progress--error').exists()).toBe(false);
  });
});
