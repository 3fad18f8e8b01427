import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Inspector } from '../../../electron/core/environments/inspector';
import { names } from '../../../electron/core/environments/naming';
import { FAKE_IMAGES, ME, OTHER, fakeEnvironment, startFakeLab, type FakeLab } from '../../support/fake-lab';

/** The status a user sees, read back from the (fake) engine and the (fake) runtime API. */
describe("an environment's status, against a fake engine", () => {
  let lab: FakeLab;
  const env = fakeEnvironment('lab');
  const lbName = names.haproxy('lab');
  const status = (e = env) => new Inspector(lab.target).status(e, ME);

  beforeEach(async () => {
    lab = await startFakeLab();
  });

  afterEach(async () => {
    await lab.close();
  });

  it('not-deployed: nothing on the engine', async () => {
    expect(await status()).toMatchObject({ name: 'lab', state: 'not-deployed', containers: [], servers: [], haproxy: { reachable: false } });
  });

  it('running: every server UP with its container, HAProxy reachable, config in sync', async () => {
    await lab.deploy(env);
    const s = await status();
    expect(s.state).toBe('running');
    expect(s.url).toBe('http://localhost:18080/');
    expect(s.haproxy).toEqual({ reachable: true, configInSync: true, portsInSync: true, version: '2.6.12-fake' });
    expect(s.servers).toEqual([
      { name: 'back1', health: 'UP', status: 'UP', weight: 100, container: 'sy-lab-back1' },
      { name: 'back2', health: 'UP', status: 'UP', weight: 100, container: 'sy-lab-back2' },
    ]);
    expect(s.containers.map((c) => [c.name, c.role, c.state])).toEqual(
      expect.arrayContaining([
        ['sy-lab-haproxy', 'haproxy', 'running'],
        ['sy-lab-back1', 'backend', 'running'],
        ['sy-lab-back2', 'backend', 'running'],
      ]),
    );
  });

  it('running, not partly-down, while a release switches a server (drained, in maintenance, its new container beside it)', async () => {
    await lab.deploy(env);
    lab.engine.seedContainer({
      name: 'sy-lab-back1_next',
      state: 'exited',
      labels: { 'io.switchyard.app': 'switchyard', 'io.switchyard.environment': 'lab', 'io.switchyard.role': 'backend', 'io.switchyard.server': 'back1' },
    });
    lab.engine.haproxy(lbName)!.answer('set server servers/back1 state maint');
    expect((await status()).state).toBe('running');
    // Without a release going on, the same maintenance is a fault the user did not choose.
    lab.engine.state.remove('sy-lab-back1_next', true);
    expect((await status()).state).toBe('partly-down');
  });

  it('config not in sync once the settings change without a deploy', async () => {
    await lab.deploy(env);
    expect((await status({ ...env, balance: 'leastconn' })).haproxy.configInSync).toBe(false);
  });

  it('partly-down: a backend container stopped, or a server HAProxy reports DOWN', async () => {
    await lab.deploy(env);
    lab.engine.stopContainer('sy-lab-back2');
    const s = await status();
    expect(s.state).toBe('partly-down');
    expect(s.servers.find((x) => x.name === 'back2')?.health).toBe('DOWN');

    lab.engine.state.start('sy-lab-back2');
    expect((await status()).state).toBe('running');
    lab.engine.haproxy(lbName)!.answer('set server servers/back1 health down');
    expect((await status()).state).toBe('partly-down');
  });

  it("drain and maintenance are the user's choice, not a fault: still running", async () => {
    const chosen = fakeEnvironment('lab', {
      servers: [
        { name: 'back1', kind: 'demo', state: 'drain' },
        { name: 'back2', kind: 'demo', state: 'maint' },
      ],
    });
    await lab.deploy(chosen);
    const s = await status(chosen);
    expect(s.servers.map((x) => x.health)).toEqual(['DRAIN', 'MAINT']);
    expect(s.state).toBe('running');
  });

  it('stopped: the load balancer and every backend stopped', async () => {
    await lab.deploy(env);
    for (const c of ['sy-lab-haproxy', 'sy-lab-back1', 'sy-lab-back2']) lab.engine.stopContainer(c);
    expect(await status()).toMatchObject({ state: 'stopped', haproxy: { reachable: false } });
  });

  it('failed: the load balancer stopped while backends run, or running with a runtime API that cannot be reached', async () => {
    await lab.deploy(env);
    lab.engine.stopContainer(lbName);
    expect((await status()).state).toBe('failed');

    lab.engine.state.start(lbName);
    expect((await status()).state).toBe('running');
    // Refused rather than silent: the same branch, without waiting out the client's 3 s timeout.
    lab.target.runtimeApi = 'refuses';
    const s = await status();
    expect(s.state).toBe('failed');
    expect(s.haproxy.reachable).toBe(false);
  });

  it('owned-elsewhere: names the owner and does not look into it', async () => {
    await lab.deploy(env, { as: OTHER });
    const connections = lab.target.connections.length;
    const s = await status();
    expect(s).toMatchObject({ state: 'owned-elsewhere', owner: OTHER, servers: [] });
    expect(lab.target.connections.length).toBe(connections);
  });
});

describe("what a replica's card shows of its container, against a fake engine", () => {
  let lab: FakeLab;

  beforeEach(async () => {
    lab = await startFakeLab();
  });

  afterEach(async () => {
    await lab.close();
  });

  it('when each container started and how often Docker restarted it; none for a container never started', async () => {
    const env = fakeEnvironment('lab');
    await lab.deploy(env);
    const back1 = lab.engine.container('sy-lab-back1')!;
    back1.restartCount = 2;
    lab.engine.stopContainer('sy-lab-back2');
    lab.engine.state.create('sy-lab-back3', { Image: FAKE_IMAGES.demoBase, Labels: { ...back1.labels, 'io.switchyard.server': 'back3' } });
    const s = await new Inspector(lab.target).status(env, ME);
    const of = (name: string) => s.containers.find((c) => c.name === name)!;
    expect(of('sy-lab-back1')).toMatchObject({ startedAt: back1.startedAt, restartCount: 2 });
    expect(Date.parse(of('sy-lab-back1').startedAt!)).toBeGreaterThan(Date.parse('2020-01-01'));
    expect(of('sy-lab-back2')).toMatchObject({ state: 'exited', restartCount: 0 });
    expect(of('sy-lab-back2').startedAt).toBeDefined();
    expect(of('sy-lab-back3').state).toBe('created');
    expect(of('sy-lab-back3').startedAt).toBeUndefined();
  });

  it("a replica runs its app's image by id; the card names the image", async () => {
    lab.engine.addImage('registry.example.com/team/shop:1.2');
    const env = fakeEnvironment('shop', {
      app: { source: { kind: 'image', image: 'registry.example.com/team/shop:1.2' } },
      servers: [{ name: 'back1', kind: 'app' }],
    });
    await lab.deploy(env);
    expect(lab.engine.container('sy-shop-back1')!.image).toMatch(/^sha256:/);
    const s = await new Inspector(lab.target).status(env, ME);
    expect(s.containers.find((c) => c.server === 'back1')?.image).toBe('registry.example.com/team/shop:1.2');
  });
});
