/**
 * The user's own app in the window: the form (demo lab or your app, secret variables, replicas),
 * the environment's settings, "Test the app", the replicas' cards and output, registry logins.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DOMWrapper, VueWrapper } from '@vue/test-utils';
import type { AppTestReport } from '../../../shared/app-test-report';
import type { ContainerStatus, EnvironmentStatus, Task } from '../../../shared/contract';
import { LOCAL_HOST, type Environment, type EnvironmentInput } from '../../../shared/model';
import type { RegistryEntry } from '../../../shared/registries';
import AppTestPanel from '../../../renderer/components/AppTestPanel.vue';
import ServerCard from '../../../renderer/components/ServerCard.vue';
import EnvironmentView from '../../../renderer/views/EnvironmentView.vue';
import NewEnvironmentView from '../../../renderer/views/NewEnvironmentView.vue';
import SettingsView from '../../../renderer/views/SettingsView.vue';
import { formFrom } from '../../../renderer/lib/environment-form';
import { useSettingsStore } from '../../../renderer/stores/settings';
import type { UiError } from '../../../renderer/lib/errors';
import { mountEnvironmentForm } from './form-mount';
import { FakeTransport, flush, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

let fake: FakeTransport;
beforeEach(() => {
  localStorage.clear();
  fake = freshApp();
  fake.handle('hosts:list', () => [LOCAL_HOST]);
});
afterEach(unmountAll);

const SECRET = 's3cr3t-value-typed-once';

/** An environment running an app, as the core returns it: secrets as references only. */
function shop(over: Partial<EnvironmentInput> = {}): Environment {
  const env = labEnvironment({
    name: 'shop',
    app: { source: { kind: 'image', image: 'registry.example.com/team/shop:1.2' }, port: 8080, env: [{ name: 'BACKEND_NAME', value: '{{server}}' }] },
    servers: [
      { name: 'web1', kind: 'app' },
      { name: 'web2', kind: 'app' },
    ],
    ...over,
  });
  env.app!.secrets = [{ name: 'API_TOKEN', ref: 'sec-1' }];
  return env;
}

const mountForm = mountEnvironmentForm;

async function type(w: VueWrapper | DOMWrapper<Element>, selector: string, value: string): Promise<void> {
  const input = w.find(`${selector} input`);
  await input.setValue(value);
  await input.trigger('blur');
  await flush();
}

async function submit(w: VueWrapper): Promise<void> {
  await w.find('[data-test=submit]').trigger('click');
  await flush();
}

const rowNames = (w: VueWrapper) => w.findAll('[data-test=server-row] [data-test=server-name] input').map((i) => (i.element as HTMLInputElement).value);
/** Every value the page's inputs hold, password fields included. */
const inputValues = () => [...document.querySelectorAll('input, textarea')].map((i) => (i as HTMLInputElement).value);

describe('the new-environment form: the demo lab or your app', () => {
  it('is the demo lab by default, as before: no app, two demo backends', async () => {
    const created: unknown[] = [];
    fake.handle('environments:list', () => []).handle('environments:create', (input) => (created.push(input), labEnvironment({ name: input.name })));
    fake.handle('environments:status', ({ environment: name }) => ({ name, state: 'not-deployed', containers: [], servers: [], haproxy: { reachable: false, configInSync: false } }));
    const w = mountInApp(NewEnvironmentView);
    await settle();
    expect(w.find('[data-test=backends-demo]').classes()).toContain('n-radio-button--checked');
    expect(w.find('[data-test=app-fields]').exists()).toBe(false);
    await w.find('[data-test=submit]').trigger('click');
    await settle();
    expect(created).toHaveLength(1);
    expect(created[0]).not.toHaveProperty('app');
    expect((created[0] as EnvironmentInput).servers).toEqual([
      { name: 'back1', kind: 'demo', weight: 100, state: 'ready' },
      { name: 'back2', kind: 'demo', weight: 100, state: 'ready' },
    ]);
  });

  it('runs your image as replicas named from a prefix, with its port and health path', async () => {
    const { w, submits } = mountForm();
    await w.find('[data-test=backends-app]').trigger('click');
    await flush();
    expect(w.find('[data-test=app-fields]').exists()).toBe(true);
    // The demo backends become replicas, same count and names.
    expect(rowNames(w)).toEqual(['back1', 'back2']);
    expect(w.findAll('[data-test=server-kind-app]').map((k) => k.text())).toEqual(['App replica', 'App replica']);
    expect(w.find('[data-test=add-demo]').exists()).toBe(false);

    await type(w, '[data-test=app-image]', 'registry.example.com/team/shop:1.2');
    await type(w, '[data-test=app-port]', '8080');
    await type(w, '[data-test=app-replicas]', '3');
    await type(w, '[data-test=app-prefix]', 'web');
    await type(w, '[data-test=app-health-path]', '/healthz');
    expect(rowNames(w)).toEqual(['web1', 'web2', 'web3']);
    expect(w.find('[data-test=app-replica-names]').text()).toBe('web1 … web3');
    await submit(w);
    expect(submits).toHaveLength(1);
    const [input] = submits[0];
    expect(input.app).toEqual({ source: { kind: 'image', image: 'registry.example.com/team/shop:1.2' }, port: 8080, env: [], secrets: [] });
    expect(input.healthCheck).toMatchObject({ path: '/healthz' });
    expect(input.servers).toEqual(['web1', 'web2', 'web3'].map((name) => ({ name, kind: 'app', weight: 100, state: 'ready' })));
  });

  it('builds from a folder; what is wrong shows on its field, in French too', async () => {
    const { w, submits } = mountForm({}, 'fr');
    await w.find('[data-test=backends-app]').trigger('click');
    await flush();
    await w.find('[data-test=app-source-build]').trigger('click');
    await flush();
    await type(w, '[data-test=app-context]', 'boutique');
    await type(w, '[data-test=app-dockerfile]', '../Dockerfile');
    await type(w, '[data-test=app-prefix]', 'Web');
    await submit(w);
    expect(submits).toEqual([]);
    expect(w.find('[data-field="app.source.context"]').text()).toContain('Le chemin absolu d’un dossier de cet ordinateur');
    expect(w.find('[data-field="app.source.dockerfile"]').text()).toContain('Un chemin dans le dossier');
    expect(w.find('[data-field="replicas.prefix"]').text()).toContain('lettres minuscules');

    await type(w, '[data-test=app-context]', '/home/moi/boutique');
    await type(w, '[data-test=app-dockerfile]', 'docker/Dockerfile');
    await type(w, '[data-test=app-prefix]', 'web');
    await submit(w);
    expect(submits).toHaveLength(1);
    expect(submits[0][0].app).toMatchObject({ source: { kind: 'build', context: '/home/moi/boutique', dockerfile: 'docker/Dockerfile' }, port: 80 });
  });

  it('keeps replicas’ weights when their count changes, and an external server beside them', async () => {
    const initial = formFrom(
      shop({
        servers: [
          { name: 'web1', kind: 'app', weight: 50 },
          { name: 'web2', kind: 'app' },
          { name: 'ext', kind: 'external', address: '10.0.0.5', port: 80 },
        ],
      }),
    );
    const { w, submits } = mountForm({ initial, mode: 'edit' });
    expect(w.find('[data-test=backends-app]').classes()).toContain('n-radio-button--checked');
    await type(w, '[data-test=app-replicas]', '1');
    expect(rowNames(w)).toEqual(['web1', 'ext']);
    await type(w, '[data-test=app-replicas]', '3');
    expect(rowNames(w)).toEqual(['web1', 'web2', 'web3', 'ext']);
    await submit(w);
    expect((submits[0][0].servers as { name: string; weight: number }[]).map((s) => [s.name, s.weight])).toEqual([
      ['web1', 50],
      ['web2', 100],
      ['web3', 100],
      ['ext', 100],
    ]);
  });

  it("shows the core's refusal of a variable on that variable's row", async () => {
    const { w, props } = mountForm({ initial: formFrom(shop()), mode: 'edit' });
    // The second secret variable, as the core names it in an edit: the form's third row.
    props.serverError = { code: 'VALIDATION', message: 'patch.app.secrets.0.name: "API_TOKEN" is set twice', field: 'patch.app.secrets.0.name' } satisfies UiError;
    await flush();
    const rows = w.findAll('[data-test=app-var]');
    expect(rows).toHaveLength(2);
    expect(rows[1].text()).toContain('is set twice');
    expect(rows[0].text()).not.toContain('is set twice');
  });
});

describe('secret variables', () => {
  it('a secret is typed in a password field, and sent as a value apart from the plain variables', async () => {
    const { w, submits } = mountForm();
    await w.find('[data-test=backends-app]').trigger('click');
    await type(w, '[data-test=app-image]', 'nginx:1.27');
    for (let i = 0; i < 2; i++) await w.find('[data-test=app-var-add]').trigger('click');
    await flush();
    const rows = () => w.findAll('[data-test=app-var]');
    await type(rows()[0], '[data-test=app-var-name]', 'BACKEND_NAME');
    await type(rows()[0], '[data-test=app-var-value]', '{{server}}');
    await type(rows()[1], '[data-test=app-var-name]', 'API_TOKEN');
    await rows()[1].find('[data-test=app-var-secret]').trigger('click');
    await flush();
    expect(rows()[1].find('[data-test=app-var-value] input').attributes('type')).toBe('password');
    expect(rows()[0].find('[data-test=app-var-value] input').attributes('type')).toBe('text');
    await type(rows()[1], '[data-test=app-var-value]', SECRET);
    expect(w.text()).not.toContain(SECRET);
    await submit(w);
    expect(submits[0][0].app).toMatchObject({ env: [{ name: 'BACKEND_NAME', value: '{{server}}' }], secrets: [{ name: 'API_TOKEN', value: SECRET }] });
  });

  it('a kept secret shows as set and is kept by its reference; replacing it is asked for', async () => {
    const { w, submits } = mountForm({ initial: formFrom(shop()), mode: 'edit' });
    const secretRow = () => w.find('[data-test=app-var][data-secret=true]');
    expect(secretRow().find('[data-test=app-var-set]').text()).toBe('set');
    expect(secretRow().find('input[type=password]').exists()).toBe(false);
    expect(secretRow().find('[data-test=app-var-secret]').classes()).toContain('n-switch--disabled');

    // An edit elsewhere: the secret goes back as its reference.
    await type(w, '[data-test=app-port]', '9090');
    await submit(w);
    expect(submits[0][0].app).toMatchObject({ port: 9090, secrets: [{ name: 'API_TOKEN', ref: 'sec-1' }] });

    await secretRow().find('[data-test=app-var-replace]').trigger('click');
    await flush();
    await type(secretRow(), '[data-test=app-var-value]', SECRET);
    expect(secretRow().find('[data-test=app-var-value] input').attributes('type')).toBe('password');
    await submit(w);
    expect(submits[1][0].app).toMatchObject({ secrets: [{ name: 'API_TOKEN', value: SECRET }] });
  });

  it('"Keep" gives up a replacement: the kept value stays', async () => {
    const { w, submits } = mountForm({ initial: formFrom(shop()), mode: 'edit' });
    const secretRow = () => w.find('[data-test=app-var][data-secret=true]');
    await secretRow().find('[data-test=app-var-replace]').trigger('click');
    await flush();
    await type(secretRow(), '[data-test=app-var-value]', 'half-typed');
    await secretRow().find('[data-test=app-var-keep]').trigger('click');
    await flush();
    await type(w, '[data-test=app-port]', '9090');
    await submit(w);
    expect(submits[0][0].app).toMatchObject({ secrets: [{ name: 'API_TOKEN', ref: 'sec-1' }] });
    expect(inputValues()).not.toContain('half-typed');
  });
});

const status = (name: string, containers: ContainerStatus[] = []): EnvironmentStatus => ({
  name,
  state: 'running',
  url: 'http://localhost:8080/',
  containers,
  servers: [],
  haproxy: { reachable: true, configInSync: true },
});

function task(over: Partial<Task>): Task {
  return { id: 't-1', kind: 'app-test', target: 'shop', state: 'running', step: 'app-test', progress: 60, message: '', steps: [], createdAt: '2026-01-01T00:00:00.000Z', ...over };
}

describe("an environment's settings", () => {
  it('edit the app with the same fields, and offer to test the saved app', async () => {
    const updates: unknown[] = [];
    fake
      .handle('environments:list', () => [shop()])
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:status', ({ environment: name }) => status(name))
      .handle('environments:update', (r) => {
        updates.push(r);
        // Sealed by the core: what comes back is a new reference.
        const saved = shop({ app: { ...shop().app!, port: 9090, secrets: [] } });
        saved.app!.secrets = [{ name: 'API_TOKEN', ref: 'sec-2' }];
        return saved;
      });
    const w = mountInApp(EnvironmentView, { name: 'shop', tab: 'settings' });
    await settle();
    expect((w.find('[data-test=app-image] input').element as HTMLInputElement).value).toBe('registry.example.com/team/shop:1.2');
    expect(w.find('[data-test=app-var][data-secret=true] [data-test=app-var-set]').exists()).toBe(true);
    expect(w.find('[data-test=app-test]').exists()).toBe(true);
    expect(w.find('[data-test=app-test-unsaved]').exists()).toBe(false);

    await type(w, '[data-test=app-port]', '9090');
    const secretRow = () => w.find('[data-test=app-var][data-secret=true]');
    await secretRow().find('[data-test=app-var-replace]').trigger('click');
    await flush();
    await type(secretRow(), '[data-test=app-var-value]', SECRET);
    // The test runs what is saved: said while an edit is not.
    expect(w.find('[data-test=app-test-unsaved]').exists()).toBe(true);
    await w.find('[data-test=submit]').trigger('click');
    await settle();
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ environment: 'shop', patch: { app: { port: 9090, secrets: [{ name: 'API_TOKEN', value: SECRET }] } } });
    // Saved: the secret shows as set again, and the value typed is nowhere in the page.
    expect(secretRow().find('[data-test=app-var-set]').exists()).toBe(true);
    expect(inputValues()).not.toContain(SECRET);
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(w.find('[data-test=app-test-unsaved]').exists()).toBe(false);
  });
});

describe("an environment's settings: the app's command and limits", () => {
  it('show what is saved, and send what is typed: one argument per line, limits per replica', async () => {
    const updates: { patch: { app?: Record<string, unknown> } }[] = [];
    const saved = shop({ app: { ...shop().app!, command: ['node', 'server.js'], memoryMb: 128 } });
    fake
      .handle('environments:list', () => [saved])
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:status', ({ environment: name }) => status(name))
      .handle('environments:update', (r) => {
        updates.push(r as { patch: { app?: Record<string, unknown> } });
        return saved;
      });
    const w = mountInApp(EnvironmentView, { name: 'shop', tab: 'settings' });
    await settle();
    expect((w.find('[data-test=app-command] textarea').element as HTMLTextAreaElement).value).toBe('node\nserver.js');
    expect((w.find('[data-test=app-memory] input').element as HTMLInputElement).value).toBe('128');
    await w.find('[data-test=app-command] textarea').setValue('node\nserver.js --port=8080\n');
    await type(w, '[data-test=app-memory]', '256');
    await type(w, '[data-test=app-cpus]', '0.5');
    await w.find('[data-test=submit]').trigger('click');
    await settle();
    expect(updates[0].patch.app).toMatchObject({ command: ['node', 'server.js --port=8080'], memoryMb: 256, cpus: 0.5 });
    // Emptied: the image's own command, no limit.
    await w.find('[data-test=app-command] textarea').setValue('');
    await type(w, '[data-test=app-memory]', '');
    await w.find('[data-test=submit]').trigger('click');
    await settle();
    expect(updates[1].patch.app).not.toHaveProperty('command');
    expect(updates[1].patch.app).not.toHaveProperty('memoryMb');
  });
});

describe("an environment's settings, back to the demo lab", () => {
  it('take the saved app away with the change (servers become demo servers)', async () => {
    const updates: { environment: string; patch: Record<string, unknown> }[] = [];
    fake
      .handle('environments:list', () => [shop()])
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:status', ({ environment: name }) => status(name))
      .handle('environments:update', (r) => {
        updates.push(r as { environment: string; patch: Record<string, unknown> });
        const { app: _app, ...rest } = shop();
        return { ...rest, servers: [{ name: 'back1', kind: 'demo', weight: 100, state: 'ready' }] } as never;
      });
    const w = mountInApp(EnvironmentView, { name: 'shop', tab: 'settings' });
    await settle();
    await w.find('[data-test=backends-demo] input').trigger('change');
    await flush();
    await w.find('[data-test=submit]').trigger('click');
    await settle();
    expect(updates).toHaveLength(1);
    expect(updates[0].patch.app).toBeNull();
    expect((updates[0].patch.servers as { kind: string }[]).every((x) => x.kind === 'demo')).toBe(true);
  });
});

describe('Test the app', () => {
  const failing: AppTestReport = {
    ok: false,
    image: 'registry.example.com/team/shop:1.2',
    started: true,
    stayedUp: true,
    listening: true,
    health: { path: '/healthz', expected: 200, status: 404, ok: false },
    failed: 'health',
    logs: 'listening on 8080\nGET /healthz 404',
  };

  function mountPanel(report: AppTestReport | undefined, outcome: Partial<Task>, locale: 'en' | 'fr' = 'en') {
    const started: unknown[] = [];
    fake
      .handle('environments:list', () => [shop()])
      .handle('apps:test', (r) => (started.push(r), { taskId: 't-1' }))
      .handle('apps:report', () => report ?? { error: { code: 'NOT_FOUND', message: 'No app test with task id t-1' } });
    const w = mountInApp(AppTestPanel, { environment: 'shop' }, locale);
    const finish = async () => {
      fake.emit('tasks:updated', task({ state: 'running', message: 'Trying the app in a throwaway container (port 8080)', code: 'app.testing', params: { port: 8080 } }));
      await settle();
      fake.emit('tasks:updated', task({ progress: 100, ...outcome }));
      await settle();
    };
    return { w, started, finish };
  }

  it('says which check failed, check by check, with the last lines', async () => {
    const { w, started, finish } = mountPanel(failing, {
      state: 'failed',
      error: { code: 'APP_TEST_FAILED', message: 'The app did not answer its health path as expected', field: 'healthCheck.path' },
    });
    await settle();
    await w.find('[data-test=app-test-run]').trigger('click');
    await settle();
    expect(started).toEqual([{ environment: 'shop' }]);
    expect(w.find('[data-test=app-test]').attributes('data-state')).toBe('running');
    await finish();
    expect(w.find('[data-test=app-test]').attributes('data-state')).toBe('failed');
    expect(w.find('[data-test=app-test-verdict]').text()).toBe('The app failed: its health path did not answer as expected.');
    const checks = w.findAll('[data-test=app-test-check]').map((c) => [c.attributes('data-check'), c.attributes('data-result'), c.text()]);
    expect(checks).toEqual([
      ['started', 'ok', '✓Startedpassed'],
      ['stayedUp', 'ok', '✓Stayed uppassed'],
      ['listening', 'ok', '✓Answers on port 8080passed'],
      ['health', 'failed', '✕Health path /healthzfailed (answered 404, expected 200)'],
    ]);
    expect(w.find('[data-test=app-test-logs]').text()).toBe('listening on 8080\nGET /healthz 404');
  });

  it('a crash leaves the later checks unchecked and gives the exit code, in French', async () => {
    const crashed: AppTestReport = { ok: false, image: 'shop:1', started: true, stayedUp: false, listening: false, exitCode: 3, failed: 'crash', logs: 'missing DATABASE_URL' };
    const { w, finish } = mountPanel(crashed, { state: 'failed', error: { code: 'APP_TEST_FAILED', message: 'The app stopped right after starting (exit code 3)' } }, 'fr');
    await w.find('[data-test=app-test-run]').trigger('click');
    await finish();
    expect(w.find('[data-test=app-test-verdict]').text()).toBe('L’app a échoué : elle s’est arrêtée juste après avoir démarré.');
    expect(w.findAll('[data-test=app-test-check]').map((c) => c.attributes('data-result'))).toEqual(['ok', 'failed', 'skipped']);
    expect(w.find('[data-check=stayedUp]').text()).toContain('code de sortie 3');
    expect(w.find('[data-test=app-test-logs]').text()).toBe('missing DATABASE_URL');
  });

  it('says the app passed, without its lines', async () => {
    const { w, finish } = mountPanel({ ...failing, ok: true, failed: undefined, health: { path: '/healthz', expected: 200, status: 200, ok: true }, logs: 'fine' }, { state: 'succeeded' });
    await w.find('[data-test=app-test-run]').trigger('click');
    await finish();
    expect(w.find('[data-test=app-test-verdict]').text()).toBe('The app passed: it started, stayed up and answered.');
    expect(w.findAll('[data-test=app-test-check]').every((c) => c.attributes('data-result') === 'ok')).toBe(true);
    expect(w.find('[data-test=app-test-logs]').exists()).toBe(false);
  });

  it('a test that stopped before trying the app (its build failed) says why', async () => {
    const { w, finish } = mountPanel(undefined, {
      state: 'failed',
      error: { code: 'IMAGE_BUILD_FAILED', message: 'Building the app from /home/me/shop failed at step 2/4: COPY failed: file not found' },
    });
    await w.find('[data-test=app-test-run]').trigger('click');
    await finish();
    expect(w.find('[data-test=app-test]').attributes('data-state')).toBe('error');
    expect(w.text()).toContain('COPY failed: file not found');
    expect(w.find('[data-test=app-test-checks]').exists()).toBe(false);
  });
});

describe("a replica's card", () => {
  const replica = (over: Partial<ContainerStatus> = {}): ContainerStatus => ({
    name: 'sy-shop-web1',
    role: 'backend',
    server: 'web1',
    state: 'running',
    image: 'registry.example.com/team/shop:1.2',
    id: 'c1',
    startedAt: new Date(Date.now() - 65_000).toISOString(),
    restartCount: 2,
    ...over,
  });

  function mountCard(server: Environment['servers'][number], container: ContainerStatus | undefined, locale: 'en' | 'fr' = 'en') {
    return mountInApp(ServerCard, { environment: 'shop', server, index: 0, container }, locale);
  }

  it('shows the image, the container, how long it has been up and how often Docker restarted it', async () => {
    const w = mountCard({ name: 'web1', kind: 'app', weight: 100, state: 'ready' }, replica());
    await flush();
    expect(w.find('[data-test=server-card]').text()).toContain('App');
    expect(w.find('[data-test=server-image]').text()).toBe('registry.example.com/team/shop:1.2');
    expect(w.find('[data-test=server-container-name]').text()).toBe('sy-shop-web1');
    expect(w.find('[data-test=server-uptime]').text()).toBe('1 min 5 s');
    expect(w.find('[data-test=server-restarts]').text()).toBe('2');
    expect(w.find('[data-test=server-container]').text()).toBe('Stop container');
  });

  it('a demo backend too; a stopped container is not up, and its card turns red', async () => {
    const w = mountCard({ name: 'back1', kind: 'demo', weight: 100, state: 'ready' }, replica({ name: 'sy-lab-back1', image: 'sy-demo-backend:1', state: 'exited', restartCount: 0 }), 'fr');
    await flush();
    expect(w.find('[data-test=server-image]').text()).toBe('sy-demo-backend:1');
    expect(w.find('[data-test=server-uptime]').text()).toBe('arrêté');
    expect(w.find('[data-test=server-restarts]').text()).toBe('0');
    expect(w.find('[data-test=server-card]').attributes('data-health')).toBe('DOWN');
  });

  it('an external server has no container to show', async () => {
    const w = mountCard({ name: 'ext', kind: 'external', address: '10.0.0.5', port: 80, weight: 100, state: 'ready' }, undefined);
    await flush();
    expect(w.find('[data-test=server-facts]').exists()).toBe(false);
    expect(w.find('[data-test=server-output]').exists()).toBe(false);
  });

  it("opens the replica's output: its last lines, then the new ones as the core sends them, each once; closing stops following", async () => {
    fake.handle('apps:logs', () => ({ server: 'web1', lines: ['listening on 8080', 'GET / 200'], until: '2026-01-01T00:00:02.000000000Z' }));
    const w = mountCard({ name: 'web1', kind: 'app', weight: 100, state: 'ready' }, replica());
    await flush();
    await w.find('[data-test=server-output]').trigger('click');
    await settle();
    expect(fake.subscribed('apps:output')).toEqual([{ environment: 'shop', server: 'web1' }]);
    const lines = () => [...document.querySelectorAll('[data-test=replica-output-line]')].map((l) => l.textContent);
    expect(lines()).toEqual(['listening on 8080', 'GET / 200']);
    expect(document.querySelector('[data-test=replica-output]')?.textContent).toContain('Following sy-shop-web1');

    // The follow also heard the last tail line (written between subscribing and reading): shown once.
    fake.emit('apps:output', {
      environment: 'shop',
      server: 'web1',
      lines: [
        { at: '2026-01-01T00:00:02.000000000Z', text: 'GET / 200' },
        { at: '2026-01-01T00:00:03.000000000Z', text: 'GET /cart 500' },
      ],
    });
    // Another replica's output is not this panel's.
    fake.emit('apps:output', { environment: 'shop', server: 'web2', lines: [{ at: '2026-01-01T00:00:04.000000000Z', text: 'web2 says hi' }] });
    await settle();
    expect(lines()).toEqual(['listening on 8080', 'GET / 200', 'GET /cart 500']);

    (document.querySelector('.n-drawer .n-base-close') as HTMLElement).click();
    await settle();
    expect(fake.subscribed('apps:output')).toEqual([]);
  });

  it('a replica not deployed yet: its output comes once it is', async () => {
    fake.handle('apps:logs', () => ({ error: { code: 'NOT_FOUND', message: '"web1" has no container yet: deploy "shop" first', field: 'server' } }));
    const w = mountCard({ name: 'web1', kind: 'app', weight: 100, state: 'ready' }, undefined, 'fr');
    await flush();
    await w.find('[data-test=server-output]').trigger('click');
    await settle();
    expect(document.querySelector('[data-test=replica-output-none]')?.textContent).toBe('web1 n’a pas encore de conteneur : sa sortie apparaît une fois déployé.');
    fake.emit('apps:output', { environment: 'shop', server: 'web1', lines: [{ at: '2026-01-01T00:00:01.000000000Z', text: 'booting' }] });
    await settle();
    expect([...document.querySelectorAll('[data-test=replica-output-line]')].map((l) => l.textContent)).toEqual(['booting']);
  });
});

describe('registry logins in Settings', () => {
  const entry = (registry: string, host = 'local', username = 'deployer'): RegistryEntry => ({ registry, host, username });

  function mountSettings(locale: 'en' | 'fr' = 'en') {
    // The view follows the language chosen in the settings.
    useSettingsStore().localePref = locale;
    let logins = [entry('registry.example.com'), entry('ghcr.io', 'vps-1', 'octo')];
    const calls: { login: unknown[]; logout: unknown[] } = { login: [], logout: [] };
    fake
      .handle('hosts:list', () => [LOCAL_HOST, { id: 'vps-1', kind: 'ssh', name: 'vps-1', address: '203.0.113.7', port: 22, user: 'deploy', auth: { method: 'agent' } } as never])
      .handle('registries:list', () => logins)
      .handle('registries:login', (r) => {
        calls.login.push(r);
        if (r.password === 'wrong')
          return { error: { code: 'REGISTRY_AUTH_FAILED', message: 'password: refused', field: 'password', reason: 'refused', params: { registry: r.registry, user: r.username } } };
        const e = entry(r.registry, r.host, r.username);
        logins = [...logins, e];
        return e;
      })
      .handle('registries:logout', (r) => {
        calls.logout.push(r);
        logins = logins.filter((l) => l.registry !== r.registry || l.host !== r.host);
        return { removed: true as const };
      });
    const w = mountInApp(SettingsView, {}, locale);
    return { w, calls };
  }

  const rows = (w: VueWrapper) =>
    w.findAll('[data-test=registry-row]').map((r) =>
      r
        .findAll('td')
        .map((td) => td.text())
        .slice(0, 3),
    );

  it('lists the logins (never a password), adds one the core checked, and removes one', async () => {
    const { w, calls } = mountSettings();
    await settle();
    expect(rows(w)).toEqual([
      ['registry.example.com', 'This computer', 'deployer'],
      ['ghcr.io', 'vps-1', 'octo'],
    ]);
    await w.find('[data-test=registry-add]').trigger('click');
    await flush();
    await type(w, '[data-test=registry-name]', 'registry.internal:5000');
    await type(w, '[data-test=registry-user]', 'ci');
    await type(w, '[data-test=registry-password]', 'tok-123');
    expect(w.find('[data-test=registry-password] input').attributes('type')).toBe('password');
    await w.find('[data-test=registry-submit]').trigger('click');
    await settle();
    expect(calls.login).toEqual([{ registry: 'registry.internal:5000', host: 'local', username: 'ci', password: 'tok-123' }]);
    expect(rows(w)).toContainEqual(['registry.internal:5000', 'This computer', 'ci']);
    expect(w.find('[data-test=registry-form]').exists()).toBe(false);
    expect(inputValues()).not.toContain('tok-123');

    await w.findAll('[data-test=registry-row]')[1].find('[data-test=registry-remove]').trigger('click');
    await flush();
    (document.querySelector('[data-test=confirm-registry-remove]') as HTMLElement).click();
    await settle();
    expect(calls.logout).toEqual([{ registry: 'ghcr.io', host: 'vps-1' }]);
    expect(rows(w).map((r) => r[0])).toEqual(['registry.example.com', 'registry.internal:5000']);
  });

  it('says on its field what is wrong: the rules first, in French, then the registry’s refusal on the password', async () => {
    const { w, calls } = mountSettings('fr');
    await settle();
    await w.find('[data-test=registry-add]').trigger('click');
    await flush();
    await type(w, '[data-test=registry-name]', 'https://registry.example.com/v2');
    await w.find('[data-test=registry-submit]').trigger('click');
    await settle();
    expect(calls.login).toEqual([]);
    expect(w.find('[data-field=registry]').text()).toContain('Une adresse de registre comme registry.example.com');
    expect(w.find('[data-field=username]').text()).toContain('Obligatoire.');
    expect(w.find('[data-field=password]').text()).toContain('Obligatoire.');

    await type(w, '[data-test=registry-name]', 'registry.example.com');
    await type(w, '[data-test=registry-user]', 'deployer');
    await type(w, '[data-test=registry-password]', 'wrong');
    await w.find('[data-test=registry-submit]').trigger('click');
    await settle();
    expect(calls.login).toHaveLength(1);
    expect(w.find('[data-field=password]').text()).toContain('registry.example.com a refusé l’identifiant ou le mot de passe (jeton) de deployer');
    expect(w.find('[data-field=registry]').text()).not.toContain('Une adresse de registre');
    // The refused password is not kept in the page.
    expect((w.find('[data-test=registry-password] input').element as HTMLInputElement).value).toBe('');
    expect(rows(w).map((r) => r[0])).toEqual(['registry.example.com', 'ghcr.io']);
  });
});
