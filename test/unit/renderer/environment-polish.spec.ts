/**
 * An environment's page where a new user stumbled: a red DOWN while a first deploy was still
 * bringing its backends up, live controls for containers that do not exist, a hits figure that
 * disagreed with the charts, a preview with no way on, a question about "the settings" asked for
 * the HTTPS tab, history columns that read alike, and a red line along the bottom of the
 * response chart once traffic stopped.
 */
import './fake-canvas';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reactive } from 'vue';
import type { VueWrapper } from '@vue/test-utils';
import type { ConfigVersion, ConfigVersionSummary } from '../../../shared/config-history';
import type { ContainerStatus, DeployPlan, EnvironmentStatus, Task } from '../../../shared/contract';
import type { ResponseCounts, ServerStats, StatsSample } from '../../../shared/live';
import { msg } from '../../../shared/messages';
import type { Environment } from '../../../shared/model';
import { appendSample } from '../../../shared/stats-history';
import ConfigHistoryPanel from '../../../renderer/components/ConfigHistoryPanel.vue';
import ServerCard from '../../../renderer/components/ServerCard.vue';
import EnvironmentView from '../../../renderer/views/EnvironmentView.vue';
import { useEnvironmentsStore } from '../../../renderer/stores/environments';
import { useNavStore } from '../../../renderer/stores/nav';
import { useTasksStore } from '../../../renderer/stores/tasks';
import { FakeTransport, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

const S = 1000;
const MIN = 60 * S;
const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

let fake: FakeTransport;
beforeEach(() => {
  fake = freshApp();
});
afterEach(unmountAll);

const running = (over: Partial<EnvironmentStatus> = {}): EnvironmentStatus => ({
  name: 'lab',
  state: 'running',
  url: 'http://localhost:8080/',
  containers: [],
  servers: [],
  haproxy: { reachable: true, configInSync: true, portsInSync: true },
  ...over,
});

const stats = (over: Partial<ServerStats> = {}): ServerStats => ({
  name: 'back1',
  health: 'UP',
  status: 'UP',
  state: 'ready',
  checkStatus: 'L7OK',
  weight: 100,
  sessions: 0,
  hits: 10,
  hitsPerSecond: 0,
  responses: { '2xx': 10, '3xx': 0, '4xx': 0, '5xx': 0 },
  ...over,
});

const container = (state: string, startedAt?: number): ContainerStatus => ({
  name: 'sy-lab-back1',
  role: 'backend',
  server: 'back1',
  state,
  image: 'sy-demo-backend:1',
  id: 'c1',
  ...(startedAt !== undefined ? { startedAt: iso(startedAt) } : {}),
});

const deployTask = (state: Task['state'], createdAt: number): Task => ({
  id: 'd1',
  kind: 'deploy',
  target: 'lab',
  state,
  step: 'backends',
  progress: 50,
  message: 'Starting the backends',
  steps: [],
  createdAt: iso(createdAt),
});

describe('a server card’s health', () => {
  let w: VueWrapper;
  /** The card's props, as its view would pass them: a change reaches the card. */
  let props: Record<string, unknown>;
  const mountCard = async (over: Record<string, unknown>, locale: 'en' | 'fr' = 'en') => {
    props = reactive({ environment: 'lab', server: { name: 'back1', kind: 'demo', weight: 100, state: 'ready' }, index: 0, ...over });
    w = mountInApp(ServerCard, props, locale);
    await settle();
    return w;
  };
  const tag = () => w.find('[data-test=server-health]').text();
  const card = () => w.find('[data-test=server-card]');
  const setProps = async (over: Record<string, unknown>) => {
    Object.assign(props, over);
    await settle();
  };

  it('during a first deploy reads "Checking…", not a red Down, until the deploy ends; Down once it ended with a failed check', async () => {
    const started = Date.now() - 5 * S;
    useEnvironmentsStore().statuses.lab = running({ state: 'not-deployed', url: undefined });
    useTasksStore().upsert(deployTask('running', started));
    // Created, not started yet; HAProxy not there yet.
    await mountCard({ container: container('created') });
    expect(tag()).toBe('Checking…');
    expect(card().attributes('data-health')).toBe('CHECKING');
    expect(card().classes()).not.toContain('health-error');

    // Started by this deploy, and its first check went out before it listened.
    await setProps({ container: container('running', started + 2 * S), stats: stats({ health: 'DOWN', status: 'DOWN', checkStatus: 'L4CON' }) });
    expect(tag()).toBe('Checking…');

    // The deploy is over and the checks still fail: that is Down.
    useTasksStore().upsert({ ...deployTask('failed', started), endedAt: iso(Date.now()) });
    useEnvironmentsStore().statuses.lab = running({ state: 'partly-down' });
    await settle();
    expect(tag()).toBe('Down');
    expect(card().attributes('data-health')).toBe('DOWN');
    expect(card().classes()).toContain('health-error');
  });

  it('before HAProxy’s first check verdict (INI) it says checking, in French too; a failed check afterwards is Down', async () => {
    useEnvironmentsStore().statuses.lab = running();
    await mountCard({ container: container('running', Date.now() - MIN), stats: stats({ health: 'DOWN', status: 'DOWN', checkStatus: 'INI' }) }, 'fr');
    expect(tag()).toBe('Vérification…');
    await setProps({ stats: stats({ health: 'DOWN', status: 'DOWN 1/2', checkStatus: '* INI' }) });
    expect(tag()).toBe('Vérification…');
    await setProps({ stats: stats({ health: 'DOWN', status: 'DOWN', checkStatus: 'L4CON' }) });
    expect(tag()).toBe('Hors service');
    expect(card().classes()).toContain('health-error');
  });

  it('a server whose container ran before the deploy and fails its checks stays Down during the deploy', async () => {
    const started = Date.now() - 5 * S;
    useEnvironmentsStore().statuses.lab = running({ state: 'partly-down' });
    useTasksStore().upsert(deployTask('running', started));
    await mountCard({ container: container('running', started - 10 * MIN), stats: stats({ health: 'DOWN', status: 'DOWN', checkStatus: 'L7STS' }) });
    expect(tag()).toBe('Down');
    expect(card().attributes('data-health')).toBe('DOWN');
  });

  it('a container stopped outside a deploy is Down at once, as before', async () => {
    useEnvironmentsStore().statuses.lab = running({ state: 'partly-down' });
    await mountCard({ container: container('exited', Date.now() - MIN), stats: stats() });
    expect(tag()).toBe('Down');
  });

  it('names its weight slider after the server, and calls its hits what they are', async () => {
    await mountCard({ stats: stats() });
    expect(w.find('[data-test=server-weight-slider] [role=slider]').attributes('aria-label')).toBe('Weight of back1');
    expect(w.find('[data-test=server-card] .figures').text()).toContain('Hits since start');
    unmountAll();
    await mountCard({ stats: stats() }, 'fr');
    expect(w.find('[data-test=server-weight-slider] [role=slider]').attributes('aria-label')).toBe('Poids de back1');
    expect(w.find('[data-test=server-card] .figures').text()).toContain('Total des requêtes');
  });
});

describe('an environment never deployed', () => {
  it('shows its servers as not deployed, with no live control to act on containers that do not exist', async () => {
    fake
      .handle('environments:list', () => [labEnvironment()])
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:status', () => ({ name: 'lab', state: 'not-deployed', containers: [], servers: [], haproxy: { reachable: false, configInSync: false } }))
      .handle('stats:history', ({ environment }) => ({ environment, samples: [] }))
      .handle('servers:set', (r) => ({ environment: 'lab', server: r.server, state: r.state ?? 'ready', weight: 100, applied: false }));
    const w = mountInApp(EnvironmentView, { name: 'lab' });
    await settle();
    const cards = w.findAll('[data-test=server-cards] [data-test=server-card]');
    expect(cards).toHaveLength(2);
    for (const c of cards) {
      expect(c.find('[data-test=server-health]').text()).toBe('Not deployed');
      expect(c.text()).not.toContain('Unknown');
      expect(c.find('[data-test=server-weight-slider] [role=slider]').attributes('aria-disabled')).toBe('true');
      expect(c.findAll('[data-test=server-mode] input').every((i) => (i.element as HTMLInputElement).disabled)).toBe(true);
      expect(c.find('[data-test=server-not-deployed]').text()).toBe('Deploy the environment to set weight and traffic here.');
    }
    await cards[0].find('[data-test=mode-maint] input').trigger('change');
    await settle();
    expect(fake.callsTo('servers:set')).toEqual([]);

    // Deployed: the controls come back.
    fake.emit('environments:status', running({ servers: [{ name: 'back1', health: 'UP', status: 'UP', weight: 100 }] }));
    await settle();
    const back1 = w.find('[data-test=server-cards] [data-test=server-card][data-server=back1]');
    expect(back1.find('[data-test=server-health]').text()).toBe('Healthy');
    expect(back1.find('[data-test=server-weight-slider] [role=slider]').attributes('aria-disabled')).toBe('false');
    expect(back1.find('[data-test=server-not-deployed]').exists()).toBe(false);
  });
});

describe('the Settings tab’s preview and unsaved edits', () => {
  let saved: Environment;
  beforeEach(() => {
    saved = labEnvironment();
    fake
      .handle('environments:list', () => [saved])
      .handle('environments:render', () => ({ config: 'global\nbackend servers\n  retries 3\n' }))
      .handle('environments:preview', () => ({ config: 'global\nbackend servers\n  retries 7\n' }))
      .handle('environments:status', () => running())
      .handle('environments:update', ({ patch }) => (saved = { ...saved, ...patch } as Environment))
      .handle('environments:deploy', () => ({ taskId: 'd1' }))
      .handle('stats:history', ({ environment }) => ({ environment, samples: [] }))
      .handle('certificates:status', () => null)
      .handle('hosts:list', () => []);
  });

  async function open(tab: string, locale: 'en' | 'fr' = 'en'): Promise<VueWrapper> {
    const w = mountInApp(EnvironmentView, { name: 'lab', tab }, locale);
    await settle();
    useNavStore().go({ name: 'environment', environment: 'lab', tab });
    await settle();
    return w;
  }
  async function typeRetries(w: VueWrapper, value: string): Promise<void> {
    const input = w.find('[data-test=field-retries] input');
    await input.setValue(value);
    await input.trigger('blur');
    await settle();
  }
  const previewDialog = () => document.body.querySelector('[data-test=preview-dialog]');
  /** Not on the page, or hidden (naive-ui keeps a closed modal's content, hidden). */
  async function closed(): Promise<boolean> {
    await settle();
    const d = previewDialog() as HTMLElement | null;
    return d === null || d.style.display === 'none';
  }
  const buttonsOf = (el: Element | null) => [...(el?.querySelectorAll('button') ?? [])].map((b) => b.textContent?.trim()).filter(Boolean);

  it('the preview says nothing is saved yet, closes with Close, and Save and deploy saves, then asks to confirm the deploy', async () => {
    const plan: DeployPlan = {
      environment: 'lab',
      haproxy: { name: 'sy-lab-haproxy', action: 'reload' },
      containers: [],
      images: [],
      config: { running: 'global\nbackend servers\n  retries 3\n', next: 'global\nbackend servers\n  retries 7\n' },
      unchanged: false,
    };
    fake.handle('environments:plan', () => plan);
    const w = await open('settings');
    await typeRetries(w, '7');
    await w.find('[data-test=preview]').trigger('click');
    await settle();
    expect(previewDialog()!.textContent).toContain('Compared with the configuration of the saved settings. Nothing is saved yet.');
    expect(buttonsOf(previewDialog())).toEqual(expect.arrayContaining(['Close', 'Save and deploy']));
    (previewDialog()!.querySelector('[data-test=preview-close]') as HTMLButtonElement).click();
    expect(await closed()).toBe(true);
    expect(fake.callsTo('environments:update')).toEqual([]);

    await w.find('[data-test=preview]').trigger('click');
    await settle();
    (previewDialog()!.querySelector('[data-test=preview-save-deploy]') as HTMLButtonElement).click();
    expect(await closed()).toBe(true);
    expect(fake.callsTo('environments:update')).toEqual([{ environment: 'lab', patch: expect.objectContaining({ retries: 7 }) }]);
    // As the tab's own Save and deploy: the deploy waits for the user's word.
    const confirm = document.body.querySelector('[data-test=deploy-dialog]')!;
    expect(confirm.querySelector('[data-test=plan-haproxy]')!.getAttribute('data-action')).toBe('reload');
    expect(fake.callsTo('environments:deploy')).toEqual([]);
    (confirm.querySelector('[data-test=confirm-deploy]') as HTMLButtonElement).click();
    await settle();
    expect(fake.callsTo('environments:deploy')).toEqual([{ environment: 'lab' }]);
  });

  it('in French: the preview’s words and buttons', async () => {
    const w = await open('settings', 'fr');
    await typeRetries(w, '7');
    await w.find('[data-test=preview]').trigger('click');
    await settle();
    expect(previewDialog()!.textContent).toContain('Comparé à la configuration des réglages enregistrés. Rien n’est encore enregistré.');
    expect(buttonsOf(previewDialog())).toEqual(expect.arrayContaining(['Fermer', 'Enregistrer et déployer']));
  });

  it('leaving the HTTPS tab with edits names the HTTPS settings; leaving Settings names the settings', async () => {
    const w = await open('https');
    await w.find('[data-test=https-domains] textarea').setValue('www.example.com');
    await settle();
    await w.find('.n-tabs-tab[data-name=logs]').trigger('click');
    await settle();
    expect(document.body.querySelector('.n-dialog')?.textContent).toContain('The HTTPS settings of lab were changed but not saved.');
    unmountAll();

    const fr = await open('https', 'fr');
    await fr.find('[data-test=https-domains] textarea').setValue('www.example.com');
    await settle();
    await fr.find('.n-tabs-tab[data-name=logs]').trigger('click');
    await settle();
    expect(document.body.querySelector('.n-dialog')?.textContent).toContain('Les réglages HTTPS de lab ont été modifiés sans être enregistrés.');
    unmountAll();

    const settings = await open('settings');
    await typeRetries(settings, '7');
    await settings.find('.n-tabs-tab[data-name=logs]').trigger('click');
    await settle();
    const text = document.body.querySelector('.n-dialog')?.textContent ?? '';
    expect(text).toContain('The settings of lab were changed but not saved.');
    expect(text).not.toContain('HTTPS');
  });
});

describe('the config history', () => {
  const ME = { installation: '11111111-1111-4111-8111-111111111111', by: 'ana@laptop' };
  const version = (n: number, summary: ConfigVersion['summary'], trigger: ConfigVersion['trigger'] = { kind: 'deploy' }): ConfigVersionSummary => ({
    environment: 'lab',
    version: n,
    at: iso(NOW + n * MIN),
    by: ME,
    trigger,
    summary,
  });
  beforeEach(() => {
    fake
      .handle('tasks:list', () => [])
      .handle('configs:list', () => [
        version(3, msg('history.changes', { changes: [msg('history.balance', { from: 'leastconn', to: 'source' }), msg('history.retries', { from: '3', to: '5' })] }), { kind: 'restore', version: 1 }),
        version(2, msg('history.changes', { changes: [msg('history.balance', { from: 'roundrobin', to: 'leastconn' })] })),
        version(1, msg('history.first')),
      ]);
  });
  const head = (w: VueWrapper) => w.findAll('thead th').map((th) => th.text());
  const summaries = (w: VueWrapper) => w.findAll('[data-test=summary]').map((c) => c.text());
  const restores = (w: VueWrapper) => w.findAll('[data-test=history-version]').map((r) => r.find('[data-test=restore]').exists());

  it('heads its columns User and Cause, words the algorithm as the form does, and offers no restore of the latest version', async () => {
    const w = mountInApp(ConfigHistoryPanel, { environment: 'lab' });
    await settle();
    expect(head(w)).toEqual(['Compare', 'Version', 'When', 'User', 'Cause', 'What changed', '']);
    expect(summaries(w)).toEqual(['algorithm Least connections → Source IP hash, retries 3 → 5', 'algorithm Round robin → Least connections', 'first version']);
    expect(restores(w)).toEqual([false, true, true]);
  });

  it('in French', async () => {
    const w = mountInApp(ConfigHistoryPanel, { environment: 'lab' }, 'fr');
    await settle();
    expect(head(w)).toEqual(['Comparer', 'Version', 'Date', 'Utilisateur', 'Cause', 'Modifications', '']);
    expect(summaries(w)[1]).toBe('algorithme Tourniquet (round robin) → Moins de connexions');
    expect(restores(w)).toEqual([false, true, true]);
  });
});

describe('the response chart', () => {
  /** The colours the chart stroked, in order (the fake canvas draws nothing; this one remembers). */
  const strokes: string[] = [];
  const CANVAS = HTMLCanvasElement.prototype as unknown as { getContext: (this: HTMLCanvasElement, ...a: unknown[]) => Record<string | symbol, unknown> };
  const inert = CANVAS.getContext;
  beforeEach(() => {
    strokes.length = 0;
    CANVAS.getContext = function (this: HTMLCanvasElement, ...a: unknown[]) {
      const ctx = inert.apply(this, a);
      return new Proxy(ctx, { get: (t, k) => (k === 'stroke' ? () => void strokes.push(String(t.strokeStyle)) : t[k]) });
    };
  });
  afterEach(() => {
    CANVAS.getContext = inert;
  });
  const GREEN = '#18a058';
  const RED = '#d03050';

  function history(...stretches: { from: number; to: number; responses: ResponseCounts }[]): StatsSample[] {
    const out: StatsSample[] = [];
    for (const s of stretches) {
      for (let at = s.from + S; at <= s.to; at += S) {
        const served = s.responses['2xx'];
        appendSample(out, { from: at - S, to: at, servers: { back1: served, back2: 0 }, responses: s.responses });
      }
    }
    return out;
  }
  async function open(samples: StatsSample[]): Promise<VueWrapper> {
    fake
      .handle('environments:list', () => [labEnvironment()])
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:status', () => running())
      .handle('stats:history', ({ environment }) => ({ environment, samples }));
    const w = mountInApp(EnvironmentView, { name: 'lab' });
    await settle();
    return w;
  }
  const legendLabels = (w: VueWrapper) => w.findAll('[data-test=response-rates] .u-legend .u-series .u-label').map((l) => l.text());

  it('after traffic stops, a 5xx line that stayed at zero is not drawn (its legend stays), and the legend keeps 2xx, 4xx, 5xx', async () => {
    const w = await open(history({ from: NOW - 3 * MIN, to: NOW - MIN, responses: { '2xx': 4, '4xx': 0, '5xx': 0 } }, { from: NOW - MIN, to: NOW, responses: { '2xx': 0, '4xx': 0, '5xx': 0 } }));
    expect(legendLabels(w)).toEqual(['Time', '2xx', '4xx', '5xx']);
    expect(strokes).toContain(GREEN);
    expect(strokes).not.toContain(RED);
    expect(w.find('[data-test=response-totals]').text()).toContain('5xx 0');
  });

  it('where 2xx and 5xx both lie at zero, 2xx is drawn over 5xx', async () => {
    const w = await open(
      history({ from: NOW - 3 * MIN, to: NOW - 2 * MIN, responses: { '2xx': 0, '4xx': 0, '5xx': 3 } }, { from: NOW - 2 * MIN, to: NOW, responses: { '2xx': 0, '4xx': 0, '5xx': 0 } }),
    );
    expect(legendLabels(w)).toEqual(['Time', '2xx', '4xx', '5xx']);
    const lines = strokes.filter((s) => s === GREEN || s === RED);
    expect(lines).toContain(RED);
    expect(lines.at(-1)).toBe(GREEN);
  });
});
