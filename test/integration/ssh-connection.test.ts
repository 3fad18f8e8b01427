import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../shared/errors';
import { parseHostKeyDetail, type HostKey } from '../../shared/hosts';
import { SshConnection, type SshCredentials } from '../../electron/core/targets/ssh-connection';
import { SshDockerTarget } from '../../electron/core/targets/ssh-target';
import { TestSshd, freeLoopbackPort, type TestUser } from '../support/sshd';
import { failure } from '../support/failure';
import { until } from '../support/lab';

const run = promisify(execFile);

describe('SSH connections to a real OpenSSH server', () => {
  let sshd: TestSshd;
  let pinned: HostKey;
  const open: SshConnection[] = [];

  const keyCreds = (u: TestUser): SshCredentials => ({ method: 'key', keyPath: u.keyPath! });
  const connection = (user: string, credentials: SshCredentials, hostKey: HostKey | null = pinned, extra: { port?: number; readyTimeoutMs?: number } = {}) => {
    const c = new SshConnection({
      hostId: 'vps-1',
      address: sshd.address,
      port: extra.port ?? sshd.port,
      user,
      hostKey: hostKey ?? undefined,
      credentials: async () => credentials,
      readyTimeoutMs: extra.readyTimeoutMs,
    });
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    sshd = await TestSshd.start();
    pinned = await sshd.hostFingerprint();
  });

  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await sshd?.stop();
  });

  it('refuses an unknown host key and reports the fingerprint ssh-keygen -lf shows', async () => {
    const u = sshd.users.dockerKey;
    const err = await failure(connection(u.name, keyCreds(u), null).connect());
    expect(err.code).toBe('HOST_KEY_UNKNOWN');
    expect(err.field).toBe('hostKey');
    const detail = parseHostKeyDetail(err.detail);
    expect(detail?.kind).toBe('unknown');
    expect(detail?.presented).toEqual(pinned);
    expect(pinned.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(err.message).toContain(pinned.fingerprint);
  });

  it('connects once the key is pinned, and runs commands as the user', async () => {
    const u = sshd.users.dockerKey;
    const c = connection(u.name, keyCreds(u));
    const r = await c.exec('id -un; echo oops >&2; exit 3');
    expect(r).toEqual({ code: 3, stdout: `${u.name}\n`, stderr: 'oops\n' });
    expect(c.presentedHostKey).toEqual(pinned);
  });

  it('accepts a password and a passphrase-protected key', async () => {
    const pw = sshd.users.dockerPassword;
    expect((await connection(pw.name, { method: 'password', password: pw.password! }).exec('id -un')).stdout.trim()).toBe(pw.name);
    const enc = sshd.encryptedKey;
    const u = sshd.users.dockerKey;
    expect((await connection(u.name, { method: 'key', ...enc }).exec('id -un')).stdout.trim()).toBe(u.name);
  });

  it('says why a key cannot be used: missing passphrase, wrong passphrase, missing file', async () => {
    const u = sshd.users.dockerKey;
    const enc = sshd.encryptedKey;
    const none = await failure(connection(u.name, { method: 'key', keyPath: enc.keyPath }).connect());
    expect([none.field, none.message]).toEqual(['auth.passphrase', `The private key ${enc.keyPath} is protected by a passphrase: enter it`]);
    const wrong = await failure(connection(u.name, { method: 'key', keyPath: enc.keyPath, passphrase: 'nope' }).connect());
    expect([wrong.field, wrong.message]).toEqual(['auth.passphrase', `The passphrase for ${enc.keyPath} is wrong`]);
    const missing = await failure(connection(u.name, { method: 'key', keyPath: '/nonexistent/id_ed25519' }).connect());
    expect(missing.field).toBe('auth.keyPath');
    expect(missing.message).toContain('ENOENT');
  });

  it('refuses a changed host key without authenticating or running anything', async () => {
    const u = sshd.users.dockerKey;
    const marker = path.join(os.tmpdir(), `sy-marker-${process.pid}`);
    await sshd.swapHostKey();
    const accepted = () => (sshd.output.match(/Accepted publickey/g) ?? []).length;
    const before = accepted();
    const err = await failure(connection(u.name, keyCreds(u)).exec(`touch ${marker}`));
    expect(err.code).toBe('HOST_KEY_CHANGED');
    const newKey = await sshd.hostFingerprint();
    expect(err.message).toBe(
      `The host key changed for vps-1 (expected ${pinned.fingerprint}, got ${newKey.fingerprint}). Nothing was sent. If the server was reinstalled, check the new key on the server and trust it again; otherwise someone may be intercepting the connection.`,
    );
    expect(parseHostKeyDetail(err.detail)).toEqual({ kind: 'changed', presented: newKey, expected: pinned.fingerprint });
    expect(existsSync(marker)).toBe(false);
    expect(accepted()).toBe(before);
    pinned = newKey;
  });

  it('names the cause of a wrong password and of an unknown user', async () => {
    const pw = sshd.users.dockerPassword;
    const wrong = await failure(connection(pw.name, { method: 'password', password: 'not-the-password' }).connect());
    expect([wrong.code, wrong.field, wrong.detail]).toEqual(['SSH_AUTH_FAILED', 'auth', 'ssh-auth-failed']);
    expect(wrong.message).toContain(`refused the password for user "${pw.name}" on vps-1`);
    // SSH answers an unknown user exactly like a wrong credential; the message says both.
    const unknownKey = await failure(connection('nosuchuser', keyCreds(sshd.users.dockerKey)).connect());
    expect(unknownKey.detail).toBe('ssh-auth-failed');
    expect(unknownKey.message).toContain('user "nosuchuser" on vps-1: the user does not exist there');
    const unknownPw = await failure(connection('nosuchuser', { method: 'password', password: 'x' }).connect());
    expect(unknownPw.message).toContain('the password is wrong, the user does not exist there');
  });

  it('names a closed port', async () => {
    const port = await freeLoopbackPort();
    const err = await failure(connection('anyone', { method: 'password', password: 'x' }, pinned, { port }).connect());
    expect([err.code, err.detail]).toEqual(['HOST_UNREACHABLE', 'ssh-unreachable ECONNREFUSED']);
    expect(err.message).toBe(`Cannot connect to vps-1 at 127.0.0.1:${port}: connection refused. Nothing listens on port ${port}: is the SSH server running, and is ${port} its port?`);
  });

  it('times out on a port that accepts but never speaks SSH', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const err = await failure(connection('anyone', { method: 'password', password: 'x' }, pinned, { port, readyTimeoutMs: 800 }).connect());
      expect([err.code, err.detail]).toEqual(['TIMEOUT', 'ssh-timeout']);
      expect(err.message).toContain('did not complete an SSH handshake within 1 s');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      silent.close();
    }
  });

  it('authenticates through an SSH agent', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-agent-'));
    const sock = path.join(dir, 'agent.sock');
    const { stdout } = await run('ssh-agent', ['-a', sock, '-s']);
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(stdout)?.[1]);
    try {
      await run('ssh-add', [sshd.users.dockerKey.keyPath!], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      const u = sshd.users.dockerKey;
      expect((await connection(u.name, { method: 'agent', agentSocket: sock }).exec('id -un')).stdout.trim()).toBe(u.name);
      const noAgent = await failure(connection(u.name, { method: 'agent', agentSocket: '' }).connect());
      expect([noAgent.field, noAgent.detail]).toEqual(['auth.method', 'ssh-no-agent']);
    } finally {
      if (pid) process.kill(pid);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('notices a connection that silently stopped answering, and replaces it', async () => {
    const u = sshd.users.dockerKey;
    const c = new SshConnection({
      hostId: 'vps-1',
      address: sshd.address,
      port: sshd.port,
      user: u.name,
      hostKey: pinned,
      credentials: async () => keyCreds(u),
      keepaliveIntervalMs: 200,
      keepaliveCountMax: 2,
    });
    open.push(c);
    await c.connect();
    const running = c.exec('sleep 30', { timeoutMs: 60_000 }).catch((e: unknown) => e);
    await until('the command running on the server', async () => sshd.commands().some((cmd) => /(^|\s)sleep 30$/.test(cmd)), 10_000, 20);
    const started = Date.now();
    expect(sshd.pauseSessions()).toBeGreaterThan(0);
    const err = (await running) as SwitchyardError;
    expect(err.detail).toBe('ssh-connection-lost');
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await c.exec('echo back')).stdout).toBe('back\n');
    sshd.killSessions();
  });

  it('tells a user outside the docker group what to run', async () => {
    const u = sshd.users.noDocker;
    const target = new SshDockerTarget(connection(u.name, keyCreds(u)), { hostId: 'vps-1', publicHost: sshd.address, user: u.name });
    const err = await failure(target.docker.listContainers());
    expect([err.code, err.detail, err.field]).toEqual(['DOCKER_ACCESS_DENIED', 'docker-permission-denied', 'user']);
    expect(err.message).toBe(
      `The user "${u.name}" may not use Docker on vps-1: it is not in the docker group (/var/run/docker.sock refused it). Run "sudo usermod -aG docker ${u.name}" on vps-1, then reconnect.`,
    );
    // The same user can still do everything else over the connection.
    expect(await target.isPortFree(sshd.port)).toBe(false);
  });
});
