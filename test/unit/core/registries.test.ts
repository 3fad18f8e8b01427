import { describe, expect, it } from 'vitest';
import { RegistryLogin, registryOf } from '../../../shared/registries';
import { pullError } from '../../../electron/core/environments/images';
import { RegistryService } from '../../../electron/core/registries/registry-service';
import type { Target } from '../../../electron/core/targets/target';
import type { SwitchyardError } from '../../../shared/errors';

describe('which registry an image comes from', () => {
  it.each([
    ['haproxy:lts', 'docker.io'],
    ['library/haproxy', 'docker.io'],
    ['team/app:1.2', 'docker.io'],
    ['ghcr.io/team/app:1.2', 'ghcr.io'],
    ['registry.example.com:5000/app@sha256:' + 'a'.repeat(64), 'registry.example.com:5000'],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000'],
    ['localhost/app', 'localhost'],
  ])('%s → %s', (ref, registry) => expect(registryOf(ref)).toBe(registry));
});

describe('a registry login', () => {
  it('refuses an address with a scheme or a path, naming the field', () => {
    for (const registry of ['https://ghcr.io', 'ghcr.io/team', 'GHCR.IO', 'a b']) {
      const r = RegistryLogin.safeParse({ registry, username: 'u', password: 'p' });
      expect(r.success, registry).toBe(false);
      expect(r.error?.issues[0].path).toEqual(['registry']);
    }
    expect(RegistryLogin.safeParse({ registry: 'ghcr.io', username: 'u:x', password: 'p' }).error?.issues[0].path).toEqual(['username']);
    expect(RegistryLogin.parse({ registry: '127.0.0.1:5000', username: 'u', password: 'p' }).host).toBe('local');
  });
});

describe("Docker's answer to a failed pull", () => {
  const engine = (message: string) => Object.assign(new Error(`(HTTP code 500) server error - ${message}`), { json: { message } });

  it('a refused pull says which registry and how to log in, and keeps Docker’s words as the detail', () => {
    const e = pullError('r.example.com/app:1', 'r.example.com', false, 'images.haproxy', engine('Head "https://r.example.com/v2/app/manifests/1": no basic auth credentials'));
    expect(e.code).toBe('IMAGE_PULL_DENIED');
    expect(e.field).toBe('images.haproxy');
    expect(e.message).toContain('switchyard registry login r.example.com');
    expect(e.message).not.toContain('no basic auth credentials');
    expect(e.detail).toContain('no basic auth credentials');
  });

  it('a refused login kept earlier asks to log in again', () => {
    const e = pullError('r.example.com/app:1', 'r.example.com', true, 'images.haproxy', engine('unauthorized: authentication required'));
    expect(e.code).toBe('IMAGE_PULL_DENIED');
    expect(e.message).toContain('refused the login kept for it');
  });

  it("Docker Hub's answer for a name it does not have (or a private one) says both once, and no login is blamed", () => {
    const said = "pull access denied for nosuchteam/haproxy, repository does not exist or may require 'docker login': denied: requested access to the resource is denied";
    const e = pullError('nosuchteam/haproxy:2.6', 'docker.io', false, 'images.haproxy', engine(said));
    expect(e).toMatchObject({ code: 'IMAGE_MISSING', reason: 'absentOrPrivate', field: 'images.haproxy', detail: said });
    expect(e.message).toBe(
      'The image nosuchteam/haproxy:2.6 is not on the host and docker.io would not give it: check its name and tag; if it is private, log in to docker.io first (switchyard registry login docker.io).',
    );
  });

  it('an unreachable registry names the image and what to do: pull it, check the name, or log in', () => {
    const e = pullError('haproxy:lts', 'docker.io', false, 'images.haproxy', engine('Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host'));
    expect(e).toMatchObject({ code: 'IMAGE_MISSING', reason: 'unreachable' });
    expect(e.message).toContain('docker pull haproxy:lts');
    expect(e.message).toContain('check its name');
    expect(e.message).toContain('log in to docker.io');
    // Docker's own words appear once in the English, and are the detail the window shows apart.
    expect(e.message.split('no such host').length).toBe(2);
  });

  it('an unknown name or tag is IMAGE_MISSING, asking to check them', () => {
    const e = pullError('r.example.com/app:9', 'r.example.com', true, 'images.haproxy', engine('manifest for r.example.com/app:9 not found: manifest unknown'));
    expect(e.code).toBe('IMAGE_MISSING');
    expect(e.message).toContain('check its name and tag');
  });
});

describe('checking a registry login', () => {
  const service = (said: string) =>
    new RegistryService(
      { list: async () => [], update: async (fn) => fn([]) },
      { put: async () => 'ref', get: async () => '', delete: async () => undefined },
      async () => ({ docker: { checkAuth: async () => Promise.reject(Object.assign(new Error(`(HTTP code 500) server error - ${said}`), { json: { message: said } })) } }) as unknown as Target,
    );

  it('a wrong password or token says so, on the password field, and keeps nothing', async () => {
    const err = await service('Get "http://127.0.0.1:5000/v2/": unauthorized: authentication required')
      .login({ registry: '127.0.0.1:5000', username: 'deployer', password: 'wrong' })
      .catch((e: SwitchyardError) => e);
    expect(err).toMatchObject({ code: 'REGISTRY_AUTH_FAILED', reason: 'refused', field: 'password' });
    expect((err as SwitchyardError).message).toBe('127.0.0.1:5000 refused the user name or password (token) of deployer: check them and log in again. Nothing was saved.');
  });

  it('a registry that cannot be reached is not blamed on the password', async () => {
    const err = await service('Get "https://r.example.com/v2/": dial tcp: lookup r.example.com: no such host')
      .login({ registry: 'r.example.com', username: 'deployer', password: 'secret' })
      .catch((e: SwitchyardError) => e);
    expect(err).toMatchObject({ code: 'REGISTRY_AUTH_FAILED', reason: 'unreachable', field: 'registry' });
  });
});
