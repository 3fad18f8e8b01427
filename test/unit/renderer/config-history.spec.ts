import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigVersion, ConfigVersionSummary } from '../../../shared/config-history';
import type { Task } from '../../../shared/contract';
import { msg } from '../../../shared/messages';
import ConfigHistoryPanel from '../../../renderer/components/ConfigHistoryPanel.vue';
import EnvironmentView from '../../../renderer/views/EnvironmentView.vue';
import { useTasksStore } from '../../../renderer/stores/tasks';
import { FakeTransport, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

const ME = { installation: '11111111-1111-4111-8111-111111111111', by: 'ana@laptop' };
const cfg = (balance: string) => `global\n  maxconn 100\n\nbackend app\n  balance ${balance}\n  server back1 back1:80 check\n`;

const v1: ConfigVersion = {
  environment: 'lab',
  version: 1,
  at: '2026-03-01T10:00:00.000Z',
  by: ME,
  trigger: { kind: 'deploy' },
  summary: msg('history.first'),
  config: cfg('roundrobin'),
  settings: { ...labEnvironment(), createdAt: undefined, updatedAt: undefined } as unknown as ConfigVersion['settings'],
};
const v2: ConfigVersion = {
  ...v1,
  version: 2,
  at: '2026-03-01T11:00:00.000Z',
  summary: msg('history.changes', { changes: [msg('history.balance', { from: 'roundrobin', to: 'leastconn' })] }),
  config: cfg('leastconn'),
};
const v3: ConfigVersion = {
  ...v1,
  version: 3,
  at: '2026-03-01T12:00:00.000Z',
  trigger: { kind: 'restore', version: 1 },
  summary: msg('history.changes', { changes: [msg('history.balance', { from: 'leastconn', to: 'roundrobin' })] }),
};
const summaryOf = ({ config: _c, settings: _s, ...rest }: ConfigVersion): ConfigVersionSummary => rest;

const dialogButton = (text: string) => [...document.body.querySelectorAll('.n-dialog button')].find((b) => b.textContent?.trim() === text) as HTMLButtonElement | undefined;
const rows = (w: ReturnType<typeof mountInApp>) => w.findAll('[data-test=history-version]');
const cells = (w: ReturnType<typeof mountInApp>) => rows(w).map((r) => [r.attributes('data-version'), r.find('[data-test=trigger]').text(), r.find('[data-test=summary]').text()]);

let fake: FakeTransport;
let kept: ConfigVersion[];
beforeEach(() => {
  fake = freshApp();
  kept = [v1, v2];
  fake
    .handle('tasks:list', () => [])
    .handle('configs:list', () => [...kept].reverse().map(summaryOf))
    .handle('configs:get', ({ version }) => kept.find((v) => v.version === version) ?? { error: { code: 'NOT_FOUND', message: `"lab" has no version ${version}` } })
    .handle('configs:restore', () => ({ taskId: 'task-restore' }));
});
afterEach(unmountAll);

describe('the config history panel', () => {
  it('lists the versions newest first, with when, who, what made each and what it changed; a new version shows up when the core says so', async () => {
    const w = mountInApp(ConfigHistoryPanel, { environment: 'lab' });
    await settle();
    expect(fake.subscribed('configs:changed')).toEqual([{ environment: 'lab' }]);
    expect(cells(w)).toEqual([
      ['2', 'deploy', 'algorithm Round robin → Least connections'],
      ['1', 'deploy', 'first version'],
    ]);
    expect(rows(w)[0].text()).toContain('ana@laptop');
    expect(rows(w)[0].text()).toContain('latest');

    kept = [v1, v2, v3];
    fake.emit('configs:changed', { environment: 'lab', latest: 3 });
    await settle();
    expect(cells(w)[0]).toEqual(['3', 'restore of 1', 'algorithm Least connections → Round robin']);
  });

  it('shows a picked version’s config, and the diff of two picked versions, older to newer', async () => {
    const w = mountInApp(ConfigHistoryPanel, { environment: 'lab' });
    await settle();
    expect(w.text()).toContain('Pick a version to read its configuration, or two to compare them.');

    await rows(w)[1].find('[data-test=pick] .n-checkbox-box').trigger('click');
    await settle();
    expect(w.find('[data-test=history-config]').text()).toContain('balance roundrobin');

    await rows(w)[0].find('[data-test=pick] .n-checkbox-box').trigger('click');
    await settle();
    const diff = w.find('[data-test=history-diff]');
    expect(diff.text()).toContain('From version 1 to version 2');
    expect(diff.findAll('[data-kind=removed]').map((l) => l.text())).toEqual([expect.stringContaining('balance roundrobin')]);
    expect(diff.findAll('[data-kind=added]').map((l) => l.text())).toEqual([expect.stringContaining('balance leastconn')]);
    expect(fake.callsTo('configs:get')).toEqual([
      { environment: 'lab', version: 1 },
      { environment: 'lab', version: 2 },
    ]);
  });

  it('restores a version only once the user confirms, and says the deploy started', async () => {
    const w = mountInApp(ConfigHistoryPanel, { environment: 'lab' });
    await settle();
    await rows(w)[1].find('[data-test=restore]').trigger('click');
    await settle();
    const dialog = document.body.querySelector('.n-dialog')!;
    expect(dialog.textContent).toContain('Restore version 1 of lab?');
    expect(dialog.textContent).toContain('Changes saved but never deployed are lost.');
    dialogButton('Cancel')!.click();
    await settle();
    expect(fake.callsTo('configs:restore')).toEqual([]);

    await rows(w)[1].find('[data-test=restore]').trigger('click');
    await settle();
    dialogButton('Restore and deploy')!.click();
    await settle();
    expect(fake.callsTo('configs:restore')).toEqual([{ environment: 'lab', version: 1 }]);
    expect(document.body.textContent).toContain('Restoring version 1 of lab…');
  });

  it('offers no restore while a task of the environment runs', async () => {
    const at = new Date().toISOString();
    const deploying: Task = { id: 'd1', kind: 'deploy', target: 'lab', state: 'running', step: 'haproxy', progress: 75, message: 'Load balancer: reload', steps: [], createdAt: at };
    const w = mountInApp(ConfigHistoryPanel, { environment: 'lab' });
    await settle();
    useTasksStore().upsert(deploying);
    await settle();
    // The latest version has no restore at all; the earlier ones wait for the task.
    const earlier = () => rows(w).slice(1);
    expect(earlier().every((r) => r.find('[data-test=restore]').attributes('disabled') !== undefined)).toBe(true);
    useTasksStore().upsert({ ...deploying, state: 'succeeded' });
    await settle();
    expect(earlier().every((r) => r.find('[data-test=restore]').attributes('disabled') === undefined)).toBe(true);
  });

  it('speaks French: headings, what made each version and what it changed', async () => {
    kept = [v1, v2, v3];
    const w = mountInApp(ConfigHistoryPanel, { environment: 'lab' }, 'fr');
    await settle();
    expect(w.find('thead').text()).toContain('Modifications');
    expect(cells(w)).toEqual([
      ['3', 'restauration de la version 1', 'algorithme Moins de connexions → Tourniquet (round robin)'],
      ['2', 'déploiement', 'algorithme Tourniquet (round robin) → Moins de connexions'],
      ['1', 'déploiement', 'première version'],
    ]);
  });

  it('says so when nothing was deployed yet', async () => {
    kept = [];
    const w = mountInApp(ConfigHistoryPanel, { environment: 'lab' });
    await settle();
    expect(w.find('[data-test=history-empty]').text()).toBe('No versions yet: the history starts with the next deploy that changes the configuration.');
  });

  it('is the History tab of the environment view', async () => {
    fake
      .handle('environments:list', () => [labEnvironment()])
      .handle('environments:render', () => ({ config: cfg('leastconn') }))
      .handle('environments:status', () => ({ name: 'lab', state: 'running', containers: [], servers: [], haproxy: { reachable: true, configInSync: true } }));
    const w = mountInApp(EnvironmentView, { name: 'lab', tab: 'history' });
    await settle();
    expect(w.findAll('.n-tabs-tab').map((x) => x.text())).toContain('History');
    expect(cells(w).map((c) => c[0])).toEqual(['2', '1']);
  });
});
