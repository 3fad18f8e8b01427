import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { SwitchyardError } from '../../../shared/errors';

/**
 * Where SSH passwords, key passphrases and other secrets live. The store holds references
 * (`put` returns one); only the process that needs a secret asks for its value, just before
 * using it.
 */
export interface SecretStore {
  put(value: string): Promise<string>;
  /** The value behind `ref`; NOT_FOUND when there is none. */
  get(ref: string): Promise<string>;
  /** Forgets `ref`; forgetting an unknown reference is not an error. */
  delete(ref: string): Promise<void>;
}

/**
 * Turns a secret into bytes only its owner can turn back. Two exist:
 * - headless (CLI, tests, machines without a desktop): `localKeyCipher`, AES-256-GCM with a
 *   key file beside the data (or SWITCHYARD_SECRET_KEY);
 * - the Electron app: `safeStorageCipher(safeStorage)` (the OS keychain: Keychain, DPAPI,
 *   libsecret). The shell passes Electron's `safeStorage` in; core never imports electron.
 */
export interface SecretCipher {
  /**
   * Names the key: secrets saved under one id cannot be read under another, and saying
   * which one was expected is the clear error a user needs.
   */
  readonly keyId: string;
  /** Where the key comes from, for error messages ("the key file …/secret.key"). */
  readonly keySource: string;
  /** `aad` binds the ciphertext to its reference, so entries cannot be swapped in the file. */
  encrypt(plain: string, aad: string): Buffer;
  decrypt(sealed: Buffer, aad: string): string;
}

export const SECRETS_FILE = 'secrets.json';

const SecretsFile = z.object({
  version: z.literal(1),
  keyId: z.string(),
  secrets: z.record(z.string(), z.string()),
});
type SecretsFile = z.infer<typeof SecretsFile>;

/**
 * Secrets sealed one by one into a JSON file in the data folder. The file is written
 * atomically under a lock (the app and the CLI share the folder) and never holds a value in
 * clear.
 */
export class FileSecretStore implements SecretStore {
  readonly file: string;
  private readonly lockPath: string;
  private cipherLoad?: Promise<SecretCipher>;

  /** `cipher` may be a loader, so a store can be made synchronously and read its key on first use. */
  constructor(
    dataDir: string,
    private readonly cipherOrLoader: SecretCipher | (() => Promise<SecretCipher>),
  ) {
    this.file = path.join(dataDir, SECRETS_FILE);
    this.lockPath = path.join(dataDir, 'secrets');
  }

  private cipher(): Promise<SecretCipher> {
    const c = this.cipherOrLoader;
    if (typeof c !== 'function') return Promise.resolve(c);
    // A failed load (a malformed SWITCHYARD_SECRET_KEY) is retried on the next call.
    this.cipherLoad ??= c().catch((err: unknown) => {
      this.cipherLoad = undefined;
      throw err;
    });
    return this.cipherLoad;
  }

  async put(value: string): Promise<string> {
    if (typeof value !== 'string' || value.length === 0) throw new SwitchyardError('VALIDATION', 'A secret cannot be empty');
    const ref = `s${randomBytes(12).toString('hex')}`;
    const cipher = await this.cipher();
    await this.update(cipher, (data) => {
      data.secrets[ref] = cipher.encrypt(value, ref).toString('base64');
    });
    return ref;
  }

  async get(ref: string): Promise<string> {
    const data = await this.read();
    const sealed = data?.secrets[ref];
    if (!data || sealed === undefined) throw new SwitchyardError('NOT_FOUND', `The secret ${ref} is not in ${this.file}: enter it again`);
    const cipher = await this.cipher();
    checkKey(this.file, data, cipher);
    try {
      return cipher.decrypt(Buffer.from(sealed, 'base64'), ref);
    } catch (err) {
      throw new SwitchyardError('STORE_CORRUPT', `The secret ${ref} in ${this.file} cannot be decrypted with ${cipher.keySource}: it was damaged or saved with another key`, {
        detail: 'secret-undecryptable',
        cause: err,
      });
    }
  }

  async delete(ref: string): Promise<void> {
    if (!(await this.read())?.secrets[ref]) return;
    await this.update(await this.cipher(), (data) => {
      delete data.secrets[ref];
    });
  }

  private async read(): Promise<SecretsFile | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SwitchyardError('INTERNAL', `Cannot read ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    let parsed: ReturnType<typeof SecretsFile.safeParse>;
    try {
      parsed = SecretsFile.safeParse(JSON.parse(text));
    } catch {
      parsed = SecretsFile.safeParse(undefined);
    }
    if (!parsed.success) throw new SwitchyardError('STORE_CORRUPT', `${this.file} is not a secrets file Switchyard can read`);
    return parsed.data;
  }

  private async update(cipher: SecretCipher, fn: (data: SecretsFile) => void): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.lockPath, { realpath: false, stale: 10_000, retries: { retries: 20, minTimeout: 20, maxTimeout: 200 } });
    } catch (err) {
      throw new SwitchyardError('STORE_LOCKED', `Another Switchyard process holds ${this.lockPath}.lock`, { cause: err });
    }
    try {
      const data = (await this.read()) ?? { version: 1 as const, keyId: cipher.keyId, secrets: {} };
      // An empty file may change key freely; one with secrets in it may not.
      if (Object.keys(data.secrets).length === 0) data.keyId = cipher.keyId;
      checkKey(this.file, data, cipher);
      fn(data);
      await writeFileAtomic(this.file, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
    } finally {
      await release().catch(() => undefined);
    }
  }
}

function checkKey(file: string, data: SecretsFile, cipher: SecretCipher): void {
  if (data.keyId === cipher.keyId) return;
  throw new SwitchyardError(
    'STORE_CORRUPT',
    `The secrets in ${file} were saved with another key than ${cipher.keySource} (key ${data.keyId}, this one is ${cipher.keyId}). Restore the original key, or remove the file and enter the passwords again.`,
    { detail: 'secret-key-mismatch' },
  );
}
