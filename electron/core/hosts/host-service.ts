import type { Footprint, Forgotten } from '../../../shared/contract';
import { SwitchyardError } from '../../../shared/errors';
import { parseOrThrow } from '../../../shared/model';
import { HostKey, SshAuthInput, SshHost, parseSshHostInput, storedHost, type SshHostInput } from '../../../shared/hosts';
import type { SecretStore } from '../secrets/secret-store';
import { SshConnection, type SshConnectionOptions, type SshCredentials } from '../targets/ssh-connection';
import { SshDockerTarget } from '../targets/ssh-target';
import { checkHost, type HostCheckResult } from './host-checks';

/** Where SSH hosts are kept: the store's `hosts` list, behind its lock. */
export interface HostRepository {
  list(): Promise<SshHost[]>;
  /** Runs `fn` on the list under the store's lock and saves what it leaves. */
  update<T>(fn: (hosts: SshHost[]) => T | Promise<T>): Promise<T>;
}

export interface HostServiceOptions {
  /** Whether an environment is placed on this host (a host in use cannot be removed). */
  inUse?: (hostId: string) => Promise<boolean>;
  /** Connection tuning, mostly for tests (timeouts, agent socket). */
  connection?: Partial<Pick<SshConnectionOptions, 'keepaliveIntervalMs' | 'keepaliveCountMax' | 'readyTimeoutMs'>>;
  agentSocket?: string;
}

/** The secrets of a stored host, read from the secret store at connect time. */
export function credentialsFor(host: SshHost, secrets: SecretStore, agentSocket?: string): () => Promise<SshCredentials> {
  return async () => {
    const a = host.auth;
    if (a.method === 'password') return { method: 'password', password: await secrets.get(a.passwordRef) };
    if (a.method === 'key') return { method: 'key', keyPath: a.keyPath, passphrase: a.passphraseRef ? await secrets.get(a.passphraseRef) : undefined };
    return { method: 'agent', agentSocket };
  };
}

/** A target for a stored host (one persistent SSH connection; nothing is connected until first use). */
export function sshTargetFor(host: SshHost, secrets: SecretStore, opts: HostServiceOptions = {}): SshDockerTarget {
  const connection = new SshConnection({
    hostId: host.id,
    address: host.address,
    port: host.port,
    user: host.user,
    hostKey: host.hostKey,
    credentials: credentialsFor(host, secrets, opts.agentSocket),
    ...opts.connection,
  });
  return new SshDockerTarget(connection, { hostId: host.id, publicHost: host.address, user: host.user, ...(host.dockerSocket ? { dockerSocket: host.dockerSocket } : {}) });
}

/**
 * SSH hosts: adding one (its secrets go to the secret store), trusting its host key after
 * the user compared it, checking it, and the one target per host the environments use.
 */
export class HostService {
  private readonly targets = new Map<string, SshDockerTarget>();

  constructor(
    private readonly repo: HostRepository,
    private readonly secrets: SecretStore,
    private readonly opts: HostServiceOptions = {},
  ) {}

  list(): Promise<SshHost[]> {
    return this.repo.list();
  }

  async get(id: string): Promise<SshHost> {
    const host = (await this.repo.list()).find((h) => h.id === id);
    if (!host) throw SwitchyardError.because('NOT_FOUND', 'host', { host: id }, { field: 'host' });
    return host;
  }

  /** Saves a host without connecting; the first check then shows its host key for the user to trust. */
  async add(input: SshHostInput): Promise<SshHost> {
    const parsed = parseSshHostInput(input);
    if ((await this.repo.list()).some((h) => h.id === parsed.name)) {
      throw SwitchyardError.because('ALREADY_EXISTS', 'host', { host: parsed.name }, { field: 'name' });
    }
    const refs: { password?: string; passphrase?: string } = {};
    const a = parsed.auth;
    if (a.method === 'password') refs.password = await this.secrets.put(a.password);
    if (a.method === 'key' && a.passphrase !== undefined) refs.passphrase = await this.secrets.put(a.passphrase);
    try {
      const host = storedHost(parsed, refs);
      return await this.repo.update((hosts) => {
        if (hosts.some((h) => h.id === host.id)) throw SwitchyardError.because('ALREADY_EXISTS', 'host', { host: host.id }, { field: 'name' });
        hosts.push(host);
        return host;
      });
    } catch (err) {
      await this.forgetSecrets(refs);
      throw err;
    }
  }

  /** Pins the key the user compared; the next connection accepts that key and no other. */
  async trust(id: string, hostKey: HostKey): Promise<SshHost> {
    const key = parseOrThrow(HostKey, hostKey, 'hostKey');
    const host = await this.repo.update((hosts) => {
      const h = hosts.find((x) => x.id === id);
      if (!h) throw SwitchyardError.because('NOT_FOUND', 'host', { host: id }, { field: 'host' });
      h.hostKey = key;
      return parseOrThrow(SshHost, h);
    });
    await this.dropTarget(id);
    return host;
  }

  /**
   * New credentials for a host (a password changed on the server, a restore that left it without
   * one): the new secret is stored first, the host saved, then the old secret deleted and the
   * connection closed, so a failure at any step leaves the host logging in as before.
   */
  async setCredentials(id: string, input: SshAuthInput): Promise<SshHost> {
    const a = parseOrThrow(SshAuthInput, input, 'auth');
    const before = await this.get(id);
    const refs: { password?: string; passphrase?: string } = {};
    if (a.method === 'password') refs.password = await this.secrets.put(a.password);
    if (a.method === 'key' && a.passphrase !== undefined) refs.passphrase = await this.secrets.put(a.passphrase);
    let saved: SshHost;
    try {
      const auth = storedHost({ name: before.name, address: before.address, port: before.port, user: before.user, auth: a }, refs).auth;
      saved = await this.repo.update((hosts) => {
        const h = hosts.find((x) => x.id === id);
        if (!h) throw SwitchyardError.because('NOT_FOUND', 'host', { host: id }, { field: 'host' });
        h.auth = auth;
        return parseOrThrow(SshHost, h);
      });
    } catch (err) {
      await this.forgetSecrets(refs);
      throw err;
    }
    await this.dropTarget(id);
    await this.forgetSecrets({
      password: before.auth.method === 'password' ? before.auth.passwordRef : undefined,
      passphrase: before.auth.method === 'key' ? before.auth.passphraseRef : undefined,
    });
    return saved;
  }

  async remove(id: string): Promise<{ removed: true }> {
    const host = await this.get(id);
    if (await this.opts.inUse?.(id)) {
      throw SwitchyardError.because('BUSY', 'hostInUse', { host: id }, { field: 'host' });
    }
    await this.drop(host);
    return { removed: true };
  }

  /**
   * Forgets a host whose server is gone for good, with the environments placed on it
   * (`forgetPlaced` drops them first, so no environment is ever left on a missing host).
   * Nothing is sent to the server; its stored password or passphrase is deleted.
   */
  async forget(id: string, forgetPlaced: (hostId: string) => Promise<Footprint[]>): Promise<Forgotten> {
    const host = await this.get(id);
    const left = await forgetPlaced(id);
    await this.drop(host);
    return { forgotten: true, left };
  }

  /** The host's target, made on first use and kept (with its connection) until the host changes. */
  async targetFor(id: string): Promise<SshDockerTarget> {
    let t = this.targets.get(id);
    if (!t) {
      t = sshTargetFor(await this.get(id), this.secrets, this.opts);
      this.targets.set(id, t);
    }
    return t;
  }

  async check(id: string, ports: number[] = []): Promise<HostCheckResult[]> {
    return checkHost(await this.targetFor(id), { ports });
  }

  async close(): Promise<void> {
    const all = [...this.targets.values()];
    this.targets.clear();
    await Promise.all(all.map((t) => t.close()));
  }

  /** Out of the store, its connection closed, its secrets deleted. */
  private async drop(host: SshHost): Promise<void> {
    await this.repo.update((hosts) => {
      const i = hosts.findIndex((h) => h.id === host.id);
      if (i >= 0) hosts.splice(i, 1);
    });
    await this.dropTarget(host.id);
    await this.forgetSecrets({
      password: host.auth.method === 'password' ? host.auth.passwordRef : undefined,
      passphrase: host.auth.method === 'key' ? host.auth.passphraseRef : undefined,
    });
  }

  /** Closes the host's connection: the next call connects to the host as it is stored now (a restore replaced it). */
  async dropTarget(id: string): Promise<void> {
    const t = this.targets.get(id);
    this.targets.delete(id);
    await t?.close();
  }

  private async forgetSecrets(refs: { password?: string; passphrase?: string }): Promise<void> {
    for (const ref of [refs.password, refs.passphrase]) if (ref) await this.secrets.delete(ref).catch(() => undefined);
  }
}
