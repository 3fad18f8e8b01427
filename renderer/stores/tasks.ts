import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Task, TaskKind } from '../../shared/contract';
import { invoke, onReconnect, subscribe } from '../api/client';
import { toUiError, type UiError } from '../lib/errors';

/** Every task the core knows (deploys, destroys, traffic runs), kept current by `tasks:updated`. */
export const useTasksStore = defineStore('tasks', () => {
  const byId = ref<Record<string, Task>>({});
  const loaded = ref(false);
  const error = ref<UiError | null>(null);
  const finishedListeners = new Set<(t: Task) => void>();
  /** Ended tasks whose outcome the user put away; the next task of the same target shows again. */
  const dismissed = ref<Record<string, true>>({});

  /** Newest first. */
  const tasks = computed(() => Object.values(byId.value).sort((a, b) => b.createdAt.localeCompare(a.createdAt)));
  const running = computed(() => tasks.value.filter((t) => t.state === 'running'));

  function upsert(t: Task): void {
    const before = byId.value[t.id];
    byId.value[t.id] = t;
    if (t.state !== 'running' && before?.state !== t.state) for (const l of finishedListeners) l(t);
  }

  async function load(): Promise<void> {
    try {
      const list = await invoke('tasks:list', {});
      const next: Record<string, Task> = {};
      for (const t of list) next[t.id] = t;
      byId.value = next;
      loaded.value = true;
      error.value = null;
    } catch (err) {
      error.value = toUiError(err);
    }
  }

  async function cancel(id: string): Promise<void> {
    upsert(await invoke('tasks:cancel', { id }));
  }

  /** Forgets the ended tasks, here and in the core; those under way stay. How many went. */
  async function clear(): Promise<number> {
    const { cleared } = await invoke('tasks:clear', {});
    for (const t of Object.values(byId.value)) {
      if (t.state === 'running') continue;
      forget(t.id);
    }
    return cleared;
  }

  function forget(id: string): void {
    delete byId.value[id];
    delete dismissed.value[id];
  }

  /** The task of `kind` under way on `target`, if any. */
  function runningFor(target: string, kinds: readonly TaskKind[] = ['deploy', 'destroy']): Task | undefined {
    return running.value.find((t) => t.target === target && kinds.includes(t.kind));
  }

  /**
   * The newest task of `kinds` on `target`, under way or ended, unless the user put it away: what
   * an environment's page keeps showing until the next task or a dismiss.
   */
  function latestFor(target: string, kinds: readonly TaskKind[]): Task | undefined {
    const t = tasks.value.find((x) => x.target === target && kinds.includes(x.kind));
    return t && !dismissed.value[t.id] ? t : undefined;
  }

  /** Puts an ended task's outcome away. */
  function dismiss(id: string): void {
    dismissed.value[id] = true;
  }

  /** Calls `listener` each time a task ends (succeeded, failed or cancelled). */
  function onFinished(listener: (t: Task) => void): () => void {
    finishedListeners.add(listener);
    return () => finishedListeners.delete(listener);
  }

  /** Resolves when task `id` has ended. */
  function whenDone(id: string): Promise<Task> {
    const now = byId.value[id];
    if (now && now.state !== 'running') return Promise.resolve(now);
    return new Promise((resolve) => {
      const off = onFinished((t) => {
        if (t.id !== id) return;
        off();
        resolve(t);
      });
    });
  }

  subscribe('tasks:updated', {}, upsert);
  // Cleared in another window (or by a script): gone here too.
  subscribe('tasks:cleared', {}, ({ ids }) => ids.forEach(forget));
  // Updates sent while the connection was down are lost: ask for the whole list again.
  onReconnect(() => void load());

  return { byId, tasks, running, loaded, error, dismissed, load, cancel, clear, runningFor, latestFor, dismiss, onFinished, whenDone, upsert };
});
