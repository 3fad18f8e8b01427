import { z } from 'zod';
import type { BackupCounts } from '../../../shared/backup';
import { SwitchyardError } from '../../../shared/errors';
import { AccountRecord } from '../acme/account';
import { STORE_SCHEMA_VERSION, StoreData } from '../store/store';
import type { BackupHeader } from './backup-format';

/** A certificate an environment has, as the renewal scheduler knows it (the certificate itself stays in its load balancer's volume). */
export const CertificateEntry = z
  .object({
    environment: z.string(),
    domains: z.array(z.string()),
    certificate: z.object({ serial: z.string(), notBefore: z.string(), notAfter: z.string(), issuer: z.string(), domains: z.array(z.string()) }).strict(),
  })
  .strict();
export type CertificateEntry = z.infer<typeof CertificateEntry>;

/** Everything of a data folder a backup holds, secrets aside. */
export interface Snapshot {
  store: StoreData;
  acmeAccounts: AccountRecord[];
  certificates: CertificateEntry[];
}

/** What the body of a backup file holds. */
export const BackupPayload = z
  .object({
    store: StoreData,
    acmeAccounts: z.array(AccountRecord),
    certificates: z.array(CertificateEntry),
    /** Secret values by the reference the data uses for them: only in an encrypted file. */
    secrets: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type BackupPayload = z.infer<typeof BackupPayload>;

export function countsOf(s: Snapshot, secrets: number): BackupCounts {
  return {
    environments: s.store.environments.length,
    hosts: s.store.hosts.length,
    registries: s.store.registries.length,
    releases: s.store.releases.length,
    configs: s.store.configs.length,
    acmeAccounts: s.acmeAccounts.length,
    certificates: s.certificates.length,
    secrets,
  };
}

/** The payload of an authenticated file, checked against this version's model. */
export function parsePayload(text: string, file: string, header: BackupHeader): BackupPayload {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw SwitchyardError.because('VALIDATION', 'backupInvalid', { file, problem: `not JSON: ${(err as Error).message}` }, { field: 'file' });
  }
  const version = (json as { store?: { schemaVersion?: unknown } } | null)?.store?.schemaVersion;
  if (typeof version === 'number' && version > STORE_SCHEMA_VERSION) {
    throw SwitchyardError.because('STORE_TOO_NEW', 'backupData', { file, version, supported: STORE_SCHEMA_VERSION }, { field: 'file' });
  }
  const parsed = BackupPayload.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw SwitchyardError.because('VALIDATION', 'backupInvalid', { file, problem: `${issue.path.join('.') || 'payload'}: ${issue.message}` }, { field: 'file' });
  }
  // Never taken from a file that was not encrypted: a secret is only ever restored from one.
  if (!header.encryption && parsed.data.secrets) {
    throw SwitchyardError.because('VALIDATION', 'backupInvalid', { file, problem: 'secrets in a file without a passphrase' }, { field: 'file' });
  }
  return parsed.data;
}
