import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HAPROXY_HTTPS_PORT, names } from '../../../electron/core/environments/naming';
import { refusal, startFakeServices, type FakeServices } from '../../support/fake-services';

const HTTPS = { enabled: true, domains: ['www.example.com'], email: 'ops@example.com', termsAccepted: true };

/**
 * A new environment keeps a port for HTTPS from the start, and its first deploy publishes it:
 * switching HTTPS on later is then a reload, not a new load balancer (which would hold the first
 * HTTPS answer up by seconds and stop HTTP for a moment). A kept port never costs a deploy.
 */
describe('the port an environment keeps for HTTPS', () => {
  let s: FakeServices;

  beforeEach(async () => {
    s = await startFakeServices();
  });

  afterEach(async () => {
    await s.close();
  });

  const loadBalancer = async (env: string) => (await s.lab.target.docker.listContainers({ all: true })).find((c) => c.Names.includes(`/${names.haproxy(env)}`));
  const publishedHttps = async (env: string) => (await loadBalancer(env))?.Ports.find((p) => p.PrivatePort === HAPROXY_HTTPS_PORT && p.PublicPort)?.PublicPort;

  it('is the first free one from 8443: not another environment’s, not one held on the host; given settings are kept', async () => {
    await s.create('lab');
    expect((await s.envs.get('lab')).https).toMatchObject({ enabled: false, domains: [], httpsPort: 8443 });
    s.lab.engine.state.hostPortsInUse.add(8444);
    await s.create('shop', { httpPort: 18082 });
    expect((await s.envs.get('shop')).https?.httpsPort).toBe(8445);
    await s.create('own', { httpPort: 18083, https: { ...HTTPS, enabled: false, httpsPort: 9443 } });
    expect((await s.envs.get('own')).https).toMatchObject({ enabled: false, domains: ['www.example.com'], httpsPort: 9443 });
  });

  it('is published by the first deploy, so switching HTTPS on leaves a deploy nothing to do', async () => {
    await s.create('lab');
    expect((await s.done(await s.envs.deploy('lab'))).state).toBe('succeeded');
    expect(await publishedHttps('lab')).toBe(8443);
    expect((await s.envs.status('lab')).haproxy.portsInSync).toBe(true);
    const before = (await loadBalancer('lab'))!.Id;

    await s.envs.update('lab', { https: { ...HTTPS, httpsPort: 8443 } });
    const plan = await s.envs.plan('lab');
    expect(plan.haproxy).toEqual({ name: names.haproxy('lab'), action: 'unchanged' });
    expect(plan.unchanged).toBe(true);
    expect((await s.envs.status('lab')).haproxy).toMatchObject({ configInSync: true, portsInSync: true });
    expect((await s.done(await s.envs.deploy('lab'))).state).toBe('succeeded');
    expect((await loadBalancer('lab'))!.Id).toBe(before);
  });

  it('taken on the host, is left out and fails nothing; the load balancer is not replaced to add it later; switched on, it is refused naming its field', async () => {
    await s.create('lab');
    s.lab.engine.state.hostPortsInUse.add(8443);
    const deployed = await s.done(await s.envs.deploy('lab'));
    expect(deployed.state, JSON.stringify(deployed.error)).toBe('succeeded');
    expect(await publishedHttps('lab')).toBeUndefined();
    expect((await s.envs.status('lab')).haproxy.portsInSync).toBe(true);

    s.lab.engine.state.hostPortsInUse.delete(8443);
    expect((await s.envs.plan('lab')).unchanged).toBe(true);

    // The port was the environment's already: the save keeps it, the deploy that must publish it finds it held.
    s.lab.engine.state.hostPortsInUse.add(8443);
    await s.envs.update('lab', { https: { ...HTTPS, httpsPort: 8443 } });
    const lb = (await loadBalancer('lab'))!.Id;
    const failed = await s.done(await s.envs.deploy('lab'));
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'PORT_IN_USE', field: 'https.httpsPort', reason: 'httpsProgram', params: { port: 8443 } });
    // The previous load balancer still serves.
    expect(await loadBalancer('lab')).toMatchObject({ Id: lb, State: 'running' });
  });

  it('taken between the check and the start, the load balancer is made without it', async () => {
    await s.create('lab');
    // The host says the port is free when asked, and Docker then finds it taken.
    s.lab.target.isPortFree = async () => true;
    s.lab.engine.state.hostPortsInUse.add(8443);
    const deployed = await s.done(await s.envs.deploy('lab'));
    expect(deployed.state, JSON.stringify(deployed.error)).toBe('succeeded');
    expect(await loadBalancer('lab')).toMatchObject({ State: 'running' });
    expect(await publishedHttps('lab')).toBeUndefined();
    expect((await s.envs.plan('lab')).unchanged).toBe(true);
  });

  it('is refused on update when another environment keeps it', async () => {
    await s.create('lab');
    await s.create('shop', { httpPort: 18082 });
    const err = await refusal(s.envs.update('shop', { https: { ...HTTPS, httpsPort: 8443 } }));
    expect(err).toMatchObject({ code: 'VALIDATION', field: 'https.httpsPort', reason: 'portEnvironment', params: { holder: 'lab' } });
  });
});
