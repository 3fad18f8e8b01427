/**
 * Config history: every deploy that changes an environment's haproxy.cfg keeps that config and
 * the settings it was rendered from, numbered per environment, so a person can see what changed,
 * compare two versions and put an earlier one back. Request schemas and payload types; the
 * channels are listed in contract.ts.
 */
import { z } from 'zod';
import type { Message } from './messages';
import { name, type Environment } from './model';

const versionNumber = () => z.number({ error: 'must be a version number' }).int('must be a whole number').min(1, 'must be 1 or more').max(Number.MAX_SAFE_INTEGER, 'is too large');

/** What made a version: a deploy, a certificate order switching HTTPS on (it deploys), or putting back version `version`. */
export const ConfigTrigger = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('deploy') }).strict(),
    z.object({ kind: z.literal('https') }).strict(),
    z.object({ kind: z.literal('restore'), version: versionNumber() }).strict(),
    // A release that changed the app's port: the servers' lines change without a deploy.
    z.object({ kind: z.literal('release'), number: z.number().int().min(1) }).strict(),
  ],
  { error: 'must be a deploy, an HTTPS change, a restore or a release' },
);
export type ConfigTrigger = z.infer<typeof ConfigTrigger>;

/** Who deployed a version: the installation (one data folder) and `user@machine`. */
export const ConfigAuthor = z.object({ installation: z.string().min(1), by: z.string() }).strict();
export type ConfigAuthor = z.infer<typeof ConfigAuthor>;

/** An environment's settings as a version keeps them: everything but its dates; an app's secret variables as references only. */
export type ConfigSettings = Omit<Environment, 'createdAt' | 'updatedAt'>;

/** One version as the data file keeps it. */
export const StoredConfigVersion = z
  .object({
    environment: name(),
    version: versionNumber(),
    /** When the deploy that served it ended (ISO 8601). */
    at: z.string(),
    by: ConfigAuthor,
    trigger: ConfigTrigger,
    config: z.string(),
    // Checked against the model when it is put back, not each time the data file is read: a
    // setting a later model words differently must not make the whole file unreadable.
    settings: z.record(z.string(), z.unknown()),
  })
  .strict();
export type StoredConfigVersion = z.infer<typeof StoredConfigVersion>;

/** A version in a list: without its text. */
export interface ConfigVersionSummary {
  environment: string;
  version: number;
  at: string;
  by: ConfigAuthor;
  trigger: ConfigTrigger;
  /** What changed from the version before it, in one line (the window words it in its language). */
  summary: Message;
}

/** A version with the config it served and the settings it was rendered from. */
export interface ConfigVersion extends ConfigVersionSummary {
  config: string;
  settings: ConfigSettings;
}

export interface ConfigDiff {
  environment: string;
  from: number;
  to: number;
  /** A unified diff (`---`/`+++` headers, `@@` hunks), empty of hunks when both configs are the same. */
  diff: string;
  changed: boolean;
}

/** An environment's history gained a version or lost them all (`latest` null: the environment is gone). */
export interface ConfigsChange {
  environment: string;
  latest: number | null;
}

export const ConfigsRef = z.object({ environment: name() }).strict();
export const ConfigRef = z.object({ environment: name(), version: versionNumber() }).strict();
export const ConfigDiffRequest = z.object({ environment: name(), from: versionNumber(), to: versionNumber() }).strict();
