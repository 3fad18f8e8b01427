import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { names } from '../../../electron/core/environments/naming';
import { fakeEnvironment } from '../../support/fake-lab';
import { refusal, startFakeServices, type FakeServices } from '../../support/fake-services';

const HTTPS = { enabled: true, domains: ['www.example.com'], email: 'ops@example.com', termsAccepted: true };

/**
 * A port is checked when the settings are saved, not at the first deploy: the refusal names the
 * field and who holds the port, and nothing is saved. A saved port change is then something a
 * deploy does (the load balancer is recreated), even though haproxy.cfg stays the same.
 */
describe('ports, checked when an environment is saved', () => {
  let s: FakeServices;

  beforeEach(async () => {
    s = await startFakeServices();
    await s.create('lab');
  });

  afterEach(async () => {
    await s.close();
  });

  it('a port another environment on the same host claims is refused on its field, naming that environment', async () => {
    const err = await refusal(s.create('shop', { httpPort: 18080 }));
    expect(err).toMatchObject({ code: 'VALIDATION', field: 'httpPort', reason: 'portEnvironment', params: { port: 18080, holder: 'lab' } });
    expect(err?.message).toBe('Port 18080 is already used by the environment "lab" on the same host: choose another port');
    expect((await s.envs.list()).map((e) => e.name)).toEqual(['lab']);
  });

  it('a port another program on the host listens on is refused at once, before the first deploy', async () => {
    s.lab.engine.state.hostPortsInUse.add(18090);
    const err = await refusal(s.create('shop', { httpPort: 18090 }));
    expect(err).toMatchObject({ code: 'VALIDATION', field: 'httpPort', reason: 'portProgram', params: { port: 18090 } });
    expect((await s.envs.list()).map((e) => e.name)).toEqual(['lab']);
  });

  it('a port a container on the host publishes is refused, naming the container', async () => {
    // Deployed straight on the engine, unknown to this store: another tool's, or another data folder's.
    await s.lab.deploy(fakeEnvironment('other', { httpPort: 18095 }));
    const err = await refusal(s.create('shop', { httpPort: 18095 }));
    expect(err).toMatchObject({ code: 'VALIDATION', field: 'httpPort', reason: 'portContainer', params: { port: 18095, holder: names.haproxy('other') } });
  });

  it('an edit to a taken port is refused and changes nothing; other edits of a deployed environment save as before', async () => {
    expect((await s.done(await s.envs.deploy('lab'))).state).toBe('succeeded');
    s.lab.engine.state.hostPortsInUse.add(18091);
    const before = await s.envs.get('lab');
    expect(await refusal(s.envs.update('lab', { httpPort: 18091 }))).toMatchObject({ code: 'VALIDATION', field: 'httpPort', reason: 'portProgram' });
    expect(await s.envs.get('lab')).toEqual(before);
    // Its own load balancer holds 18080: that is no reason to refuse another change.
    expect((await s.envs.update('lab', { balance: 'leastconn' })).balance).toBe('leastconn');
  });

  it('the HTTPS port is checked too: not the HTTP port again, not another environment’s', async () => {
    expect(await refusal(s.envs.update('lab', { https: { ...HTTPS, httpsPort: 18080 } }))).toMatchObject({
      code: 'VALIDATION',
      field: 'https.httpsPort',
      reason: 'portTwice',
    });
    await s.create('shop', { httpPort: 18082 });
    expect(await refusal(s.envs.update('shop', { https: { ...HTTPS, httpsPort: 18080 } }))).toMatchObject({
      code: 'VALIDATION',
      field: 'https.httpsPort',
      reason: 'portEnvironment',
      params: { holder: 'lab' },
    });
  });

  it('a new port is a change to deploy: the plan recreates the load balancer for it, and the status says what runs differs', async () => {
    expect((await s.done(await s.envs.deploy('lab'))).state).toBe('succeeded');
    await s.envs.update('lab', { httpPort: 18081 });

    const status = await s.envs.status('lab');
    expect(status.haproxy).toMatchObject({ configInSync: true, portsInSync: false });
    // Its address is where it still answers.
    expect(status.url).toMatch(/:18080\/$/);
    const plan = await s.envs.plan('lab');
    expect(plan.unchanged).toBe(false);
    expect(plan.haproxy).toEqual({ name: names.haproxy('lab'), action: 'recreate', ports: [{ kind: 'http', from: 18080, to: 18081 }] });
    // haproxy.cfg is the same: the port is Docker's, not HAProxy's.
    expect(plan.config.running).toBe(plan.config.next);

    expect((await s.done(await s.envs.deploy('lab'))).state).toBe('succeeded');
    expect((await s.envs.status('lab')).haproxy.portsInSync).toBe(true);
    expect((await s.envs.plan('lab')).unchanged).toBe(true);
  });
});
