import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Adoption } from '../../../electron/core/environments/adoption';
import { HAPROXY_DEED, names } from '../../../electron/core/environments/naming';
import { OTHER, ME, fakeEnvironment } from '../../support/fake-lab';
import { startFakeServices, type FakeServices } from '../../support/fake-services';

/** What every Switchyard deployed on a shared engine, and taking one over, against a fake engine. */
describe('environments found on a host, and adopting one', () => {
  let s: FakeServices;
  let adoption: Adoption;

  beforeEach(async () => {
    s = await startFakeServices();
    adoption = new Adoption(s.envs, () => s.lab.target);
  });

  afterEach(async () => {
    await s.close();
  });

  it('lists what each installation deployed, with who manages it, what runs and whether it can be adopted', async () => {
    await s.create('mine');
    await s.done(await s.envs.deploy('mine'));
    await s.lab.deploy(fakeEnvironment('theirs', { httpPort: 18081 }), { as: OTHER });
    s.lab.engine.stopContainer(names.backend('theirs', 'back2'));
    // Not Switchyard's: not listed.
    s.lab.engine.seedContainer({ name: 'unrelated', state: 'running' });

    const found = await adoption.found('local');
    expect(found).toEqual([
      { name: 'mine', known: true, managedHere: true, containers: 3, running: 3, adoptable: true, owner: ME, httpPort: 18080 },
      { name: 'theirs', known: false, managedHere: false, containers: 3, running: 2, adoptable: true, owner: OTHER, httpPort: 18081 },
    ]);
  });

  it('adopting one this store never knew takes the settings from its deed, recreates nothing, and then manages it', async () => {
    await s.lab.deploy(fakeEnvironment('theirs', { httpPort: 18081, balance: 'leastconn' }), { as: OTHER });
    const before = s.lab.engine.snapshot();

    const task = await s.done(await adoption.adopt('theirs', 'local'));
    expect(task.state, JSON.stringify(task.error)).toBe('succeeded');

    expect((await s.envs.get('theirs')).balance).toBe('leastconn');
    expect(s.lab.engine.snapshot()).toEqual(before);
    expect(JSON.parse(s.lab.engine.file(names.haproxy('theirs'), HAPROXY_DEED)!).installation).toBe(ME.installation);
    expect((await s.envs.status('theirs')).state).toBe('running');
  });

  it('nothing of that name on the host: NOT_FOUND, and the store is unchanged', async () => {
    const task = await s.done(await adoption.adopt('nothing', 'local'));
    expect(task.error?.code).toBe('NOT_FOUND');
    expect(await s.envs.list()).toEqual([]);
  });
});
