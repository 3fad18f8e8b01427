import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import type { VueWrapper } from '@vue/test-utils';
import { NSelect } from 'naive-ui';
import type { EnvironmentStatus, Task } from '../../../shared/contract';
import { english, msg, type Message } from '../../../shared/messages';
import TaskCard from '../../../renderer/components/TaskCard.vue';
import EnvironmentView from '../../../renderer/views/EnvironmentView.vue';
import TasksView from '../../../renderer/views/TasksView.vue';
import { useNavStore } from '../../../renderer/stores/nav';
import { FakeTransport, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

/**
 * The task list and the task cards as a new user met them: a list to narrow and clear, cards that
 * lead to their environment, say how long each step took, and fold a success away.
 */

const at = (ms: number) => new Date(Date.parse('2026-01-01T10:00:00.000Z') + ms).toISOString();

function coded(m: Message) {
  return { message: english(m), code: m.code, ...(m.params ? { params: m.params } : {}) };
}

const up = msg('deploy.up', {
  env: 'lab',
  url: 'http://localhost:8080/',
  status: 200,
  changes: [msg('change.createdVolume', { name: 'sy-lab-state' }), msg('change.createdNetwork', { name: 'sy-lab-net' }), msg('change.created', { name: 'sy-lab-back1' })],
});

/** A deploy of lab that went well in 1.6 s: images 400 ms, the load balancer 1.2 s. */
function deployed(over: Partial<Task> = {}): Task {
  return {
    id: 'ok',
    kind: 'deploy',
    target: 'lab',
    state: 'succeeded',
    step: 'verify',
    progress: 100,
    ...coded(up),
    steps: [
      { name: 'images', state: 'done', startedAt: at(0), endedAt: at(400), ...coded(msg('deploy.images')) },
      { name: 'haproxy', state: 'done', startedAt: at(400), endedAt: at(1600), ...coded(msg('deploy.haproxy', { action: msg('action.create') })) },
    ],
    createdAt: at(0),
    endedAt: at(1600),
    ...over,
  };
}

function failed(over: Partial<Task> = {}): Task {
  return {
    id: 'bad',
    kind: 'destroy',
    target: 'shop',
    state: 'failed',
    step: 'containers',
    progress: 30,
    message: 'Docker does not answer',
    steps: [{ name: 'containers', state: 'failed', startedAt: at(60_000), endedAt: at(62_500), ...coded(msg('destroy.containers')) }],
    error: { code: 'INTERNAL', message: 'Docker does not answer' },
    createdAt: at(60_000),
    endedAt: at(62_500),
    ...over,
  };
}

function running(over: Partial<Task> = {}): Task {
  return {
    id: 'busy',
    kind: 'traffic',
    target: 'lab',
    state: 'running',
    step: 'sending',
    progress: 40,
    ...coded(msg('traffic.sending')),
    steps: [{ name: 'sending', state: 'running', startedAt: at(120_000), ...coded(msg('traffic.sending')) }],
    createdAt: at(120_000),
    ...over,
  };
}

let fake: FakeTransport;
let listed: Task[];
beforeEach(() => {
  listed = [deployed(), failed(), running(), deployed({ id: 'ok2', target: 'shop', createdAt: at(30_000), endedAt: at(31_000) })];
  fake = freshApp()
    .handle('tasks:list', () => listed)
    .handle('environments:list', () => [labEnvironment()]);
});
afterEach(unmountAll);

const cards = (w: VueWrapper) => w.findAll('[data-test=task]');
const ids = (w: VueWrapper) => cards(w).map((c) => c.attributes('data-task'));
const select = (w: VueWrapper, name: string) => w.findAllComponents(NSelect).find((c) => c.attributes('data-test') === name)!;

async function openTasks(locale: 'en' | 'fr' = 'en'): Promise<VueWrapper> {
  const w = mountInApp(TasksView, {}, locale);
  await settle();
  return w;
}

describe('the task list', () => {
  it('narrows by environment, kind and state, in the app’s words, and shows everything again', async () => {
    const w = await openTasks();
    expect(ids(w)).toEqual(['busy', 'bad', 'ok2', 'ok']);
    // "In progress" for a task, never "Running" (a healthy environment's word).
    expect(w.find('[data-test=tasks-view]').text()).toContain('1 task in progress');
    const states = w.find('[data-test=tasks-filter-state]').text();
    expect(states).toContain('In progress (1)');
    expect(states).toContain('Failed (1)');
    expect(states).toContain('Done (2)');
    expect(states).not.toMatch(/Running/);

    expect(select(w, 'tasks-filter-environment').props('options')).toEqual([
      { label: 'lab', value: 'lab' },
      { label: 'shop', value: 'shop' },
    ]);
    select(w, 'tasks-filter-environment').vm.$emit('update:value', 'shop');
    await settle();
    expect(ids(w)).toEqual(['bad', 'ok2']);

    select(w, 'tasks-filter-kind').vm.$emit('update:value', 'deploy');
    await settle();
    expect(ids(w)).toEqual(['ok2']);

    select(w, 'tasks-filter-environment').vm.$emit('update:value', null);
    select(w, 'tasks-filter-kind').vm.$emit('update:value', null);
    await w.find('[data-test=tasks-state-failed] input').trigger('change');
    await settle();
    expect(ids(w)).toEqual(['bad']);

    await w.find('[data-test=tasks-state-cancelled] input').trigger('change');
    await settle();
    expect(ids(w)).toEqual([]);
    expect(w.find('[data-test=tasks-no-match]').text()).toContain('No task matches these filters.');
    await w.find('[data-test=tasks-show-all]').trigger('click');
    await settle();
    expect(ids(w)).toEqual(['busy', 'bad', 'ok2', 'ok']);
  });

  it('in French: « En cours », « En échec », « Terminée »', async () => {
    const w = await openTasks('fr');
    const states = w.find('[data-test=tasks-filter-state]').text();
    expect(states).toContain('Toutes (4)');
    expect(states).toContain('En cours (1)');
    expect(states).toContain('En échec (1)');
    expect(states).toContain('Terminée (2)');
    expect(w.find('[data-test=tasks-view]').text()).toContain('1 tâche en cours');
  });

  it('clears the finished tasks through the core and keeps the one in progress', async () => {
    fake.handle('tasks:clear', () => {
      const cleared = listed.filter((t) => t.state !== 'running').length;
      listed = listed.filter((t) => t.state === 'running');
      return { cleared };
    });
    const w = await openTasks();
    await w.find('[data-test=tasks-clear]').trigger('click');
    await settle();
    expect(fake.callsTo('tasks:clear')).toEqual([{}]);
    expect(ids(w)).toEqual(['busy']);
    expect(document.body.textContent).toContain('3 finished tasks cleared');
    // Nothing left to clear.
    expect(w.find('[data-test=tasks-clear]').attributes('disabled')).toBeDefined();
    // A new look at the list agrees.
    await w.find('[data-test=tasks-view] .extra button:last-child').trigger('click');
    await settle();
    expect(ids(w)).toEqual(['busy']);
  });
  it('drops the tasks another window cleared, as the core says, and keeps the one in progress', async () => {
    const w = await openTasks();
    expect(ids(w)).toEqual(['busy', 'bad', 'ok2', 'ok']);
    fake.emit('tasks:cleared', { ids: ['bad', 'ok2', 'ok'] });
    await settle();
    expect(ids(w)).toEqual(['busy']);
  });
});

describe('a task card', () => {
  it('links to its environment’s page; a task of an environment that is gone names it as text', async () => {
    const w = await openTasks();
    const lab = w.find('[data-task=ok] [data-test=task-environment]');
    expect(lab.text()).toBe('lab');
    expect(w.find('[data-task=ok2] [data-test=task-environment]').exists()).toBe(false);
    expect(w.find('[data-task=ok2]').text()).toContain('Deploy shop');
    await lab.trigger('click');
    expect(useNavStore().route).toEqual({ name: 'environment', environment: 'lab' });
  });

  it('shows how long each step took, and dates both times', () => {
    const w = mountInApp(TaskCard, { task: failed({ steps: [{ name: 'images', state: 'done', startedAt: at(0), endedAt: at(400) }, ...failed().steps] }) });
    const steps = w.findAll('[data-test=task-step]');
    expect(steps.map((s) => s.find('[data-test=step-duration]').text())).toEqual(['400 ms', '2.5 s']);
    const times = w.find('.time').text();
    expect(times.match(/2026/g)).toHaveLength(2);
  });

  it('folds a successful task’s steps behind Details; a failed one keeps them open', async () => {
    const ok = mountInApp(TaskCard, { task: deployed() });
    expect(ok.find('[data-test=task-result]').text()).toBe('Deployed in 1.6 s');
    expect(ok.find('[data-test=task-message]').text()).toBe('— lab is up at http://localhost:8080/');
    expect(ok.find('[data-test=task-steps]').exists()).toBe(false);
    expect(ok.text()).not.toContain('sy-lab-back1');
    await ok.find('[data-test=task-details]').trigger('click');
    expect(ok.findAll('[data-test=task-step]').map((s) => s.find('[data-test=step-duration]').text())).toEqual(['400 ms', '1.2 s']);
    expect(ok.findAll('[data-test=task-changes] li').map((li) => li.text())).toEqual(['created volume sy-lab-state', 'created network sy-lab-net', 'created sy-lab-back1']);
    expect(ok.find('[data-test=task-deployed]').text()).toContain('Answer: HTTP 200');

    const bad = mountInApp(TaskCard, { task: failed() });
    expect(bad.find('[data-test=task-steps]').exists()).toBe(true);
    expect(bad.find('[data-test=task-details]').exists()).toBe(false);
    expect(bad.find('[data-test=error]').exists()).toBe(true);

    const busy = mountInApp(TaskCard, { task: running() });
    expect(busy.find('[data-test=task-steps]').exists()).toBe(true);
  });

  it('in French: « Détails », the duration and the line in French', async () => {
    const w = mountInApp(TaskCard, { task: deployed() }, 'fr');
    expect(w.find('[data-test=task-result]').text()).toBe('Déployé en 1,6 s');
    expect(w.find('[data-test=task-message]').text()).toBe('— lab est en service à http://localhost:8080/');
    expect(w.find('[data-test=task-details]').text()).toContain('Détails');
    await w.find('[data-test=task-details]').trigger('click');
    expect(w.findAll('[data-test=task-changes] li').map((li) => li.text())).toEqual(['volume sy-lab-state créé', 'réseau sy-lab-net créé', 'sy-lab-back1 créé']);
  });
});

describe('the environment page', () => {
  const Routed = defineComponent({
    setup() {
      const nav = useNavStore();
      return () => (nav.route.name === 'environment' ? h(EnvironmentView, { key: nav.route.environment, name: nav.route.environment, tab: nav.route.tab }) : h('div'));
    },
  });

  beforeEach(() => {
    const status: EnvironmentStatus = {
      name: 'lab',
      state: 'running',
      url: 'http://localhost:8080/',
      containers: [],
      servers: [],
      haproxy: { reachable: true, configInSync: true, portsInSync: true },
    };
    fake
      .handle('tasks:list', () => [])
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:preview', () => ({ config: 'global\n' }))
      .handle('environments:status', () => status)
      .handle('hosts:list', () => []);
  });

  async function open(): Promise<VueWrapper> {
    const w = mountInApp(Routed);
    useNavStore().go({ name: 'environment', environment: 'lab' });
    await settle();
    return w;
  }

  it('shows a successful deploy as one line, its details on demand, until dismissed', async () => {
    const w = await open();
    fake.emit('tasks:updated', running({ id: 'd1', kind: 'deploy', step: 'images', steps: [] }));
    await settle();
    const card = () => w.find('[data-test=environment-task]');
    expect(card().find('[data-test=task-state]').text()).toBe('In progress');

    fake.emit('tasks:updated', deployed({ id: 'd1' }));
    await settle();
    // One line: the state, how long it took, Details and the dismiss; nothing else.
    expect(card().text()).toBe('DoneDeployed in 1.6 s·Details ✕');
    expect(card().find('[data-test=task-result]').text()).toBe('Deployed in 1.6 s');
    expect(card().find('[data-test=task-details]').text()).toBe('Details');

    await card().find('[data-test=task-details]').trigger('click');
    expect(card().find('[data-test=task-message]').text()).toContain('lab is up at http://localhost:8080/');
    expect(card().find('[data-test=task-changes]').text()).toContain('created sy-lab-back1');
    expect(card().findAll('[data-test=task-step]')).toHaveLength(2);
    // Folded again with the same toggle.
    await card().find('[data-test=task-details]').trigger('click');
    expect(card().text()).not.toContain('sy-lab');

    await card().find('[data-test=task-dismiss]').trigger('click');
    await settle();
    expect(card().exists()).toBe(false);
  });

  it('keeps the whole card, with the error, for a failed deploy', async () => {
    const w = await open();
    fake.emit('tasks:updated', failed({ id: 'd2', kind: 'deploy', target: 'lab' }));
    await settle();
    const card = w.find('[data-test=environment-task]');
    expect(card.find('[data-test=error]').exists()).toBe(true);
    expect(card.find('[data-test=task-details]').exists()).toBe(false);
    expect(card.text()).toContain('Failed');
  });
});
