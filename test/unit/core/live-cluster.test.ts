/**
 * Server toggles on a cluster environment: a slot (web3, one task) is set on its own in HAProxy
 * and never saved; the server (web) sets every slot and is saved in the model. Against the real
 * environment and live services on a store in a temporary folder, and a load balancer that is a
 * FakeHaproxy running the config render.ts makes (its server-template slots).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { names } from '../../../electron/core/environments/naming';
import { startFakeLoadBalancer } from '../../support/fake-cluster-lab';
import type { FakeHaproxy } from '../../support/fake-haproxy';
import { refusal, startFakeServices, type FakeServices } from '../../support/fake-services';

describe('live server changes on a cluster environment', () => {
  let s: FakeServices;
  let haproxy: FakeHaproxy;
  const setCommands = () => haproxy.received.filter((c) => c.startsWith('set server'));
  const admin = () => Object.fromEntries(haproxy.servers.map((x) => [x.name, x.admin]));

  beforeEach(async () => {
    s = await startFakeServices();
    await s.create('shop', { servers: [{ name: 'web', kind: 'demo' }], cluster: { replicas: 2, slots: 4 } });
  });

  afterEach(async () => {
    await s.close();
  });

  const deployed = async () => {
    await startFakeLoadBalancer(s.lab.engine, s.lab.target, await s.envs.get('shop'));
    haproxy = s.lab.engine.haproxy(names.haproxy('shop'))!;
    haproxy.resolve('web1', '10.0.1.11');
    haproxy.resolve('web2', '10.0.1.12');
    haproxy.received.length = 0;
  };

  it('a slot (web3) is set on its own through the runtime API, and nothing is saved', async () => {
    await deployed();
    const before = await s.envs.get('shop');
    const applied = await s.live.setServer({ environment: 'shop', server: 'web3', state: 'maint' });
    expect(applied).toEqual({ environment: 'shop', server: 'web3', state: 'maint', weight: 100, applied: true });
    expect(setCommands()).toEqual(['set server servers/web3 state maint']);
    expect(admin()).toEqual({ web1: 'ready', web2: 'ready', web3: 'maint', web4: 'ready' });

    await s.live.setServer({ environment: 'shop', server: 'web2', weight: 10 });
    expect(setCommands()).toEqual(['set server servers/web3 state maint', 'set server servers/web2 weight 10']);
    expect(haproxy.servers.map((x) => x.weight)).toEqual([100, 10, 100, 100]);
    expect(await s.envs.get('shop')).toEqual(before);
    expect((await s.store.read()).environments.find((e) => e.name === 'shop')).toEqual(before);
  });

  it('the server (web) sets every slot, and is saved in the model', async () => {
    await deployed();
    const applied = await s.live.setServer({ environment: 'shop', server: 'web', state: 'drain', weight: 50 });
    expect(applied).toEqual({ environment: 'shop', server: 'web', state: 'drain', weight: 50, applied: true });
    expect(setCommands()).toEqual([1, 2, 3, 4].flatMap((n) => [`set server servers/web${n} weight 50`, `set server servers/web${n} state drain`]));
    expect(admin()).toEqual({ web1: 'drain', web2: 'drain', web3: 'drain', web4: 'drain' });
    expect((await s.envs.get('shop')).servers).toEqual([{ name: 'web', kind: 'demo', state: 'drain', weight: 50 }]);
  });

  it.each(['web5', 'web0', 'web01', 'webx', 'we'])('%s is no slot of 4: NOT_FOUND, and HAProxy is not asked', async (name) => {
    await deployed();
    const before = await s.envs.get('shop');
    const err = await refusal(s.live.setServer({ environment: 'shop', server: name, state: 'maint' }));
    expect(err?.code).toBe('NOT_FOUND');
    expect(err?.field).toBe('server');
    expect(haproxy.received).toEqual([]);
    expect(await s.envs.get('shop')).toEqual(before);
  });

  it('a slot without a load balancer running: NOT_DEPLOYED, nothing saved', async () => {
    const before = await s.envs.get('shop');
    const err = await refusal(s.live.setServer({ environment: 'shop', server: 'web2', state: 'maint' }));
    expect(err?.code).toBe('NOT_DEPLOYED');
    expect(err?.field).toBe('server');
    expect(await s.envs.get('shop')).toEqual(before);
  });
});
