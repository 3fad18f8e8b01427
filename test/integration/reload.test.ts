import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { names } from '../../electron/core/environments/naming';
import { readFile } from '../../electron/core/targets/docker-util';
import { deployLab, docker, removeEnvironments, testCore, type TestCore, uniqueName, until } from '../support/lab';
import { startLoad } from '../support/load';

describe('config changes under load', () => {
  const name = uniqueName('reload');
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

  it('switching to leastconn reloads HAProxy in place with zero failed requests', async () => {
    const lbBefore = await docker.getContainer(names.haproxy(name)).inspect();
    const load = startLoad(port, 10);
    // Answers counted rather than time waited: each reload happens with requests in flight.
    const answered = () => load.progress.ok + load.progress.failed;
    const more = (n: number) => {
      const from = answered();
      return until(`${n} more answers`, async () => answered() >= from + n);
    };
    await more(100);
    await t.call('environments:update', { environment: name, patch: { balance: 'leastconn' } });
    const task = await t.runTask('environments:deploy', name);
    await more(100);
    // A few more reloads while the load goes on: each must be just as clean.
    for (const balance of ['roundrobin', 'leastconn', 'random', 'leastconn'] as const) {
      await t.call('environments:update', { environment: name, patch: { balance } });
      expect((await t.runTask('environments:deploy', name)).state).toBe('succeeded');
      await more(30);
    }
    const result = await load.stop();

    expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
    expect(task.message).toContain(`reloaded ${names.haproxy(name)}`);
    expect(result.failed, result.errors.join('; ')).toBe(0);
    expect(result.ok).toBeGreaterThan(200);
    expect(Object.keys(result.byBackend).sort()).toEqual(['back1', 'back2']);

    const lbAfter = await docker.getContainer(names.haproxy(name)).inspect();
    expect(lbAfter.Id).toBe(lbBefore.Id);
    const cfg = await readFile(docker.getContainer(lbAfter.Id), '/usr/local/etc/haproxy/haproxy.cfg');
    expect(cfg).toContain('balance leastconn');
    expect((await t.call('environments:status', { environment: name })).haproxy.configInSync).toBe(true);
  });

  it('shows the config that runs, which differs from the settings until the next deploy', async () => {
    const running = await t.call('environments:running', { environment: name });
    expect(running.config).toBe((await t.call('environments:render', { environment: name })).config);
    await t.call('environments:update', { environment: name, patch: { balance: 'source' } });
    const after = await t.call('environments:running', { environment: name });
    expect(after.config).toBe(running.config);
    expect(after.config).toContain('balance leastconn');
    expect((await t.call('environments:render', { environment: name })).config).toContain('balance source');
    await t.call('environments:update', { environment: name, patch: { balance: 'leastconn' } });

    // A preview renders an edit without saving it, and refuses a bad one naming the field.
    const preview = await t.call('environments:preview', { environment: name, patch: { balance: 'first', retries: 7 } });
    expect(preview.config).toContain('balance first');
    expect(preview.config).toContain('retries 7');
    expect((await t.call('environments:get', { environment: name })).balance).toBe('leastconn');
    const bad = await t.core.invoke('environments:preview', { environment: name, patch: { retries: -1 } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'patch.retries' } });
  });

  it('adding a backend creates only its container and it takes traffic', async () => {
    const before = await docker.listContainers({ filters: { label: [`io.switchyard.environment=${name}`] } });
    const env = await t.call('environments:get', { environment: name });
    await t.call('environments:update', { environment: name, patch: { balance: 'roundrobin', servers: [...env.servers, { name: 'back3', kind: 'demo' }] } });
    const task = await t.runTask('environments:deploy', name);
    expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
    expect(task.message).toContain(`created ${names.backend(name, 'back3')}`);
    const after = await docker.listContainers({ filters: { label: [`io.switchyard.environment=${name}`] } });
    const kept = before.map((c) => c.Id);
    expect(after.filter((c) => kept.includes(c.Id))).toHaveLength(before.length);
    expect(after).toHaveLength(before.length + 1);

    const load = startLoad(port, 4);
    await until('back3 answering', async () => (load.progress.byBackend.back3 ?? 0) >= 10);
    const r = await load.stop();
    expect(r.failed).toBe(0);
    expect(r.byBackend.back3).toBeGreaterThan(0);

    // And removing it again removes its container after HAProxy stopped sending to it.
    await t.call('environments:update', { environment: name, patch: { servers: env.servers } });
    const removal = await t.runTask('environments:deploy', name);
    expect(removal.state).toBe('succeeded');
    const names3 = (await docker.listContainers({ all: true, filters: { label: [`io.switchyard.environment=${name}`] } })).map((c) => c.Names[0]);
    expect(names3).not.toContain(`/${names.backend(name, 'back3')}`);
  });
});
