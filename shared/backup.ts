/**
 * Backup and restore of a data folder: what the requests look like, and what a backup, a
 * preview and a restore answer. The file format itself is electron/core/backup/backup-format.ts.
 */
import { z } from 'zod';
import type { InstallationRef } from './system';

/** The backup file format this Switchyard writes and reads (older ones are read too, newer ones refused). */
export const BACKUP_FORMAT = 1;

const noControl = (v: string) => [...v].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f);
/** POSIX (`/…`), Windows (`C:\…`) or UNC (`\\server\share\…`): the core never guesses a working folder. */
const absolute = (v: string) => v.startsWith('/') || /^[A-Za-z]:[\\/]/.test(v) || v.startsWith('\\\\');

export const BackupFile = z
  .string({ error: 'must be text' })
  .min(1, 'is required')
  .max(4096, 'is too long')
  .refine(noControl, 'must not contain control characters')
  .refine(absolute, 'must be an absolute path, such as /home/ana/switchyard.backup');

/** At least 8 characters when one is given: it is all that stands between the file and the secrets in it. */
export const BACKUP_PASSPHRASE_MIN = 8;

export const BackupCreateRequest = z
  .object({
    file: BackupFile,
    /** Without one, the secrets are left out of the file. */
    passphrase: z.string({ error: 'must be text' }).min(BACKUP_PASSPHRASE_MIN, `must be at least ${BACKUP_PASSPHRASE_MIN} characters`).max(1024, 'is too long').optional(),
  })
  .strict();
export type BackupCreateRequest = z.input<typeof BackupCreateRequest>;

export const restoreModes = ['replace', 'merge'] as const;
export type RestoreMode = (typeof restoreModes)[number];

export const BackupRestoreRequest = z
  .object({
    file: BackupFile,
    passphrase: z.string({ error: 'must be text' }).min(1, 'is required when given').max(1024, 'is too long').optional(),
    /** `replace`: the data folder becomes the backup (only an empty one); `merge`: the backup's items are added or replace those of the same name. */
    mode: z.enum(restoreModes, { error: 'must be "replace" or "merge"' }),
  })
  .strict();
export type BackupRestoreRequest = z.input<typeof BackupRestoreRequest>;

/** How many of each a backup holds. */
export interface BackupCounts {
  environments: number;
  hosts: number;
  registries: number;
  releases: number;
  configs: number;
  acmeAccounts: number;
  certificates: number;
  /** Secret values in the file (0 when they were left out). */
  secrets: number;
}

/** What `backup:create` wrote. */
export interface BackupSummary {
  file: string;
  format: number;
  createdAt: string;
  bytes: number;
  /** The file is encrypted with the passphrase, and holds the secrets. */
  encrypted: boolean;
  counts: BackupCounts;
  /** Secrets this data folder has that the file does not (no passphrase was given). */
  secretsLeftOut: number;
}

/** What a backup file says about itself. */
export interface BackupInfo {
  format: number;
  createdAt: string;
  /** The Switchyard version that wrote it. */
  app: string;
  /** The installation (data folder) it was made from. */
  from: InstallationRef;
  encrypted: boolean;
  counts: BackupCounts;
}

export const restoreItemKinds = ['environment', 'host', 'registry', 'acme-account'] as const;
export type RestoreItemKind = (typeof restoreItemKinds)[number];
/**
 * add: not here, comes from the backup; replace: here and different, the backup's wins;
 * unchanged: here and the same; keep: here only, stays as it is; skip: in the backup but left
 * out (an ACME account whose key the file does not hold).
 */
export const restoreActions = ['add', 'replace', 'unchanged', 'keep', 'skip'] as const;
export type RestoreAction = (typeof restoreActions)[number];

export interface RestoreItem {
  kind: RestoreItemKind;
  /** An environment's or host's name, a registry's address, an ACME account's email. */
  name: string;
  action: RestoreAction;
  /** A registry login's host. */
  host?: string;
  /** An ACME account's directory URL. */
  directory?: string;
  /** An environment's history and certificate as the backup has them (they come with it). */
  releases?: number;
  configs?: number;
  certificate?: boolean;
}

/** A secret that will not open after the restore, named by what uses it. */
export type MissingSecret =
  | { kind: 'host-password'; host: string }
  | { kind: 'host-passphrase'; host: string }
  | { kind: 'app-variable'; environment: string; variable: string }
  | { kind: 'release-variable'; environment: string; release: number; variable: string }
  | { kind: 'registry-password'; registry: string; host: string }
  | { kind: 'acme-account-key'; email: string; directory: string };

export interface RestorePreview {
  file: string;
  mode: RestoreMode;
  /** The data folder it goes into. */
  dataDir: string;
  backup: BackupInfo;
  /**
   * The backup was made by this installation. When not, the environments it deployed stay that
   * installation's on their hosts until they are adopted here (`environments:adopt`).
   */
  fromThisInstallation: boolean;
  /** Environments first, then hosts, registry logins, ACME accounts; by name within each. */
  items: RestoreItem[];
  missingSecrets: MissingSecret[];
}

export interface RestoreResult extends RestorePreview {
  restored: true;
}

/** How the CLI names a missing secret (the window words it in its language). */
export function missingSecretText(m: MissingSecret): string {
  switch (m.kind) {
    case 'host-password':
      return `host ${m.host}: its SSH password`;
    case 'host-passphrase':
      return `host ${m.host}: its key's passphrase`;
    case 'app-variable':
      return `environment ${m.environment}: variable ${m.variable}`;
    case 'release-variable':
      return `environment ${m.environment}: variable ${m.variable} of release ${m.release}`;
    case 'registry-password':
      return `registry ${m.registry} (host ${m.host}): its password`;
    case 'acme-account-key':
      return `ACME account ${m.email} at ${m.directory}: its key (a new account is registered at the next order)`;
  }
}
