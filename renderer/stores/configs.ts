import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ConfigVersion, ConfigVersionSummary } from '../../shared/config-history';
import { invoke, onReconnect, subscribe } from '../api/client';
import { toUiError, type UiError } from '../lib/errors';

/**
 * Each environment's config history (the versions deploys kept, newest first), kept current by
 * the core's `configs:changed` events while a view watches it, and the versions read so far.
 */
export const useConfigsStore = defineStore('configs', () => {
  const versions = ref<Record<string, ConfigVersionSummary[]>>({});
  const errors = ref<Record<string, UiError>>({});
  /** Versions read with their text, by `environment#version`: a kept version never changes. */
  const read = new Map<string, Promise<ConfigVersion>>();
  const watched = new Map<string, number>();

  async function load(environment: string): Promise<void> {
    try {
      versions.value[environment] = await invoke('configs:list', { environment });
      delete errors.value[environment];
    } catch (err) {
      errors.value[environment] = toUiError(err);
    }
  }

  /** A version with its config and settings. */
  function get(environment: string, version: number): Promise<ConfigVersion> {
    const key = `${environment}#${version}`;
    let p = read.get(key);
    if (!p) {
      p = invoke('configs:get', { environment, version });
      read.set(key, p);
      p.catch(() => read.delete(key));
    }
    return p;
  }

  /** Puts a version's settings back and deploys them; resolves with the deploy task's id. */
  async function restore(environment: string, version: number): Promise<string> {
    const { taskId } = await invoke('configs:restore', { environment, version });
    return taskId;
  }

  /**
   * Keeps one environment's history current until the returned function is called: subscribed
   * first, then loaded, so a version kept in between is not missed.
   */
  function watch(environment: string): () => void {
    watched.set(environment, (watched.get(environment) ?? 0) + 1);
    const off = subscribe('configs:changed', { environment }, (c) => {
      // Gone with its environment: the texts read are gone too.
      if (c.latest === null) for (const key of [...read.keys()]) if (key.startsWith(`${environment}#`)) read.delete(key);
      void load(environment);
    });
    void load(environment);
    return () => {
      off();
      const n = (watched.get(environment) ?? 1) - 1;
      if (n > 0) watched.set(environment, n);
      else watched.delete(environment);
    };
  }

  // Changes sent while the connection was down are lost: read the watched histories again.
  onReconnect(() => {
    for (const environment of watched.keys()) void load(environment);
  });

  return { versions, errors, load, get, restore, watch };
});
