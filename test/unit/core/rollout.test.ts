/**
 * A release on one machine (Rollout), against the fake engine and the fake HAProxy of the
 * deployed environment: what the servers run and serve after a release that went through, and
 * after each way one stops half-way. The release slots behave as HAProxy 2.6's do (a slot
 * leaving maintenance reads UP until its next check), which is what real runs showed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backendCreateOptions, backendSpecs } from '../../../electron/core/environments/deployer';
import { adminPortOf, runtimeApiFor } from '../../../electron/core/environments/haproxy-container';
import { names } from '../../../electron/core/environments/naming';
import type { RuntimeApi } from '../../../electron/core/haproxy/runtime-api';
import { Rollout, RolloutStopped, settleAsides } from '../../../electron/core/releases/rollout';
import type { Environment } from '../../../shared/model';
import { RolloutPolicy, type ServerPhase } from '../../../shared/releases';
import { ME, fakeEnvironment, recordingContext, startFakeLab, type FakeLab } from '../../support/fake-lab';

const V1 = 'registry.example.com/team/shop:1';
const V2 = 'registry.example.com/team/shop:2';
const SERVERS = ['app1', 'app2'];
const POLICY = RolloutPolicy.parse({ drainTimeoutMs: 0, monitorMs: 0, graceMs: 0, healthTimeoutMs: 1000 });

describe('a release on one machine, against a fake engine and load balancer', () => {
  let lab: FakeLab;
  let env: Environment;
  let api: RuntimeApi;
  let v2: string;
  const phases: [string, ServerPhase][] = [];
  /** What a test does when the rollout reaches a phase (a container that stops, an engine that refuses). */
  let when: (server: string, phase: ServerPhase) => void;

  const lb = () => lab.engine.haproxy(names.haproxy('shop'))!;
  const container = (name: string) => lab.engine.state.findContainer(name);
  const serving = (server: string) => container(names.backend('shop', server));
  const ipOf = (name: string) => [...container(name)!.networks.values()][0].ip;
  const leftovers = () => [...lab.engine.state.containers.values()].map((c) => c.name).filter((n) => /_(next|prev)$/.test(n));
  const sent = (server: string) => lb().received.filter((c) => c.startsWith(`set server servers/${server} `));

  const rollout = () => {
    const next: Environment = { ...env, app: { ...env.app!, source: { kind: 'image', image: V2 } } };
    const specs = new Map(backendSpecs(next, undefined, v2).map((b) => [b.server, b.specHash]));
    return new Rollout(
      lab.target.docker,
      api,
      {
        env,
        servers: SERVERS,
        createOptions: (server, name) => backendCreateOptions(next, server, name, specs.get(server)!, { app: { id: v2 }, secretValues: {} }, ME),
        newPort: 80,
        oldPort: 80,
        policy: POLICY,
      },
      recordingContext(),
      (server, phase) => {
        phases.push([server, phase]);
        when(server, phase);
      },
    );
  };

  const stopped = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RolloutStopped);
    return err as RolloutStopped;
  };

  beforeEach(async () => {
    phases.length = 0;
    when = () => undefined;
    lab = await startFakeLab();
    lab.engine.addImage(V1);
    v2 = lab.engine.addImage(V2);
    env = fakeEnvironment('shop', { app: { source: { kind: 'image', image: V1 }, port: 80 }, servers: SERVERS.map((name) => ({ name, kind: 'app' as const })) });
    await lab.deploy(env);
    api = runtimeApiFor(lab.target, 'shop', (await adminPortOf(lab.target.docker.getContainer(names.haproxy('shop'))))!);
    lb().received.length = 0;
  });

  afterEach(async () => {
    await lab.close();
  });

  it('points each server at its new container under its own name, and removes the old ones', async () => {
    const before = SERVERS.map((s) => serving(s)!.id);
    await rollout().run();
    for (const [i, server] of SERVERS.entries()) {
      const now = serving(server)!;
      expect(now.id).not.toBe(before[i]);
      expect(now.imageId).toBe(v2);
      expect(lb().server(server)).toMatchObject({ admin: 'ready', address: `${ipOf(now.name)}:80` });
      expect(container(before[i])).toBeUndefined();
    }
    expect(leftovers()).toEqual([]);
    expect(phases.filter(([s]) => s === 'app1').map(([, p]) => p)).toEqual(['starting', 'healthy', 'draining', 'switched', 'new']);
  });

  it('a new container that never answers is not taken for healthy, even where its release slot passed a check before', async () => {
    // The first release leaves slot next1 with a passing check behind it.
    await rollout().run();
    lb().received.length = 0;
    const current = serving('app1')!.id;
    // The next one runs but never answers.
    lab.engine.state.answers = (c) => !c.name.endsWith('_next');
    const err = await stopped(rollout().run());
    expect(err.why).toMatchObject({ kind: 'unhealthy', server: 'app1' });
    // The server was never drained, and still runs the container it ran.
    expect(sent('app1')).toEqual([]);
    expect(serving('app1')!.id).toBe(current);
    expect(lb().server('app1')!.admin).toBe('ready');
    expect(leftovers()).toEqual([]);
  });

  it('a new container that stops after its check passed: caught before the old server is drained', async () => {
    const old = serving('app1')!.id;
    // Stops as soon as it is called healthy, before its switch.
    when = (server, phase) => server === 'app1' && phase === 'healthy' && lab.engine.state.stop(names.nextBackend('shop', 'app1'));
    const err = await stopped(rollout().run());
    expect(err.why).toMatchObject({ kind: 'exited', server: 'app1' });
    expect(sent('app1')).toEqual([]);
    expect(serving('app1')!.id).toBe(old);
    expect(leftovers()).toEqual([]);
  });

  it('a switch that fails half-way (Docker refuses to rename the new container): the old container serves again under its name, ready, at its address', async () => {
    const old = serving('app1')!;
    when = (server, phase) => {
      if (server !== 'app1' || phase !== 'draining') return;
      // The new container's process exits; Docker then refuses its rename, as a real engine does.
      const next = container(names.nextBackend('shop', 'app1'))!;
      lab.engine.fail('POST', new RegExp(`/containers/${next.id}/rename`), 404, `no such container - sandbox ${'e'.repeat(64)} not found`);
      lab.engine.state.stop(next.id);
    };
    const err = await stopped(rollout().run());
    expect(err.why).toMatchObject({ kind: 'exited', server: 'app1' });
    expect(serving('app1')!.id).toBe(old.id);
    expect(serving('app1')!.state).toBe('running');
    expect(lb().server('app1')).toMatchObject({ admin: 'ready', address: `${ipOf(old.name)}:80` });
    expect(leftovers()).toEqual([]);
    expect(lb().http().status).toBe(200);
  });

  it("the next server's new container starts and passes its check while the one before it drains and switches", async () => {
    await rollout().run();
    const at = (server: string, phase: ServerPhase) => phases.findIndex(([s, p]) => s === server && p === phase);
    expect(at('app2', 'starting')).toBeGreaterThan(-1);
    expect(at('app2', 'starting')).toBeLessThan(at('app1', 'switched'));
    expect(at('app2', 'draining')).toBeGreaterThan(at('app1', 'new'));
    // Two sets of release slots: the two servers were never probed in the same one.
    const slotOf = (server: string) => lb().received.find((c) => c.startsWith('set server releases/next') && c.includes(` addr ${ipOf(names.backend('shop', server))} `));
    expect(slotOf('app1')).toMatch(/releases\/next1 /);
    expect(slotOf('app2')).toMatch(/releases\/next2 /);
  });

  it('a next server that fails its check while the one before it switched: both serve their old containers again', async () => {
    const old = SERVERS.map((s) => serving(s)!);
    lab.engine.state.answers = (c) => c.name !== names.nextBackend('shop', 'app2');
    const err = await stopped(rollout().run());
    expect(err.why).toMatchObject({ kind: 'unhealthy', server: 'app2' });
    for (const [i, server] of SERVERS.entries()) expect(serving(server)!.id).toBe(old[i].id);
    // app1 went through its switch and came back; app2 was never touched.
    expect(lb().server('app1')).toMatchObject({ admin: 'ready', address: `${ipOf(old[0].name)}:80` });
    expect(sent('app1').length).toBeGreaterThan(0);
    expect(sent('app2')).toEqual([]);
    expect(lb().server('app2')!.admin).toBe('ready');
    expect(leftovers()).toEqual([]);
    expect(lb().http().status).toBe(200);
  });

  it('what a rollout stopped hard left is settled: an old container aside serves again, a new one is removed', async () => {
    const old = serving('app1')!;
    lab.engine.state.rename(old.id, names.prevBackend('shop', 'app1'));
    lab.engine.state.create(names.nextBackend('shop', 'app1'), { Image: v2 });
    // app2: both its container and one aside (the aside one goes).
    const aside = lab.engine.state.create(names.prevBackend('shop', 'app2'), { Image: v2 });
    for (const server of SERVERS) await settleAsides(lab.target.docker, 'shop', server);
    expect(serving('app1')!.id).toBe(old.id);
    expect(container(aside.id)).toBeUndefined();
    expect(serving('app2')).toBeDefined();
    expect(leftovers()).toEqual([]);
  });
});
