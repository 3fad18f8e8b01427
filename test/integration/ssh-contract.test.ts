import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHostKeyDetail, type HostCheckResult } from '../../shared/hosts';
import { SwitchyardError } from '../../shared/errors';
import { TEST_IMAGES, freePort, labelledResources, removeEnvironments, testCore, uniqueName, type TestCore } from '../support/lab';
import { TestSshd } from '../support/sshd';

/** A VPS added over SSH through the contract, as the app and the CLI do it, then the lab on it. */
describe('a host added over SSH, end to end through the contract', () => {
  const name = uniqueName('vps');
  let sshd: TestSshd;
  let t: TestCore;

  beforeAll(async () => {
    sshd = await TestSshd.start();
    t = testCore();
  });

  afterAll(async () => {
    await removeEnvironments(name);
    await t?.close();
    await sshd?.stop();
  });

  it('shows the host key on first contact, pins it once accepted, and keeps no password in clear', async () => {
    const u = sshd.users.dockerPassword;
    const host = await t.call('hosts:add', {
      name: 'vps-1',
      address: sshd.address,
      port: sshd.port,
      user: u.name,
      auth: { method: 'password', password: u.password! },
    });
    expect(host.hostKey).toBeUndefined();

    const first = await t.core.invoke('hosts:check', { id: 'vps-1' });
    const unknown = first.ok ? (first.result as HostCheckResult[]).find((c) => c.check === 'host-key' && !c.ok) : undefined;
    expect(first.ok, JSON.stringify(first)).toBe(true);
    // The presented key crosses the contract as typed fields.
    const presented = unknown?.hostKey;
    expect(presented?.kind).toBe('unknown');
    expect(presented?.presented.fingerprint).toBe((await sshd.hostFingerprint()).fingerprint);

    await t.call('hosts:trust', { id: 'vps-1', hostKey: presented!.presented });
    const checks = await t.call('hosts:check', { id: 'vps-1', ports: [await freePort()] });
    expect(
      checks.filter((c) => !c.ok),
      JSON.stringify(checks),
    ).toEqual([]);
    expect((await t.call('hosts:list', {})).map((h) => h.id)).toEqual(['local', 'vps-1']);

    for (const file of readdirSync(t.dataDir).filter((f) => f.endsWith('.json'))) {
      expect(readFileSync(path.join(t.dataDir, file), 'utf8'), file).not.toContain(u.password!);
    }
  });

  it('deploys the lab there and sends traffic through the SSH connection', async () => {
    const port = await freePort();
    await t.call('environments:create', { name, host: 'vps-1', httpPort: port, images: TEST_IMAGES });
    const task = await t.runTask('environments:deploy', name);
    expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
    expect(task.message).toContain(`http://${sshd.address}:${port}/`);

    const { taskId } = await t.call('traffic:run', { environment: name, requests: 20, concurrency: 1 });
    await t.core.tasks.whenDone(taskId);
    const report = await t.call('traffic:get', { taskId });
    expect(report.failed).toBe(0);
    expect(report.byServer).toEqual({ back1: 10, back2: 10 });

    const applied = await t.call('servers:set', { environment: name, server: 'back1', state: 'maint' });
    expect(applied.applied).toBe(true);
    const stats = await t.call('stats:get', { environment: name });
    expect(stats.servers.find((s) => s.name === 'back1')?.state).toBe('maint');
  });

  it('takes new credentials while an environment runs there: a wrong password fails the login check, the right one works again; the old secret is deleted', async () => {
    const secretRefs = () => (readFileSync(path.join(t.dataDir, 'secrets.json'), 'utf8').match(/"s[0-9a-f]{24}"/g) ?? []).length;
    const refs = secretRefs();
    const u = sshd.users.dockerPassword;
    const wrong = await t.call('hosts:credentials', { id: 'vps-1', auth: { method: 'password', password: 'not-the-password' } });
    expect(wrong.auth.method).toBe('password');
    const failed = await t.call('hosts:check', { id: 'vps-1' });
    expect(failed.find((c) => c.check === 'authenticated')?.ok).toBe(false);
    await t.call('hosts:credentials', { id: 'vps-1', auth: { method: 'password', password: u.password! } });
    const checks = await t.call('hosts:check', { id: 'vps-1' });
    expect(
      checks.filter((c) => !c.ok),
      JSON.stringify(checks),
    ).toEqual([]);
    // One stored password, the current one: each change deleted the one before.
    expect(secretRefs()).toBe(refs);
    expect((await t.call('environments:status', { environment: name })).state).toBe('running');
    // Bad input names the field and changes nothing.
    await expect(t.call('hosts:credentials', { id: 'vps-1', auth: { method: 'key', keyPath: 'relative/key' } })).rejects.toMatchObject({ code: 'VALIDATION', field: 'auth.keyPath' });
    await expect(t.call('hosts:credentials', { id: 'nowhere', auth: { method: 'agent' } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(secretRefs()).toBe(refs);
  });

  it('refuses a changed host key and deploys nothing', async () => {
    // A reinstalled server (or an impostor): the open connection goes, a new one meets a new key.
    sshd.killSessions();
    await sshd.swapHostKey();
    const other = uniqueName('vps2');
    await t.call('environments:create', { name: other, host: 'vps-1', httpPort: await freePort(), images: TEST_IMAGES });
    const task = await t.runTask('environments:deploy', other);
    expect(task.state).toBe('failed');
    expect(task.error!.message).toMatch(/host key changed for vps-1/i);
    expect(parseHostKeyDetail(task.error!.detail)?.kind).toBe('changed');
    expect(await labelledResources(other)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    const err = await t.call('hosts:remove', { id: 'vps-1' }).catch((e: SwitchyardError) => e);
    expect((err as SwitchyardError).code).toBe('BUSY');
  });
});
