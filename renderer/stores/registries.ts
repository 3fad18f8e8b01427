import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { RegistryEntry, RegistryLogin } from '../../shared/registries';
import { invoke } from '../api/client';
import { sharedLoad } from '../lib/shared-load';

/** Private registry logins, per registry and host. Passwords go to the core and never come back. */
export const useRegistriesStore = defineStore('registries', () => {
  const logins = ref<RegistryEntry[]>([]);
  const { loaded, loading, error, load } = sharedLoad(async () => {
    logins.value = await invoke('registries:list', {});
  });

  const same = (a: Pick<RegistryEntry, 'registry' | 'host'>, b: Pick<RegistryEntry, 'registry' | 'host'>) => a.registry === b.registry && a.host === b.host;

  /** Checks the login with the host's engine, then keeps it (replacing one for the same registry and host). */
  async function login(input: RegistryLogin): Promise<RegistryEntry> {
    const entry = await invoke('registries:login', input);
    logins.value = [...logins.value.filter((l) => !same(l, entry)), entry];
    return entry;
  }

  async function logout(ref: Pick<RegistryEntry, 'registry' | 'host'>): Promise<void> {
    await invoke('registries:logout', { registry: ref.registry, host: ref.host });
    logins.value = logins.value.filter((l) => !same(l, ref));
  }

  return { logins, loaded, loading, error, load, login, logout };
});
