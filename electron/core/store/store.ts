import { promises as fs } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { SwitchyardError } from '../../../shared/errors';
import { SshHost } from '../../../shared/hosts';
import { RegistryCredential } from '../../../shared/registries';
import { Environment } from '../../../shared/model';
import { ReleaseRecord } from '../../../shared/releases';
import { StoredConfigVersion } from '../../../shared/config-history';
import { Preferences, defaultPreferences } from '../../../shared/preferences';
import { diffStore, isEmpty, watchDataFile, type FileWatchOptions, type StoreChanges } from './store-changes';

export const STORE_SCHEMA_VERSION = 1;
export const STORE_FILE = 'switchyard.json';

/** The data file's schema (a backup holds the same data). */
export const StoreData = z
  .object({
    schemaVersion: z.literal(STORE_SCHEMA_VERSION),
    environments: z.array(Environment),
    /** Hosts added over SSH (the local engine is built in). */
    hosts: z.array(SshHost).default([]),
    /** Private registry logins (passwords sealed in the secret store). */
    registries: z.array(RegistryCredential).default([]),
    /** Every environment's releases, oldest first, bounded per environment (shared/releases.ts). */
    releases: z.array(ReleaseRecord).default([]),
    /** Every environment's config history, bounded per environment (electron/core/history/config-history.ts). */
    configs: z.array(StoredConfigVersion).default([]),
    /** Notifications and language, for the whole installation. */
    preferences: Preferences.default(defaultPreferences),
  })
  .strict();
export type StoreData = z.infer<typeof StoreData>;

const empty = (): StoreData => ({ schemaVersion: STORE_SCHEMA_VERSION, environments: [], hosts: [], registries: [], releases: [], configs: [], preferences: defaultPreferences() });

/** A change waiting for the next save. */
interface Pending {
  fn: (data: StoreData) => unknown;
  /** Acknowledged before it is on disk (`updateSoon`): reads in this process already show it. */
  soon: boolean;
  attempts: number;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** A save of queued changes that failed as a whole (lock, disk) is tried again this often, this many times. */
const SOON_RETRY_MS = 1000;
const SOON_ATTEMPTS = 3;

/**
 * The desired state, as one JSON file in the data folder. Writes are atomic (temp file +
 * rename, fsynced) and every read-modify-write holds a lock file, so the app and the CLI can
 * work on the same folder at once without losing each other's changes. Within a process,
 * changes are saved one batch at a time (one lock and one write for all that queued meanwhile).
 * Every save, and with `watch()` every save by another process, is told to `onChange` listeners
 * as what it created, updated and removed.
 */
export class Store {
  readonly file: string;
  private readonly lockPath: string;
  private readonly queue: Pending[] = [];
  /** Saves and re-reads after a notification run one at a time, in order. */
  private tail: Promise<unknown> = Promise.resolve();
  private drainQueued = false;
  /** The data as last told to listeners: what the next change is measured against. */
  private known: StoreData | undefined;
  private readonly listeners = new Set<(changes: StoreChanges) => void>();
  private unwatch: (() => void) | undefined;
  /**
   * The data as last parsed, with the file's identity then: a read that finds the same file
   * (inode, size, times; every save replaces the file, so a new inode) skips reading and
   * parsing it again. Another process's save changes the identity, so it is always seen.
   */
  private parsed: { identity: string; data: StoreData } | undefined;
  /** Counts this process's writes: a read that saw one land while it read reads again. */
  private writes = 0;

  constructor(readonly dataDir: string) {
    this.file = path.join(dataDir, STORE_FILE);
    // proper-lockfile adds ".lock": the lock is the folder store.lock beside the data.
    this.lockPath = path.join(dataDir, 'store');
  }

  /**
   * The current data, with the changes this process acknowledged and has not written yet. A
   * corrupt file is moved aside and reported (STORE_CORRUPT).
   */
  async read(): Promise<StoreData> {
    let soon: Pending[];
    let data: StoreData;
    // The changes acknowledged but not written are those pending before the file was read, if
    // none of this process's writes landed meanwhile (then it is not known which the file has,
    // and it is read again).
    for (let attempt = 0; ; attempt++) {
      const writes = this.writes;
      soon = this.queue.filter((p) => p.soon);
      data = await this.readFile();
      if (this.writes === writes || attempt >= 3) break;
    }
    for (const p of soon) {
      try {
        p.fn(data);
      } catch {
        // It will fail at its save too (its environment went meanwhile): nothing to show.
      }
    }
    return data;
  }

  private async readFile(): Promise<StoreData> {
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
  update<T>(fn: (data: StoreData) => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, soon: false, attempts: 0, resolve: resolve as (v: unknown) => void, reject });
      this.kick();
    });
  }

  /**
   * Saves a small change without making the caller wait for the disk (a server toggle must not
   * wait for an fsync): reads in this process show it at once, the save starts now, a save that
   * fails for a passing reason (the lock, the disk) is tried again, and `close()` waits for it.
   * `fn` must set values (it may run on a read as well as at the save). Resolves once written.
   */
  updateSoon(fn: (data: StoreData) => void): Promise<void> {
    const saved = new Promise<void>((resolve, reject) => {
      this.queue.push({ fn, soon: true, attempts: 0, resolve: () => resolve(), reject });
      this.kick();
    });
    saved.catch(() => undefined);
    return saved;
  }

  /** Hears every save: this process's, and with `watch()` running, every other process's too. */
  onChange(listener: (changes: StoreChanges) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Follows the data file for saves by other processes (the CLI beside the app), for
   * long-lived processes: each is read, compared with what was known, and told to `onChange`.
   */
  async watch(opts: FileWatchOptions = {}): Promise<void> {
    if (this.unwatch) return;
    await fs.mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    this.unwatch = watchDataFile(this.dataDir, STORE_FILE, () => void this.serial(() => this.reread()), opts);
    await this.serial(async () => {
      const now = await this.tryRead().catch(() => undefined);
      if (now?.ok) this.known ??= now.data;
    });
  }

  /** Waits until every change queued so far is on disk; fails if one acknowledged early could not be saved. */
  async flush(): Promise<void> {
    for (let i = 0; i <= SOON_ATTEMPTS && this.queue.length; i++) {
      this.kick();
      await this.serial(async () => undefined);
    }
    const lost = this.queue.filter((p) => p.soon).length;
    if (lost) throw new SwitchyardError('STORE_LOCKED', `${lost} change(s) could not be saved to ${this.file}.`);
  }

  /** Stops following the file and saves what is queued. */
  async close(): Promise<void> {
    this.unwatch?.();
    this.unwatch = undefined;
    await this.flush();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private kick(): void {
    if (this.drainQueued) return;
    this.drainQueued = true;
    void this.serial(async () => {
      this.drainQueued = false;
      const batch = this.queue.slice();
      if (batch.length) await this.commit(batch);
    });
  }

  /** Applies a batch in order under the lock, each on what the ones before it left, and writes once. */
  private async commit(batch: Pending[]): Promise<void> {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    let written: { before: StoreData; after: StoreData };
    try {
      written = await this.withLock(async () => {
        const current = await this.tryRead();
        if (!current.ok) throw await this.setAside(current.reason);
        let data = current.data;
        for (const p of batch) {
          const draft = structuredClone(data);
          try {
            const value = await p.fn(draft);
            const checked = StoreData.safeParse(draft);
            if (!checked.success) throw new SwitchyardError('INTERNAL', `Refusing to save invalid data: ${checked.error.issues[0]?.message}`);
            data = checked.data;
            outcomes.push({ ok: true, value });
          } catch (err) {
            outcomes.push({ ok: false, value: err });
          }
        }
        if (data !== current.data) {
          await writeFileAtomic(this.file, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
          this.writes++;
          // Still under the lock: nobody else wrote since, so this identity is this data's.
          this.parsed = { identity: await this.identity(), data: structuredClone(data) };
        }
        return { before: current.data, after: data };
      });
    } catch (err) {
      this.failed(batch, err);
      return;
    }
    this.queue.splice(0, batch.length);
    this.tell(written.after, written.before);
    batch.forEach((p, i) => (outcomes[i].ok ? p.resolve(outcomes[i].value) : p.reject(outcomes[i].value)));
  }

  /** The save itself failed: waiting callers hear why; early-acknowledged changes are tried again. */
  private failed(batch: Pending[], err: unknown): void {
    const retry: Pending[] = [];
    for (const p of batch) {
      this.queue.splice(this.queue.indexOf(p), 1);
      const passing = !(err instanceof SwitchyardError) || err.code === 'STORE_LOCKED' || err.code === 'INTERNAL';
      if (p.soon && passing && ++p.attempts < SOON_ATTEMPTS) retry.push(p);
      else {
        if (p.soon) console.error(`Switchyard could not save a change to ${this.file}: ${(err as Error).message}`);
        p.reject(err);
      }
    }
    if (!retry.length) return;
    this.queue.unshift(...retry);
    setTimeout(() => this.kick(), SOON_RETRY_MS).unref();
  }

  /** After another process saved: what changed since the data last known here. */
  private async reread(): Promise<void> {
    const now = await this.tryRead().catch(() => undefined);
    // A damaged file is reported (and moved aside) by the next read or save, not by a watcher.
    if (now?.ok) this.tell(now.data);
  }

  private tell(now: StoreData, fallback?: StoreData): void {
    const before = this.known ?? fallback;
    this.known = now;
    if (!before || !this.listeners.size) return;
    const changes = diffStore(before, now);
    if (isEmpty(changes)) return;
    for (const l of this.listeners) {
      try {
        l(changes);
      } catch (err) {
        console.error(err);
      }
    }
  }

  private async tryRead(): Promise<{ ok: true; data: StoreData } | { ok: false; reason: string }> {
    let text: string;
    let identity: string;
    try {
      // Taken before the read: if the file is replaced in between, the identity is the old
      // one's, and the next read reads again (never the other way round).
      identity = await this.identity();
      if (this.parsed?.identity === identity) return { ok: true, data: structuredClone(this.parsed.data) };
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
    this.parsed = { identity, data: structuredClone(res.data) };
    return { ok: true, data: res.data };
  }

  private async identity(): Promise<string> {
    const st = await fs.stat(this.file, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
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
