import type { App } from '../../../shared/apps';
import { AppInput as AppInputSchema } from '../../../shared/apps';
import { SwitchyardError } from '../../../shared/errors';
import type { SecretStore } from '../secrets/secret-store';

type ParsedAppInput = ReturnType<typeof AppInputSchema.parse>;

/**
 * Secret variables of an app: a value typed by the user is sealed in the secret store at once,
 * and only its reference is kept in the model. A reference may only be kept from the same
 * environment's previous settings: otherwise a request could name another secret (an SSH
 * password, another app's token) and have it handed to a container.
 */
export class AppSecrets {
  constructor(
    private readonly box: Pick<SecretStore, 'put' | 'get' | 'delete'>,
    /** References something else still needs (a kept release may run them again): never deleted. */
    private readonly pinned: () => Promise<Set<string>> = async () => new Set(),
  ) {}

  /** The app with every secret as a reference; values sealed now; `previous` is what the environment had. */
  async seal(app: ParsedAppInput, previous?: App, field = 'app'): Promise<App> {
    const mine = new Set((previous?.secrets ?? []).map((s) => s.ref));
    app.secrets.forEach((s, i) => {
      if ('ref' in s && !mine.has(s.ref)) {
        throw new SwitchyardError('VALIDATION', `${field}.secrets.${i}.ref: is not a secret of this environment; give the value instead`, {
          field: `${field}.secrets.${i}`,
        });
      }
    });
    const sealed: App['secrets'] = [];
    try {
      for (const s of app.secrets) sealed.push('ref' in s ? s : { name: s.name, ref: await this.box.put(s.value) });
    } catch (err) {
      await this.dropUnused({ secrets: sealed.filter((s) => !mine.has(s.ref)) } as App, undefined);
      throw err;
    }
    return { ...app, secrets: sealed };
  }

  /** The values, by variable name: read only when a container is created. */
  async open(app: App): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const s of app.secrets) out[s.name] = await this.box.get(s.ref);
    return out;
  }

  /** Deletes the sealed values `before` had and `after` no longer uses. */
  async dropUnused(before: Pick<App, 'secrets'> | undefined, after: Pick<App, 'secrets'> | undefined): Promise<void> {
    const gone = (before?.secrets ?? []).filter((s) => !(after?.secrets ?? []).some((a) => a.ref === s.ref));
    if (!gone.length) return;
    const pinned = await this.pinned();
    for (const s of gone) if (!pinned.has(s.ref)) await this.box.delete(s.ref).catch(() => undefined);
  }
}
