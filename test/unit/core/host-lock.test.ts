import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireHostLock } from '../../../electron/core/environments/host-lock';
import { LABEL_INSTALLATION, LABEL_LOCK, LABEL_OWNER, names } from '../../../electron/core/environments/naming';
import { FAKE_IMAGES, ME, OTHER, fakeEnvironment, startFakeLab, type FakeLab } from '../../support/fake-lab';
import { refusal } from '../../support/outcomes';

/** The lock held on the engine itself, so two installations never interleave on one environment. */
describe('the engine-side lock, against a fake engine', () => {
  let lab: FakeLab;
  const lockName = names.lock('lab');
  const clock = () => new Date('2026-02-03T04:05:06Z');

  beforeEach(async () => {
    lab = await startFakeLab();
  });

  afterEach(async () => {
    await lab.close();
  });

  it('is a container that is never started, named for the environment and labelled with its holder; letting go removes it', async () => {
    const release = await acquireHostLock(lab.target.docker, 'lab', ME, FAKE_IMAGES.haproxy, clock);
    const lock = lab.engine.container(lockName)!;
    expect(lock.state).toBe('created');
    expect(lock.labels).toMatchObject({ [LABEL_LOCK]: 'lab', [LABEL_INSTALLATION]: ME.installation, [LABEL_OWNER]: ME.by, 'io.switchyard.since': '2026-02-03T04:05:06.000Z' });
    // Not an environment label: destroying the environment must not sweep the lock away.
    expect(lock.labels['io.switchyard.environment']).toBeUndefined();
    await release();
    expect(lab.engine.container(lockName)).toBeUndefined();
  });

  it("another installation's lock refuses at once with BUSY, naming who holds it and since when, and is left alone", async () => {
    await acquireHostLock(lab.target.docker, 'lab', OTHER, FAKE_IMAGES.haproxy, clock);
    const held = lab.engine.container(lockName)!.id;
    const err = await refusal(acquireHostLock(lab.target.docker, 'lab', ME, FAKE_IMAGES.haproxy));
    expect(err).toMatchObject({ code: 'BUSY', field: 'environment' });
    expect([err!.message, err!.detail, JSON.stringify(err!.params ?? {})].join(' ')).toContain(OTHER.by);
    expect(lab.engine.container(lockName)!.id).toBe(held);
  });

  it('a lock this installation left behind (a process that died) is taken over', async () => {
    await acquireHostLock(lab.target.docker, 'lab', ME, FAKE_IMAGES.haproxy, clock);
    const stale = lab.engine.container(lockName)!.id;
    const release = await acquireHostLock(lab.target.docker, 'lab', ME, FAKE_IMAGES.haproxy);
    expect(lab.engine.container(lockName)!.id).not.toBe(stale);
    await release();
    expect(lab.engine.container(lockName)).toBeUndefined();
  });

  it('a lock let go between the refusal and the look is simply taken on the next try', async () => {
    lab.engine.fail('POST', /^\/containers\/create$/, 409, `Conflict. The container name "/${lockName}" is already in use by container "gone".`);
    const release = await acquireHostLock(lab.target.docker, 'lab', ME, FAKE_IMAGES.haproxy);
    expect(lab.engine.container(lockName)).toBeDefined();
    expect(lab.engine.calls('POST', /^\/containers\/create$/)).toHaveLength(2);
    await release();
  });

  it('gives up with BUSY when the lock keeps coming back', async () => {
    lab.engine.fail('POST', /^\/containers\/create$/, 409, 'Conflict.', 3);
    const err = await refusal(acquireHostLock(lab.target.docker, 'lab', ME, FAKE_IMAGES.haproxy));
    expect(err?.code).toBe('BUSY');
  });

  it("a deploy meeting another installation's lock is refused before it changes anything", async () => {
    const env = fakeEnvironment('lab');
    await lab.deploy(env);
    await acquireHostLock(lab.target.docker, 'lab', OTHER, FAKE_IMAGES.haproxy);
    const before = lab.engine.snapshot();
    const err = await refusal(lab.deploy({ ...env, balance: 'leastconn' }));
    expect(err?.code).toBe('BUSY');
    expect(lab.engine.snapshot()).toEqual(before);
  });

  it('is held for the whole deploy, and let go when the deploy fails', async () => {
    let heldDuringStart = false;
    lab.engine.state.exitOnStart = (c) => {
      if (c.name === names.haproxy('lab')) heldDuringStart = lab.engine.container(lockName) !== undefined;
      return c.name === names.haproxy('lab') ? { exitCode: 1, log: 'fake crash\n' } : undefined;
    };
    const err = await refusal(lab.deploy(fakeEnvironment('lab')));
    expect(err?.code).toBe('CONTAINER_FAILED');
    expect(heldDuringStart).toBe(true);
    expect(lab.engine.container(lockName)).toBeUndefined();
  });
});
