import type Docker from 'dockerode';
import { SwitchyardError } from '../../../shared/errors';
import { parseOrThrow } from '../../../shared/parse';
import { DOCKER_HUB, DOCKER_HUB_AUTH_ADDRESS, RegistryLogin, RegistryRef, registryOf, type RegistryCredential, type RegistryEntry } from '../../../shared/registries';
import type { SecretStore } from '../secrets/secret-store';
import type { Target } from '../targets/target';

export interface RegistryStore {
  list(): Promise<RegistryCredential[]>;
  update<T>(fn: (registries: RegistryCredential[]) => T | Promise<T>): Promise<T>;
}

/** What the engine takes with a pull (`X-Registry-Auth`). */
export interface AuthConfig {
  username: string;
  password: string;
  serveraddress: string;
}

const serverAddress = (registry: string) => (registry === DOCKER_HUB ? DOCKER_HUB_AUTH_ADDRESS : registry);
const entryOf = ({ passwordRef: _ref, ...entry }: RegistryCredential): RegistryEntry => entry;
const same = (a: { registry: string; host: string }, b: { registry: string; host: string }) => a.registry === b.registry && a.host === b.host;

/**
 * Logins to private registries, per registry and host. A login is checked by the host's own
 * engine before it is kept (a typo is refused at once, not at the next deploy); the password
 * is sealed in the secret store and handed only to the engine, with each pull.
 */
export class RegistryService {
  constructor(
    private readonly store: RegistryStore,
    private readonly secrets: Pick<SecretStore, 'put' | 'get' | 'delete'>,
    private readonly targetFor: (hostId: string) => Promise<Target>,
  ) {}

  async list(): Promise<RegistryEntry[]> {
    return (await this.store.list()).map(entryOf);
  }

  async login(input: RegistryLogin): Promise<RegistryEntry> {
    const login = parseOrThrow(RegistryLogin, input);
    const target = await this.targetFor(login.host);
    await checkLogin(target.docker, { username: login.username, password: login.password, serveraddress: serverAddress(login.registry) }, login.registry);
    const passwordRef = await this.secrets.put(login.password);
    const replaced = await this.store.update((list) => {
      const i = list.findIndex((r) => same(r, login));
      const saved: RegistryCredential = { registry: login.registry, host: login.host, username: login.username, passwordRef };
      const old = i >= 0 ? list[i].passwordRef : undefined;
      if (i >= 0) list[i] = saved;
      else list.push(saved);
      return old;
    });
    if (replaced) await this.secrets.delete(replaced).catch(() => undefined);
    return { registry: login.registry, host: login.host, username: login.username };
  }

  async logout(ref: { registry: string; host?: string }): Promise<{ removed: true }> {
    const r = parseOrThrow(RegistryRef, ref);
    const gone = await this.store.update((list) => {
      const i = list.findIndex((x) => same(x, r));
      if (i < 0) throw new SwitchyardError('NOT_FOUND', `There is no login for ${r.registry} on ${r.host}`, { field: 'registry' });
      return list.splice(i, 1)[0];
    });
    await this.secrets.delete(gone.passwordRef).catch(() => undefined);
    return { removed: true };
  }

  /** Forgets every login kept for a host that is itself forgotten or removed. */
  async forgetHost(hostId: string): Promise<void> {
    const gone = await this.store.update((list) => {
      const drop = list.filter((r) => r.host === hostId);
      list.splice(0, list.length, ...list.filter((r) => r.host !== hostId));
      return drop;
    });
    for (const r of gone) await this.secrets.delete(r.passwordRef).catch(() => undefined);
  }

  /** The credentials to pull `ref` on `hostId` with, when a login for its registry was kept. */
  async authFor(ref: string, hostId: string): Promise<AuthConfig | undefined> {
    const registry = registryOf(ref);
    const found = (await this.store.list()).find((r) => r.registry === registry && r.host === hostId);
    if (!found) return undefined;
    return { username: found.username, password: await this.secrets.get(found.passwordRef), serveraddress: serverAddress(registry) };
  }
}

/** The engine's own check (`POST /auth`): the same path its pulls take to the registry. */
async function checkLogin(docker: Docker, auth: AuthConfig, registry: string): Promise<void> {
  try {
    await docker.checkAuth(auth);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES') {
      throw new SwitchyardError('DOCKER_UNAVAILABLE', `Cannot reach the Docker engine to check the login for ${registry} (${code})`, { cause: err });
    }
    const said = ((err as { json?: { message?: string } }).json?.message ?? (err as Error).message).trim();
    const refused = /unauthori[sz]ed|authentication required|incorrect username or password|invalid (username|password|credentials|token)|denied|forbidden|\b401\b|\b403\b/i.test(said);
    // A wrong password or token: said as such, on its field; an unreachable registry is not the password's fault.
    if (refused) throw SwitchyardError.because('REGISTRY_AUTH_FAILED', 'refused', { registry, user: auth.username }, { field: 'password', detail: said, cause: err });
    throw SwitchyardError.because('REGISTRY_AUTH_FAILED', 'unreachable', { registry }, { field: 'registry', detail: said, cause: err });
  }
}
