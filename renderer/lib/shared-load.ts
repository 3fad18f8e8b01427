import { ref } from 'vue';
import { toUiError, type UiError } from './errors';

/**
 * A list fetched from the core, for a store: whether it arrived once, whether a fetch is under
 * way, the last failure; calls made while one fetch runs share it.
 */
export function sharedLoad(fetch: () => Promise<void>) {
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<UiError | null>(null);
  let pending: Promise<void> | null = null;

  function load(): Promise<void> {
    pending ??= (async () => {
      loading.value = true;
      try {
        await fetch();
        loaded.value = true;
        error.value = null;
      } catch (err) {
        error.value = toUiError(err);
      } finally {
        loading.value = false;
        pending = null;
      }
    })();
    return pending;
  }

  return { loaded, loading, error, load };
}
