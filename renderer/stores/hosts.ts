import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Footprint } from '../../shared/contract';
import { type Host, type HostCheckResult, type HostKey, type SshHost, type SshHostInput } from '../../shared/hosts';
import { invoke, subscribe } from '../api/client';
import { toUiError, type UiError } from '../lib/errors';
import { sharedLoad } from '../lib/shared-load';
import { useEnvironmentsStore } from './environments';

/** A host key the server presented that the user has not accepted (yet). */
export interface KeyQuestion {
  kind: 'unknown' | 'changed';
  presented: HostKey;
  /** The fingerprint trusted before, when the key changed. */
  expected?: string;
}

/** The last run of a host's checks, as the hosts view shows it. */
export interface HostChecks {
  at: number;
  results: HostCheckResult[];
  /** Every check passed. */
  ok: boolean;
  /** The host-key check failed on a key the user may compare and accept. */
  key?: KeyQuestion;
}

/**
 * Hosts: this computer and the ones added over SSH. Secrets go to the core in the add call
 * and never come back: the stored host only holds references to them.
 */
export const useHostsStore = defineStore('hosts', () => {
  const hosts = ref<Host[]>([]);
  const { loaded, loading, error, load } = sharedLoad(async () => {
    hosts.value = await invoke('hosts:list', {});
  });
  const checks = ref<Record<string, HostChecks>>({});
  const checking = ref<Record<string, boolean>>({});
  const checkErrors = ref<Record<string, UiError>>({});

  const sshHosts = computed(() => hosts.value.filter((h): h is SshHost => h.kind === 'ssh'));

  function put(host: SshHost): void {
    const i = hosts.value.findIndex((h) => h.id === host.id);
    if (i >= 0) hosts.value[i] = host;
    else hosts.value.push(host);
  }

  /** Saves the host (the core refuses bad input naming the field); connecting is the checks' job. */
  async function add(input: SshHostInput): Promise<SshHost> {
    const host = await invoke('hosts:add', input);
    put(host);
    return host;
  }

  /** Runs the host's checks; a key the server presents but nobody trusted becomes a question. */
  async function check(id: string, ports: number[] = []): Promise<HostChecks | undefined> {
    checking.value[id] = true;
    try {
      const results = await invoke('hosts:check', { id, ports });
      const keyLine = results.find((r) => r.check === 'host-key' && !r.ok && !r.skipped);
      const key = keyLine?.hostKey;
      const out: HostChecks = { at: Date.now(), results, ok: results.every((r) => r.ok), ...(key ? { key } : {}) };
      checks.value[id] = out;
      delete checkErrors.value[id];
      return out;
    } catch (err) {
      checkErrors.value[id] = toUiError(err);
      return undefined;
    } finally {
      checking.value[id] = false;
    }
  }

  /** Pins the key the user compared, then checks the host again with it. */
  async function trust(id: string, hostKey: HostKey): Promise<SshHost> {
    const host = await invoke('hosts:trust', { id, hostKey });
    put(host);
    await check(id);
    return host;
  }

  /** New credentials for a host (kept running environments and all); checked at once. */
  async function setCredentials(id: string, auth: SshHostInput['auth']): Promise<SshHost> {
    const host = await invoke('hosts:credentials', { id, auth });
    put(host);
    await check(id);
    return host;
  }

  async function remove(id: string): Promise<void> {
    await invoke('hosts:remove', { id });
    hosts.value = hosts.value.filter((h) => h.id !== id);
    delete checks.value[id];
    delete checkErrors.value[id];
  }

  /** What the environments placed on a host have there: what forgetting the host would leave. */
  async function footprint(id: string): Promise<Footprint[]> {
    return invoke('hosts:footprint', { id });
  }

  /** Forgets a host gone for good, with the environments placed on it; nothing is sent to it. */
  async function forget(id: string): Promise<Footprint[]> {
    const { left } = await invoke('hosts:forget', { id });
    hosts.value = hosts.value.filter((h) => h.id !== id);
    delete checks.value[id];
    delete checkErrors.value[id];
    useEnvironmentsStore().drop(left.map((f) => f.environment));
    return left;
  }

  // Added, trusted or removed by this window, another one, or the CLI on the same data folder.
  subscribe('hosts:changed', {}, (c) => {
    if (c.host) return put(c.host);
    hosts.value = hosts.value.filter((h) => h.id !== c.id);
    delete checks.value[c.id];
    delete checkErrors.value[c.id];
  });

  return { hosts, sshHosts, loaded, loading, error, checks, checking, checkErrors, load, add, check, trust, setCredentials, remove, footprint, forget };
});
