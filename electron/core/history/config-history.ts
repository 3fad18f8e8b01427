// jsdiff (the `diff` package) writes the unified diff: the standard, well-tested line diff
// (Myers' algorithm, proper hunks and headers), rather than a hand-written one.
import { FILE_HEADERS_ONLY, createTwoFilesPatch } from 'diff';
import type { ConfigAuthor, ConfigDiff, ConfigSettings, ConfigTrigger, ConfigVersion, ConfigVersionSummary, ConfigsChange, StoredConfigVersion } from '../../../shared/config-history';
import { SwitchyardError } from '../../../shared/errors';
import type { Environment } from '../../../shared/model';
import type { StoreData } from '../store/store';
import { summaryOf } from './config-summary';

/**
 * How many versions an environment keeps. They live in the data file, which is parsed, checked,
 * copied and rewritten whole on every save (a server toggle too) and read whole at start. A
 * version of the tutorial lab is about 3 KB (config and settings), one with 64 servers about
 * 15 KB; on a 2-core machine each version kept adds about 0.2 ms to every save. With ten lab
 * environments, 50 versions each made a toggle's save take ~90 ms instead of ~13 ms; 20 keep it
 * near 40 ms (and a 64-server environment's at a few hundred KB) while still reaching back over
 * the last twenty deploys that changed the config, which is what a rollback is for.
 */
export const CONFIG_HISTORY_LIMIT = 20;

/** The part of the store the history reads and writes. */
export interface HistoryStore {
  read(): Promise<StoreData>;
  update<T>(fn: (data: StoreData) => T | Promise<T>): Promise<T>;
}

/** An environment's settings as a version keeps them: all but its dates. Secret variables are references already. */
export function settingsOf(env: Environment): ConfigSettings {
  const { createdAt: _created, updatedAt: _updated, ...settings } = env;
  if (settings.app) {
    // Only the name and the reference of each secret, whatever else an object may carry.
    settings.app = { ...settings.app, secrets: settings.app.secrets.map((s) => ({ name: s.name, ref: s.ref })) };
  }
  return structuredClone(settings);
}

/** Drops the history of environments that go (removed or forgotten), inside the same save. */
export function dropHistory(data: StoreData, environments: string[]): void {
  data.configs = data.configs.filter((c) => !environments.includes(c.environment));
}

/** The environments whose history gained or lost versions between two versions of the data. */
export function historyChanges(before: readonly StoredConfigVersion[], after: readonly StoredConfigVersion[]): ConfigsChange[] {
  const shape = (list: readonly StoredConfigVersion[]) => {
    const by = new Map<string, string>();
    for (const c of list) by.set(c.environment, `${by.get(c.environment) ?? ''}${c.version},`);
    return by;
  };
  const was = shape(before);
  const now = shape(after);
  const out: ConfigsChange[] = [];
  for (const [environment, versions] of now) {
    if (was.get(environment) !== versions) out.push({ environment, latest: latestOf(after, environment)?.version ?? null });
  }
  for (const environment of was.keys()) if (!now.has(environment)) out.push({ environment, latest: null });
  return out;
}

function versionsOf(configs: readonly StoredConfigVersion[], environment: string): StoredConfigVersion[] {
  return configs.filter((c) => c.environment === environment).sort((a, b) => a.version - b.version);
}

function latestOf(configs: readonly StoredConfigVersion[], environment: string): StoredConfigVersion | undefined {
  return versionsOf(configs, environment).at(-1);
}

/**
 * The config history: each deploy that leaves a new haproxy.cfg serving keeps it, with the
 * settings it came from, who deployed it and why; listed, compared and read back per environment.
 */
export class ConfigHistory {
  constructor(
    private readonly store: HistoryStore,
    private readonly now: () => Date = () => new Date(),
    readonly limit = CONFIG_HISTORY_LIMIT,
  ) {}

  /**
   * Keeps the config a deploy left serving, unless the latest version already has that text
   * (a deploy that changed nothing, or only containers). Compared with the latest version rather
   * than with what ran before the deploy, so a config that reached the load balancer without
   * being kept (a deploy that failed its last check, toggles written to the file) is kept by the
   * next deploy. Answers with the new version's number, or undefined when none was added.
   */
  async record(env: Environment, config: string, trigger: ConfigTrigger, by: ConfigAuthor): Promise<number | undefined> {
    const settings = settingsOf(env);
    const at = this.now().toISOString();
    return this.store.update((data) => {
      // Forgotten while its deploy ran: there is nothing to keep a history for.
      if (!data.environments.some((e) => e.name === env.name)) return undefined;
      const mine = versionsOf(data.configs, env.name);
      const latest = mine.at(-1);
      if (latest?.config === config) return undefined;
      const version = (latest?.version ?? 0) + 1;
      const dropped = new Set(mine.slice(0, Math.max(0, mine.length + 1 - this.limit)));
      data.configs = data.configs.filter((c) => !dropped.has(c));
      data.configs.push({ environment: env.name, version, at, by: { installation: by.installation, by: by.by }, trigger, config, settings });
      return version;
    });
  }

  /** The versions of an environment, newest first, without their text. */
  async list(environment: string): Promise<ConfigVersionSummary[]> {
    const versions = await this.versions(environment);
    return versions.map((v, i) => summarise(v, versions[i - 1])).reverse();
  }

  async get(environment: string, version: number): Promise<ConfigVersion> {
    const versions = await this.versions(environment);
    const i = indexOf(versions, environment, version, 'version');
    return { ...summarise(versions[i], versions[i - 1]), config: versions[i].config, settings: versions[i].settings as ConfigSettings };
  }

  /** The version as kept (its settings unchecked): what a restore starts from. */
  async stored(environment: string, version: number): Promise<StoredConfigVersion> {
    const versions = await this.versions(environment);
    return versions[indexOf(versions, environment, version, 'version')];
  }

  /** A unified diff from version `from` to version `to`. */
  async diff(environment: string, from: number, to: number): Promise<ConfigDiff> {
    const versions = await this.versions(environment);
    const a = versions[indexOf(versions, environment, from, 'from')];
    const b = versions[indexOf(versions, environment, to, 'to')];
    const diff = createTwoFilesPatch('haproxy.cfg', 'haproxy.cfg', a.config, b.config, `version ${from}`, `version ${to}`, {
      context: 3,
      headerOptions: FILE_HEADERS_ONLY,
    });
    return { environment, from, to, diff, changed: a.config !== b.config };
  }

  private async versions(environment: string): Promise<StoredConfigVersion[]> {
    const data = await this.store.read();
    if (!data.environments.some((e) => e.name === environment)) {
      throw new SwitchyardError('NOT_FOUND', `There is no environment named "${environment}"`, { field: 'environment' });
    }
    return versionsOf(data.configs, environment);
  }
}

function summarise(v: StoredConfigVersion, previous: StoredConfigVersion | undefined): ConfigVersionSummary {
  return { environment: v.environment, version: v.version, at: v.at, by: v.by, trigger: v.trigger, summary: summaryOf(previous, v) };
}

function indexOf(versions: StoredConfigVersion[], environment: string, version: number, field: string): number {
  const i = versions.findIndex((v) => v.version === version);
  if (i >= 0) return i;
  const kept = versions.length ? ` (kept: ${versions[0].version} to ${versions.at(-1)!.version})` : ' (none is kept yet: deploy it first)';
  throw new SwitchyardError('NOT_FOUND', `"${environment}" has no version ${version}${kept}`, { field });
}
