import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AppInput } from '../../shared/apps';
import { MAX_RELEASES_KEPT, type ReleaseRecord, type RolloutPolicyInput } from '../../shared/releases';
import { invoke, onReconnect, subscribe } from '../api/client';
import { toUiError, type UiError } from '../lib/errors';

/**
 * Each environment's releases (newest first), kept current by the core's `releases:changed`
 * events while a view watches them: a release starting, a server changing phase, a release
 * ending, also when the CLI runs it in another process.
 */
export const useReleasesStore = defineStore('releases', () => {
  const records = ref<Record<string, ReleaseRecord[]>>({});
  const errors = ref<Record<string, UiError>>({});
  const watched = new Map<string, number>();
  /** Records heard while a list is being read, by environment: the read may be older than them. */
  const heardWhileLoading = new Map<string, Map<number, ReleaseRecord>>();

  function put(list: ReleaseRecord[], r: ReleaseRecord): ReleaseRecord[] {
    const rest = list.filter((x) => x.number !== r.number);
    return [...rest, r].sort((a, b) => b.number - a.number).slice(0, MAX_RELEASES_KEPT);
  }

  /** One record as the core sent it: replaces the one with its number, or joins the list. */
  function merge(r: ReleaseRecord): void {
    heardWhileLoading.get(r.environment)?.set(r.number, r);
    const list = records.value[r.environment];
    // Not read yet: the read that is under way (or the next) brings it.
    if (!list) return;
    records.value[r.environment] = put(list, r);
  }

  async function load(environment: string): Promise<void> {
    const heard = new Map<number, ReleaseRecord>();
    heardWhileLoading.set(environment, heard);
    try {
      let list = await invoke('releases:list', { environment });
      // A record heard meanwhile is at least as recent as the one read, unless the read one has ended.
      for (const r of heard.values()) {
        const read = list.find((x) => x.number === r.number);
        if (!read || read.result === 'running' || r.result !== 'running') list = put(list, r);
      }
      records.value[environment] = list;
      delete errors.value[environment];
    } catch (err) {
      errors.value[environment] = toUiError(err);
    } finally {
      if (heardWhileLoading.get(environment) === heard) heardWhileLoading.delete(environment);
    }
  }

  /**
   * Keeps one environment's releases current until the returned function is called:
   * subscribed first, then read, so a release that starts in between is not missed.
   */
  function watch(environment: string): () => void {
    watched.set(environment, (watched.get(environment) ?? 0) + 1);
    const off = subscribe('releases:changed', { environment }, merge);
    void load(environment);
    return () => {
      off();
      const n = (watched.get(environment) ?? 1) - 1;
      if (n > 0) watched.set(environment, n);
      else watched.delete(environment);
    };
  }

  /** Rolls `app` out (absent: the current app again: a tag pulled anew, a folder rebuilt); resolves with the task's id. */
  async function start(environment: string, app?: AppInput, rollout?: Partial<RolloutPolicyInput>): Promise<string> {
    const { taskId } = await invoke('releases:start', { environment, ...(app ? { app } : {}), ...(rollout ? { rollout } : {}) });
    return taskId;
  }

  /** Goes back to release `to`, server by server; resolves with the task's id. */
  async function rollback(environment: string, to: number, rollout?: Partial<RolloutPolicyInput>): Promise<string> {
    const { taskId } = await invoke('releases:rollback', { environment, to, ...(rollout ? { rollout } : {}) });
    return taskId;
  }

  /** The release under way, if any (the newest one still running). */
  function running(environment: string): ReleaseRecord | undefined {
    return records.value[environment]?.find((r) => r.result === 'running');
  }

  /** The release serving now: the newest that succeeded. */
  function serving(environment: string): ReleaseRecord | undefined {
    return records.value[environment]?.find((r) => r.result === 'succeeded');
  }

  // Changes sent while the connection was down are lost: read the watched histories again.
  onReconnect(() => {
    for (const environment of watched.keys()) void load(environment);
  });

  return { records, errors, load, watch, merge, start, rollback, running, serving };
});
