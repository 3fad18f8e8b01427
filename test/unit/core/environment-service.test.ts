import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentLocks } from '../../../electron/core/environments/environment-locks';
import { names } from '../../../electron/core/environments/naming';
import { OTHER } from '../../support/fake-lab';
import { refusal, startFakeServices, type FakeServices } from '../../support/fake-services';

/**
 * The environment service's flows on a real store over the fake engine: one task per environment
 * at a time, and a refused call changes nothing, neither in the store nor on the engine.
 */
describe('the environment service, against a fake engine', () => {
  let s: FakeServices;
  /** The first call a deploy makes to the engine; holding it keeps the deploy running. */
  const firstDeployCall = /^\/images\/fake\/haproxy:2\.6\/json$/;
  const tasksOf = (name: string) => s.tasks.list().filter((t) => t.target === name);

  beforeEach(async () => {
    s = await startFakeServices();
    await s.create('lab');
  });

  afterEach(async () => {
    await s.close();
  });

  it('deploys as a task, and destroys as one', async () => {
    const deployed = await s.done(await s.envs.deploy('lab'));
    expect(deployed.state, JSON.stringify(deployed.error)).toBe('succeeded');
    expect(deployed.steps.map((x) => x.name)).toEqual(['images', 'ports', 'network', 'config', 'backends', 'haproxy', 'cleanup', 'verify']);
    expect(s.lab.engine.snapshot().containers).toHaveLength(3);

    const destroyed = await s.done(await s.envs.destroy('lab'));
    expect(destroyed.state).toBe('succeeded');
    expect(s.lab.engine.snapshot()).toEqual({ containers: [], networks: ['sy-edge'], volumes: [] });
  });

  it('a second deploy or a destroy while a deploy runs is refused with BUSY at once, starting no task', async () => {
    const held = s.lab.engine.hold('GET', firstDeployCall);
    const first = await s.envs.deploy('lab');
    await held.reached;

    expect((await refusal(s.envs.deploy('lab')))?.code).toBe('BUSY');
    expect((await refusal(s.envs.destroy('lab')))?.code).toBe('BUSY');
    expect(tasksOf('lab')).toHaveLength(1);

    held.release();
    expect((await s.done(first)).state).toBe('succeeded');
    expect(s.lab.engine.snapshot().containers).toHaveLength(3);
  });

  it('another process on the same data folder (the CLI) holding the lock: BUSY, and the engine is not contacted', async () => {
    const release = await new EnvironmentLocks(s.dataDir).acquire('lab');
    const calls = s.lab.engine.requests.length;
    try {
      expect((await refusal(s.envs.deploy('lab')))?.code).toBe('BUSY');
      expect((await refusal(s.envs.destroy('lab')))?.code).toBe('BUSY');
      expect((await refusal(s.live.addServer('lab', { name: 'back3', kind: 'demo' })))?.code).toBe('BUSY');
      expect(s.lab.engine.requests.length).toBe(calls);
      expect(tasksOf('lab')).toEqual([]);
    } finally {
      await release();
    }
    // Once let go, a deploy runs.
    expect((await s.done(await s.envs.deploy('lab'))).state).toBe('succeeded');
  });

  describe('adding and removing servers', () => {
    it('while a deploy runs, both answer BUSY and the model stays as it was', async () => {
      const before = await s.envs.get('lab');
      const held = s.lab.engine.hold('GET', firstDeployCall);
      const first = await s.envs.deploy('lab');
      await held.reached;

      expect((await refusal(s.live.addServer('lab', { name: 'back3', kind: 'demo' })))?.code).toBe('BUSY');
      expect((await refusal(s.live.removeServer('lab', 'back2')))?.code).toBe('BUSY');
      expect(await s.envs.get('lab')).toEqual(before);

      held.release();
      expect((await s.done(first)).state).toBe('succeeded');
      expect(await s.envs.get('lab')).toEqual(before);
      expect(tasksOf('lab')).toHaveLength(1);
      expect(s.lab.engine.container(names.backend('lab', 'back3'))).toBeUndefined();
    });

    it('a duplicate name is refused naming the field; nothing is saved or deployed, and the lock is let go', async () => {
      const before = await s.envs.get('lab');
      // Creating the environment asked the engine whether its port was free; nothing since.
      const asked = s.lab.engine.requests.length;
      const err = await refusal(s.live.addServer('lab', { name: 'back1', kind: 'demo' }));
      expect(err).toMatchObject({ code: 'ALREADY_EXISTS', field: 'server.name' });
      expect(await s.envs.get('lab')).toEqual(before);
      expect(tasksOf('lab')).toEqual([]);
      expect(s.lab.engine.requests.slice(asked)).toEqual([]);
      expect((await s.done(await s.envs.deploy('lab'))).state).toBe('succeeded');
    });

    it('the last server cannot be removed', async () => {
      await s.create('single', { httpPort: 18081, servers: [{ name: 'only', kind: 'demo' }] });
      const before = await s.envs.get('single');
      const err = await refusal(s.live.removeServer('single', 'only'));
      expect(err).toMatchObject({ code: 'VALIDATION', field: 'server' });
      expect(await s.envs.get('single')).toEqual(before);
      expect(tasksOf('single')).toEqual([]);
    });

    it('an added server is saved and deployed: its container runs and HAProxy has it', async () => {
      await s.done(await s.envs.deploy('lab'));
      const task = await s.done(await s.live.addServer('lab', { name: 'back3', kind: 'demo' }));
      expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
      expect((await s.envs.get('lab')).servers.map((x) => x.name)).toEqual(['back1', 'back2', 'back3']);
      expect(s.lab.engine.container(names.backend('lab', 'back3'))?.state).toBe('running');
      expect(s.lab.engine.haproxy(names.haproxy('lab'))!.servers.map((x) => x.name)).toEqual(['back1', 'back2', 'back3']);
    });
  });

  it('deploying an environment another installation manages fails OWNED_ELSEWHERE, and nothing changes', async () => {
    const env = await s.envs.get('lab');
    await s.lab.deploy(env, { as: OTHER });
    const before = s.lab.engine.snapshot();
    const task = await s.done(await s.envs.deploy('lab'));
    expect(task.state).toBe('failed');
    expect(task.error?.code).toBe('OWNED_ELSEWHERE');
    expect(s.lab.engine.snapshot()).toEqual(before);
    // Removing it from this store touches nothing on the engine.
    expect(await s.envs.remove('lab')).toEqual({ removed: true });
    expect(s.lab.engine.snapshot()).toEqual(before);
  });

  describe('taking the app away (back to the demo lab)', () => {
    const shop = { httpPort: 18090, app: { source: { kind: 'image', image: 'registry.example.com/team/shop:1' } }, servers: [{ name: 'app1', kind: 'app' }] };

    it('with the servers made demo servers in the same change, the app is gone from the model', async () => {
      await s.create('shop', shop);
      const env = await s.envs.update('shop', { servers: [{ name: 'back1', kind: 'demo' }], app: null });
      expect(env.app).toBeUndefined();
      expect((await s.envs.get('shop')).app).toBeUndefined();
      expect(JSON.stringify(await s.store.read())).not.toContain('team/shop');
    });

    it('while servers still run it, refused naming the field; nothing changes', async () => {
      await s.create('shop', shop);
      const before = await s.envs.get('shop');
      const err = await refusal(s.envs.update('shop', { app: null }));
      expect(err).toMatchObject({ code: 'VALIDATION', field: 'patch.app' });
      expect(await s.envs.get('shop')).toEqual(before);
    });
  });

  it('an environment is removed from the store only once its containers are gone', async () => {
    await s.done(await s.envs.deploy('lab'));
    expect((await refusal(s.envs.remove('lab')))?.code).toBe('BUSY');
    await s.done(await s.envs.destroy('lab'));
    expect(await s.envs.remove('lab')).toEqual({ removed: true });
    expect(await s.envs.list()).toEqual([]);
  });
});
