import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { LocalImage } from '../../shared/contract';
import { invoke } from '../api/client';

/**
 * The images each host's engine already has, for the image fields to suggest: read again each
 * time a field asks (an image pulled or loaded since shows at once), as nothing tells the window
 * when an engine's images change.
 */
export const useImagesStore = defineStore('images', () => {
  const byHost = ref<Record<string, LocalImage[]>>({});
  const loading = ref<Record<string, boolean>>({});
  const pending = new Map<string, Promise<LocalImage[]>>();

  /** The host's images, newest first; none when the engine cannot be asked (they are only suggestions). */
  function load(host: string): Promise<LocalImage[]> {
    let running = pending.get(host);
    if (!running) {
      running = (async () => {
        loading.value[host] = true;
        try {
          byHost.value[host] = await invoke('images:list', { host });
        } catch {
          // Only suggestions: an engine that cannot be asked offers none, and the field stays free text.
          byHost.value[host] = [];
        } finally {
          loading.value[host] = false;
          pending.delete(host);
        }
        return byHost.value[host];
      })();
      pending.set(host, running);
    }
    return running;
  }

  return { byHost, loading, load };
});
