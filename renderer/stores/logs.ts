import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AccessLogEntry, LogLines } from '../../shared/live';
import { invoke, subscribe } from '../api/client';
import { toUiError, type UiError } from '../lib/errors';

/** Lines kept per environment: enough to scroll back a little, bounded for long sessions. */
export const LOG_LINES_KEPT = 500;

/** The load balancers' access logs: a tail at first, then `logs:lines` while watched. */
export const useLogsStore = defineStore('logs', () => {
  const entries = ref<Record<string, AccessLogEntry[]>>({});
  const errors = ref<Record<string, UiError>>({});

  function append(environment: string, more: AccessLogEntry[]): void {
    const all = (entries.value[environment] ?? []).concat(more);
    entries.value[environment] = all.length > LOG_LINES_KEPT ? all.slice(all.length - LOG_LINES_KEPT) : all;
  }

  function heard(l: LogLines): void {
    append(l.environment, l.entries);
  }

  /**
   * Follows `environment`'s log (the core follows it while anyone subscribes): the tail first,
   * then lines as they come. Returns the function that stops; `ready` settles once the tail is in.
   */
  function watch(environment: string): { (): void; ready: Promise<void> } {
    const sub = subscribe('logs:lines', { environment }, heard);
    // Subscribed first, then the tail: a line written between the two is then seen at worst twice, never lost.
    const ready = sub.ready
      .then(async () => {
        entries.value[environment] = await invoke('logs:tail', { environment, limit: 200 });
        delete errors.value[environment];
      })
      .catch((err: unknown) => void (errors.value[environment] = toUiError(err)));
    return Object.assign(() => sub(), { ready });
  }

  function clear(environment: string): void {
    entries.value[environment] = [];
  }

  return { entries, errors, watch, clear };
});
