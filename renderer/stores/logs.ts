import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AccessLogEntry } from '../../shared/live';
import { invoke, on, onReconnect } from '../api/client';
import { toUiError, type UiError } from '../lib/errors';

/** Lines kept per environment: enough to scroll back a little, bounded for long sessions. */
export const LOG_LINES_KEPT = 500;

/** The load balancers' access logs: a tail at first, then `logs:lines` while watched. */
export const useLogsStore = defineStore('logs', () => {
  const entries = ref<Record<string, AccessLogEntry[]>>({});
  const errors = ref<Record<string, UiError>>({});
  const watching = new Map<string, number>();

  function append(environment: string, more: AccessLogEntry[]): void {
    const all = (entries.value[environment] ?? []).concat(more);
    entries.value[environment] = all.length > LOG_LINES_KEPT ? all.slice(all.length - LOG_LINES_KEPT) : all;
  }

  async function watch(environment: string): Promise<void> {
    const n = (watching.get(environment) ?? 0) + 1;
    watching.set(environment, n);
    if (n > 1) return;
    try {
      // Watch first, then the tail: a line written between the two is then seen at worst twice, never lost.
      await invoke('logs:watch', { environment });
      entries.value[environment] = await invoke('logs:tail', { environment, limit: 200 });
      delete errors.value[environment];
    } catch (err) {
      errors.value[environment] = toUiError(err);
    }
  }

  async function unwatch(environment: string): Promise<void> {
    const n = (watching.get(environment) ?? 0) - 1;
    if (n > 0) return void watching.set(environment, n);
    watching.delete(environment);
    await invoke('logs:unwatch', { environment }).catch(() => undefined);
  }

  function clear(environment: string): void {
    entries.value[environment] = [];
  }

  on('logs:lines', (l) => {
    if (watching.has(l.environment)) append(l.environment, l.entries);
  });
  onReconnect(() => {
    for (const environment of watching.keys()) void invoke('logs:watch', { environment }).catch(() => undefined);
  });

  return { entries, errors, watch, unwatch, clear };
});
