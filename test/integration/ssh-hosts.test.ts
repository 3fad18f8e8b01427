import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../shared/errors';
import { parseHostKeyDetail, type SshHost, type SshHostInput } from '../../shared/hosts';
import type { HostCheckResult } from '../../electron/core/hosts/host-checks';
import { HostService, type HostRepository } from '../../electron/core/hosts/host-service';
import { localSecretStore } from '../../electron/core/secrets/ciphers';
import { SECRETS_FILE } from '../../electron/core/secrets/secret-store';
import { TestSshd, freeLoopbackPort } from '../support/sshd';
import { failure } from '../support/failure';

const run = promisify(execFile);

/** Keeps hosts in memory: stands in for the store's `hosts` list, which these tests do not need on disk. */
class InMemoryHostRepository implements HostRepository {
  hosts: SshHost[] = [];
  async list() {
    return structuredClone(this.hosts);
  }
  async update<T>(fn: (hosts: SshHost[]) => T | Promise<T>) {
    const copy = structuredClone(this.hosts);
    const out = await fn(copy);
    this.hosts = copy;
    return out;
  }
}

const byCheck = (results: HostCheckResult[]) => Object.fromEntries(results.filter((r) => r.check !== 'port').map((r) => [r.check, r]));

describe('SSH hosts: adding, trusting, checking', () => {
  let sshd: TestSshd;
  let dataDir: string;
  let repo: InMemoryHostRepository;
  let hosts: HostService;

  const input = (name: string, over: Partial<SshHostInput> = {}): SshHostInput => ({
    name,
    address: sshd.address,
    port: sshd.port,
    user: sshd.users.dockerKey.name,
    auth: { method: 'key', keyPath: sshd.users.dockerKey.keyPath! },
    ...over,
  });

  beforeAll(async () => {
    sshd = await TestSshd.start();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-hosts-'));
    repo = new InMemoryHostRepository();
    hosts = new HostService(repo, await localSecretStore(dataDir, {}));
  });

  afterAll(async () => {
    await hosts?.close();
    await run('gpasswd', ['-d', sshd.users.noDocker.name, 'docker']).catch(() => undefined);
    await sshd?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores a password host without its password', async () => {
    const pw = sshd.users.dockerPassword;
    const host = await hosts.add(input('vps-pw', { user: pw.name, auth: { method: 'password', password: pw.password! } }));
    expect(host).toMatchObject({ kind: 'ssh', id: 'vps-pw', name: 'vps-pw', port: sshd.port, auth: { method: 'password' } });
    expect(JSON.stringify(repo.hosts)).not.toContain(pw.password);
    expect(readFileSync(path.join(dataDir, SECRETS_FILE), 'utf8')).not.toContain(pw.password);
  });

  it('shows the host key to trust first, then passes every check once it is trusted', async () => {
    const before = byCheck(await hosts.check('vps-pw'));
    expect(before.reachable.ok).toBe(true);
    expect(before['host-key'].ok).toBe(false);
    expect(before['host-key'].code).toBe('HOST_KEY_UNKNOWN');
    expect(before.authenticated.skipped).toBe(true);
    expect(before.authenticated.code).toBeUndefined();
    const offered = parseHostKeyDetail(before['host-key'].detail);
    expect(offered?.presented).toEqual(await sshd.hostFingerprint());

    await hosts.trust('vps-pw', offered!.presented);
    const free = await freeLoopbackPort();
    const results = await hosts.check('vps-pw', [sshd.port, free]);
    const after = byCheck(results);
    for (const check of ['reachable', 'host-key', 'authenticated', 'docker', 'docker-access', 'architecture', 'disk', 'swarm']) {
      expect(after[check]?.ok, `${check}: ${after[check]?.message}`).toBe(true);
    }
    expect(after.docker.message).toMatch(/^Docker \d+\.\d+/);
    expect(after.architecture.message).toContain(os.arch() === 'x64' ? 'x86_64 (amd64)' : os.arch());
    expect(after.disk.message).toMatch(/GB free on \//);
    expect(results.filter((r) => r.check === 'port').map((r) => [r.port, r.ok])).toEqual(
      [
        [sshd.port, false],
        [free, true],
      ].sort((a, b) => (a[0] as number) - (b[0] as number)),
    );
    expect(results.find((r) => r.port === sshd.port)?.message).toContain(`Port ${sshd.port} is in use on vps-pw`);
    expect(results.find((r) => r.port === sshd.port)?.code).toBe('PORT_IN_USE');

    const target = await hosts.targetFor('vps-pw');
    expect(String(await target.docker.ping())).toBe('OK');
  });

  it('names wrong credentials and a closed port in the check list', async () => {
    const fp = await sshd.hostFingerprint();
    await hosts.add(input('vps-badpw', { user: sshd.users.dockerPassword.name, auth: { method: 'password', password: 'wrong' }, hostKey: fp }));
    const bad = byCheck(await hosts.check('vps-badpw'));
    expect([bad.reachable.ok, bad['host-key'].ok, bad.authenticated.ok]).toEqual([true, true, false]);
    expect(bad.authenticated.message).toContain('refused the password');
    expect(bad.authenticated.code).toBe('SSH_AUTH_FAILED');
    expect(bad.docker.skipped).toBe(true);

    await hosts.add(input('vps-closed', { port: await freeLoopbackPort(), hostKey: fp }));
    const closed = byCheck(await hosts.check('vps-closed'));
    expect(closed.reachable.ok).toBe(false);
    expect(closed.reachable.message).toContain('connection refused');
    expect(closed.reachable.code).toBe('HOST_UNREACHABLE');
  });

  it('tells a user outside the docker group what to run, and sees the fix after it', async () => {
    const u = sshd.users.noDocker;
    await hosts.add(input('vps-nodocker', { user: u.name, hostKey: await sshd.hostFingerprint() }));
    const first = byCheck(await hosts.check('vps-nodocker'));
    expect(first.docker.ok).toBe(true);
    expect(first['docker-access'].ok).toBe(false);
    expect(first['docker-access'].message).toContain(`sudo usermod -aG docker ${u.name}`);
    expect(first['docker-access'].code).toBe('DOCKER_ACCESS_DENIED');
    expect(first.docker.code).toBeUndefined();
    expect(first.disk.ok, first.disk.message).toBe(true);
    const target = await hosts.targetFor('vps-nodocker');
    const err = await target.docker.ping().catch((e: unknown) => e);
    expect((err as SwitchyardError).detail).toBe('docker-permission-denied');

    // The administrator follows the advice; Switchyard picks it up without being restarted.
    await run('usermod', ['-aG', 'docker', u.name]);
    const second = byCheck(await hosts.check('vps-nodocker'));
    expect(second['docker-access'].ok, second['docker-access'].message).toBe(true);
  });

  it('refuses bad input naming the field, and forgets secrets with the host', async () => {
    const bad = await failure(hosts.add(input('vps-x', { address: 'evil.example.com\nProxyCommand x' })));
    expect([bad.code, bad.field]).toEqual(['VALIDATION', 'address']);
    expect((await failure(hosts.add(input('vps-pw')))).code).toBe('ALREADY_EXISTS');

    const ref = (repo.hosts.find((h) => h.id === 'vps-badpw')!.auth as { passwordRef: string }).passwordRef;
    expect(readFileSync(path.join(dataDir, SECRETS_FILE), 'utf8')).toContain(ref);
    await hosts.remove('vps-badpw');
    expect(readFileSync(path.join(dataDir, SECRETS_FILE), 'utf8')).not.toContain(ref);
    expect(repo.hosts.map((h) => h.id)).not.toContain('vps-badpw');
  });
});
