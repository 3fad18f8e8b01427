import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimOf, readDeed } from '../../../electron/core/environments/ownership';
import { HAPROXY_DEED, LABEL_APP, LABEL_ENV, LABEL_INSTALLATION, LABEL_ROLE, names } from '../../../electron/core/environments/naming';
import { ME, OTHER, fakeEnvironment, startFakeLab, type FakeLab } from '../../support/fake-lab';
import { refusal } from '../../support/outcomes';

/**
 * Who manages an environment on a shared engine, and what this installation may do to one it
 * does not manage: nothing, until it adopts it.
 */
describe('ownership on a shared engine, against a fake engine', () => {
  let lab: FakeLab;
  const lbName = names.haproxy('lab');
  const env = fakeEnvironment('lab');
  /** Changes since `mark`, leaving out the lock every deploy takes and lets go. */
  const changesSince = (mark: number) => lab.engine.state.history.slice(mark).filter((h) => !h.includes(names.lock('lab')));

  beforeEach(async () => {
    lab = await startFakeLab();
  });

  afterEach(async () => {
    await lab.close();
  });

  it('nothing deployed: no claim; deployed: the deed in the state volume names the installation', async () => {
    expect(await claimOf(lab.target.docker, 'lab')).toEqual({ kind: 'none' });
    await lab.deploy(env);
    expect(await claimOf(lab.target.docker, 'lab')).toMatchObject({ kind: 'owned', source: 'deed', owner: ME });
  });

  it("another installation's deed: OWNED_ELSEWHERE, naming it, before anything changes", async () => {
    await lab.deploy(env, { as: OTHER });
    const before = lab.engine.snapshot();
    const mark = lab.engine.state.history.length;
    const err = await refusal(lab.deploy({ ...env, balance: 'leastconn' }));
    expect(err?.code).toBe('OWNED_ELSEWHERE');
    expect([err!.message, err!.detail, JSON.stringify(err!.params ?? {})].join(' ')).toContain(OTHER.by);
    expect(lab.engine.snapshot()).toEqual(before);
    expect(changesSince(mark)).toEqual([]);
  });

  it("without a deed, another installation's labels say who manages it", async () => {
    await lab.deploy(env, { as: OTHER });
    lab.engine.deleteFile(lbName, HAPROXY_DEED);
    expect(await claimOf(lab.target.docker, 'lab')).toMatchObject({ kind: 'owned', source: 'labels', owner: OTHER });
    const before = lab.engine.snapshot();
    expect((await refusal(lab.deploy(env)))?.code).toBe('OWNED_ELSEWHERE');
    expect(lab.engine.snapshot()).toEqual(before);
  });

  it('a damaged deed, or one for another environment, proves nothing: the labels decide', async () => {
    await lab.deploy(env, { as: OTHER });
    lab.engine.writeFile(lbName, HAPROXY_DEED, '{ not json');
    expect(await readDeed(lab.target.docker, 'lab')).toBeUndefined();
    expect(await claimOf(lab.target.docker, 'lab')).toMatchObject({ source: 'labels', owner: OTHER });
    lab.engine.writeFile(lbName, HAPROXY_DEED, JSON.stringify({ installation: ME.installation, by: ME.by, environment: 'elsewhere', writtenAt: 'x' }));
    expect(await claimOf(lab.target.docker, 'lab')).toMatchObject({ source: 'labels', owner: OTHER });
  });

  it('adopting takes it over without recreating anything: the deed names the adopter, the old manager is refused', async () => {
    await lab.deploy(env, { as: OTHER });
    const before = lab.engine.snapshot();
    const pid = lab.engine.haproxy(lbName)!.pid;

    await lab.deploy(env, { how: { adopt: true } });

    expect(lab.engine.snapshot()).toEqual(before);
    expect(lab.engine.haproxy(lbName)!.pid).toBe(pid);
    expect(JSON.parse(lab.engine.file(lbName, HAPROXY_DEED)!)).toMatchObject({ installation: ME.installation, by: ME.by });
    // The labels still name the creator (Docker cannot change them); the deed decides.
    expect(lab.engine.container(lbName)!.labels[LABEL_INSTALLATION]).toBe(OTHER.installation);
    expect((await refusal(lab.deploy(env, { as: OTHER })))?.code).toBe('OWNED_ELSEWHERE');
  });

  it('resources from before installations had ids are unclaimed, and the first deploy claims them', async () => {
    const oldLabels = (role: string) => ({ [LABEL_APP]: 'switchyard', [LABEL_ENV]: 'lab', [LABEL_ROLE]: role });
    lab.engine.seedContainer({ name: 'sy-lab-back1', state: 'running', labels: oldLabels('backend') });
    expect(await claimOf(lab.target.docker, 'lab')).toEqual({ kind: 'unclaimed' });
    await lab.deploy(env);
    expect(await claimOf(lab.target.docker, 'lab')).toMatchObject({ kind: 'owned', source: 'deed', owner: ME });
  });
});
