import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SwitchyardError } from '../../../shared/errors';
import { FileSecretStore, type SecretCipher } from './secret-store';

export const SECRET_KEY_FILE = 'secret.key';
export const SECRET_KEY_ENV = 'SWITCHYARD_SECRET_KEY';

const FORMAT = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The headless cipher: AES-256-GCM under a 32-byte key. The key comes from
 * SWITCHYARD_SECRET_KEY (64 hex digits or base64), so a server or CI can keep it outside the
 * data folder; otherwise from `secret.key` beside the data (created at random, mode 0600).
 * A key file next to the data protects a copied or synced secrets.json, not a copy of the
 * whole folder: that is what the keychain-backed cipher of the desktop app is for.
 */
export async function localKeyCipher(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<SecretCipher> {
  const fromEnv = env[SECRET_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return aesGcmCipher(parseKey(fromEnv), `the key in ${SECRET_KEY_ENV}`);
  const file = path.join(dataDir, SECRET_KEY_FILE);
  return aesGcmCipher(await loadOrCreateKeyFile(file), `the key file ${file}`);
}

/** The secret store the CLI and headless mode use. */
export async function localSecretStore(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<FileSecretStore> {
  return new FileSecretStore(dataDir, await localKeyCipher(dataDir, env));
}

export function aesGcmCipher(key: Buffer, keySource: string): SecretCipher {
  if (key.length !== 32) throw new SwitchyardError('INTERNAL', 'An AES-256 key is 32 bytes');
  const keyId = createHmac('sha256', key).update('switchyard secret key id').digest('hex').slice(0, 16);
  return {
    keyId,
    keySource,
    encrypt(plain, aad) {
      const iv = randomBytes(IV_BYTES);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([Buffer.from([FORMAT]), iv, c.getAuthTag(), body]);
    },
    decrypt(sealed, aad) {
      if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT) throw new Error('not a sealed secret');
      const iv = sealed.subarray(1, 1 + IV_BYTES);
      const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
      const d = createDecipheriv('aes-256-gcm', key, iv);
      d.setAAD(Buffer.from(aad, 'utf8'));
      d.setAuthTag(tag);
      return Buffer.concat([d.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), d.final()]).toString('utf8');
    },
  };
}

function parseKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/]{43}=?$/.test(t) ? Buffer.from(t, 'base64') : undefined;
  if (!key || key.length !== 32) {
    throw new SwitchyardError('VALIDATION', `${SECRET_KEY_ENV} must be a 32-byte key: 64 hex digits or 44 base64 characters (e.g. the output of "openssl rand -base64 32")`, {
      field: SECRET_KEY_ENV,
    });
  }
  return key;
}

async function loadOrCreateKeyFile(file: string): Promise<Buffer> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  try {
    // 'wx': two processes starting at once must not each write their own key.
    await fs.writeFile(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SwitchyardError('INTERNAL', `Cannot create the secret key file ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  const text = await fs.readFile(file, 'utf8');
  if (process.platform !== 'win32') {
    const st = await fs.stat(file);
    // A key readable by other users protects nothing; tighten it rather than refuse to start.
    if (st.mode & 0o077) await fs.chmod(file, 0o600);
  }
  try {
    return parseKey(text);
  } catch {
    throw new SwitchyardError('STORE_CORRUPT', `The secret key file ${file} is damaged: restore it from a backup, or remove it and secrets.json and enter the passwords again`);
  }
}

/**
 * The part of Electron's `safeStorage` the desktop app's cipher needs. The shell passes
 * `safeStorage` itself: `new FileSecretStore(dataDir, safeStorageCipher(safeStorage))`. On
 * Linux without a keyring Electron falls back to a fixed password ('basic_text'); the shell
 * should then use `localKeyCipher` instead, which at least keeps the key out of the binary.
 */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export function safeStorageCipher(safe: SafeStorageLike): SecretCipher {
  const available = () => {
    if (!safe.isEncryptionAvailable()) {
      throw new SwitchyardError('INTERNAL', "The operating system's keychain is not available, so secrets cannot be stored or read");
    }
  };
  return {
    keyId: 'os-keychain',
    keySource: "the operating system's keychain",
    encrypt(plain, aad) {
      available();
      // safeStorage has no associated data: the reference travels inside and is checked on the way out.
      return safe.encryptString(JSON.stringify([aad, plain]));
    },
    decrypt(sealed, aad) {
      available();
      const [ref, plain] = JSON.parse(safe.decryptString(sealed)) as [string, string];
      if (ref !== aad) throw new Error('sealed secret belongs to another reference');
      return plain;
    },
  };
}
