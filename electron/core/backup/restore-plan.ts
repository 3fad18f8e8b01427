import type { RestoreAction, RestoreItem, RestoreMode } from '../../../shared/backup';
import type { StoredConfigVersion } from '../../../shared/config-history';
import { SwitchyardError } from '../../../shared/errors';
import type { SshHost } from '../../../shared/hosts';
import type { Environment } from '../../../shared/model';
import type { RegistryCredential } from '../../../shared/registries';
import type { ReleaseRecord } from '../../../shared/releases';
import type { AccountRecord } from '../acme/account';
import type { StoreData } from '../store/store';
import type { Snapshot } from './backup-payload';
import { rewriteAccount, rewriteConfig, rewriteEnvironment, rewriteHost, rewriteRegistry, rewriteRelease, type Resolve } from './secret-refs';

/**
 * Every list of the data file, and how a restore treats it. A new list in StoreData fails the
 * type check here until someone decides what a restore does with it.
 */
const STORE_LISTS: Record<Exclude<keyof StoreData, 'schemaVersion' | 'preferences'>, string> = {
  environments: 'merged by name, with their history',
  hosts: 'merged by id',
  registries: 'merged by registry and host',
  releases: 'comes with its environment',
  configs: 'comes with its environment',
};
export const storeLists = Object.keys(STORE_LISTS);

/** An environment comes with its release and config history: one unit, compared and restored whole. */
export interface EnvironmentUnit {
  env: Environment;
  releases: ReleaseRecord[];
  configs: StoredConfigVersion[];
}

export interface Planned<T> {
  name: string;
  action: RestoreAction;
  /** What the backup has (absent: `keep`). */
  backup?: T;
  /** What this data folder has (absent: `add`). */
  current?: T;
}

export interface RestorePlan {
  mode: RestoreMode;
  /** Into an empty folder the backup's preferences come along; a merge keeps this folder's. */
  preferences?: StoreData['preferences'];
  environments: Planned<EnvironmentUnit>[];
  hosts: Planned<SshHost>[];
  registries: Planned<RegistryCredential>[];
  accounts: Planned<AccountRecord>[];
}

/** Nothing that a restore could replace: no environment, host, registry login, history or ACME account. */
export function isEmpty(s: Snapshot): boolean {
  return storeLists.every((k) => (s.store[k as keyof typeof STORE_LISTS] as unknown[]).length === 0) && s.acmeAccounts.length === 0;
}

/**
 * How a secret reference reads when two items are compared: two folders seal one value under
 * different references, and the same value is the same setting (`backup` for the file's
 * references, `current` for this folder's).
 */
export interface RefViews {
  backup: (ref: string) => string;
  current: (ref: string) => string;
}
const REF_FIELDS = new Set(['ref', 'passwordRef', 'passphraseRef', 'sealedKey']);

/** JSON with its keys sorted and its secret references as `view` reads them: two values are the same thing when these are equal. */
function canonical(value: unknown, view: (ref: string) => string): string {
  return JSON.stringify(value, (k, v: unknown) => {
    if (REF_FIELDS.has(k) && typeof v === 'string') return view(v);
    return v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v;
  });
}

function pair<T>(current: T[], backup: T[], id: (t: T) => string, views: RefViews): Planned<T>[] {
  const out = new Map<string, Planned<T>>();
  for (const b of backup) {
    const name = id(b);
    if (out.has(name)) continue;
    const c = current.find((x) => id(x) === name);
    const same = c !== undefined && canonical(c, views.current) === canonical(b, views.backup);
    out.set(name, { name, action: c === undefined ? 'add' : same ? 'unchanged' : 'replace', backup: b, current: c });
  }
  for (const c of current) if (!out.has(id(c))) out.set(id(c), { name: id(c), action: 'keep', current: c });
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function unitsOf(store: StoreData): EnvironmentUnit[] {
  return store.environments.map((env) => ({
    env,
    releases: store.releases.filter((r) => r.environment === env.name).sort((a, b) => a.number - b.number),
    configs: store.configs.filter((c) => c.environment === env.name).sort((a, b) => a.version - b.version),
  }));
}

const registryId = (r: Pick<RegistryCredential, 'registry' | 'host'>) => `${r.registry} ${r.host}`;
const accountId = (a: Pick<AccountRecord, 'directoryUrl' | 'email'>) => `${a.email} ${a.directoryUrl}`;

/**
 * What a restore of `backup` does to `current`. A replace goes only into an empty data folder
 * (refused otherwise, naming what is there); a merge adds what is new, replaces what differs
 * (the backup wins), and keeps what only this folder has. An ACME account whose key the restore
 * cannot give (`keyAvailable`) is skipped: an account without its key is of no use.
 */
export function planRestore(current: Snapshot, backup: Snapshot, mode: RestoreMode, keyAvailable: (a: AccountRecord) => boolean, views: RefViews): RestorePlan {
  if (mode === 'replace' && !isEmpty(current)) {
    throw SwitchyardError.because(
      'VALIDATION',
      'restoreNotEmpty',
      { environments: current.store.environments.length, hosts: current.store.hosts.length, registries: current.store.registries.length },
      { field: 'mode' },
    );
  }
  const accounts = pair(current.acmeAccounts, backup.acmeAccounts, accountId, views).map((p) =>
    (p.action === 'add' || p.action === 'replace') && !keyAvailable(p.backup!) ? { ...p, action: 'skip' as const } : p,
  );
  return {
    mode,
    ...(mode === 'replace' ? { preferences: backup.store.preferences } : {}),
    environments: pair(unitsOf(current.store), unitsOf(backup.store), (u) => u.env.name, views),
    hosts: pair(current.store.hosts, backup.store.hosts, (h) => h.id, views),
    registries: pair(current.store.registries, backup.store.registries, registryId, views),
    accounts,
  };
}

export const applies = (p: Planned<unknown>) => p.action === 'add' || p.action === 'replace';

/** The plan as the preview lists it: environments, hosts, registry logins, ACME accounts. */
export function itemsOf(plan: RestorePlan, certificates: Set<string>): RestoreItem[] {
  return [
    ...plan.environments.map((p): RestoreItem => {
      const item: RestoreItem = { kind: 'environment', name: p.name, action: p.action };
      if (p.backup) {
        item.releases = p.backup.releases.length;
        item.configs = p.backup.configs.length;
        item.certificate = certificates.has(p.name);
      }
      return item;
    }),
    ...plan.hosts.map((p): RestoreItem => ({ kind: 'host', name: p.name, action: p.action })),
    ...plan.registries.map((p): RestoreItem => {
      const r = (p.backup ?? p.current)!;
      return { kind: 'registry', name: r.registry, host: r.host, action: p.action };
    }),
    ...plan.accounts.map((p): RestoreItem => {
      const a = (p.backup ?? p.current)!;
      return { kind: 'acme-account', name: a.email, directory: a.directoryUrl, action: p.action };
    }),
  ];
}

function put<T>(list: T[], match: (t: T) => boolean, value: T): void {
  const i = list.findIndex(match);
  if (i >= 0) list[i] = value;
  else list.push(value);
}

/** Writes what the plan adds and replaces into `data` (the data file's content under its lock), references resolved. */
export function applyPlan(data: StoreData, plan: RestorePlan, resolve: Resolve): void {
  for (const p of plan.environments.filter(applies)) {
    const u = p.backup!;
    put(data.environments, (e) => e.name === p.name, rewriteEnvironment(u.env, resolve));
    data.releases = [...data.releases.filter((r) => r.environment !== p.name), ...u.releases.map((r) => rewriteRelease(r, resolve))];
    data.configs = [...data.configs.filter((c) => c.environment !== p.name), ...u.configs.map((c) => rewriteConfig(c, resolve))];
  }
  for (const p of plan.hosts.filter(applies)) put(data.hosts, (h) => h.id === p.name, rewriteHost(p.backup!, resolve));
  for (const p of plan.registries.filter(applies)) put(data.registries, (r) => registryId(r) === p.name, rewriteRegistry(p.backup!, resolve));
  if (plan.preferences) data.preferences = structuredClone(plan.preferences);
}

/** The ACME accounts file's list once the plan is applied. */
export function mergeAccounts(current: AccountRecord[], plan: RestorePlan, resolve: Resolve): AccountRecord[] {
  const out = structuredClone(current);
  for (const p of plan.accounts.filter(applies)) put(out, (a) => accountId(a) === p.name, rewriteAccount(p.backup!, resolve));
  return out;
}
