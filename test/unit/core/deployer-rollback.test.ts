import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HAPROXY_CONFIG_FILE, names } from '../../../electron/core/environments/naming';
import { SwitchyardError } from '../../../shared/errors';
import type { Environment } from '../../../shared/model';
import type { FakeEngineSnapshot } from '../../support/fake-docker-engine';
import { fakeEnvironment, startFakeLab, type FakeLab } from '../../support/fake-lab';

/**
 * A deploy that fails at any step removes what that run created and leaves the previous setup as
 * it was: checked on the fake engine's whole state before and after, for a first deploy and for
 * a change to a running environment.
 */
describe('a failed deploy, against a fake engine', () => {
  let lab: FakeLab;
  const lbName = names.haproxy('lab');
  /** What a failed first deploy may leave: the edge network, shared by every environment. */
  const onlyEdge: FakeEngineSnapshot = { containers: [], networks: ['sy-edge'], volumes: [] };

  const failure = async (env: Environment): Promise<SwitchyardError> => {
    const err = await lab.deploy(env).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the deploy should have failed').toBeInstanceOf(SwitchyardError);
    return err as SwitchyardError;
  };
  /** Words of an error in any form it may take (a sentence, or a code with parameters). */
  const said = (err: SwitchyardError) => [err.message, err.detail ?? '', JSON.stringify(err.params ?? {})].join(' ');

  /** A running lab, and a check that a failure left it exactly so. */
  const running = async () => {
    const env = fakeEnvironment('lab');
    await lab.deploy(env);
    const before = lab.engine.snapshot();
    const config = lab.engine.file(lbName, HAPROXY_CONFIG_FILE);
    const pid = lab.engine.haproxy(lbName)!.pid;
    return {
      env,
      before,
      async unchanged() {
        expect(lab.engine.snapshot()).toEqual(before);
        expect(lab.engine.file(lbName, HAPROXY_CONFIG_FILE)).toBe(config);
        expect(lab.engine.haproxy(lbName)?.pid, 'the same HAProxy process serves').toBe(pid);
        expect(lab.engine.container(names.lock('lab')), 'the engine-side lock is let go').toBeUndefined();
      },
    };
  };

  beforeEach(async () => {
    lab = await startFakeLab();
  });

  afterEach(async () => {
    await lab.close();
  });

  describe('an image that cannot be had', () => {
    it('HAProxy image: IMAGE_MISSING naming the field, nothing created', async () => {
      const err = await failure(fakeEnvironment('lab', { images: { haproxy: 'fake/no-such-haproxy:0' } }));
      expect(err).toMatchObject({ code: 'IMAGE_MISSING', field: 'images.haproxy' });
      expect(said(err)).toContain('fake/no-such-haproxy:0');
      expect(lab.engine.calls('POST', /^\/images\/create$/)).toHaveLength(1);
      expect(lab.engine.snapshot()).toEqual({ containers: [], networks: [], volumes: [] });
    });

    it('HAProxy image, on a running environment: the previous setup is untouched', async () => {
      const lab1 = await running();
      const err = await failure({ ...lab1.env, images: { ...lab1.env.images, haproxy: 'fake/no-such-haproxy:0' } });
      expect(err.code).toBe('IMAGE_MISSING');
      await lab1.unchanged();
    });

    it('demo base image: IMAGE_BUILD_FAILED naming the field; the previous setup is untouched', async () => {
      const lab1 = await running();
      const err = await failure({ ...lab1.env, images: { ...lab1.env.images, demoBase: 'fake/no-such-base:0' } });
      expect(err).toMatchObject({ code: 'IMAGE_BUILD_FAILED', field: 'images.demoBase' });
      await lab1.unchanged();
    });
  });

  describe('a port in use', () => {
    it('by a program on the host: PORT_IN_USE before anything is created', async () => {
      lab.engine.state.hostPortsInUse.add(18080);
      const err = await failure(fakeEnvironment('lab'));
      expect(err).toMatchObject({ code: 'PORT_IN_USE', field: 'httpPort' });
      expect(said(err)).toContain('18080');
      expect(lab.engine.snapshot()).toEqual({ containers: [], networks: [], volumes: [] });
    });

    it('by another container: named in the error; the running environment keeps its port', async () => {
      const lab1 = await running();
      const squatter = lab.engine.seedContainer({ name: 'someone-elses-web', state: 'running', ports: { 80: 18090 } });
      const before = lab.engine.snapshot();
      const err = await failure({ ...lab1.env, httpPort: 18090 });
      expect(err).toMatchObject({ code: 'PORT_IN_USE', field: 'httpPort' });
      expect(said(err)).toContain('someone-elses-web');
      expect(lab.engine.snapshot()).toEqual(before);
      expect(lab.engine.container(squatter.id)!.state).toBe('running');
    });

    it('taken between the check and the start: what the run created is removed again', async () => {
      // The host says the port is free when asked; Docker finds it taken when it publishes it.
      lab.target.isPortFree = async () => true;
      lab.engine.state.hostPortsInUse.add(18080);
      const err = await failure(fakeEnvironment('lab'));
      expect(err).toMatchObject({ code: 'PORT_IN_USE', field: 'httpPort' });
      expect(lab.engine.snapshot()).toEqual(onlyEdge);
    });
  });

  describe('a config HAProxy refuses', () => {
    it('a change that would reload: refused by haproxy -c in place, with its words; nothing changes', async () => {
      const lab1 = await running();
      lab.engine.refuseConfig((cfg) => cfg.includes('balance leastconn'), "'balance leastconn' is refused by this fake");
      const err = await failure({ ...lab1.env, balance: 'leastconn' });
      expect(err.code).toBe('INVALID_CONFIG');
      expect(said(err)).toContain('refused by this fake');
      expect(lab.engine.state.history.some((h) => h.startsWith(`kill ${lbName}`))).toBe(false);
      await lab1.unchanged();
    });

    it('a change that would replace the load balancer: refused in a throwaway, which is removed; nothing changes', async () => {
      const lab1 = await running();
      lab.engine.addImage('fake/haproxy:3.0');
      lab.engine.refuseConfig(() => true);
      const err = await failure({ ...lab1.env, images: { ...lab1.env.images, haproxy: 'fake/haproxy:3.0' } });
      expect(err.code).toBe('INVALID_CONFIG');
      expect(lab.engine.state.history.filter((h) => h.startsWith('create container') && !h.includes('lock'))).toHaveLength(4);
      await lab1.unchanged();
    });

    it('on a first deploy HAProxy exits at start with its alert: CONTAINER_FAILED, and everything created is removed', async () => {
      lab.engine.refuseConfig(() => true, 'no such fake keyword');
      const err = await failure(fakeEnvironment('lab'));
      expect(err.code).toBe('CONTAINER_FAILED');
      expect(said(err)).toContain('no such fake keyword');
      expect(lab.engine.snapshot()).toEqual(onlyEdge);
    });
  });

  describe('a load balancer that exits at start', () => {
    const crash = { exitCode: 139, log: 'Segmentation fault (fake)\n' };

    it('on a first deploy: CONTAINER_FAILED with its log; backends, network, volume and the container are removed', async () => {
      lab.engine.state.exitOnStart = (c) => (c.name === lbName ? crash : undefined);
      const err = await failure(fakeEnvironment('lab'));
      expect(err.code).toBe('CONTAINER_FAILED');
      expect(said(err)).toContain('Segmentation fault (fake)');
      expect(lab.engine.snapshot()).toEqual(onlyEdge);
    });

    it('replacing a running one: the new one is removed, the old one is started again and serves', async () => {
      const lab1 = await running();
      lab.engine.addImage('fake/haproxy:3.0');
      lab.engine.state.exitOnStart = (c) => (c.name === `${lbName}-next` ? crash : undefined);
      const err = await failure({ ...lab1.env, images: { ...lab1.env.images, haproxy: 'fake/haproxy:3.0' } });
      expect(err.code).toBe('CONTAINER_FAILED');
      // The same containers (ids included), all running again.
      expect(lab.engine.snapshot()).toEqual(lab1.before);
      // It had stepped aside for the port: it is back, with a fresh process that answers.
      expect(lab.engine.haproxy(lbName)!.answer('show info')).toContain('Version: 2.6');
      expect(lab.engine.state.listener(18080)?.container.name).toBe(lbName);
    });
  });

  describe('a runtime API that never answers', () => {
    it('on a first deploy: TIMEOUT, and everything created is removed', async () => {
      lab.target.runtimeApi = 'silent';
      const err = await failure(fakeEnvironment('lab'));
      expect(err.code).toBe('TIMEOUT');
      expect(lab.engine.snapshot()).toEqual(onlyEdge);
    });

    // The backends and a new load balancer are prepared side by side: the rollback waits for all
    // of them to settle, so one still being created when another fails is not left behind.
    it('when a backend cannot start: the load balancer prepared beside it is removed too', async () => {
      lab.engine.fail('POST', /^\/containers\/sy-lab-back2\/start$/, 500, 'OCI runtime create failed: fake');
      const err = await failure(fakeEnvironment('lab'));
      expect(err.code).toBe('INTERNAL');
      expect(said(err)).toContain('OCI runtime create failed: fake');
      expect(lab.engine.snapshot()).toEqual(onlyEdge);
    });
  });

  it('an engine that cannot be reached gives DOCKER_UNAVAILABLE', async () => {
    await lab.engine.close();
    const err = await failure(fakeEnvironment('lab'));
    expect(err.code).toBe('DOCKER_UNAVAILABLE');
  });
});
