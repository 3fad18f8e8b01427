import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_BASE_IMAGE, DEFAULT_HAPROXY_IMAGE } from '../../../shared/model';
import { localImages } from '../../../electron/core/environments/images';
import { OTHER } from '../../support/fake-lab';
import { refusal, startFakeServices, type FakeServices } from '../../support/fake-services';

/**
 * The one-click lab: the tutorial's settings, on a name and a port that are free here and on the
 * host, so that its deploy does not stumble on either; against the fake engine.
 */
describe('the one-click lab', () => {
  let s: FakeServices;

  beforeEach(async () => {
    s = await startFakeServices();
  });

  afterEach(async () => {
    await s.close();
  });

  it('is the tutorial lab named lab on port 8080 when both are free', async () => {
    const env = await s.envs.createLab();
    expect(env).toMatchObject({
      name: 'lab',
      host: 'local',
      httpPort: 8080,
      balance: 'roundrobin',
      redispatch: true,
      sticky: { enabled: true },
      images: { haproxy: DEFAULT_HAPROXY_IMAGE, demoBase: DEFAULT_DEMO_BASE_IMAGE },
      servers: [
        { name: 'back1', kind: 'demo' },
        { name: 'back2', kind: 'demo' },
      ],
    });
    expect((await s.envs.list()).map((e) => e.name)).toEqual(['lab']);
  });

  it('skips a name used here or by another installation on the host, a port another environment claims, and ports held on the host', async () => {
    await s.create('lab', { httpPort: 8080 });
    // Another Switchyard's lab-2 on the same engine.
    s.lab.engine.seedContainer({ name: 'sy-lab-2-haproxy', labels: { 'io.switchyard.environment': 'lab-2', 'io.switchyard.installation': OTHER.installation } });
    // 8081 held by a container, 8082 by another program.
    s.lab.engine.seedContainer({ name: 'web', ports: { 80: 8081 }, state: 'running' });
    s.lab.engine.state.hostPortsInUse.add(8082);
    const env = await s.envs.createLab();
    expect([env.name, env.httpPort]).toEqual(['lab-3', 8083]);
  });

  it('with every port of its range taken, says so on the port, and creates nothing', async () => {
    for (let p = 8080; p <= 8179; p++) s.lab.engine.state.hostPortsInUse.add(p);
    const err = await refusal(s.envs.createLab());
    expect(err).toMatchObject({ code: 'PORT_IN_USE', reason: 'noneFree', field: 'httpPort' });
    expect(err?.message).toBe('Every port from 8080 to 8179 is in use on local: create the environment with a port of your choice');
    expect(await s.envs.list()).toEqual([]);
  });
});

describe('the images a host has, for image fields', () => {
  let s: FakeServices;
  beforeEach(async () => {
    s = await startFakeServices();
  });
  afterEach(async () => {
    await s.close();
  });

  it('lists tagged images newest first, leaving out the demo backend and built apps', async () => {
    s.lab.engine.addImage('haproxy:2.8');
    s.lab.engine.addImage('switchyard/demo-backend:0123456789ab');
    s.lab.engine.addImage('sy-app/shop:latest');
    s.lab.engine.addImage('registry.example.com:5000/team/shop:1.4');
    const images = await localImages(s.lab.target.docker);
    const refs = images.map((i) => i.ref);
    expect(refs.slice(0, 2)).toEqual(['registry.example.com:5000/team/shop:1.4', 'haproxy:2.8']);
    expect(refs).not.toContain('switchyard/demo-backend:0123456789ab');
    expect(refs).not.toContain('sy-app/shop:latest');
    expect(images[0]).toMatchObject({ size: 1_000_000, created: expect.stringMatching(/^20\d\d-/) });
  });
});
