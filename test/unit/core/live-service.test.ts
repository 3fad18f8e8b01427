import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HAPROXY_CONFIG_FILE, names } from '../../../electron/core/environments/naming';
import { until } from '../../support/lab';
import { OTHER } from '../../support/fake-lab';
import { refusal, startFakeServices, type FakeServices } from '../../support/fake-services';

/**
 * Toggling a server and changing its weight: sent to HAProxy's runtime API (the fake one), kept in
 * the model, and nothing changed at all when HAProxy refuses.
 */
describe('live server changes, against a fake engine and runtime API', () => {
  let s: FakeServices;
  const lbName = names.haproxy('lab');
  const haproxy = () => s.lab.engine.haproxy(lbName)!;
  const setCommands = () => haproxy().received.filter((c) => c.startsWith('set server'));

  const deployed = async (input: Record<string, unknown> = {}) => {
    await s.create('lab', input);
    const task = await s.done(await s.envs.deploy('lab'));
    expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
    // What the deploy itself sent is not what these tests look at.
    haproxy().received.length = 0;
  };

  beforeEach(async () => {
    s = await startFakeServices();
  });

  afterEach(async () => {
    await s.close();
  });

  it('sends the weight, then the state, through the runtime API and saves both in the model', async () => {
    await deployed();
    const applied = await s.live.setServer({ environment: 'lab', server: 'back1', weight: 50, state: 'drain' });
    expect(applied).toEqual({ environment: 'lab', server: 'back1', state: 'drain', weight: 50, applied: true });
    expect(setCommands()).toEqual(['set server servers/back1 weight 50', 'set server servers/back1 state drain']);
    expect(haproxy().server('back1')).toMatchObject({ admin: 'drain', weight: 50 });
    expect((await s.envs.get('lab')).servers[0]).toMatchObject({ name: 'back1', state: 'drain', weight: 50 });
  });

  it('a weight HAProxy refuses (a static algorithm) fails with its words; the state is not sent and the model is unchanged', async () => {
    await deployed({ balance: 'source' });
    const before = await s.envs.get('lab');
    const err = await refusal(s.live.setServer({ environment: 'lab', server: 'back1', weight: 50, state: 'maint' }));
    expect(err?.code).toBe('RUNTIME_API');
    expect([err!.message, err!.detail ?? '', JSON.stringify(err!.params ?? {})].join(' ')).toContain('static LB algorithm');
    expect(setCommands()).toEqual(['set server servers/back1 weight 50']);
    expect(haproxy().server('back1')).toMatchObject({ admin: 'ready', weight: 100 });
    expect(await s.envs.get('lab')).toEqual(before);
  });

  it('a refused state change changes nothing', async () => {
    await deployed();
    s.lab.engine.forceAnswer(/^set server servers\/back2 state/, 'Server is being removed (fake).\n');
    const before = await s.envs.get('lab');
    expect((await refusal(s.live.setServer({ environment: 'lab', server: 'back2', state: 'maint' })))?.code).toBe('RUNTIME_API');
    expect(await s.envs.get('lab')).toEqual(before);
    expect(haproxy().server('back2')!.admin).toBe('ready');
  });

  it('an unknown server is NOT_FOUND, and HAProxy is not asked', async () => {
    await deployed();
    expect((await refusal(s.live.setServer({ environment: 'lab', server: 'back9', state: 'maint' })))?.code).toBe('NOT_FOUND');
    expect(haproxy().received).toEqual([]);
  });

  it('not deployed: the change is saved for the next deploy, and nothing is sent', async () => {
    await s.create('lab');
    const applied = await s.live.setServer({ environment: 'lab', server: 'back2', state: 'maint' });
    expect(applied.applied).toBe(false);
    expect((await s.envs.get('lab')).servers[1].state).toBe('maint');
    expect(s.lab.target.connections).toEqual([]);
    // The next deploy carries it.
    await s.done(await s.envs.deploy('lab'));
    expect(haproxy().server('back2')!.admin).toBe('maint');
  });

  it("another installation's environment: OWNED_ELSEWHERE; nothing sent, nothing saved", async () => {
    await s.create('lab');
    await s.lab.deploy(await s.envs.get('lab'), { as: OTHER });
    haproxy().received.length = 0;
    const before = await s.envs.get('lab');
    expect((await refusal(s.live.setServer({ environment: 'lab', server: 'back1', state: 'maint' })))?.code).toBe('OWNED_ELSEWHERE');
    expect(haproxy().received).toEqual([]);
    expect(await s.envs.get('lab')).toEqual(before);
  });

  it('after the load balancer was replaced, the next change reaches the new one', async () => {
    await deployed();
    await s.live.setServer({ environment: 'lab', server: 'back1', weight: 80 });
    const oldId = s.lab.engine.container(lbName)!.id;
    s.lab.engine.addImage('fake/haproxy:3.0');
    const env = await s.envs.get('lab');
    await s.lab.deploy({ ...env, images: { ...env.images, haproxy: 'fake/haproxy:3.0' } });
    expect(s.lab.engine.container(lbName)!.id).not.toBe(oldId);

    const applied = await s.live.setServer({ environment: 'lab', server: 'back1', weight: 60 });
    expect(applied.applied).toBe(true);
    expect(haproxy().server('back1')!.weight).toBe(60);
  });

  it('the config file in the container follows live changes, without a reload', async () => {
    await deployed();
    const pid = haproxy().pid;
    await s.live.setServer({ environment: 'lab', server: 'back2', state: 'maint' });
    // Rewritten a moment later (a burst of changes is written once).
    await until('the config names back2 disabled', async () => /server back2 .* disabled/.test(s.lab.engine.file(lbName, HAPROXY_CONFIG_FILE) ?? ''), 3000, 20);
    expect(haproxy().pid).toBe(pid);
  });
});
