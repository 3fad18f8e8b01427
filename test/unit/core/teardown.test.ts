import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireHostLock } from '../../../electron/core/environments/host-lock';
import { LABEL_ENV, names } from '../../../electron/core/environments/naming';
import { destroyEnvironment } from '../../../electron/core/environments/teardown';
import { FAKE_IMAGES, ME, OTHER, fakeEnvironment, recordingContext, startFakeLab, type FakeLab } from '../../support/fake-lab';
import { refusal } from '../../support/outcomes';
import { applyBackendService, backendServiceSpec, backendSpecHash } from '../../../electron/core/clusters/swarm-backend';
import { clusterEnvironment, startFakeClusterLab, type FakeClusterLab } from '../../support/fake-cluster-lab';

/** Destroy removes what is labelled for one environment, and nothing else on a shared engine. */
describe('destroying an environment, against a fake engine', () => {
  let lab: FakeLab;
  const destroy = (env: string, me = ME) => destroyEnvironment(lab.target.docker, env, recordingContext(), me);

  beforeEach(async () => {
    lab = await startFakeLab();
    await lab.deploy(fakeEnvironment('gone'));
    await lab.deploy(fakeEnvironment('kept', { httpPort: 18081, servers: [{ name: 'solo', kind: 'demo' }] }));
    // Things of other tools on the same engine, one of them named like ours.
    lab.engine.seedContainer({ name: 'sy-gone-lookalike', state: 'running' });
    lab.engine.state.createNetwork('someone-elses-net', {});
    lab.engine.state.createVolume('sy-gone-data', { [`${LABEL_ENV}x`]: 'gone' });
  });

  afterEach(async () => {
    await lab.close();
  });

  it('removes the containers, then the networks, then the volumes labelled for it, and nothing else', async () => {
    const ctx = recordingContext();
    const kept = lab.engine.snapshot();
    await destroyEnvironment(lab.target.docker, 'gone', ctx, ME);

    expect(ctx.steps).toEqual(['containers', 'networks', 'volumes']);
    const after = lab.engine.snapshot();
    expect(after.containers.map((c) => c.name)).toEqual(['sy-gone-lookalike', 'sy-kept-haproxy', 'sy-kept-solo']);
    expect(after.containers).toEqual(kept.containers.filter((c) => !['sy-gone-back1', 'sy-gone-back2', 'sy-gone-haproxy'].includes(c.name)));
    // The shared edge network stays: the other environment's load balancer is on it.
    expect(after.networks).toEqual(['someone-elses-net', 'sy-edge', 'sy-kept-backends']);
    expect(after.volumes).toEqual(['sy-gone-data', 'sy-kept-haproxy-state']);
    const removed = lab.engine.state.history.filter((h) => h.startsWith('remove') && !h.includes('lock'));
    const lastContainer = Math.max(...removed.map((h, i) => (h.startsWith('remove container') ? i : -1)));
    expect(removed.findIndex((h) => h.startsWith('remove network'))).toBeGreaterThan(lastContainer);
    expect(removed.at(-1)).toBe('remove volume sy-gone-haproxy-state');
  });

  it('holds the engine-side lock while it works, and lets it go', async () => {
    await destroy('gone');
    const h = lab.engine.state.history;
    expect(h.indexOf(`create container ${names.lock('gone')}`)).toBeLessThan(h.indexOf('remove container sy-gone-haproxy'));
    expect(lab.engine.container(names.lock('gone'))).toBeUndefined();
  });

  it("refuses another installation's environment with OWNED_ELSEWHERE and removes nothing", async () => {
    const before = lab.engine.snapshot();
    const err = await refusal(destroy('gone', OTHER));
    expect(err?.code).toBe('OWNED_ELSEWHERE');
    expect(lab.engine.snapshot()).toEqual(before);
  });

  it("refuses with BUSY while another installation holds the environment's lock", async () => {
    await acquireHostLock(lab.target.docker, 'gone', OTHER, FAKE_IMAGES.haproxy);
    const before = lab.engine.snapshot();
    const err = await refusal(destroy('gone'));
    expect(err?.code).toBe('BUSY');
    expect(lab.engine.snapshot()).toEqual(before);
  });

  it('a container removed by someone else meanwhile is no error', async () => {
    const held = lab.engine.hold('DELETE', /^\/containers\/sy-gone-back1$/);
    const done = destroy('gone');
    await held.reached;
    lab.engine.state.remove('sy-gone-back1', true);
    held.release();
    await done;
    expect(lab.engine.snapshot().containers.map((c) => c.name)).toEqual(['sy-gone-lookalike', 'sy-kept-haproxy', 'sy-kept-solo']);
  });

  it('an environment with nothing left is destroyed again without taking a lock or changing anything', async () => {
    await destroy('gone');
    const mark = lab.engine.state.history.length;
    await destroy('gone');
    expect(lab.engine.state.history.slice(mark)).toEqual([]);
  });
});

describe('destroying an environment on a cluster, against a fake swarm', () => {
  let lab: FakeClusterLab;
  const env = clusterEnvironment('shop');
  const image = { ref: 'sy-shop-release:1', id: `sha256:${'1'.repeat(64)}` };
  const serviceOf = (who: typeof ME) => backendServiceSpec(env, image, {}, backendSpecHash(env, image, []), who);

  beforeEach(async () => {
    lab = await startFakeClusterLab();
  });

  afterEach(async () => {
    await lab.close();
  });

  it("refuses when the manager's service is another installation's (the load balancer may be elsewhere), removing nothing", async () => {
    await applyBackendService(lab.docker, serviceOf(OTHER));
    const err = await refusal(destroyEnvironment(lab.target.docker, 'shop', recordingContext(), ME, lab.docker));
    expect(err?.code).toBe('OWNED_ELSEWHERE');
    expect([...lab.swarm.services.values()].map((x) => x.Spec.Name)).toEqual(['sy-shop-web']);
  });

  it('removes its own service on the manager', async () => {
    await applyBackendService(lab.docker, serviceOf(ME));
    await destroyEnvironment(lab.target.docker, 'shop', recordingContext(), ME, lab.docker);
    expect([...lab.swarm.services.values()]).toEqual([]);
  });
});
