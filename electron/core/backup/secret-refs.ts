import type { App } from '../../../shared/apps';
import type { MissingSecret } from '../../../shared/backup';
import type { StoredConfigVersion } from '../../../shared/config-history';
import type { SshHost } from '../../../shared/hosts';
import type { Environment } from '../../../shared/model';
import type { RegistryCredential } from '../../../shared/registries';
import type { ReleaseRecord } from '../../../shared/releases';
import type { AccountRecord } from '../acme/account';
import type { Snapshot } from './backup-payload';

/**
 * Where the data holds a reference into the secret store, and what for. The `key` names the use
 * the same way in every data folder ("host vps-1's password"): a reference a backup brings
 * without its value is only honoured when this data folder uses it for the very same thing, so
 * a file cannot point an app's variable at this installation's SSH password.
 */
export interface SecretUse {
  ref: string;
  key: string;
  /** How a restore names it when it will not open; absent for config history (a version's restore keeps today's values). */
  missing?: MissingSecret;
}

/** Gives the reference to write for one found in the backup, for a use. */
export type Resolve = (ref: string, key: string) => string;

const hostKey = (id: string, what: 'password' | 'passphrase') => `host:${id}:${what}`;
const registryKey = (r: Pick<RegistryCredential, 'registry' | 'host'>) => `registry:${r.host}:${r.registry}`;
const appKey = (env: string, variable: string) => `app:${env}:${variable}`;
// A release or a config version is a use of its own: release 1's value is not today's.
const releaseKey = (env: string, release: number, variable: string) => `release:${env}:${release}:${variable}`;
const configKey = (env: string, version: number, variable: string) => `config:${env}:${version}:${variable}`;
const accountKey = (a: Pick<AccountRecord, 'directoryUrl' | 'email'>) => `acme:${a.directoryUrl}:${a.email}`;

export function hostUses(h: SshHost): SecretUse[] {
  if (h.auth.method === 'password') return [{ ref: h.auth.passwordRef, key: hostKey(h.id, 'password'), missing: { kind: 'host-password', host: h.id } }];
  if (h.auth.method === 'key' && h.auth.passphraseRef) {
    return [{ ref: h.auth.passphraseRef, key: hostKey(h.id, 'passphrase'), missing: { kind: 'host-passphrase', host: h.id } }];
  }
  return [];
}

export function registryUses(r: RegistryCredential): SecretUse[] {
  return [{ ref: r.passwordRef, key: registryKey(r), missing: { kind: 'registry-password', registry: r.registry, host: r.host } }];
}

export function accountUses(a: AccountRecord): SecretUse[] {
  return [{ ref: a.sealedKey, key: accountKey(a), missing: { kind: 'acme-account-key', email: a.email, directory: a.directoryUrl } }];
}

/** An environment's own variables first, then those of its releases (a rollback runs them again), then its config history's. */
export function environmentUses(env: Environment, releases: ReleaseRecord[], configs: StoredConfigVersion[]): SecretUse[] {
  const uses: SecretUse[] = (env.app?.secrets ?? []).map((s) => ({
    ref: s.ref,
    key: appKey(env.name, s.name),
    missing: { kind: 'app-variable', environment: env.name, variable: s.name },
  }));
  for (const r of releases) {
    for (const s of r.app.secrets) {
      uses.push({ ref: s.ref, key: releaseKey(r.environment, r.number, s.name), missing: { kind: 'release-variable', environment: r.environment, release: r.number, variable: s.name } });
    }
  }
  for (const c of configs) for (const s of configSecrets(c)) uses.push({ ref: s.ref, key: configKey(c.environment, c.version, s.name) });
  return uses;
}

/** Every use in a data folder. */
export function allUses(s: Snapshot): SecretUse[] {
  return [
    ...s.store.hosts.flatMap(hostUses),
    ...s.store.registries.flatMap(registryUses),
    ...s.store.environments.flatMap((e) =>
      environmentUses(
        e,
        s.store.releases.filter((r) => r.environment === e.name),
        s.store.configs.filter((c) => c.environment === e.name),
      ),
    ),
    // History of an environment no longer there still holds references until it is dropped.
    ...s.store.releases
      .filter((r) => !s.store.environments.some((e) => e.name === r.environment))
      .flatMap((r) => r.app.secrets.map((x) => ({ ref: x.ref, key: releaseKey(r.environment, r.number, x.name) }))),
    ...s.store.configs
      .filter((c) => !s.store.environments.some((e) => e.name === c.environment))
      .flatMap((c) => configSecrets(c).map((x) => ({ ref: x.ref, key: configKey(c.environment, c.version, x.name) }))),
    ...s.acmeAccounts.flatMap(accountUses),
  ];
}

/** A version's settings are kept unchecked (config-history.ts): their secret variables, where they look like ones. */
function configSecrets(c: StoredConfigVersion): { name: string; ref: string }[] {
  const secrets = (c.settings.app as { secrets?: unknown } | undefined)?.secrets;
  if (!Array.isArray(secrets)) return [];
  return secrets.filter((s): s is { name: string; ref: string } => typeof s?.name === 'string' && typeof s?.ref === 'string');
}

export function rewriteHost(h: SshHost, resolve: Resolve): SshHost {
  const a = h.auth;
  if (a.method === 'password') return { ...h, auth: { ...a, passwordRef: resolve(a.passwordRef, hostKey(h.id, 'password')) } };
  if (a.method === 'key' && a.passphraseRef) return { ...h, auth: { ...a, passphraseRef: resolve(a.passphraseRef, hostKey(h.id, 'passphrase')) } };
  return structuredClone(h);
}

export function rewriteRegistry(r: RegistryCredential, resolve: Resolve): RegistryCredential {
  return { ...r, passwordRef: resolve(r.passwordRef, registryKey(r)) };
}

export function rewriteAccount(a: AccountRecord, resolve: Resolve): AccountRecord {
  return { ...a, sealedKey: resolve(a.sealedKey, accountKey(a)) };
}

function rewriteApp(app: App, key: (variable: string) => string, resolve: Resolve): App {
  return { ...structuredClone(app), secrets: app.secrets.map((s) => ({ name: s.name, ref: resolve(s.ref, key(s.name)) })) };
}

export function rewriteEnvironment(e: Environment, resolve: Resolve): Environment {
  const copy = structuredClone(e);
  if (e.app) copy.app = rewriteApp(e.app, (v) => appKey(e.name, v), resolve);
  return copy;
}

export function rewriteRelease(r: ReleaseRecord, resolve: Resolve): ReleaseRecord {
  return { ...structuredClone(r), app: rewriteApp(r.app, (v) => releaseKey(r.environment, r.number, v), resolve) };
}

export function rewriteConfig(c: StoredConfigVersion, resolve: Resolve): StoredConfigVersion {
  const copy = structuredClone(c);
  const secrets = (copy.settings.app as { secrets?: unknown } | undefined)?.secrets;
  if (Array.isArray(secrets)) {
    for (const s of secrets as { name?: unknown; ref?: unknown }[]) {
      if (typeof s?.name === 'string' && typeof s.ref === 'string') s.ref = resolve(s.ref, configKey(c.environment, c.version, s.name));
    }
  }
  return copy;
}
