import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { names } from '../../electron/core/environments/naming';
import { TEST_IMAGES, docker, freePort, removeEnvironments, testCore, uniqueName, type TestCore } from '../support/lab';
import { buildReleaseImage } from '../support/release-app';
import { TestSshd } from '../support/sshd';

const TOKEN = `tok-${Math.random().toString(36).slice(2)}-restored`;
const PASSPHRASE = 'a long passphrase for the backup';

/**
 * A realistic data folder made through the core (an SSH host with a password and a pinned key,
 * the lab, an app with a secret variable and its release and config history, an environment on
 * the SSH host), backed up with a passphrase and restored into a new installation with its own
 * secret key: every environment renders the same haproxy.cfg, the host connects with the
 * restored password, and the app deploys with its secret in the container's environment.
 */
describe('backup and restore into a new installation', () => {
  const lab = uniqueName('lab');
  const shop = uniqueName('shop');
  const remote = uniqueName('remote');
  const image = `switchyard-test/backup-app:${shop}`;
  const out = mkdtempSync(path.join(os.tmpdir(), 'sy-backup-it-'));
  const file = path.join(out, 'switchyard.backup');
  let sshd: TestSshd;
  let a: TestCore;
  let b: TestCore;
  const rendered: Record<string, string> = {};

  beforeAll(async () => {
    sshd = await TestSshd.start();
    await buildReleaseImage(image, '1');
    a = testCore();
    const u = sshd.users.dockerPassword;
    await a.call('hosts:add', { name: 'vps-1', address: sshd.address, port: sshd.port, user: u.name, auth: { method: 'password', password: u.password! } });
    await a.call('hosts:trust', { id: 'vps-1', hostKey: await sshd.hostFingerprint() });
    await a.call('environments:create', { name: lab, httpPort: await freePort(), images: TEST_IMAGES });
    await a.call('environments:create', { name: remote, host: 'vps-1', httpPort: await freePort(), images: TEST_IMAGES, balance: 'leastconn' });
    await a.call('environments:create', {
      name: shop,
      httpPort: await freePort(),
      images: TEST_IMAGES,
      healthCheck: { interval: 500, rise: 1, fall: 2 },
      app: { source: { kind: 'image', image }, port: 80, env: [{ name: 'BACKEND_NAME', value: '{{server}}' }], secrets: [{ name: 'API_TOKEN', value: TOKEN }] },
      servers: [{ name: 'app1', kind: 'app' }],
    });
    // A deploy leaves a config version, a release (of the same app) a release record; the destroy gives the engine back, the history stays.
    const deployed = await a.runTask('environments:deploy', shop);
    expect(deployed.state, `${deployed.error?.code} ${deployed.message}`).toBe('succeeded');
    const { taskId } = await a.call('releases:start', { environment: shop, rollout: { monitorMs: 0, graceMs: 0 } });
    const released = await a.core.tasks.whenDone(taskId);
    expect(released.state, `${released.error?.code} ${released.message}`).toBe('succeeded');
    const destroyed = await a.runTask('environments:destroy', shop);
    expect(destroyed.state, destroyed.message).toBe('succeeded');
    for (const name of [lab, remote, shop]) rendered[name] = (await a.call('environments:render', { environment: name })).config;
  });

  afterAll(async () => {
    await removeEnvironments(lab, shop, remote);
    for (const img of await docker.listImages({ filters: { reference: [`sy-app/${shop}`] } }))
      await docker
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
    await b?.close();
    await a?.close();
    await sshd?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('writes one encrypted file; the source data file is left as it was', async () => {
    const before = readFileSync(path.join(a.dataDir, 'switchyard.json'));
    const summary = await a.call('backup:create', { file, passphrase: PASSPHRASE });
    expect(summary).toMatchObject({ encrypted: true, counts: { environments: 3, hosts: 1, releases: 1, configs: 1, secrets: 2 } });
    expect(readFileSync(path.join(a.dataDir, 'switchyard.json')).equals(before)).toBe(true);
    const bytes = readFileSync(file).toString('latin1');
    for (const clear of [TOKEN, sshd.users.dockerPassword.password!, shop]) expect(bytes).not.toContain(clear);
  });

  it('previews into a new installation, then restores: every environment renders byte-identical, with a new secret key', async () => {
    b = testCore();
    const preview = await b.call('backup:preview', { file, passphrase: PASSPHRASE, mode: 'replace' });
    expect(preview.items.map((i) => `${i.action} ${i.kind} ${i.name}`).sort()).toEqual([`add environment ${lab}`, `add environment ${remote}`, `add environment ${shop}`, 'add host vps-1'].sort());
    expect(preview.missingSecrets).toEqual([]);
    expect(preview.fromThisInstallation).toBe(false);
    expect(await b.call('environments:list', {})).toEqual([]);

    const result = await b.call('backup:restore', { file, passphrase: PASSPHRASE, mode: 'replace' });
    expect(result.restored).toBe(true);
    expect(readFileSync(path.join(b.dataDir, 'secret.key'), 'utf8')).not.toBe(readFileSync(path.join(a.dataDir, 'secret.key'), 'utf8'));
    expect((await b.call('system:info', {})).installation.installation).not.toBe((await a.call('system:info', {})).installation.installation);
    expect(readFileSync(path.join(b.dataDir, 'secrets.json'), 'utf8')).not.toContain(TOKEN);

    for (const name of [lab, remote, shop]) {
      const again = (await b.call('environments:render', { environment: name })).config;
      expect(Buffer.from(again).equals(Buffer.from(rendered[name])), `${name} renders the same haproxy.cfg`).toBe(true);
    }
    expect((await b.call('configs:list', { environment: shop })).map((v) => v.version)).toEqual([1]);
    expect((await b.call('releases:list', { environment: shop })).map((r) => r.number)).toEqual([1]);
  });

  it('the host connects with the restored password, its pinned key accepted', async () => {
    const checks = await b.call('hosts:check', { id: 'vps-1' });
    expect(
      checks.filter((c) => !c.ok && !c.skipped),
      JSON.stringify(checks),
    ).toEqual([]);
    expect(checks.find((c) => c.check === 'host-key')?.ok).toBe(true);
    expect(checks.find((c) => c.check === 'authenticated')?.ok).toBe(true);
  });

  it('the restored app deploys on the engine, its secret in the container’s environment', async () => {
    const task = await b.runTask('environments:deploy', shop);
    expect(task.state, `${task.error?.code} ${task.message}`).toBe('succeeded');
    const env = (await docker.getContainer(names.backend(shop, 'app1')).inspect()).Config.Env;
    expect(env).toContain(`API_TOKEN=${TOKEN}`);
    expect(env).toContain('BACKEND_NAME=app1');
  });
});
