import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseRecord, RolloutPolicyInput } from '../../shared/releases';
import type { AppInput } from '../../shared/apps';
import { names } from '../../electron/core/environments/naming';
import { spawn } from 'node:child_process';
import { cli } from '../support/cli';
import { CLI_BUNDLE } from '../support/cli-bundle';
import { docker, freePort, get, removeEnvironments, testCore, until, uniqueName, type TestCore, TEST_IMAGES } from '../support/lab';
import { buildReleaseImage, startClients } from '../support/release-app';

/** Short waits, so each release takes seconds; the mechanism is the same as with the defaults. */
const FAST: RolloutPolicyInput = { drainTimeoutMs: 1500, monitorMs: 1500, graceMs: 300, healthTimeoutMs: 15_000 };

describe('releases: rolling updates under load, automatic rollback, history', () => {
  const name = uniqueName('rel');
  const repo = `sy-test-release-${name}`;
  let t: TestCore;
  let port: number;
  let app: AppInput;

  /** What every replica answers now, by version, over fresh connections. */
  async function versions(n = 16): Promise<Record<string, number>> {
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const r = await get(port);
      const v = r.status === 200 ? (/version (\S+?)</.exec(r.body)?.[1] ?? '?') : `HTTP ${r.status}`;
      seen[v] = (seen[v] ?? 0) + 1;
    }
    return seen;
  }

  /** Starts a release (or rollback) and waits for its task, with every kind of client running all along. */
  async function underLoad(start: () => Promise<{ taskId: string }>, during?: (taskId: string) => Promise<void>) {
    const clients = startClients(port);
    await until('clients answered', async () => clients.total().ok > 20);
    const { taskId } = await start();
    await during?.(taskId);
    const task = await t.core.tasks.whenDone(taskId);
    // A few more requests after the end: the old containers are gone by then.
    const after = clients.total().ok;
    await until('clients answered after the release', async () => clients.total().ok > after + 20);
    const load = await clients.stop();
    return { task, load };
  }

  const history = () => t.call('releases:list', { environment: name });
  const failedOf = (load: Record<string, { failed: number; errors: string[] }>) =>
    Object.entries(load)
      .map(([k, r]) => `${k}: ${r.failed} failed ${r.errors.join('; ')}`)
      .join(' / ');
  const leftovers = async () =>
    (await docker.listContainers({ all: true, filters: { label: [`io.switchyard.environment=${name}`] } })).map((c) => c.Names[0].slice(1)).filter((n) => /_(next|prev)$/.test(n));

  beforeAll(async () => {
    await Promise.all([buildReleaseImage(`${repo}:v1`, '1'), buildReleaseImage(`${repo}:v2`, '2')]);
    t = testCore();
    port = await freePort();
    app = { source: { kind: 'image', image: `${repo}:v1` }, port: 80, env: [{ name: 'BACKEND_NAME', value: '{{server}}' }] };
    await t.call('environments:create', {
      name,
      httpPort: port,
      images: TEST_IMAGES,
      healthCheck: { interval: 500, rise: 1, fall: 2 },
      app,
      servers: [1, 2, 3, 4].map((i) => ({ name: `app${i}`, kind: 'app' as const })),
    });
    const task = await t.runTask('environments:deploy', name);
    expect(task.state, `${task.error?.code} ${task.message}`).toBe('succeeded');
  }, 120_000);

  afterAll(async () => {
    await removeEnvironments(name);
    for (const tag of ['v1', 'v2', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']) {
      await docker
        .getImage(`${repo}:${tag}`)
        .remove({ force: true })
        .catch(() => undefined);
      await docker
        .getImage(`sy-app/${name}:${tag}`)
        .remove({ force: true })
        .catch(() => undefined);
    }
    await t?.close();
  });

  it('rolls 4 replicas to a new image with zero failed requests for keep-alive, new-connection and sticky clients', async () => {
    expect(await versions()).toEqual({ '1': 16 });
    const phases: string[] = [];
    const off = t.core.events.on('releases:changed', (r) => r.environment === name && phases.push(r.servers.map((s) => s.phase).join(',')));
    const { task, load } = await underLoad(() => t.call('releases:start', { environment: name, app: { ...app, source: { kind: 'image', image: `${repo}:v2` } }, rollout: FAST }));
    off();
    expect(task.state, `${task.error?.code} ${task.error?.message}`).toBe('succeeded');
    expect(failedOf(load)).toBe('keepAlive: 0 failed  / fresh: 0 failed  / sticky: 0 failed ');
    for (const kind of ['keepAlive', 'fresh', 'sticky'] as const) expect(load[kind].ok, kind).toBeGreaterThan(10);
    // Every server answers with the new version afterwards.
    expect(await versions()).toEqual({ '2': 16 });
    // The live view saw the servers go old → new, one at a time: app1 switched while app2 was
    // at most getting its new container ready, and app3 and app4 untouched.
    const oneAtATime = (p: string) => {
      const [a, b, c, d] = p.split(',');
      return ['switched', 'new'].includes(a) && ['old', 'starting', 'healthy'].includes(b) && c === 'old' && d === 'old';
    };
    expect(phases.some(oneAtATime), phases.join(' | ')).toBe(true);
    expect(phases.at(-1)).toBe('new,new,new,new');

    const [second, first] = await history();
    expect(first).toMatchObject({ number: 1, result: 'succeeded' });
    expect(second).toMatchObject({ number: 2, result: 'succeeded', failedRequests: 0, image: { ref: `${repo}:v2` } });
    expect(second.changes).toEqual([{ field: 'image', from: `${repo}:v1`, to: `${repo}:v2` }]);
    expect(second.by.user).toMatch(/@/);
    expect(second.durationMs).toBeGreaterThan(0);
    expect((await t.call('environments:get', { environment: name })).app?.source).toEqual({ kind: 'image', image: `${repo}:v2` });
    // A deploy now has nothing to do: the model says what runs.
    const plan = await t.call('environments:plan', { environment: name });
    expect(plan.containers.filter((c) => c.role === 'backend').map((c) => c.action)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it('rolls back by itself when the new release crashes at start: zero failed requests, history says why', async () => {
    const current = (await t.call('environments:get', { environment: name })).app!;
    const { task, load } = await underLoad(() =>
      t.call('releases:start', { environment: name, app: { ...current, env: [...current.env, { name: 'CRASH_WITH', value: 'missing DATABASE_URL' }] }, rollout: FAST }),
    );
    expect(task.state).toBe('failed');
    expect(task.error, JSON.stringify(task.error)).toMatchObject({ code: 'RELEASE_ROLLED_BACK', reason: 'exited', params: { number: 3, server: 'app1', exitCode: 3 } });
    expect(task.error?.detail).toContain('missing DATABASE_URL');
    expect(failedOf(load)).toBe('keepAlive: 0 failed  / fresh: 0 failed  / sticky: 0 failed ');
    expect(await versions()).toEqual({ '2': 16 });
    const [third] = await history();
    expect(third).toMatchObject({ number: 3, result: 'rolled-back', cause: { kind: 'exited', server: 'app1' } });
    expect(third.cause?.logs.join('\n')).toContain('missing DATABASE_URL');
    expect(third.changes).toEqual([{ field: 'env', names: ['CRASH_WITH'] }]);
    // The model still says what runs: the previous release.
    expect((await t.call('environments:get', { environment: name })).app?.env.map((v) => v.name)).toEqual(['BACKEND_NAME']);
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it('rolls back by the error threshold when the new release answers 500', async () => {
    const current = (await t.call('environments:get', { environment: name })).app!;
    const { task } = await underLoad(() =>
      t.call('releases:start', { environment: name, app: { ...current, env: [...current.env, { name: 'FAIL_PAGES', value: '1' }] }, rollout: { ...FAST, monitorMs: 4000 } }),
    );
    expect(task.state).toBe('failed');
    expect(task.error).toMatchObject({ code: 'RELEASE_ROLLED_BACK', reason: 'errors', params: { number: 4, server: 'app1' } });
    const [fourth] = await history();
    expect(fourth).toMatchObject({ number: 4, result: 'rolled-back', cause: { kind: 'errors', server: 'app1' } });
    // HAProxy counted the 500s the bad server sent while it was watched.
    expect(fourth.failedRequests).toBeGreaterThan(0);
    expect(await versions()).toEqual({ '2': 16 });
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it('a cancel mid-rollout goes back to the previous release with zero failed requests', async () => {
    const current = (await t.call('environments:get', { environment: name })).app!;
    const { task, load } = await underLoad(
      () => t.call('releases:start', { environment: name, app: { ...current, source: { kind: 'image', image: `${repo}:v1` } }, rollout: { ...FAST, monitorMs: 3000 } }),
      async (taskId) => {
        // Once the first server runs the new release (and is being watched), cancel.
        await until('a server switched', async () => (await history())[0]?.servers.some((s) => s.phase === 'switched' || s.phase === 'new'), 30_000, 50);
        await t.call('tasks:cancel', { id: taskId });
      },
    );
    expect(['failed', 'cancelled']).toContain(task.state);
    expect(failedOf(load)).toBe('keepAlive: 0 failed  / fresh: 0 failed  / sticky: 0 failed ');
    const [fifth] = await history();
    expect(fifth).toMatchObject({ number: 5, result: 'rolled-back', cause: { kind: 'cancelled' } });
    expect(fifth.servers.find((s) => s.name === 'app1')?.phase).toBe('restored');
    expect(await versions()).toEqual({ '2': 16 });
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it('rolls back from the CLI to release 1, under load; the history lists every release', async () => {
    // The CLI is another process on the same data folder: the open core hears its progress.
    const heard: ReleaseRecord[] = [];
    await t.core.close().catch(() => undefined);
    t = { ...t, ...testCore(process.env, { dataDir: t.dataDir, watchStore: true }) };
    const off = t.core.events.on('releases:changed', (r) => r.environment === name && heard.push(r));
    const clients = startClients(port);
    await until('clients answered', async () => clients.total().ok > 20);
    const res = await cli(t.dataDir, ['rollback', name, '--to', '1', '--drain-timeout', '1.5', '--monitor', '1']);
    const load = await clients.stop();
    off();
    expect(res.code, res.stderr + res.stdout).toBe(0);
    expect(res.stdout).toMatch(/Release 6 of .* is out/);
    expect(failedOf(load)).toBe('keepAlive: 0 failed  / fresh: 0 failed  / sticky: 0 failed ');
    expect(await versions()).toEqual({ '1': 16 });
    expect(heard.some((r) => r.number === 6 && r.result === 'running')).toBe(true);
    await until('the end heard', async () => heard.some((r) => r.number === 6 && r.result === 'succeeded'), 5000);

    const list = await cli(t.dataDir, ['releases', name]);
    expect(list.code).toBe(0);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.map((r) => [r[0], r[2].split(' ')[0]])).toEqual([
      ['6', 'succeeded'],
      ['5', 'rolled-back'],
      ['4', 'rolled-back'],
      ['3', 'rolled-back'],
      ['2', 'succeeded'],
      ['1', 'succeeded'],
    ]);
    expect(rows[0][6]).toContain('back to 1');
    // A crash release from the CLI exits 1, naming the cause.
    const bad = await cli(t.dataDir, ['release', name, '--env', 'CRASH_WITH=boom', '--monitor', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr + bad.stdout).toMatch(/rolled back: the new container of app1 stopped \(exit code 3\)/);
    expect(await leftovers()).toEqual([]);
    expect(
      await docker
        .getContainer(names.backend(name, 'app1'))
        .inspect()
        .then((c) => c.State.Running),
    ).toBe(true);
  }, 180_000);

  it('a deploy after the app was changed in the settings rolls it out as a release: zero failed requests, in the history', async () => {
    const current = (await t.call('environments:get', { environment: name })).app!;
    await t.call('environments:update', { environment: name, patch: { app: { ...current, env: [...current.env, { name: 'VERSION', value: '3' }] } } });
    const { task, load } = await underLoad(() => t.call('environments:deploy', { environment: name }));
    expect(task.state, `${task.error?.code} ${task.error?.message}`).toBe('succeeded');
    expect(failedOf(load)).toBe('keepAlive: 0 failed  / fresh: 0 failed  / sticky: 0 failed ');
    expect(await versions()).toEqual({ '3': 16 });
    const [latest] = await history();
    expect(latest).toMatchObject({ number: 8, result: 'succeeded', failedRequests: 0, changes: [{ field: 'env', names: ['VERSION'] }] });
    expect(task.steps.map((s) => s.name)).toContain('release');
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it('new containers that take 2 s to answer, on another port, are switched to only once they do: zero failed requests; the config history keeps the new config', async () => {
    const current = (await t.call('environments:get', { environment: name })).app!;
    const env = [...current.env.filter((v) => v.name !== 'VERSION'), { name: 'VERSION', value: '4' }, { name: 'START_AFTER', value: '2' }, { name: 'PORT', value: '8080' }];
    const configs = (await t.call('configs:list', { environment: name })).length;
    const { task, load } = await underLoad(() => t.call('releases:start', { environment: name, app: { ...current, port: 8080, env }, rollout: { ...FAST, batch: 2 } }));
    expect(task.state, `${task.error?.code} ${task.error?.message}`).toBe('succeeded');
    expect(failedOf(load)).toBe('keepAlive: 0 failed  / fresh: 0 failed  / sticky: 0 failed ');
    expect(await versions()).toEqual({ '4': 16 });
    const [latest] = await history();
    // Two batches, each waiting for its containers' first passing check.
    expect(latest).toMatchObject({ number: 9, result: 'succeeded', failedRequests: 0 });
    expect(latest.durationMs).toBeGreaterThan(4000);
    expect(await leftovers()).toEqual([]);
    // The servers' lines name the new port: the config file and its history say so.
    const versions_ = await t.call('configs:list', { environment: name });
    expect(versions_).toHaveLength(configs + 1);
    expect(versions_[0].trigger).toEqual({ kind: 'release', number: 9 });
    expect((await t.call('environments:plan', { environment: name })).unchanged).toBe(true);
  }, 120_000);

  it('refuses what it cannot release, and changes nothing', async () => {
    await expect(t.call('releases:rollback', { environment: name, to: 99 })).rejects.toMatchObject({ code: 'NOT_FOUND', field: 'to' });
    await expect(t.call('releases:rollback', { environment: name, to: 3 })).rejects.toMatchObject({ code: 'VALIDATION', field: 'to' });
    await expect(t.call('releases:start', { environment: name, rollout: { batch: 0 } })).rejects.toMatchObject({ code: 'VALIDATION', field: 'rollout.batch' });
    const before = (await history()).length;
    const lab = uniqueName('nolab');
    await t.call('environments:create', { name: lab, httpPort: await freePort(), images: TEST_IMAGES });
    await expect(t.call('releases:start', { environment: lab })).rejects.toMatchObject({ code: 'VALIDATION', field: 'app' });
    await t.call('environments:remove', { environment: lab });
    expect((await history()).length).toBe(before);
  });

  it("Ctrl-C on a release from the CLI cancels it as the window's Cancel does: rolled back, exit 1, the release before still serving", async () => {
    const before = await versions();
    const child = spawn(process.execPath, [CLI_BUNDLE, 'release', name, '--env', 'MARK=ctrl-c', '--monitor', '5'], { env: { ...process.env, SWITCHYARD_DATA_DIR: t.dataDir } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until('the rollout under way', async () => /\] release: /.test(out), 60_000);
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(err).toContain('cancelling: the task stops at its next step');
    expect(err).toMatch(/error RELEASE_ROLLED_BACK: .*cancel/i);
    expect(await versions()).toEqual(before);
    expect(await leftovers()).toEqual([]);
    const [latest] = (await cli(t.dataDir, ['releases', name])).stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(latest[2]).toMatch(/^rolled-back/);
    expect(latest.join(' ')).toMatch(/cancel/i);
  }, 180_000);

  it('destroyed and removed, the environment takes its release images with it; the images the user tagged stay', async () => {
    const ours = async () => (await docker.listImages({ filters: { reference: [`sy-app/${name}`] } })).flatMap((i) => i.RepoTags ?? []);
    expect((await ours()).length).toBeGreaterThan(0);
    const destroyed = await t.runTask('environments:destroy', name);
    expect(destroyed.state).toBe('succeeded');
    await t.call('environments:remove', { environment: name });
    expect(await ours()).toEqual([]);
    for (const tag of ['v1', 'v2']) expect((await docker.getImage(`${repo}:${tag}`).inspect()).RepoTags).toContain(`${repo}:${tag}`);
  });
});
