import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderConfig } from '../../../electron/core/haproxy/render';
import { currentFacts } from '../../../electron/core/environments/network-facts';
import { EDGE_NETWORK, HAPROXY_CONFIG_FILE, HAPROXY_DEED, LABEL_INSTALLATION, LABEL_ROLE, names } from '../../../electron/core/environments/naming';
import type { Environment } from '../../../shared/model';
import type { SwitchyardError } from '../../../shared/errors';
import { ME, fakeEnvironment, startFakeLab, type FakeLab } from '../../support/fake-lab';

/**
 * What a deploy does to an engine, against the fake engine: the plan (what is created, kept,
 * reloaded or replaced) and its order. Real HAProxy and real containers: test/integration.
 */
describe('the deployer, against a fake engine', () => {
  let lab: FakeLab;
  const lbName = names.haproxy('lab');
  const history = () => lab.engine.state.history;
  /** What changed since `mark`, leaving out the engine-side lock, which every deploy takes and lets go. */
  const changesSince = (mark: number) =>
    history()
      .slice(mark)
      .filter((h) => !h.includes(names.lock('lab')));
  const rendered = async (env: Environment) => renderConfig(env, (await currentFacts(lab.target.docker, env.name))!);
  const idOf = (name: string) => lab.engine.container(name)?.id;

  beforeEach(async () => {
    lab = await startFakeLab();
  });

  afterEach(async () => {
    await lab.close();
  });

  it('a first deploy creates the network and volume, then the backends, then starts the load balancer, and writes the deed', async () => {
    const env = fakeEnvironment('lab');
    const ctx = await lab.deploy(env);

    expect(ctx.steps).toEqual(['images', 'ports', 'network', 'config', 'backends', 'haproxy', 'cleanup', 'verify']);
    expect(lab.engine.snapshot()).toMatchObject({ networks: ['sy-edge', 'sy-lab-backends'], volumes: ['sy-lab-haproxy-state'] });
    expect(lab.engine.snapshot().containers.map((c) => [c.name, c.state])).toEqual([
      ['sy-lab-back1', 'running'],
      ['sy-lab-back2', 'running'],
      ['sy-lab-haproxy', 'running'],
    ]);
    const at = (entry: string) => {
      const i = history().indexOf(entry);
      expect(i, entry).toBeGreaterThanOrEqual(0);
      return i;
    };
    const firstContainer = Math.min(at('create container sy-lab-back1'), at('create container sy-lab-back2'), at(`create container ${lbName}`));
    expect(Math.max(at('create network sy-lab-backends'), at('create volume sy-lab-haproxy-state'))).toBeLessThan(firstContainer);
    // Started once its backends run, so their names resolve from its first second.
    expect(at(`start ${lbName}`)).toBeGreaterThan(Math.max(at('start sy-lab-back1'), at('start sy-lab-back2')));
    // Its config is in place before it starts.
    expect(at(`write ${lbName}:${HAPROXY_CONFIG_FILE}`)).toBeLessThan(at(`start ${lbName}`));
    // Made on the backends' network; it joins the edge network (publishing its ports) once running.
    expect(at(`connect ${lbName} ${EDGE_NETWORK}`)).toBeGreaterThan(at(`start ${lbName}`));
    expect(history().filter((h) => h.startsWith(`connect ${lbName} `))).toEqual([`connect ${lbName} ${EDGE_NETWORK}`]);

    expect(lab.engine.file(lbName, HAPROXY_CONFIG_FILE)).toBe(await rendered(env));
    const deed = JSON.parse(lab.engine.file(lbName, HAPROXY_DEED)!);
    expect(deed).toMatchObject({ installation: ME.installation, by: ME.by, environment: 'lab', model: { name: 'lab' } });
    // The deed is in the state volume: it outlives the load balancer's container.
    expect(lab.engine.state.volume('sy-lab-haproxy-state').files.has('owner.json')).toBe(true);

    // Everything it made says who made it; the lock it held is gone.
    for (const c of lab.engine.state.containers.values()) expect(c.labels[LABEL_INSTALLATION], c.name).toBe(ME.installation);
    expect(lab.engine.container(names.lock('lab'))).toBeUndefined();
    expect(history()).toContain(`remove container ${names.lock('lab')}`);

    // HAProxy was told each server's state from the model, and the front end answered.
    expect(lab.engine.haproxy(lbName)!.received).toEqual(expect.arrayContaining(['set server servers/back1 state ready', 'set server servers/back2 state ready']));
    expect(lab.target.connections).toContain(18080);
  });

  it('publishes the runtime API on the host loopback only, and puts the load balancer on both networks', async () => {
    await lab.deploy(fakeEnvironment('lab'));
    const lb = lab.engine.container(lbName)!;
    const admin = lb.published.find((p) => p.privatePort === 9999)!;
    expect(admin.hostIp).toBe('127.0.0.1');
    expect(lb.published.find((p) => p.privatePort === 8080)).toMatchObject({ hostPort: 18080 });
    const nets = [...lb.networks.keys()].map((id) => lab.engine.state.networks.get(id)!.name).sort();
    expect(nets).toEqual(['sy-edge', 'sy-lab-backends']);
    expect(lab.engine.state.network('sy-lab-backends').internal).toBe(true);
  });

  it('a second deploy changes nothing', async () => {
    const env = fakeEnvironment('lab');
    await lab.deploy(env);
    const before = lab.engine.snapshot();
    const pid = lab.engine.haproxy(lbName)!.pid;
    const mark = history().length;

    await lab.deploy(env);

    expect(lab.engine.snapshot()).toEqual(before);
    expect(lab.engine.haproxy(lbName)!.pid).toBe(pid);
    // Only the deed is written again (it keeps the settings an adopter would start from).
    expect(changesSince(mark)).toEqual([`write ${lbName}:/var/lib/haproxy/owner.json`]);
  });

  it('a config change is checked with haproxy -c in the running load balancer, then reloaded in place', async () => {
    const env = fakeEnvironment('lab');
    await lab.deploy(env);
    const before = lab.engine.snapshot();
    const pid = lab.engine.haproxy(lbName)!.pid;
    const mark = history().length;

    const changed = { ...env, balance: 'leastconn' as const };
    await lab.deploy(changed);

    expect(lab.engine.snapshot()).toEqual(before);
    expect(lab.engine.haproxy(lbName)!.pid).not.toBe(pid);
    expect(lab.engine.file(lbName, HAPROXY_CONFIG_FILE)).toBe(await rendered(changed));
    expect(changesSince(mark)).toEqual([
      `write ${lbName}:/usr/local/etc/haproxy/haproxy.cfg.next`,
      `exec ${lbName} haproxy -c -f /usr/local/etc/haproxy/haproxy.cfg.next`,
      // Live states (drain, maint, weights) are saved where the new worker loads them.
      `write ${lbName}:/var/lib/haproxy/server-state`,
      `write ${lbName}:${HAPROXY_CONFIG_FILE}`,
      `kill ${lbName} USR2`,
      `write ${lbName}:/var/lib/haproxy/owner.json`,
    ]);
  });

  it('a new image replaces the load balancer beside the old one; the backends and the deed stay', async () => {
    const env = fakeEnvironment('lab');
    await lab.deploy(env);
    const [oldLb, back1, back2] = [idOf(lbName), idOf('sy-lab-back1'), idOf('sy-lab-back2')];
    lab.engine.haproxy(lbName)!.answer('set server servers/back2 state drain');
    lab.engine.addImage('fake/haproxy:3.0');
    const mark = history().length;

    await lab.deploy({ ...env, images: { ...env.images, haproxy: 'fake/haproxy:3.0' } });

    const lb = lab.engine.container(lbName)!;
    expect(lb.id).not.toBe(oldLb);
    expect(lb.image).toBe('fake/haproxy:3.0');
    expect([idOf('sy-lab-back1'), idOf('sy-lab-back2')]).toEqual([back1, back2]);
    expect(lab.engine.state.findContainer(oldLb!)).toBeUndefined();
    const changes = changesSince(mark);
    // The config is checked in a throwaway container of the new image first, which is removed.
    const check = changes.find((c) => c.startsWith('create container fake_'))!;
    expect(changes.indexOf(check)).toBeLessThan(changes.indexOf(`create container ${lbName}-next`));
    expect(changes).toContain(`remove container ${check.slice('create container '.length)}`);
    // Same host port: the new one runs first; the old one steps aside only for the moment the new
    // one joins the edge network, where its ports are published.
    expect(changes.indexOf(`start ${lbName}-next`)).toBeLessThan(changes.indexOf(`stop ${lbName}`));
    expect(changes.slice(changes.indexOf(`stop ${lbName}`))).toEqual(
      expect.arrayContaining([`connect ${lbName}-next ${EDGE_NETWORK}`, `remove container ${lbName}`, `rename ${lbName}-next ${lbName}`]),
    );
    // The new process loaded the old one's live states from the shared volume.
    expect(changes.indexOf(`write ${lbName}:/var/lib/haproxy/server-state`)).toBeLessThan(changes.indexOf(`create container ${lbName}-next`));
    expect(JSON.parse(lab.engine.file(lbName, HAPROXY_DEED)!).installation).toBe(ME.installation);
    expect(lab.engine.container(`${lbName}-next`)).toBeUndefined();
  });

  it('with a server outside Docker, the load balancer is on the edge network from its start, and a replacement takes the port with its start', async () => {
    const servers = [
      { name: 'back1', kind: 'demo' as const },
      { name: 'ext', kind: 'external' as const, address: 'api.example.test', port: 8080 },
    ];
    const env = fakeEnvironment('lab', { servers });
    await lab.deploy(env);
    const at = (entry: string) => history().indexOf(entry);
    // Joined while created: it reaches (and resolves) the outside server from its first second.
    expect(at(`connect ${lbName} ${EDGE_NETWORK}`)).toBeGreaterThan(-1);
    expect(at(`connect ${lbName} ${EDGE_NETWORK}`)).toBeLessThan(at(`start ${lbName}`));
    expect(lab.engine.container(lbName)!.published.find((p) => p.privatePort === 8080)).toMatchObject({ hostPort: 18080 });

    lab.engine.addImage('fake/haproxy:3.0');
    const mark = history().length;
    await lab.deploy({ ...env, images: { ...env.images, haproxy: 'fake/haproxy:3.0' } });
    const changes = changesSince(mark);
    // Its start publishes the port the old one holds: the old one steps aside just before it.
    expect(changes.indexOf(`connect ${lbName}-next ${EDGE_NETWORK}`)).toBeLessThan(changes.indexOf(`stop ${lbName}`));
    expect(changes.indexOf(`stop ${lbName}`)).toBeLessThan(changes.indexOf(`start ${lbName}-next`));
    expect(lab.engine.container(lbName)).toMatchObject({ image: 'fake/haproxy:3.0', state: 'running' });
    expect(lab.engine.container(lbName)!.published.find((p) => p.privatePort === 8080)).toMatchObject({ hostPort: 18080 });
  });

  it('a new port starts the new load balancer while the old one still serves', async () => {
    const env = fakeEnvironment('lab');
    await lab.deploy(env);
    const mark = history().length;

    await lab.deploy({ ...env, httpPort: 18081 });

    const changes = changesSince(mark);
    expect(changes).not.toContain(`stop ${lbName}`);
    expect(changes.indexOf(`start ${lbName}-next`)).toBeLessThan(changes.indexOf(`remove container ${lbName}`));
    expect(lab.engine.container(lbName)!.published.find((p) => p.privatePort === 8080)!.hostPort).toBe(18081);
    expect(lab.engine.state.listener(18080)).toBeUndefined();
  });

  it('a stopped load balancer is started again; with a changed config, after the config is checked', async () => {
    const env = fakeEnvironment('lab');
    await lab.deploy(env);
    const id = idOf(lbName);

    lab.engine.stopContainer(lbName);
    await lab.deploy(env);
    expect(lab.engine.container(lbName)).toMatchObject({ id, state: 'running' });

    lab.engine.stopContainer(lbName);
    const mark = history().length;
    const changed = { ...env, balance: 'first' as const };
    await lab.deploy(changed);
    const changes = changesSince(mark);
    expect(lab.engine.container(lbName)).toMatchObject({ id, state: 'running' });
    expect(changes.findIndex((c) => c.startsWith('create container fake_'))).toBeLessThan(changes.indexOf(`start ${lbName}`));
    expect(lab.engine.haproxy(lbName)!.config).toBe(await rendered(changed));
  });

  it('adds and removes backends, leaving the others alone', async () => {
    const env = fakeEnvironment('lab');
    await lab.deploy(env);
    const back1 = idOf('sy-lab-back1');
    const mark = history().length;

    await lab.deploy({ ...env, servers: [env.servers[0], { name: 'back3', kind: 'demo', weight: 100, state: 'ready' }] });

    expect(lab.engine.snapshot().containers.map((c) => c.name)).toEqual(['sy-lab-back1', 'sy-lab-back3', 'sy-lab-haproxy']);
    expect(idOf('sy-lab-back1')).toBe(back1);
    const changes = changesSince(mark);
    // The config that no longer names back2 is live before its container goes.
    expect(changes.indexOf(`kill ${lbName} USR2`)).toBeLessThan(changes.indexOf('remove container sy-lab-back2'));
    expect(changes.indexOf('start sy-lab-back3')).toBeLessThan(changes.indexOf(`kill ${lbName} USR2`));
    expect(lab.engine.haproxy(lbName)!.servers.map((s) => s.name)).toEqual(['back1', 'back3']);
  });

  it('starts a backend that was stopped outside Switchyard, and recreates one whose image changed', async () => {
    const env = fakeEnvironment('lab');
    await lab.deploy(env);
    const [back1, back2] = [idOf('sy-lab-back1'), idOf('sy-lab-back2')];
    lab.engine.stopContainer('sy-lab-back1');
    await lab.deploy(env);
    expect(lab.engine.container('sy-lab-back1')).toMatchObject({ id: back1, state: 'running' });

    lab.engine.addImage('fake/busybox:1.36');
    await lab.deploy({ ...env, images: { ...env.images, demoBase: 'fake/busybox:1.36' } });
    expect(idOf('sy-lab-back1')).not.toBe(back1);
    expect(idOf('sy-lab-back2')).not.toBe(back2);
    expect(lab.engine.container('sy-lab-back1')!.image).not.toBe(lab.engine.snapshot().containers.find((c) => c.name === lbName)!.image);
    expect([...lab.engine.state.containers.values()].filter((c) => c.labels[LABEL_ROLE] === 'backend').every((c) => c.state === 'running')).toBe(true);
  });

  it('builds the demo image once, from the base the environment names, and pulls a HAProxy image that is missing', async () => {
    lab.engine.state.registry.add('fake/haproxy:2.9');
    const env = fakeEnvironment('lab', { images: { haproxy: 'fake/haproxy:2.9', demoBase: 'fake/busybox:1.35' } });
    await lab.deploy(env);
    await lab.deploy(env);
    expect(lab.engine.calls('POST', /^\/build$/)).toHaveLength(1);
    expect(lab.engine.calls('POST', /^\/images\/create$/).map((r) => `${r.query.get('fromImage')}:${r.query.get('tag')}`)).toEqual(['fake/haproxy:2.9']);
    expect(lab.engine.container(lbName)!.image).toBe('fake/haproxy:2.9');
  });

  it('a deploy whose app replicas never pass their health check fails, naming the checks and the app’s last lines', async () => {
    lab.engine.addImage('registry.example.com/team/shop:1');
    const env = fakeEnvironment('shop', {
      app: { source: { kind: 'image', image: 'registry.example.com/team/shop:1' } },
      servers: [
        { name: 'app1', kind: 'app' },
        { name: 'app2', kind: 'app' },
      ],
    });
    lab.engine.state.answers = (c) => !c.name.startsWith('sy-shop-app');
    const err = await lab.deploy(env).then(
      () => undefined,
      (e: unknown) => e as SwitchyardError,
    );
    expect(err?.code).toBe('APP_TEST_FAILED');
    expect(err?.reason).toBe('deployUnhealthy');
    expect(err?.message).toMatch(/^Deployed, but no replica of the app in shop passed its health check within 1 s \(app1: L4CON, app2: L4CON\)/);
    // Deployed all the same, to be fixed: the load balancer and both replicas are there.
    expect(lab.engine.snapshot().containers.map((c) => c.name)).toEqual(['sy-shop-app1', 'sy-shop-app2', 'sy-shop-haproxy']);
    // Once the app answers, the same deploy goes through (nothing to change, nothing to wait for).
    lab.engine.state.answers = () => true;
    const ctx = await lab.deploy(env);
    expect(ctx.steps).not.toContain('health');
  });

  it('a deploy that starts app replicas waits for one to pass its check', async () => {
    lab.engine.addImage('registry.example.com/team/shop:1');
    const env = fakeEnvironment('shop', { app: { source: { kind: 'image', image: 'registry.example.com/team/shop:1' } }, servers: [{ name: 'app1', kind: 'app' }] });
    const ctx = await lab.deploy(env);
    expect(ctx.steps.at(-1)).toBe('health');
  });
});
