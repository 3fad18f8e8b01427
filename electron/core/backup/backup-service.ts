import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { BACKUP_FORMAT, type BackupInfo, type BackupRestoreRequest, type BackupSummary, type MissingSecret, type RestorePreview, type RestoreResult } from '../../../shared/backup';
import { SwitchyardError } from '../../../shared/errors';
import type { Environment } from '../../../shared/model';
import { ACCOUNTS_FILE, AccountsFile, type AccountRecord } from '../acme/account';
import type { CertificateSummary } from '../acme/certificate';
import type { SecretStore } from '../secrets/secret-store';
import { whoOf, type Installation } from '../store/installation';
import type { Store } from '../store/store';
import { BACKUP_MAGIC, DEFAULT_SCRYPT, MAX_BACKUP_BYTES, decodeBackup, encodeBackup, type BackupHeader, type ScryptParams } from './backup-format';
import { countsOf, parsePayload, type BackupPayload, type Snapshot } from './backup-payload';
import { applies, applyPlan, itemsOf, mergeAccounts, planRestore, type RefViews, type RestorePlan } from './restore-plan';
import { accountUses, allUses, environmentUses, hostUses, registryUses, type Resolve, type SecretUse } from './secret-refs';

export interface BackupDeps {
  store: Store;
  secrets: Pick<SecretStore, 'put' | 'get' | 'delete'>;
  dataDir: string;
  installation: () => Promise<Installation>;
  appVersion: () => Promise<string>;
  /** The renewal scheduler's certificates: read for a backup, told after a restore so renewals go on. */
  certificates: {
    installed(): Promise<{ id: string; domains: string[]; certificate: CertificateSummary }[]>;
    track(id: string, domains: string[], certificate: CertificateSummary): Promise<void>;
  };
  /** After a restore: what was added or replaced (renewals follow their HTTPS settings; replaced hosts reconnect). */
  restored?: (what: { environments: Environment[]; hosts: string[] }) => Promise<void>;
  now?: () => Date;
  /** The key derivation's cost for new files (tests may lower it; files say what they used). */
  kdf?: ScryptParams;
}

type CreateRequest = { file: string; passphrase?: string };
type RestoreRequest = { file: string; passphrase?: string; mode: BackupRestoreRequest['mode'] };

interface Opened {
  header: BackupHeader;
  payload: BackupPayload;
  backup: Snapshot;
  /** References this data folder uses, by use: a backup's reference without a value is honoured only for the same use. */
  usedHere: Map<string, Set<string>>;
  /** For each use, a reference of this data folder that opens: what a backup without the value gets instead. */
  openHere: Map<string, string>;
  /** This data folder's references that open. */
  opensHere: Set<string>;
  /** Secret references compared by their values where both sides have them. */
  views: RefViews;
}

/**
 * One file with a data folder's environments, hosts, registry logins, history, ACME accounts and
 * certificates' renewal state; secrets only encrypted under a passphrase. A restore checks every
 * byte of the file before it changes anything, then seals the secrets again with this
 * installation's cipher under new references, and writes the data file once, under its lock.
 */
export class BackupService {
  private readonly now: () => Date;

  constructor(private readonly deps: BackupDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async create(req: CreateRequest): Promise<BackupSummary> {
    const { file, passphrase } = req;
    await this.checkTarget(file);
    const snapshot: Snapshot = {
      store: await this.deps.store.read(),
      acmeAccounts: await this.readAccounts(),
      certificates: (await this.deps.certificates.installed()).map((c) => ({ environment: c.id, domains: c.domains, certificate: c.certificate })),
    };
    const refs = [...new Set(allUses(snapshot).map((u) => u.ref))];
    const secrets: Record<string, string> = {};
    let present = 0;
    for (const ref of refs) {
      if (passphrase === undefined) {
        // Only counted: what a restore of this file will ask for again.
        if ((await this.opens(ref)) !== undefined) present++;
        continue;
      }
      const value = await this.valueOf(ref);
      if (value === undefined) continue;
      secrets[ref] = value;
      present++;
    }
    const included = passphrase === undefined ? 0 : present;
    const me = await this.deps.installation();
    const createdAt = this.now().toISOString();
    const payload: BackupPayload = passphrase === undefined ? { ...snapshot } : { ...snapshot, secrets };
    const counts = countsOf(snapshot, included);
    const bytes = await encodeBackup(payload, { createdAt, app: await this.deps.appVersion(), from: { installation: me.id, by: whoOf(me) }, counts }, passphrase, this.deps.kdf ?? DEFAULT_SCRYPT);
    try {
      await writeFileAtomic(file, bytes, { mode: 0o600 });
    } catch (err) {
      throw SwitchyardError.because('VALIDATION', 'backupUnwritable', { file, errno: errnoOf(err) }, { field: 'file', cause: err });
    }
    return { file, format: BACKUP_FORMAT, createdAt, bytes: bytes.length, encrypted: passphrase !== undefined, counts, secretsLeftOut: present - included };
  }

  /** What a restore would do now; nothing is changed. Refused exactly as the restore would be. */
  async preview(req: RestoreRequest): Promise<RestorePreview> {
    const current = await this.current();
    const opened = await this.open(req.file, req.passphrase, current);
    const plan = planRestore(current, opened.backup, req.mode, this.keyAvailable(opened), opened.views);
    return this.describe(req, opened, plan, await this.missing(plan, opened));
  }

  async restore(req: RestoreRequest): Promise<RestoreResult> {
    const current = await this.current();
    const opened = await this.open(req.file, req.passphrase, current);
    const keyAvailable = this.keyAvailable(opened);
    const first = planRestore(current, opened.backup, req.mode, keyAvailable, opened.views);

    // Sealed again by this installation's cipher, under new references; undone if the data file refuses.
    const sealed = new Map<string, string>();
    let plan: RestorePlan | undefined;
    let accounts: AccountRecord[] = current.acmeAccounts;
    const resolve = this.resolver(sealed, opened);
    try {
      for (const u of this.usesOf(first, false)) {
        const value = opened.payload.secrets?.[u.ref];
        if (value !== undefined && !sealed.has(u.ref)) sealed.set(u.ref, await this.deps.secrets.put(value));
      }
      const accountsBefore = await this.readAccountsText();
      accounts = mergeAccounts(current.acmeAccounts, first, resolve);
      const accountsChanged = JSON.stringify(accounts) !== JSON.stringify(current.acmeAccounts);
      if (accountsChanged) await this.writeAccounts(accounts);
      try {
        await this.deps.store.update((data) => {
          // Planned again on the data as it is under the lock: another process may have saved since.
          plan = planRestore({ ...current, store: data }, opened.backup, req.mode, keyAvailable, opened.views);
          applyPlan(data, plan, resolve);
        });
      } catch (err) {
        if (accountsChanged) await this.putBackAccounts(accountsBefore);
        throw err;
      }
    } catch (err) {
      for (const ref of sealed.values()) await this.deps.secrets.delete(ref).catch(() => undefined);
      throw err;
    }
    const done = plan!;
    await this.afterRestore(done, opened, current, accounts, [...sealed.values()]);
    return { ...(await this.describe(req, opened, done, await this.missing(done, opened))), restored: true };
  }

  /** Certificates' renewals, the hooks, and the secrets nothing uses any more. */
  private async afterRestore(plan: RestorePlan, opened: Opened, before: Snapshot, accounts: AccountRecord[], sealed: string[]): Promise<void> {
    const now: Snapshot = { store: await this.deps.store.read(), acmeAccounts: accounts, certificates: [] };
    const installed = new Set((await this.deps.certificates.installed()).map((c) => c.id));
    const restoredEnvs = plan.environments.filter(applies).map((p) => p.name);
    for (const c of opened.backup.certificates) {
      // This installation's own record of a certificate wins: it saw it installed.
      if (restoredEnvs.includes(c.environment) && !installed.has(c.environment)) await this.deps.certificates.track(c.environment, c.domains, c.certificate);
    }
    await this.deps.restored?.({
      environments: now.store.environments.filter((e) => restoredEnvs.includes(e.name)),
      hosts: plan.hosts.filter((p) => p.action === 'replace').map((p) => p.name),
    });
    const used = new Set(allUses(now).map((u) => u.ref));
    const candidates = new Set([...allUses(before).map((u) => u.ref), ...sealed]);
    for (const ref of candidates) if (!used.has(ref)) await this.deps.secrets.delete(ref).catch(() => undefined);
  }

  private async describe(req: RestoreRequest, opened: Opened, plan: RestorePlan, missingSecrets: MissingSecret[]): Promise<RestorePreview> {
    const h = opened.header;
    const me = await this.deps.installation();
    const backup: BackupInfo = { format: h.format, createdAt: h.createdAt, app: h.app, from: h.from, encrypted: h.encryption !== null, counts: h.counts };
    const certificates = new Set(opened.backup.certificates.map((c) => c.environment));
    return { file: req.file, mode: req.mode, dataDir: this.deps.dataDir, backup, fromThisInstallation: h.from.installation === me.id, items: itemsOf(plan, certificates), missingSecrets };
  }

  /** The secret uses of what the plan restores (`withSkipped`: and of the ACME accounts it leaves out). */
  private usesOf(plan: RestorePlan, withSkipped: boolean): SecretUse[] {
    return [
      ...plan.hosts.filter(applies).flatMap((p) => hostUses(p.backup!)),
      ...plan.registries.filter(applies).flatMap((p) => registryUses(p.backup!)),
      ...plan.environments.filter(applies).flatMap((p) => environmentUses(p.backup!.env, p.backup!.releases, p.backup!.configs)),
      ...plan.accounts.filter((p) => applies(p) || (withSkipped && p.action === 'skip')).flatMap((p) => accountUses(p.backup!)),
    ];
  }

  /** What will not open after the restore, by what uses it (each reference once, by its first use). */
  private async missing(plan: RestorePlan, opened: Opened): Promise<MissingSecret[]> {
    const out: MissingSecret[] = [];
    const seen = new Set<string>();
    for (const u of this.usesOf(plan, true)) {
      if (!u.missing || seen.has(u.ref)) continue;
      seen.add(u.ref);
      const skipped = u.missing.kind === 'acme-account-key' && plan.accounts.some((p) => p.action === 'skip' && p.backup?.sealedKey === u.ref);
      if (!skipped && (opened.payload.secrets?.[u.ref] !== undefined || opened.openHere.has(u.key))) continue;
      out.push(u.missing);
    }
    return out;
  }

  private keyAvailable(opened: Opened): (a: AccountRecord) => boolean {
    return (a) => {
      const [u] = accountUses(a);
      return opened.payload.secrets?.[u.ref] !== undefined || opened.openHere.has(u.key);
    };
  }

  /**
   * A backup's reference becomes: the new one its value was sealed under; else the one this data
   * folder has for the same thing (host vps-1's password), if any; otherwise a reference to
   * nothing, so that the use asks for its secret again instead of reaching another one.
   */
  private resolver(sealed: Map<string, string>, opened: Opened): Resolve {
    const nowhere = new Map<string, string>();
    return (ref, key) => {
      const fresh = sealed.get(ref);
      if (fresh) return fresh;
      const used = opened.usedHere.get(key)?.has(ref);
      if (used && opened.opensHere.has(ref)) return ref;
      const here = opened.openHere.get(key);
      if (here) return here;
      if (used) return ref;
      let none = nowhere.get(ref);
      if (!none) nowhere.set(ref, (none = `s${randomBytes(12).toString('hex')}`));
      return none;
    };
  }

  private async open(file: string, passphrase: string | undefined, current: Snapshot): Promise<Opened> {
    const bytes = await this.readBackup(file);
    const { header, text } = await decodeBackup(bytes, file, passphrase);
    const payload = parsePayload(text, file, header);
    const backup: Snapshot = { store: payload.store, acmeAccounts: payload.acmeAccounts, certificates: payload.certificates };
    const usedHere = new Map<string, Set<string>>();
    const openHere = new Map<string, string>();
    const digests = new Map<string, string>();
    for (const u of allUses(current)) {
      usedHere.set(u.key, (usedHere.get(u.key) ?? new Set()).add(u.ref));
      if (!digests.has(u.ref)) {
        const value = await this.opens(u.ref);
        if (value !== undefined) digests.set(u.ref, digestOf(value));
      }
      if (digests.has(u.ref) && !openHere.has(u.key)) openHere.set(u.key, u.ref);
    }
    const useOf = new Map<string, string>();
    for (const u of allUses(backup)) if (!useOf.has(u.ref)) useOf.set(u.ref, u.key);
    const views: RefViews = {
      // A reference the file brings without its value reads as what this folder has for the same use.
      backup: (ref) => {
        if (payload.secrets?.[ref] !== undefined) return digestOf(payload.secrets[ref]);
        const here = openHere.get(useOf.get(ref) ?? '');
        return (here && digests.get(here)) ?? ref;
      },
      current: (ref) => digests.get(ref) ?? ref,
    };
    return { header, payload, backup, usedHere, openHere, opensHere: new Set(digests.keys()), views };
  }

  /** This data folder, as a restore compares it (its certificates are asked for only when applying). */
  private async current(): Promise<Snapshot> {
    return { store: await this.deps.store.read(), acmeAccounts: await this.readAccounts(), certificates: [] };
  }

  private async readBackup(file: string): Promise<Buffer> {
    let size: number;
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) throw SwitchyardError.because('VALIDATION', 'backupNotBackup', { file }, { field: 'file' });
      size = st.size;
    } catch (err) {
      if (err instanceof SwitchyardError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw SwitchyardError.because('VALIDATION', 'backupMissing', { file }, { field: 'file' });
      throw SwitchyardError.because('VALIDATION', 'backupUnreadable', { file, errno: errnoOf(err) }, { field: 'file', cause: err });
    }
    if (size > MAX_BACKUP_BYTES) throw SwitchyardError.because('VALIDATION', 'backupNotBackup', { file }, { field: 'file' });
    try {
      return await fs.readFile(file);
    } catch (err) {
      throw SwitchyardError.because('VALIDATION', 'backupUnreadable', { file, errno: errnoOf(err) }, { field: 'file', cause: err });
    }
  }

  /** A backup is written into an existing folder, over nothing or over an earlier backup only. */
  private async checkTarget(file: string): Promise<void> {
    const folder = path.dirname(file);
    const dir = await fs.stat(folder).catch(() => undefined);
    if (!dir?.isDirectory()) throw SwitchyardError.because('VALIDATION', 'backupNoFolder', { folder }, { field: 'file' });
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code === 'EISDIR') throw SwitchyardError.because('VALIDATION', 'backupExists', { file }, { field: 'file' });
      throw SwitchyardError.because('VALIDATION', 'backupUnwritable', { file, errno: errnoOf(err) }, { field: 'file', cause: err });
    }
    try {
      const magic = Buffer.from(BACKUP_MAGIC, 'utf8');
      const start = Buffer.alloc(magic.length);
      const { bytesRead } = await handle.read(start, 0, magic.length, 0);
      if (bytesRead !== magic.length || !start.equals(magic)) throw SwitchyardError.because('VALIDATION', 'backupExists', { file }, { field: 'file' });
    } catch (err) {
      if (err instanceof SwitchyardError) throw err;
      // A folder opened for reading fails here on some systems: it is not a backup either.
      throw SwitchyardError.because('VALIDATION', 'backupExists', { file }, { field: 'file', cause: err });
    } finally {
      await handle.close();
    }
  }

  /** The value, or undefined when the secret store has none (a reference left behind); other failures are thrown. */
  private async valueOf(ref: string): Promise<string | undefined> {
    try {
      return await this.deps.secrets.get(ref);
    } catch (err) {
      if (err instanceof SwitchyardError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  /** The value when it opens here, whatever the reason it does not. */
  private async opens(ref: string): Promise<string | undefined> {
    return this.deps.secrets.get(ref).catch(() => undefined);
  }

  private get accountsFile(): string {
    return path.join(this.deps.dataDir, ACCOUNTS_FILE);
  }

  private async readAccountsText(): Promise<string | undefined> {
    try {
      return await fs.readFile(this.accountsFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private async readAccounts(): Promise<AccountRecord[]> {
    const text = await this.readAccountsText();
    if (text === undefined) return [];
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = AccountsFile.safeParse(json);
    if (!parsed.success) throw new SwitchyardError('STORE_CORRUPT', `${this.accountsFile} is not a valid ACME accounts file; move it aside to register new accounts`);
    return parsed.data.accounts;
  }

  private async writeAccounts(accounts: AccountRecord[]): Promise<void> {
    await writeFileAtomic(this.accountsFile, `${JSON.stringify({ version: 1, accounts }, null, 2)}\n`, { mode: 0o600 });
  }

  private async putBackAccounts(text: string | undefined): Promise<void> {
    if (text === undefined) await fs.rm(this.accountsFile, { force: true });
    else await writeFileAtomic(this.accountsFile, text, { mode: 0o600 });
  }
}

/** Stands for a secret's value in a comparison, in memory only. */
const digestOf = (value: string) => `secret:${createHash('sha256').update(value).digest('hex')}`;

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
