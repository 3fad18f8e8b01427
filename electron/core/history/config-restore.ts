import type { Task } from '../../../shared/contract';
import type { StoredConfigVersion } from '../../../shared/config-history';
import { SwitchyardError } from '../../../shared/errors';
import { Environment, parseOrThrow, type Environment as Env } from '../../../shared/model';
import type { AppSecrets } from '../apps/app-secrets';
import { checkPortClaim, type EnvironmentService } from '../environments/service';
import type { HistoryStore } from './config-history';

/**
 * The environment with the settings of a version put back. What stays the environment's own:
 * its name and its host (the containers are there; moving them is not going back in time), its
 * creation date, and its app's secret variables while it has an app (the references a version
 * kept may have been given back to the secret store since; the values the app runs with now
 * stay). HTTPS settings the version did not have yet are kept, switched off, so the config is
 * the version's and the domains are still there to switch on again.
 */
export function restoredEnvironment(current: Env, kept: StoredConfigVersion, now: Date): Env {
  const { name: _name, host: _host, createdAt: _created, updatedAt: _updated, app, https, ...settings } = kept.settings;
  const next: Record<string, unknown> = { ...settings, name: current.name, host: current.host, createdAt: current.createdAt, updatedAt: now.toISOString() };
  if (app && typeof app === 'object') {
    const secrets = current.app ? current.app.secrets : ((app as { secrets?: unknown }).secrets ?? []);
    next.app = { ...app, secrets };
  }
  if (https !== undefined) next.https = https;
  else if (current.https) next.https = { ...current.https, enabled: false };
  try {
    return parseOrThrow(Environment, next);
  } catch (err) {
    // Kept by an earlier Switchyard whose model allowed what this one refuses: the request's
    // field at fault is the version, and the setting is named in the message.
    if (!(err instanceof SwitchyardError) || err.code !== 'VALIDATION') throw err;
    throw new SwitchyardError('VALIDATION', `version: the settings of version ${kept.version} no longer pass Switchyard's checks (${err.message})`, { field: 'version', cause: err });
  }
}

/** Puts an earlier version's settings back and deploys them. */
export class ConfigRestore {
  constructor(
    private readonly envs: EnvironmentService,
    private readonly store: HistoryStore,
    /** Where an app's secret values are kept: a version's references are checked there before they are used again. */
    private readonly appSecrets?: AppSecrets,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Sets the environment's settings back to version `version`'s and starts a deploy of them (a
   * task; the version it adds says "restore of N"). Refused, changing nothing, while a task of
   * the environment runs, when another Switchyard manages it, or when the version's settings no
   * longer pass the model's checks.
   */
  async restore(name: string, version: number): Promise<Task> {
    const current = await this.envs.get(name);
    const kept = await this.envs.history.stored(name, version);
    // Checked now, so a refusal changes nothing.
    await this.checkSecrets(restoredEnvironment(current, kept, this.now()), version);
    await this.envs.assertOwned(current);
    let restored: Env | undefined;
    // Under the environment's lock, before the task starts: what it throws is the call's answer.
    const save = async () => {
      let before: Env | undefined;
      restored = await this.store.update((data) => {
        const i = data.environments.findIndex((e) => e.name === name);
        if (i < 0) throw new SwitchyardError('NOT_FOUND', `There is no environment named "${name}"`, { field: 'environment' });
        before = data.environments[i];
        const next = restoredEnvironment(before, kept, this.now());
        checkPortClaim(
          data.environments.filter((_, j) => j !== i),
          next,
        );
        return (data.environments[i] = next);
      });
      // The app's secret values the restored settings no longer use are given back, as an edit would.
      await this.appSecrets?.dropUnused(before?.app, restored.app);
    };
    return this.envs.exclusive(name, 'deploy', (ctx) => this.envs.deployWithin(restored!, ctx, { trigger: { kind: 'restore', version } }), save);
  }

  /** A version's own secret references (the environment had no app since) must still open. */
  private async checkSecrets(env: Env, version: number): Promise<void> {
    if (!env.app?.secrets.length || !this.appSecrets) return;
    try {
      await this.appSecrets.open(env.app);
    } catch (err) {
      if (!(err instanceof SwitchyardError) || err.code !== 'NOT_FOUND') throw err;
      throw new SwitchyardError(
        'VALIDATION',
        `version: the app of version ${version} had secret variables (${env.app.secrets.map((s) => s.name).join(', ')}) whose values are no longer kept: set the app with them again instead`,
        { field: 'version' },
      );
    }
  }
}
