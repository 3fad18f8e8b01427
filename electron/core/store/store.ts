import { promises as fs } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { SwitchyardError } from '../../../shared/errors';
import { SshHost } from '../../../shared/hosts';
import { RegistryCredential } from '../../../shared/registries';
import { Environment } from '../../../shared/model';

export const STORE_SCHEMA_VERSION = 1;
export const STORE_FILE = 'switchyard.json';

const StoreData = z
  .object({
    schemaVersion: z.literal(STORE_SCHEMA_VERSION),
    environments: z.array(Environment),
    /** Hosts added over SSH (the local engine is built in). */
    hosts: z.array(SshHost).default([]),
    /** Private registry logins (passwords sealed in the secret store). */
    registries: z.array(RegistryCredential).default([]),
  })
  .strict();
export type StoreData = z.infer<typeof StoreData>;

const empty = (): StoreData => ({ schemaVersion: STORE_SCHEMA_VERSION, environments: [], hosts: [], registries: [] });

/**
 * The desired state, as one JSON file in the data folder. Writes are atomic (temp file +
 * rename) and every read-modify-write holds a lock file, so the app and the CLI can work
 * on the same folder at once without losing each other's changes.
 */
export class Store {
  readonly file: string;
  private readonly lockPath: string;

  constructor(readonly dataDir: string) {
    this.file = path.join(dataDir, STORE_FILE);
    // proper-lockfile adds ".lock": the lock is the folder store.lock beside the data.
    this.lockPath = path.join(dataDir, 'store');
  }

  /** The current data. A corrupt file is moved aside and reported (STORE_CORRUPT). */
  async read(): Promise<StoreData> {
    const parsed = await this.tryRead();
    if (parsed.ok) return parsed.data;
    // Re-check under the lock: another process may be mid-way through fixing it.
    return this.withLock(async () => {
      const again = await this.tryRead();
      if (again.ok) return again.data;
      throw await this.setAside(again.reason);
    });
  }

  /** Runs `fn` on a copy of the data under the lock and saves what it leaves, if it returns normally. */
  async update<T>(fn: (data: StoreData) => T | Promise<T>): Promise<T> {
    return this.withLock(async () => {
      const current = await this.tryRead();
      if (!current.ok) throw await this.setAside(current.reason);
      const data = structuredClone(current.data);
      const result = await fn(data);
      const checked = StoreData.safeParse(data);
      if (!checked.success) {
        throw new SwitchyardError('INTERNAL', `Refusing to save invalid data: ${checked.error.issues[0]?.message}`);
      }
      await writeFileAtomic(this.file, JSON.stringify(checked.data, null, 2) + '\n', { mode: 0o600 });
      return result;
    });
  }

  private async tryRead(): Promise<{ ok: true; data: StoreData } | { ok: false; reason: string }> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, data: empty() };
      throw new SwitchyardError('INTERNAL', `Cannot read ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return { ok: false, reason: `not valid JSON (${(err as Error).message})` };
    }
    const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
    if (typeof version === 'number' && version > STORE_SCHEMA_VERSION) {
      throw new SwitchyardError(
        'STORE_TOO_NEW',
        `${this.file} was written by a newer Switchyard (data version ${version}, this one reads ${STORE_SCHEMA_VERSION}). Update Switchyard; the file was left untouched.`,
      );
    }
    const res = StoreData.safeParse(json);
    if (!res.success) {
      const issue = res.error.issues[0];
      return { ok: false, reason: `${issue.path.join('.') || 'file'}: ${issue.message}` };
    }
    return { ok: true, data: res.data };
  }

  /** Keeps the unreadable file beside the store, never overwritten, and returns the error to report. */
  private async setAside(reason: string): Promise<SwitchyardError> {
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await fs.rename(this.file, aside);
    return new SwitchyardError(
      'STORE_CORRUPT',
      `The data file ${this.file} could not be read: ${reason}. It was moved to ${aside} so nothing is lost, and Switchyard starts again from an empty list. Restore it from there once fixed.`,
      { detail: aside },
    );
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await fs.mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.lockPath, {
        realpath: false,
        stale: 10_000,
        retries: { retries: 100, minTimeout: 10, maxTimeout: 200, factor: 1.5 },
      });
    } catch (err) {
      throw new SwitchyardError('STORE_LOCKED', `The data folder ${this.dataDir} is locked by another Switchyard process and did not free up.`, {
        cause: err,
      });
    }
    try {
      return await fn();
    } finally {
      await release();
    }
  }
}
