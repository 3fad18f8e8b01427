import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SECRET_KEY_ENV, SECRET_KEY_FILE, localKeyCipher, localSecretStore, safeStorageCipher, type SafeStorageLike } from '../../../electron/core/secrets/ciphers';
import { FileSecretStore, SECRETS_FILE } from '../../../electron/core/secrets/secret-store';
import { failure } from '../../support/failure';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sy-secrets-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const noEnv: NodeJS.ProcessEnv = {};
const onDisk = () => readFileSync(path.join(dir, SECRETS_FILE), 'utf8');

describe('the headless secret store', () => {
  it('gives back what was put, across instances, and forgets what is deleted', async () => {
    const store = await localSecretStore(dir, noEnv);
    const a = await store.put('correct horse battery staple');
    const b = await store.put('p@ss "quoted" wörd');
    expect(a).not.toBe(b);
    const again = await localSecretStore(dir, noEnv);
    expect(await again.get(a)).toBe('correct horse battery staple');
    expect(await again.get(b)).toBe('p@ss "quoted" wörd');
    await again.delete(a);
    expect((await failure(again.get(a))).code).toBe('NOT_FOUND');
    expect(await again.get(b)).toBe('p@ss "quoted" wörd');
    await again.delete('sunknown0000');
  });

  it('never writes a secret in clear, in any encoding', async () => {
    const store = await localSecretStore(dir, noEnv);
    const secret = `hunter2-${randomBytes(6).toString('hex')}`;
    await store.put(secret);
    await store.put(secret);
    const text = onDisk();
    expect(text).not.toContain(secret);
    expect(text).not.toContain(Buffer.from(secret).toString('base64'));
    expect(text).not.toContain(Buffer.from(secret).toString('hex'));
    // Same value twice: different ciphertexts (a fresh IV each time).
    const sealed = Object.values(JSON.parse(text).secrets as Record<string, string>);
    expect(sealed[0]).not.toBe(sealed[1]);
  });

  it('keeps its key in a separate file only the owner can read', async () => {
    const store = await localSecretStore(dir, noEnv);
    await store.put('x');
    const keyFile = path.join(dir, SECRET_KEY_FILE);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, SECRETS_FILE)).mode & 0o777).toBe(0o600);
    expect(onDisk()).not.toContain(readFileSync(keyFile, 'utf8').trim());
  });

  it('uses SWITCHYARD_SECRET_KEY when set, and then writes no key file', async () => {
    const env = { [SECRET_KEY_ENV]: randomBytes(32).toString('hex') };
    const store = await localSecretStore(dir, env);
    const ref = await store.put('from env');
    expect(await (await localSecretStore(dir, env)).get(ref)).toBe('from env');
    expect(() => statSync(path.join(dir, SECRET_KEY_FILE))).toThrow();
  });

  it('refuses a malformed SWITCHYARD_SECRET_KEY, naming it', async () => {
    const err = await failure(localSecretStore(dir, { [SECRET_KEY_ENV]: 'too short' }));
    expect(err.code).toBe('VALIDATION');
    expect(err.field).toBe(SECRET_KEY_ENV);
  });

  it('can be made at once and read its key on first use', async () => {
    const store = new FileSecretStore(dir, () => localKeyCipher(dir, noEnv));
    const ref = await store.put('lazy');
    expect(await (await localSecretStore(dir, noEnv)).get(ref)).toBe('lazy');
    const broken = new FileSecretStore(dir, () => localKeyCipher(dir, { [SECRET_KEY_ENV]: 'nope' }));
    expect((await failure(broken.get(ref))).field).toBe(SECRET_KEY_ENV);
  });

  it('says clearly that the key is wrong, and which key it used', async () => {
    const ref = await (await localSecretStore(dir, noEnv)).put('s3cret');
    const other = await localSecretStore(dir, { [SECRET_KEY_ENV]: randomBytes(32).toString('base64') });
    const err = await failure(other.get(ref));
    expect(err.code).toBe('STORE_CORRUPT');
    expect(err.detail).toBe('secret-key-mismatch');
    expect(err.message).toContain(SECRET_KEY_ENV);
    expect(err.message).toContain('another key');
    // Nor may it add a secret under a second key to the same file.
    expect((await failure(other.put('more'))).detail).toBe('secret-key-mismatch');
  });

  it('refuses a tampered or moved ciphertext instead of returning garbage', async () => {
    const store = await localSecretStore(dir, noEnv);
    const a = await store.put('first');
    const b = await store.put('second');
    const data = JSON.parse(onDisk());
    [data.secrets[a], data.secrets[b]] = [data.secrets[b], data.secrets[a]];
    writeFileSync(path.join(dir, SECRETS_FILE), JSON.stringify(data));
    expect((await failure(store.get(a))).detail).toBe('secret-undecryptable');
  });

  it('plugs the desktop keychain in through a safeStorage-shaped object', async () => {
    // A stand-in for Electron's safeStorage: reversible, which is all the adapter relies on.
    const fakeSafeStorage: SafeStorageLike = {
      isEncryptionAvailable: () => true,
      encryptString: (s) => Buffer.from(Buffer.from(s, 'utf8').map((x) => x ^ 0x5a)),
      decryptString: (b) => Buffer.from(b.map((x) => x ^ 0x5a)).toString('utf8'),
    };
    const store = new FileSecretStore(dir, safeStorageCipher(fakeSafeStorage));
    const ref = await store.put('keychain secret');
    expect(await store.get(ref)).toBe('keychain secret');
    const headless = await localSecretStore(dir, noEnv);
    const err = await failure(headless.get(ref));
    expect(err.message).toContain('another key');
  });
});
