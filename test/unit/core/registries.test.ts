import { describe, expect, it } from 'vitest';
import { RegistryLogin, registryOf } from '../../../shared/registries';
import { pullError } from '../../../electron/core/environments/images';

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

  it('an unknown name or tag is IMAGE_MISSING, asking to check them', () => {
    const e = pullError('r.example.com/app:9', 'r.example.com', true, 'images.haproxy', engine('manifest for r.example.com/app:9 not found: manifest unknown'));
    expect(e.code).toBe('IMAGE_MISSING');
    expect(e.message).toContain('check its name and tag');
  });
});
