import { defineStore } from 'pinia';
import { ref } from 'vue';
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';
import type { Environment } from '../../shared/model';
import { invoke } from '../api/client';

export const useEnvironmentsStore = defineStore('environments', () => {
  const environments = ref<Environment[]>([]);
  /** Whether a first list has arrived (an empty list then means "none yet", not "loading"). */
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<ErrorInfo | null>(null);
  let pending: Promise<void> | null = null;

  /** Fetches the list again; calls made while one is under way share it. */
  function load(): Promise<void> {
    pending ??= (async () => {
      loading.value = true;
      try {
        environments.value = await invoke('environments:list', {});
        loaded.value = true;
        error.value = null;
      } catch (err) {
        error.value = toErrorInfo(err);
      } finally {
        loading.value = false;
        pending = null;
      }
    })();
    return pending;
  }

  return { environments, loaded, loading, error, load };
});
