import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../../../shared/contract';
import type { Environment } from '../../../shared/model';
import type { ReleaseRecord } from '../../../shared/releases';
import ReleasesPanel from '../../../renderer/components/ReleasesPanel.vue';
import EnvironmentView from '../../../renderer/views/EnvironmentView.vue';
import { useTasksStore } from '../../../renderer/stores/tasks';
import { FakeTransport, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

const SECRET_REF = 'sec-5f1c0a77e2';
const VAR_VALUE = 'postgres://shop:pa55word@db/shop';

/** An environment running the user's own app: two replicas, a variable, a secret variable. */
const shop = (source: { kind: 'image'; image: string } | { kind: 'build'; context: string; dockerfile?: string } = { kind: 'image', image: 'registry.local/shop:1.4' }): Environment =>
  labEnvironment({
    name: 'shop',
    app: {
      source,
      port: 8080,
      env: [
        { name: 'BACKEND_NAME', value: '{{server}}' },
        { name: 'DATABASE_URL', value: VAR_VALUE },
      ],
      secrets: [{ name: 'API_TOKEN', ref: SECRET_REF }],
      command: ['./shop', '--serve'],
    },
    servers: [
      { name: 'app1', kind: 'app' },
      { name: 'app2', kind: 'app' },
    ],
  });

const base = (n: number, over: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  environment: 'shop',
  number: n,
  startedAt: `2026-03-0${n}T10:00:00.000Z`,
  endedAt: `2026-03-0${n}T10:01:00.000Z`,
  by: { installation: '11111111', user: 'ana@laptop' },
  app: shop().app!,
  image: { ref: 'registry.local/shop:1.4', id: `sha256:${String(n).repeat(64)}` },
  changes: [],
  result: 'succeeded',
  servers: [
    { name: 'app1', phase: 'new' },
    { name: 'app2', phase: 'new' },
  ],
  ...over,
});

const r1 = base(1, { image: { ref: 'registry.local/shop:1.2', id: 'sha256:1' }, changes: [{ field: 'image', to: 'registry.local/shop:1.2' }] });
const r2 = base(2, {
  by: { installation: '22222222', user: 'bob@ci' },
  image: { ref: 'registry.local/shop:1.3', id: 'sha256:2' },
  changes: [{ field: 'image', from: 'registry.local/shop:1.2', to: 'registry.local/shop:1.3' }],
  durationMs: 42_000,
  failedRequests: 0,
});
const r3 = base(3, {
  changes: [
    { field: 'image', from: 'registry.local/shop:1.3', to: 'registry.local/shop:1.4' },
    { field: 'env', names: ['DATABASE_URL'] },
    { field: 'secrets', names: ['API_TOKEN'] },
  ],
  result: 'rolled-back',
  cause: {
    kind: 'exited',
    server: 'app1',
    message: 'The new container of app1 stopped (exit code 3) before it passed its health check',
    params: { exitCode: 3 },
    logs: ['starting shop 1.4', 'fatal: cannot reach the database'],
  },
  durationMs: 9_500,
  failedRequests: 0,
  servers: [
    { name: 'app1', phase: 'old' },
    { name: 'app2', phase: 'old' },
  ],
});
const r4 = base(4, {
  changes: [{ field: 'image', from: 'registry.local/shop:1.3', to: 'registry.local/shop:1.4' }],
  result: 'rolled-back',
  cause: { kind: 'unhealthy', server: 'app2', message: 'The new container of app2 did not pass its health check within 90000 ms (L7STS 503)', params: { ms: 90_000, check: 'L7STS 503' }, logs: [] },
  durationMs: 95_000,
  failedRequests: 2,
});
const r5 = base(5, {
  rollbackTo: 1,
  image: { ref: 'registry.local/shop:1.2', id: 'sha256:1' },
  changes: [{ field: 'image', from: 'registry.local/shop:1.3', to: 'registry.local/shop:1.2' }],
  durationMs: 12_000,
  failedRequests: 0,
});
const running = (phases: ReleaseRecord['servers'][number]['phase'][]): ReleaseRecord =>
  base(6, {
    endedAt: undefined,
    result: 'running',
    changes: [{ field: 'image', from: 'registry.local/shop:1.2', to: 'registry.local/shop:1.5' }],
    servers: phases.map((phase, i) => ({ name: `app${i + 1}`, phase })),
  });

const releaseTask = (state: Task['state'] = 'running'): Task => ({
  id: 'rel-6',
  kind: 'release',
  target: 'shop',
  state,
  step: 'release',
  progress: 20,
  message: 'Replacing app1',
  code: 'release.batch',
  params: { servers: 'app1' },
  steps: [],
  createdAt: new Date().toISOString(),
});

/** In the dialog opened last (one closed a moment ago may still be fading out). */
const dialogButton = (text: string) => [...document.body.querySelectorAll('.n-dialog button')].reverse().find((b) => b.textContent?.trim() === text) as HTMLButtonElement | undefined;
type W = ReturnType<typeof mountInApp>;
const rows = (w: W) => w.findAll('[data-test=release]');
const row = (w: W, n: number) => w.find(`[data-test=release][data-number="${n}"]`);
const chips = (w: W) => w.findAll('[data-test=rollout-server]').map((c) => [c.attributes('data-server'), c.attributes('data-phase'), c.text()]);

let fake: FakeTransport;
let kept: ReleaseRecord[];
beforeEach(() => {
  fake = freshApp();
  kept = [r1, r2, r3, r4, r5];
  fake
    .handle('tasks:list', () => [])
    .handle('releases:list', () => [...kept].reverse())
    .handle('releases:start', () => ({ taskId: 'rel-7' }))
    .handle('releases:rollback', () => ({ taskId: 'rel-8' }))
    .handle('tasks:cancel', ({ id }) => ({ ...releaseTask(), id, state: 'cancelled' }));
});
afterEach(unmountAll);

describe('the releases panel', () => {
  it('shows the timeline newest first: result, who, what changed, how long, failed requests, and why a release was rolled back', async () => {
    const w = mountInApp(ReleasesPanel, { env: shop() });
    await settle();
    expect(fake.subscribed('releases:changed')).toEqual([{ environment: 'shop' }]);
    expect(rows(w).map((r) => [r.attributes('data-number'), r.find('[data-test=result]').text()])).toEqual([
      ['5', 'succeeded'],
      ['4', 'rolled back'],
      ['3', 'rolled back'],
      ['2', 'succeeded'],
      ['1', 'succeeded'],
    ]);
    // 5 went back to 1, and serves now.
    expect(row(w, 5).find('[data-test=serving]').text()).toBe('serving');
    expect(row(w, 5).find('[data-test=changes]').text()).toBe('back to 1 image registry.local/shop:1.3 → registry.local/shop:1.2');
    expect(row(w, 2).text()).toContain('bob@ci');
    expect(row(w, 2).find('[data-test=duration]').text()).toBe('42 s');
    expect(row(w, 4).find('[data-test=duration]').text()).toBe('1 min 35 s');
    expect(row(w, 4).find('[data-test=failed]').text()).toBe('2');
    expect(row(w, 1).find('[data-test=changes]').text()).toBe('image registry.local/shop:1.2');
    expect(row(w, 3).find('[data-test=changes]').text()).toBe('image registry.local/shop:1.3 → registry.local/shop:1.4 · variables DATABASE_URL · secret variables API_TOKEN');

    const causes = w.findAll('[data-test=cause-row]');
    expect(causes.map((c) => [c.attributes('data-number'), c.find('[data-test=cause]').text()])).toEqual([
      ['4', 'The new container of app2 did not pass its health check within 1 min 30 s (L7STS 503).'],
      ['3', 'The new container of app1 stopped (exit code 3) before it passed its health check.'],
    ]);
    // The new container's last lines, folded away until asked for.
    const logs = causes[1].find('[data-test=cause-logs]');
    expect(logs.find('summary').text()).toBe('Last lines of the new container of app1');
    expect((logs.element as HTMLDetailsElement).open).toBe(false);
    expect(logs.find('pre').text()).toBe('starting shop 1.4\nfatal: cannot reach the database');
    expect(causes[0].find('[data-test=cause-logs]').exists()).toBe(false);

    // Going back is offered on every release that succeeded but the one serving.
    expect(
      rows(w)
        .filter((r) => r.find('[data-test=rollback]').exists())
        .map((r) => r.attributes('data-number')),
    ).toEqual(['2', '1']);
  });

  it('speaks French: results, causes, what changed, durations', async () => {
    const w = mountInApp(ReleasesPanel, { env: shop() }, 'fr');
    await settle();
    expect(w.find('thead').text()).toContain('Requêtes en échec');
    expect(rows(w).map((r) => r.find('[data-test=result]').text())).toEqual(['réussie', 'retour arrière', 'retour arrière', 'réussie', 'réussie']);
    expect(row(w, 5).find('[data-test=changes]').text()).toBe('retour à 1 image registry.local/shop:1.3 → registry.local/shop:1.2');
    expect(row(w, 3).find('[data-test=changes]').text()).toContain('variables secrètes API_TOKEN');
    expect(w.findAll('[data-test=cause]').map((c) => c.text())).toEqual([
      'Le nouveau conteneur de app2 n’a pas réussi son contrôle de santé en 1 min 30 s (L7STS 503).',
      'Le nouveau conteneur de app1 s’est arrêté (code de sortie 3) avant de réussir son contrôle de santé.',
    ]);
    expect(w.find('[data-test=cause-logs] summary').text()).toBe('Dernières lignes du nouveau conteneur de app1');
    expect(row(w, 1).find('[data-test=rollback]').text()).toBe('Revenir à cette version…');
  });

  it('words a cancelled release and one that failed outright', async () => {
    kept = [
      r1,
      base(2, { result: 'rolled-back', cause: { kind: 'cancelled', message: 'The release was cancelled', params: {}, logs: [] } }),
      base(3, { result: 'failed', cause: { kind: 'failed', message: 'pull access denied for registry.local/shop', params: {}, logs: [] } }),
    ];
    const w = mountInApp(ReleasesPanel, { env: shop() });
    await settle();
    expect(w.findAll('[data-test=cause]').map((c) => c.text())).toEqual(['It failed: pull access denied for registry.local/shop', 'Cancelled; the servers went back to the previous release.']);
    expect(row(w, 3).find('[data-test=result]').text()).toBe('failed');
  });

  it('shows the release under way, one chip per server, and moves a chip from old to new as the core says', async () => {
    kept = [r1, running(['old', 'old'])];
    const w = mountInApp(ReleasesPanel, { env: shop() });
    await settle();
    const live = w.find('[data-test=release-live]');
    expect(live.text()).toContain('Release 6 under way');
    expect(chips(w)).toEqual([
      ['app1', 'old', 'app1old'],
      ['app2', 'old', 'app2old'],
    ]);
    expect(w.find('[data-test=release-progress]').text()).toBe('0 of 2 servers on the new release');
    expect(row(w, 6).find('[data-test=result]').text()).toBe('in progress');

    fake.emit('releases:changed', running(['draining', 'old']));
    await settle();
    expect(chips(w)[0]).toEqual(['app1', 'draining', 'app1draining']);

    fake.emit('releases:changed', running(['new', 'starting']));
    await settle();
    expect(chips(w)).toEqual([
      ['app1', 'new', 'app1new'],
      ['app2', 'starting', 'app2starting'],
    ]);
    expect(w.find('[data-test=release-progress]').text()).toBe('1 of 2 servers on the new release');

    // Another environment's releases are not this panel's business.
    fake.emit('releases:changed', { ...running(['old', 'old']), environment: 'other' });
    await settle();
    expect(chips(w)[0][1]).toBe('new');

    // It ends: the live view goes, the timeline says how it went.
    fake.emit('releases:changed', { ...running(['new', 'new']), result: 'succeeded', endedAt: '2026-03-06T10:01:00.000Z', durationMs: 30_000, failedRequests: 0 });
    await settle();
    expect(w.find('[data-test=release-live]').exists()).toBe(false);
    expect(row(w, 6).find('[data-test=result]').text()).toBe('succeeded');
    expect(row(w, 6).find('[data-test=serving]').exists()).toBe(true);
    expect(row(w, 6).find('[data-test=duration]').text()).toBe('30 s');
  });

  it('cancels the release under way only once the user confirms, through tasks:cancel', async () => {
    kept = [r1, running(['switched', 'old'])];
    const w = mountInApp(ReleasesPanel, { env: shop() });
    await settle();
    useTasksStore().upsert(releaseTask());
    await settle();
    expect(w.find('[data-test=release-step]').text()).toBe('Replacing app1');

    await w.find('[data-test=release-cancel]').trigger('click');
    await settle();
    expect(document.body.querySelector('.n-dialog')!.textContent).toContain('Cancel release 6?');
    dialogButton('Keep going')!.click();
    await settle();
    expect(fake.callsTo('tasks:cancel')).toEqual([]);

    await w.find('[data-test=release-cancel]').trigger('click');
    await settle();
    dialogButton('Cancel the release')!.click();
    await settle();
    expect(fake.callsTo('tasks:cancel')).toEqual([{ id: 'rel-6' }]);
  });

  it('offers no cancel for a release another process runs, and says so', async () => {
    kept = [r1, running(['starting', 'old'])];
    const w = mountInApp(ReleasesPanel, { env: shop() });
    await settle();
    expect(w.find('[data-test=release-cancel]').exists()).toBe(false);
    expect(w.find('[data-test=release-elsewhere]').text()).toContain('Started by ana@laptop');
  });

  it('releases a new image with the current app’s other settings, and the rollout chosen', async () => {
    const w = mountInApp(ReleasesPanel, { env: shop() });
    await settle();
    const image = w.find('[data-test=release-image] input');
    expect((image.element as HTMLInputElement).value).toBe('registry.local/shop:1.4');
    await image.setValue('registry.local/shop:1.5');
    await w.find('[data-test=release-advanced]').trigger('click');
    await settle();
    const health = w.find('[data-test=release-health-timeout] input');
    await health.setValue('30');
    await health.trigger('blur');
    const batch = w.find('[data-test=release-batch] input');
    await batch.setValue('2');
    await batch.trigger('blur');
    await w.find('[data-test=release-start]').trigger('click');
    await settle();
    expect(fake.callsTo('releases:start')).toEqual([
      {
        environment: 'shop',
        app: {
          source: { kind: 'image', image: 'registry.local/shop:1.5' },
          port: 8080,
          env: [
            { name: 'BACKEND_NAME', value: '{{server}}' },
            { name: 'DATABASE_URL', value: VAR_VALUE },
          ],
          // The secret goes as its reference: the window never has its value.
          secrets: [{ name: 'API_TOKEN', ref: SECRET_REF }],
          command: ['./shop', '--serve'],
        },
        // Only what the user changed: the core's defaults do the rest.
        rollout: { batch: 2, healthTimeoutMs: 30_000 },
      },
    ]);
    expect(document.body.textContent).toContain('Releasing shop…');
  });

  it('asks for an image rather than sending an empty one, and shows what the core refuses', async () => {
    fake.handle('releases:start', () => ({ error: { code: 'NOT_DEPLOYED', message: '"shop" is not running: deploy it first; a release replaces running servers', field: 'environment' } }));
    const w = mountInApp(ReleasesPanel, { env: shop() });
    await settle();
    await w.find('[data-test=release-image] input').setValue('  ');
    await w.find('[data-test=release-start]').trigger('click');
    await settle();
    expect(w.text()).toContain('Give the image to release.');
    expect(fake.callsTo('releases:start')).toEqual([]);

    await w.find('[data-test=release-image] input').setValue('registry.local/shop:1.5');
    await w.find('[data-test=release-start]').trigger('click');
    await settle();
    expect(w.find('[data-test=error]').attributes('data-code')).toBe('NOT_DEPLOYED');
  });

  it('rebuilds the folder of an app built from one', async () => {
    const env = shop({ kind: 'build', context: '/home/ana/shop', dockerfile: 'Dockerfile' });
    const w = mountInApp(ReleasesPanel, { env });
    await settle();
    expect(w.find('[data-test=release-image]').exists()).toBe(false);
    expect(w.find('[data-test=release-form]').text()).toContain('Rebuild the folder');
    expect(w.find('[data-test=release-rebuild]').text()).toBe('/home/ana/shop');
    await w.find('[data-test=release-start]').trigger('click');
    await settle();
    const [sent] = fake.callsTo('releases:start') as { app: { source: unknown } }[];
    expect(sent.app.source).toEqual({ kind: 'build', context: '/home/ana/shop', dockerfile: 'Dockerfile' });
  });

  it('rolls back to a release only once the user confirms, with its number', async () => {
    const w = mountInApp(ReleasesPanel, { env: shop() });
    await settle();
    await row(w, 2).find('[data-test=rollback]').trigger('click');
    await settle();
    const dialog = document.body.querySelector('.n-dialog')!;
    expect(dialog.textContent).toContain('Roll shop back to release 2?');
    expect(dialog.textContent).toContain('registry.local/shop:1.3');
    dialogButton('Cancel')!.click();
    await settle();
    expect(fake.callsTo('releases:rollback')).toEqual([]);

    await row(w, 2).find('[data-test=rollback]').trigger('click');
    await settle();
    dialogButton('Roll back')!.click();
    await settle();
    expect(fake.callsTo('releases:rollback')).toEqual([{ environment: 'shop', to: 2 }]);
    expect(document.body.textContent).toContain('Rolling shop back to release 2…');

    // Servers at once, as chosen for releases, hold for a rollback too.
    const batch = w.find('[data-test=release-batch] input');
    await batch.setValue('2');
    await batch.trigger('blur');
    await row(w, 1).find('[data-test=rollback]').trigger('click');
    await settle();
    dialogButton('Roll back')!.click();
    await settle();
    expect(fake.callsTo('releases:rollback')[1]).toEqual({ environment: 'shop', to: 1, rollout: { batch: 2 } });
  });

  it('offers no release and no rollback while a task of the environment runs', async () => {
    const w = mountInApp(ReleasesPanel, { env: shop() });
    await settle();
    const deploying: Task = { ...releaseTask(), id: 'd1', kind: 'deploy' };
    useTasksStore().upsert(deploying);
    await settle();
    expect(w.find('[data-test=release-start]').attributes('disabled')).toBeDefined();
    expect(w.findAll('[data-test=rollback]').every((b) => b.attributes('disabled') !== undefined)).toBe(true);
    useTasksStore().upsert({ ...deploying, state: 'succeeded' });
    await settle();
    expect(w.find('[data-test=release-start]').attributes('disabled')).toBeUndefined();
  });

  it('never shows a variable’s value or a secret’s reference, only their names', async () => {
    kept = [r1, r2, r3, running(['old', 'old'])];
    const w = mountInApp(ReleasesPanel, { env: shop() });
    await settle();
    for (const d of w.findAll('[data-test=cause-logs]')) (d.element as HTMLDetailsElement).open = true;
    await w.find('[data-test=release-advanced]').trigger('click');
    await settle();
    const text = document.body.textContent ?? '';
    expect(text).toContain('DATABASE_URL');
    expect(text).toContain('API_TOKEN');
    expect(text).not.toContain(VAR_VALUE);
    expect(text).not.toContain('pa55word');
    expect(text).not.toContain(SECRET_REF);
    expect(document.body.innerHTML).not.toContain(SECRET_REF);
    expect(document.body.innerHTML).not.toContain('pa55word');
  });

  it('says so when the environment has no release yet', async () => {
    kept = [];
    const w = mountInApp(ReleasesPanel, { env: shop() });
    await settle();
    expect(w.find('[data-test=releases-empty]').text()).toBe('No releases yet: the first release records what runs now as release 1.');
  });

  it('is the Releases tab of an environment with an app, and not of the demo lab', async () => {
    const lab = labEnvironment();
    fake
      .handle('environments:list', () => [shop(), lab])
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:status', ({ environment: name }) => ({ name, state: 'running', containers: [], servers: [], haproxy: { reachable: true, configInSync: true } }));
    const w = mountInApp(EnvironmentView, { name: 'shop', tab: 'releases' });
    await settle();
    expect(w.findAll('.n-tabs-tab').map((x) => x.text())).toContain('Releases');
    expect(rows(w).map((r) => r.attributes('data-number'))).toEqual(['5', '4', '3', '2', '1']);
    unmountAll();

    const l = mountInApp(EnvironmentView, { name: 'lab', tab: 'releases' });
    await settle();
    expect(l.findAll('.n-tabs-tab').map((x) => x.text())).not.toContain('Releases');
    expect(l.find('[data-test=releases]').exists()).toBe(false);
    expect(fake.callsTo('releases:list')).toEqual([{ environment: 'shop' }]);
  });

  /** The shop's page on its Releases tab, the environment in `state`. */
  async function shopPage(state: 'running' | 'not-deployed'): Promise<W> {
    fake
      .handle('environments:list', () => [shop()])
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:status', ({ environment: name }) => ({ name, state, containers: [], servers: [], haproxy: { reachable: state === 'running', configInSync: true } }));
    const w = mountInApp(EnvironmentView, { name: 'shop', tab: 'releases' });
    await settle();
    return w;
  }

  it('while a release runs, the environment cannot be deployed or destroyed from its page (the core would refuse), and says why', async () => {
    const w = await shopPage('running');
    expect(w.find('[data-test=deploy]').attributes('disabled')).toBeUndefined();
    useTasksStore().upsert(releaseTask());
    await settle();
    for (const b of ['deploy', 'destroy']) {
      expect(w.find(`[data-test=${b}]`).attributes('disabled'), b).toBeDefined();
      expect(w.find(`[data-test=${b}]`).attributes('title')).toBe('A release is under way: deploy or destroy once it ends.');
    }
    useTasksStore().upsert(releaseTask('succeeded'));
    await settle();
    expect(w.find('[data-test=deploy]').attributes('disabled')).toBeUndefined();
  });

  it('offers no release for an environment that is not deployed yet, and says why', async () => {
    const w = await shopPage('not-deployed');
    expect(w.find('[data-test=release-start]').attributes('disabled')).toBeDefined();
    expect(w.find('[data-test=release-not-deployed]').text()).toBe('Deploy the environment first: a release replaces servers that run.');
  });
});
