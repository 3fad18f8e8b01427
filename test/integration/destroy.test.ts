import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGES, freePort, get, labelledResources, removeEnvironments, testCore, uniqueName, type TestCore } from '../support/lab';

describe('destroy', () => {
  const gone = uniqueName('gone');
  const kept = uniqueName('kept');
  let t: TestCore;
  let keptPort: number;

  beforeAll(async () => {
    t = testCore();
    keptPort = await freePort();
    await t.call('environments:create', { name: gone, httpPort: await freePort(), images: TEST_IMAGES });
    await t.call('environments:create', { name: kept, httpPort: keptPort, images: TEST_IMAGES, servers: [{ name: 'solo', kind: 'demo' }] });
    const [a, b] = await Promise.all([t.runTask('environments:deploy', gone), t.runTask('environments:deploy', kept)]);
    expect([a.state, b.state]).toEqual(['succeeded', 'succeeded']);
  });

  afterAll(async () => {
    await removeEnvironments(gone, kept);
    await t?.close();
  });

  it('removes every container, network and volume of the environment, and nothing of the others', async () => {
    expect(await labelledResources(gone)).toEqual({ containers: 3, networks: 1, volumes: 1 });
    const task = await t.runTask('environments:destroy', gone);
    expect(task.state).toBe('succeeded');
    expect(task.steps.map((s) => s.name)).toEqual(['containers', 'networks', 'volumes']);
    expect(await labelledResources(gone)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect((await t.call('environments:status', { environment: gone })).state).toBe('not-deployed');

    expect(await labelledResources(kept)).toEqual({ containers: 2, networks: 1, volumes: 1 });
    const r = await get(keptPort);
    expect(r.status).toBe(200);
    expect(r.backend).toBe('solo');
  });

  it('forgets an environment only once it is destroyed', async () => {
    const refused = await t.core.invoke('environments:remove', { environment: kept });
    expect(refused).toMatchObject({ ok: false, error: { code: 'BUSY' } });
    expect(await t.call('environments:remove', { environment: gone })).toEqual({ removed: true });
    expect((await t.call('environments:list', {})).map((e) => e.name)).toEqual([kept]);
  });

  it('refuses a second deploy of the same environment while one runs', async () => {
    const first = await t.call('environments:deploy', { environment: kept });
    const second = await t.core.invoke('environments:deploy', { environment: kept });
    expect(second).toMatchObject({ ok: false, error: { code: 'BUSY' } });
    expect((await t.core.tasks.whenDone(first.taskId)).state).toBe('succeeded');
  });
});
