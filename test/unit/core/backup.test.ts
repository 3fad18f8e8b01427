import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNTS_FILE } from '../../../electron/core/acme/account';
import { RenewalScheduler } from '../../../electron/core/acme/scheduler';
import { BACKUP_MAGIC, decodeBackup, encodeBackup, readHeader, type ScryptParams } from '../../../electron/core/backup/backup-format';
import { BackupService } from '../../../electron/core/backup/backup-service';
import { aesGcmCipher } from '../../../electron/core/secrets/ciphers';
import { FileSecretStore } from '../../../electron/core/secrets/secret-store';
import { STORE_FILE, Store, type StoreData } from '../../../electron/core/store/store';
import type { MissingSecret, RestoreItem } from '../../../shared/backup';
import { SwitchyardError, type ErrorInfo } from '../../../shared/errors';
import type { SshHost } from '../../../shared/hosts';
import type { ReleaseRecord } from '../../../shared/releases';
import { fakeEnvironment } from '../../support/fake-lab';

/**
 * Backup and restore on real data folders (a real store, secret store, ACME accounts file and
 * renewal scheduler), without an engine: what goes into the file, what comes back, and that a
 * refused file changes nothing.
 */

/** Cheap key derivation for the many files these tests write; one test keeps the product's cost. */
const FAST: ScryptParams = { N: 2 ** 14, r: 8, p: 1 };
const PASS = 'correct horse battery staple';
const SECRETS = {
  ssh: `ssh-${randomBytes(6).toString('hex')}`,
  token: `tok-${randomBytes(6).toString('hex')}`,
  oldToken: `old-${randomBytes(6).toString('hex')}`,
  registry: `reg-${randomBytes(6).toString('hex')}`,
  acme: `-----BEGIN EC PRIVATE KEY-----${randomBytes(6).toString('hex')}`,
};
const FINGERPRINT = `SHA256:${'A'.repeat(43)}`;
const CERT = { serial: '0a1b2c', notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-04-01T00:00:00.000Z', issuer: 'Test CA', domains: ['lab.example.com'] };

const folders: string[] = [];
const tmp = (prefix: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  folders.push(d);
  return d;
};

interface Folder {
  dir: string;
  store: Store;
  secrets: FileSecretStore;
  scheduler: RenewalScheduler;
  service: BackupService;
  restoredHook: { environments: string[]; hosts: string[] }[];
}

/** A data folder with its own installation and its own cipher key. */
function folder(dir = tmp('sy-backup-')): Folder {
  const store = new Store(dir);
  const secrets = new FileSecretStore(dir, aesGcmCipher(randomBytes(32), 'a test key'));
  const scheduler = new RenewalScheduler({ stateFile: path.join(dir, 'certificates.json'), renew: () => Promise.reject(new Error('no renewals here')) });
  const restoredHook: Folder['restoredHook'] = [];
  const service = new BackupService({
    store,
    secrets,
    dataDir: dir,
    installation: async () => ({ id: 'aaaaaaaa-0000-4000-8000-000000000001', user: 'ana', machine: 'laptop', createdAt: '2026-01-01T00:00:00.000Z' }),
    appVersion: async () => '0.1.0',
    certificates: { installed: () => scheduler.installed(), track: (id, domains, cert) => scheduler.track(id, domains, cert) },
    restored: async (w) => void restoredHook.push({ environments: w.environments.map((e) => e.name), hosts: w.hosts }),
    now: () => new Date('2026-02-01T10:00:00.000Z'),
    kdf: FAST,
  });
  return { dir, store, secrets, scheduler, service, restoredHook };
}

const host = (id: string, passwordRef: string, address = '203.0.113.10'): SshHost => ({
  kind: 'ssh',
  id,
  name: id,
  address,
  port: 22,
  user: 'deploy',
  auth: { method: 'password', passwordRef },
  hostKey: { algorithm: 'ssh-ed25519', fingerprint: FINGERPRINT },
});

function release(env: string, number: number, tokenRef: string): ReleaseRecord {
  return {
    environment: env,
    number,
    startedAt: `2026-01-0${number}T00:00:00.000Z`,
    endedAt: `2026-01-0${number}T00:01:00.000Z`,
    by: { installation: 'aaaaaaaa', user: 'ana@laptop' },
    app: { source: { kind: 'image', image: `shop:${number}` }, port: 80, env: [], secrets: [{ name: 'API_TOKEN', ref: tokenRef }] },
    image: { ref: `shop:${number}`, id: `sha256:${number}` },
    changes: [],
    result: 'succeeded',
    servers: [],
  };
}

/** The realistic folder: an SSH host with a password and a pinned key, a registry login, the lab, an app with a secret and its history, an ACME account and a certificate. */
async function populate(f: Folder): Promise<void> {
  const ssh = await f.secrets.put(SECRETS.ssh);
  const token = await f.secrets.put(SECRETS.token);
  const oldToken = await f.secrets.put(SECRETS.oldToken);
  const registry = await f.secrets.put(SECRETS.registry);
  const acme = await f.secrets.put(SECRETS.acme);
  const lab = fakeEnvironment('lab', { httpPort: 8080 });
  const shop = fakeEnvironment('shop', {
    httpPort: 8081,
    host: 'vps-1',
    app: { source: { kind: 'image', image: 'shop:2' }, env: [{ name: 'MODE', value: 'prod' }], secrets: [{ name: 'API_TOKEN', ref: token }] },
    servers: [{ name: 'app1', kind: 'app' }],
  });
  await f.store.update((d) => {
    d.hosts.push(host('vps-1', ssh));
    d.registries.push({ registry: 'registry.example.com', host: 'local', username: 'deployer', passwordRef: registry });
    d.environments.push(lab, shop);
    d.releases.push(release('shop', 1, oldToken), release('shop', 2, token));
    d.preferences = { notifications: { backends: false, certificates: true }, locale: 'fr' };
    d.configs.push({
      environment: 'lab',
      version: 1,
      at: '2026-01-05T00:00:00.000Z',
      by: { installation: 'aaaaaaaa-0000-4000-8000-000000000001', by: 'ana@laptop' },
      trigger: { kind: 'deploy' },
      config: 'global\n  maxconn 100\n',
      settings: { name: 'lab', httpPort: 8080 },
    });
  });
  writeFileSync(
    path.join(f.dir, ACCOUNTS_FILE),
    JSON.stringify({
      version: 1,
      accounts: [
        {
          directoryUrl: 'https://acme.example/dir',
          email: 'ops@example.com',
          accountUrl: 'https://acme.example/acct/1',
          sealedKey: acme,
          termsOfService: null,
          termsAcceptedAt: '2026-01-01T00:00:00.000Z',
        },
      ],
    }),
  );
  await f.scheduler.track('lab', ['lab.example.com'], CERT);
}

const dataFile = (f: Folder) => path.join(f.dir, STORE_FILE);
const bytesOf = (file: string) => (existsSync(file) ? readFileSync(file) : undefined);

async function refusal(p: Promise<unknown>): Promise<ErrorInfo> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SwitchyardError);
    return (err as SwitchyardError).toInfo();
  }
  throw new Error('expected a refusal');
}

/** What a restored folder's secrets open to, by what uses them. */
async function openedSecrets(f: Folder): Promise<Record<string, string>> {
  const d = await f.store.read();
  const out: Record<string, string> = {};
  const open = async (what: string, ref: string) => (out[what] = await f.secrets.get(ref).catch((e: Error) => `missing: ${e.message.slice(0, 20)}`));
  for (const h of d.hosts) if (h.auth.method === 'password') await open(`host ${h.id}`, h.auth.passwordRef);
  for (const r of d.registries) await open(`registry ${r.registry}`, r.passwordRef);
  for (const e of d.environments) for (const s of e.app?.secrets ?? []) await open(`env ${e.name} ${s.name}`, s.ref);
  for (const r of d.releases) for (const s of r.app.secrets) await open(`release ${r.environment} ${r.number} ${s.name}`, s.ref);
  const accountsFile = path.join(f.dir, ACCOUNTS_FILE);
  const accounts = existsSync(accountsFile) ? (JSON.parse(readFileSync(accountsFile, 'utf8')) as { accounts: { email: string; sealedKey: string }[] }).accounts : [];
  for (const a of accounts) await open(`acme ${a.email}`, a.sealedKey);
  return out;
}

/** The data with every secret reference blanked: what must come back the same. */
function withoutRefs(d: StoreData): unknown {
  return JSON.parse(JSON.stringify(d), (k, v: unknown) => (['ref', 'passwordRef', 'passphraseRef'].includes(k) ? '<ref>' : v));
}

afterEach(() => {
  for (const d of folders.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the backup file', () => {
  it('with a passphrase: every byte is encrypted, no secret, no name in clear; the header says what is inside', async () => {
    const src = folder();
    await populate(src);
    const file = path.join(tmp('sy-out-'), 'all.backup');
    const summary = await src.service.create({ file, passphrase: PASS });
    expect(summary).toMatchObject({
      file,
      format: 1,
      encrypted: true,
      counts: { environments: 2, hosts: 1, registries: 1, releases: 2, configs: 1, acmeAccounts: 1, certificates: 1, secrets: 5 },
      secretsLeftOut: 0,
    });
    const bytes = readFileSync(file);
    expect(bytes.length).toBe(summary.bytes);
    const text = bytes.toString('latin1');
    for (const v of [...Object.values(SECRETS), 'registry.example.com', 'vps-1', 'API_TOKEN', 'shop:2']) expect(text).not.toContain(v);
    expect(text.startsWith(BACKUP_MAGIC)).toBe(true);
    const { header } = readHeader(bytes, file);
    expect(header.encryption).toMatchObject({ cipher: 'aes-256-gcm', kdf: 'scrypt', N: FAST.N, r: 8, p: 1 });
    expect(header.from).toEqual({ installation: 'aaaaaaaa-0000-4000-8000-000000000001', by: 'ana@laptop' });
    expect((readFileSync(file).length > 0 && (await import('node:fs')).statSync(file).mode & 0o777).toString(8)).toBe('600');
  });

  it('without a passphrase: readable JSON, no secret value at all, and says how many were left out', async () => {
    const src = folder();
    await populate(src);
    const file = path.join(tmp('sy-out-'), 'plain.backup');
    const summary = await src.service.create({ file });
    expect(summary).toMatchObject({ encrypted: false, counts: { secrets: 0, environments: 2 }, secretsLeftOut: 5 });
    const text = readFileSync(file).toString('latin1');
    for (const v of Object.values(SECRETS)) expect(text).not.toContain(v);
    expect(text).toContain('"vps-1"');
  });

  it('a plain file: any single byte changed anywhere, or a byte missing, is caught by the checksum', async () => {
    const fields = {
      createdAt: 'now',
      app: '0.1.0',
      from: { installation: 'x', by: 'a@b' },
      counts: { environments: 1, hosts: 0, registries: 0, releases: 0, configs: 0, acmeAccounts: 0, certificates: 0, secrets: 0 },
    };
    const good = await encodeBackup({ store: { environments: [{ name: 'lab', httpPort: 8080 }] } }, fields);
    expect(JSON.parse((await decodeBackup(good, 'f')).text)).toMatchObject({ store: { environments: [{ name: 'lab' }] } });
    for (let at = 0; at < good.length; at++) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x20;
      await expect(decodeBackup(bad, 'f'), `byte ${at}`).rejects.toBeInstanceOf(SwitchyardError);
      await expect(decodeBackup(Buffer.concat([good.subarray(0, at), good.subarray(at + 1)]), 'f'), `without byte ${at}`).rejects.toBeInstanceOf(SwitchyardError);
    }
  });

  it('uses the stated key derivation by default (scrypt N=2^17, r=8, p=1) and opens with it', async () => {
    const payload = { hello: 'world' };
    const fields = {
      createdAt: 'now',
      app: '0.1.0',
      from: { installation: 'x', by: 'a@b' },
      counts: { environments: 0, hosts: 0, registries: 0, releases: 0, configs: 0, acmeAccounts: 0, certificates: 0, secrets: 0 },
    };
    const bytes = await encodeBackup(payload, fields, PASS);
    expect(readHeader(bytes, 'f').header.encryption).toMatchObject({ N: 131072, r: 8, p: 1 });
    expect(JSON.parse((await decodeBackup(bytes, 'f', PASS)).text)).toEqual(payload);
    // The passphrase is compared as NFC: "é" typed precomposed or not is the same passphrase.
    const nfd = await encodeBackup(payload, fields, 'caf\u0065\u0301 au lait', FAST);
    expect(JSON.parse((await decodeBackup(nfd, 'f', 'caf\u00e9 au lait')).text)).toEqual(payload);
  });

  it('refuses to write over a file that is not a backup, and over a missing folder; writes over an earlier backup', async () => {
    const src = folder();
    await populate(src);
    const out = tmp('sy-out-');
    const notes = path.join(out, 'notes.txt');
    writeFileSync(notes, 'my notes');
    expect(await refusal(src.service.create({ file: notes }))).toMatchObject({ code: 'VALIDATION', field: 'file', reason: 'backupExists' });
    expect(readFileSync(notes, 'utf8')).toBe('my notes');
    expect(await refusal(src.service.create({ file: path.join(out, 'nope', 'x.backup') }))).toMatchObject({ field: 'file', reason: 'backupNoFolder' });
    expect(await refusal(src.service.create({ file: out }))).toMatchObject({ field: 'file', reason: 'backupExists' });
    const file = path.join(out, 'again.backup');
    await src.service.create({ file });
    await src.service.create({ file, passphrase: PASS });
    expect(readHeader(readFileSync(file), file).header.encryption).not.toBeNull();
  });
});

describe('restoring into a new installation', () => {
  it('with the passphrase: everything comes back, and every secret opens under the new key', async () => {
    const src = folder();
    await populate(src);
    const file = path.join(tmp('sy-out-'), 'all.backup');
    await src.service.create({ file, passphrase: PASS });

    const dst = folder();
    const preview = await dst.service.preview({ file, passphrase: PASS, mode: 'replace' });
    expect(existsSync(dataFile(dst))).toBe(false);
    expect(preview.items.map((i) => `${i.action} ${i.kind} ${i.name}`)).toEqual([
      'add environment lab',
      'add environment shop',
      'add host vps-1',
      'add registry registry.example.com',
      'add acme-account ops@example.com',
    ]);
    expect(preview.items.find((i) => i.name === 'shop')).toMatchObject({ releases: 2, configs: 0, certificate: false });
    expect(preview.items.find((i) => i.name === 'lab')).toMatchObject({ releases: 0, configs: 1, certificate: true });
    expect(preview.missingSecrets).toEqual([]);
    expect(preview.backup).toMatchObject({ format: 1, app: '0.1.0', encrypted: true, from: { by: 'ana@laptop' } });

    const result = await dst.service.restore({ file, passphrase: PASS, mode: 'replace' });
    expect(result.restored).toBe(true);
    expect(result.missingSecrets).toEqual([]);
    const [before, after] = [await src.store.read(), await dst.store.read()];
    expect(withoutRefs(after)).toEqual(withoutRefs(before));
    expect(after.preferences).toEqual({ notifications: { backends: false, certificates: true }, locale: 'fr' });
    // Sealed again under this installation's key, under references of its own.
    expect(after.hosts[0].auth).not.toEqual(before.hosts[0].auth);
    expect(await openedSecrets(dst)).toEqual({
      'host vps-1': SECRETS.ssh,
      'registry registry.example.com': SECRETS.registry,
      'env shop API_TOKEN': SECRETS.token,
      'release shop 1 API_TOKEN': SECRETS.oldToken,
      'release shop 2 API_TOKEN': SECRETS.token,
      'acme ops@example.com': SECRETS.acme,
    });
    // The environment and the release that shares its value share one reference, as before.
    expect(after.environments.find((e) => e.name === 'shop')!.app!.secrets[0].ref).toBe(after.releases.find((r) => r.number === 2)!.app.secrets[0].ref);
    expect(readFileSync(path.join(dst.dir, 'secrets.json'), 'utf8')).not.toContain(SECRETS.ssh);
    expect(await dst.scheduler.installed()).toEqual([{ id: 'lab', domains: ['lab.example.com'], certificate: CERT }]);
    expect(dst.restoredHook).toEqual([{ environments: ['lab', 'shop'], hosts: [] }]);
  });

  it('without a passphrase: everything but the secrets, and the restore names each missing one by what uses it', async () => {
    const src = folder();
    await populate(src);
    const file = path.join(tmp('sy-out-'), 'plain.backup');
    await src.service.create({ file });

    const dst = folder();
    const preview = await dst.service.preview({ file, mode: 'replace' });
    const expected: MissingSecret[] = [
      { kind: 'host-password', host: 'vps-1' },
      { kind: 'registry-password', registry: 'registry.example.com', host: 'local' },
      { kind: 'app-variable', environment: 'shop', variable: 'API_TOKEN' },
      { kind: 'release-variable', environment: 'shop', release: 1, variable: 'API_TOKEN' },
      { kind: 'acme-account-key', email: 'ops@example.com', directory: 'https://acme.example/dir' },
    ];
    expect(preview.missingSecrets).toEqual(expected);
    // An account without its key is of no use: left out, a new one is registered at the next order.
    expect(preview.items.find((i) => i.kind === 'acme-account')?.action).toBe('skip');

    const result = await dst.service.restore({ file, mode: 'replace' });
    expect(result.missingSecrets).toEqual(expected);
    const after = await dst.store.read();
    expect(withoutRefs(after)).toEqual(withoutRefs(await src.store.read()));
    const opened = await openedSecrets(dst);
    expect(Object.keys(opened)).toHaveLength(5);
    expect(Object.values(opened).every((v) => v.startsWith('missing'))).toBe(true);
    expect(existsSync(path.join(dst.dir, ACCOUNTS_FILE))).toBe(false);
  });

  it('a file without secrets restored into the folder it came from: the secrets already here still open', async () => {
    const src = folder();
    await populate(src);
    const file = path.join(tmp('sy-out-'), 'plain.backup');
    await src.service.create({ file });
    await src.store.update((d) => {
      d.environments.find((e) => e.name === 'lab')!.httpPort = 9090;
    });
    const preview = await src.service.preview({ file, mode: 'merge' });
    expect(preview.items.filter((i) => i.action !== 'unchanged').map((i) => `${i.action} ${i.name}`)).toEqual(['replace lab']);
    expect(preview.missingSecrets).toEqual([]);
    await src.service.restore({ file, mode: 'merge' });
    expect((await src.store.read()).environments.find((e) => e.name === 'lab')!.httpPort).toBe(8080);
    expect(Object.values(await openedSecrets(src)).some((v) => v.startsWith('missing'))).toBe(false);
  });

  it('a file without secrets, merged where the same host has its password already: that password stays', async () => {
    const src = folder();
    await populate(src);
    const file = path.join(tmp('sy-out-'), 'plain.backup');
    await src.service.create({ file });
    const dst = folder();
    const ref = await dst.secrets.put('the password here');
    await dst.store.update((d) => void d.hosts.push(host('vps-1', ref)));
    const preview = await dst.service.preview({ file, mode: 'merge' });
    expect(preview.items.find((i) => i.kind === 'host')?.action).toBe('unchanged');
    expect(preview.missingSecrets.map((m) => m.kind)).not.toContain('host-password');
    await dst.service.restore({ file, mode: 'merge' });
    expect(await openedSecrets(dst)).toMatchObject({ 'host vps-1': 'the password here' });
  });

  it('a reference without its value never reaches another secret of this folder', async () => {
    // A hand-made file whose app variable names this folder's SSH password reference.
    const dst = folder();
    const sshRef = await dst.secrets.put(SECRETS.ssh);
    await dst.store.update((d) => void d.hosts.push(host('vps-1', sshRef)));
    const src = folder();
    await src.store.update((d) => {
      d.hosts.push(host('vps-1', sshRef));
      d.environments.push(
        fakeEnvironment('thief', {
          httpPort: 8099,
          app: { source: { kind: 'image', image: 'evil:1' }, secrets: [{ name: 'LOOT', ref: sshRef }] },
          servers: [{ name: 'app1', kind: 'app' }],
        }),
      );
    });
    const file = path.join(tmp('sy-out-'), 'crafted.backup');
    await src.service.create({ file });
    const result = await dst.service.restore({ file, mode: 'merge' });
    expect(result.missingSecrets).toEqual([{ kind: 'app-variable', environment: 'thief', variable: 'LOOT' }]);
    const thief = (await dst.store.read()).environments.find((e) => e.name === 'thief')!;
    expect(thief.app!.secrets[0].ref).not.toBe(sshRef);
    await expect(dst.secrets.get(thief.app!.secrets[0].ref)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The host's own use of it is the same use: honoured.
    expect(await dst.secrets.get(sshRef)).toBe(SECRETS.ssh);
  });
});

describe('a file that is refused changes nothing', () => {
  /** A destination with data of its own, and its data file's bytes. */
  async function destination(): Promise<{ dst: Folder; before: Buffer; secretsBefore: Buffer | undefined; accountsBefore: Buffer | undefined }> {
    const dst = folder();
    const ref = await dst.secrets.put('keep me');
    await dst.store.update((d) => {
      d.environments.push(fakeEnvironment('mine', { httpPort: 7070 }));
      d.hosts.push(host('vps-1', ref, '198.51.100.7'));
    });
    return { dst, before: readFileSync(dataFile(dst)), secretsBefore: bytesOf(path.join(dst.dir, 'secrets.json')), accountsBefore: bytesOf(path.join(dst.dir, ACCOUNTS_FILE)) };
  }

  async function expectUnchanged(d: Awaited<ReturnType<typeof destination>>): Promise<void> {
    expect(readFileSync(dataFile(d.dst)).equals(d.before)).toBe(true);
    expect(bytesOf(path.join(d.dst.dir, 'secrets.json'))?.equals(d.secretsBefore!)).toBe(true);
    expect(bytesOf(path.join(d.dst.dir, ACCOUNTS_FILE))).toEqual(d.accountsBefore);
  }

  async function backupFile(passphrase?: string): Promise<string> {
    const src = folder();
    await populate(src);
    const file = path.join(tmp('sy-out-'), passphrase ? 'enc.backup' : 'plain.backup');
    await src.service.create({ file, passphrase });
    return file;
  }

  it('a wrong passphrase, or none for an encrypted file: refused on the passphrase', async () => {
    const file = await backupFile(PASS);
    const d = await destination();
    for (const call of [d.dst.service.preview.bind(d.dst.service), d.dst.service.restore.bind(d.dst.service)]) {
      expect(await refusal(call({ file, passphrase: 'not the passphrase', mode: 'merge' }))).toMatchObject({ code: 'VALIDATION', field: 'passphrase', reason: 'backupWrongPassphrase' });
      expect(await refusal(call({ file, mode: 'merge' }))).toMatchObject({ code: 'VALIDATION', field: 'passphrase', reason: 'backupPassphraseNeeded' });
    }
    await expectUnchanged(d);
  });

  it('a byte flipped anywhere (magic, header, body, tag or checksum): refused, with the data file byte-identical', async () => {
    for (const passphrase of [PASS, undefined]) {
      const file = await backupFile(passphrase);
      const good = readFileSync(file);
      const headEnd = good.indexOf(0x0a, BACKUP_MAGIC.length) + 1;
      const positions = new Set<number>([0, 5, BACKUP_MAGIC.length - 1, headEnd - 1, good.length - 1, good.length - 16, good.length - 33]);
      for (let i = BACKUP_MAGIC.length; i < headEnd; i += 37) positions.add(i);
      for (let i = headEnd; i < good.length; i += Math.ceil((good.length - headEnd) / 25)) positions.add(i);
      const d = await destination();
      for (const at of [...positions].sort((a, b) => a - b)) {
        const bad = Buffer.from(good);
        bad[at] ^= 0x01;
        writeFileSync(file, bad);
        const err = await refusal(d.dst.service.restore({ file, passphrase, mode: 'merge' }));
        expect(['file', 'passphrase'], `byte ${at}: ${err.message}`).toContain(err.field);
        expect(['VALIDATION', 'STORE_TOO_NEW']).toContain(err.code);
      }
      await expectUnchanged(d);
      // The very same bytes, unflipped, restore.
      writeFileSync(file, good);
      await d.dst.service.restore({ file, passphrase, mode: 'merge' });
      expect((await d.dst.store.read()).environments.map((e) => e.name).sort()).toEqual(['lab', 'mine', 'shop']);
    }
  });

  it('a file cut short at any point: refused as damaged (or as not a backup when nothing of it is left)', async () => {
    for (const passphrase of [PASS, undefined]) {
      const file = await backupFile(passphrase);
      const good = readFileSync(file);
      const headEnd = good.indexOf(0x0a, BACKUP_MAGIC.length) + 1;
      const d = await destination();
      for (const length of [1, 7, BACKUP_MAGIC.length, BACKUP_MAGIC.length + 10, headEnd - 1, headEnd, headEnd + 100, good.length - 16, good.length - 1]) {
        writeFileSync(file, good.subarray(0, length));
        const err = await refusal(d.dst.service.preview({ file, passphrase, mode: 'merge' }));
        expect(err, `cut at ${length}`).toMatchObject({ code: 'VALIDATION', field: 'file', reason: 'backupDamaged' });
        await refusal(d.dst.service.restore({ file, passphrase, mode: 'merge' }));
      }
      writeFileSync(file, Buffer.concat([good, Buffer.from('x')]));
      expect(await refusal(d.dst.service.restore({ file, passphrase, mode: 'merge' }))).toMatchObject({ reason: 'backupDamaged' });
      writeFileSync(file, '');
      expect(await refusal(d.dst.service.restore({ file, passphrase, mode: 'merge' }))).toMatchObject({ reason: 'backupNotBackup' });
      await expectUnchanged(d);
    }
  });

  it('a file from a newer format, or with newer data inside: refused as too new', async () => {
    const file = await backupFile();
    const good = readFileSync(file);
    const headEnd = good.indexOf(0x0a, BACKUP_MAGIC.length) + 1;
    const header = JSON.parse(good.subarray(BACKUP_MAGIC.length, headEnd - 1).toString('utf8')) as Record<string, unknown>;
    writeFileSync(file, Buffer.concat([Buffer.from(`${BACKUP_MAGIC}${JSON.stringify({ ...header, format: 2, somethingNew: true })}\n`), good.subarray(headEnd)]));
    const d = await destination();
    expect(await refusal(d.dst.service.restore({ file, mode: 'merge' }))).toMatchObject({ code: 'STORE_TOO_NEW', field: 'file', reason: 'backupFormat', params: { format: 2, supported: 1 } });

    const payload = JSON.parse((await decodeBackup(good, file)).text) as { store: { schemaVersion: number } };
    payload.store.schemaVersion = 2;
    const { format: _f, encryption: _e, bodyLength: _b, ...fields } = header as never as Parameters<typeof encodeBackup>[1] & { format: number; encryption: null; bodyLength: number };
    writeFileSync(file, await encodeBackup(payload, fields));
    expect(await refusal(d.dst.service.restore({ file, mode: 'merge' }))).toMatchObject({ code: 'STORE_TOO_NEW', field: 'file', reason: 'backupData' });
    await expectUnchanged(d);
  });

  it('not a backup, a missing file: refused on the file', async () => {
    const d = await destination();
    const other = path.join(tmp('sy-out-'), 'photo.jpg');
    writeFileSync(other, randomBytes(200));
    expect(await refusal(d.dst.service.preview({ file: other, mode: 'merge' }))).toMatchObject({ field: 'file', reason: 'backupNotBackup' });
    expect(await refusal(d.dst.service.restore({ file: `${other}.nope`, mode: 'merge' }))).toMatchObject({ field: 'file', reason: 'backupMissing' });
    await expectUnchanged(d);
  });

  it('a replace into a data folder that is not empty: refused on the mode, naming what is there', async () => {
    const file = await backupFile(PASS);
    const d = await destination();
    for (const call of [d.dst.service.preview.bind(d.dst.service), d.dst.service.restore.bind(d.dst.service)]) {
      const err = await refusal(call({ file, passphrase: PASS, mode: 'replace' }));
      expect(err).toMatchObject({ code: 'VALIDATION', field: 'mode', reason: 'restoreNotEmpty', params: { environments: 1, hosts: 1, registries: 0 } });
    }
    await expectUnchanged(d);
  });
});

describe('a merge', () => {
  it('previews what is added, replaced, unchanged and kept, changes nothing until applied, then applies exactly that', async () => {
    const src = folder();
    await populate(src);
    const file = path.join(tmp('sy-out-'), 'all.backup');
    await src.service.create({ file, passphrase: PASS });

    const dst = folder();
    const ref = await dst.secrets.put('theirs');
    await dst.store.update((d) => {
      d.environments.push(fakeEnvironment('lab', { httpPort: 8080 }), fakeEnvironment('shop', { httpPort: 9999 }), fakeEnvironment('mine', { httpPort: 7070 }));
      d.hosts.push(host('vps-1', ref, '198.51.100.7'));
    });
    // `lab` here is the backup's own: same settings, same (empty) history... but the backup's has a config version.
    const before = readFileSync(dataFile(dst));
    const preview = await dst.service.preview({ file, passphrase: PASS, mode: 'merge' });
    expect(readFileSync(dataFile(dst)).equals(before)).toBe(true);
    const table = (items: RestoreItem[]) => items.map((i) => `${i.action} ${i.kind} ${i.name}`);
    expect(table(preview.items)).toEqual([
      'replace environment lab',
      'keep environment mine',
      'replace environment shop',
      'replace host vps-1',
      'add registry registry.example.com',
      'add acme-account ops@example.com',
    ]);
    expect(preview.missingSecrets).toEqual([]);

    const result = await dst.service.restore({ file, passphrase: PASS, mode: 'merge' });
    expect(table(result.items)).toEqual(table(preview.items));
    const after = await dst.store.read();
    expect(after.environments.map((e) => `${e.name}:${e.httpPort}:${e.host}`)).toEqual(['lab:8080:local', 'shop:8081:vps-1', 'mine:7070:local']);
    expect(after.hosts[0].address).toBe('203.0.113.10');
    // A merge keeps this folder's preferences (a restore into an empty one takes the backup's).
    expect(after.preferences).toEqual({ notifications: { backends: true, certificates: true } });
    expect(await openedSecrets(dst)).toMatchObject({ 'host vps-1': SECRETS.ssh, 'env shop API_TOKEN': SECRETS.token });
    // The replaced host's password is no longer used by anything: gone from the secret store.
    await expect(dst.secrets.get(ref)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(dst.restoredHook).toEqual([{ environments: ['lab', 'shop'], hosts: ['vps-1'] }]);

    // Restoring the same file again: all unchanged, nothing written.
    const again = await dst.service.preview({ file, passphrase: PASS, mode: 'merge' });
    expect(again.items.map((i) => i.action)).toEqual(['unchanged', 'keep', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
  });
});
