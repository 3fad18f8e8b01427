import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { english } from '../../shared/messages';
import { cli } from '../support/cli';
import { deployLab, get, removeEnvironments, testCore, uniqueName, type TestCore } from '../support/lab';

const balanceLines = (config: string | null) =>
  (config ?? '')
    .split('\n')
    .filter((l) => /^\s*balance /.test(l))
    .map((l) => l.trim());

describe('config history on a real lab', () => {
  const name = uniqueName('hist');
  let t: TestCore;
  let port: number;

  beforeAll(async () => {
    t = testCore();
    port = await deployLab(t, name);
  });

  afterAll(async () => {
    await removeEnvironments(name);
    await t?.close();
  });

  it('keeps a version per deploy that changes haproxy.cfg: deploy, change the algorithm, deploy again → two versions', async () => {
    expect((await t.runTask('environments:deploy', name)).state).toBe('succeeded');
    expect((await t.call('configs:list', { environment: name })).map((v) => v.version)).toEqual([1]);

    await t.call('environments:update', { environment: name, patch: { balance: 'leastconn' } });
    const task = await t.runTask('environments:deploy', name);
    expect(task.state, task.error?.message).toBe('succeeded');

    const list = await t.call('configs:list', { environment: name });
    expect(list.map((v) => [v.version, v.trigger.kind])).toEqual([
      [2, 'deploy'],
      [1, 'deploy'],
    ]);
    const me = (await t.call('system:info', {})).installation;
    expect(list[0].by).toEqual(me);
    expect(english(list[0].summary)).toBe('balance roundrobin → leastconn');
    expect((await t.call('configs:get', { environment: name, version: 2 })).config).toBe((await t.call('environments:running', { environment: name })).config);
  });

  it('diffs the two versions: the balance line changed', async () => {
    const d = await t.call('configs:diff', { environment: name, from: 1, to: 2 });
    expect(d.changed).toBe(true);
    const changed = d.diff.split('\n').filter((l) => /^[-+](?![-+])/.test(l));
    expect(changed.map((l) => l.replace(/\s+/g, ' '))).toEqual(['- balance roundrobin', '+ balance leastconn']);
  });

  it('restores version 1: the load balancer runs the old algorithm again, and a third version says "restore of 1"', async () => {
    const { taskId } = await t.call('configs:restore', { environment: name, version: 1 });
    const task = await t.core.tasks.whenDone(taskId);
    expect(task.state, task.error?.message).toBe('succeeded');
    expect(task.kind).toBe('deploy');

    expect(balanceLines((await t.call('environments:running', { environment: name })).config)).toEqual(['balance roundrobin']);
    expect((await t.call('environments:get', { environment: name })).balance).toBe('roundrobin');
    const [latest] = await t.call('configs:list', { environment: name });
    expect(latest).toMatchObject({ version: 3, trigger: { kind: 'restore', version: 1 } });
    expect(english(latest.summary)).toBe('balance leastconn → roundrobin');
    expect((await get(port)).status).toBe(200);
  });

  it('the CLI lists, shows, diffs and restores, printing a deploy’s progress lines', async () => {
    const table = await cli(t.dataDir, ['configs', name]);
    expect(table.stderr).toBe('');
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+WHEN\s+BY\s+TRIGGER\s+CHANGES$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).filter(Boolean)[0])).toEqual(['3', '2', '1']);
    expect(lines[1]).toMatch(/restore of 1\s+balance leastconn → roundrobin$/);
    expect(lines[3]).toMatch(/deploy\s+first version$/);

    const shown = await cli(t.dataDir, ['config', 'show', name, '2']);
    expect(balanceLines(shown.stdout)).toEqual(['balance leastconn']);

    const diff = await cli(t.dataDir, ['config', 'diff', name, '3', '2']);
    expect(diff.stdout).toContain('--- haproxy.cfg\tversion 3');
    expect(diff.stdout).toMatch(/^\+\s+balance leastconn$/m);

    const restored = await cli(t.dataDir, ['config', 'restore', name, '2']);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/^\[ *\d+%\] haproxy: Load balancer: reload$/m);
    expect(restored.stdout).toContain('kept as version 4 (restore of 2)');
    expect(balanceLines((await t.call('environments:running', { environment: name })).config)).toEqual(['balance leastconn']);

    const bad = await cli(t.dataDir, ['config', 'show', name, '9']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error NOT_FOUND: "[^"]+" has no version 9 \(kept: 1 to 4\)/);
  });
});
