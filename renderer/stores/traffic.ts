import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import type { TrafficReport } from '../../shared/live';
import type { RequestOf } from '../../shared/contract';
import { invoke, subscribe } from '../api/client';

/** What the traffic form holds; durations in seconds, as the user types them. */
export interface TrafficForm {
  mode: 'requests' | 'duration';
  requests: number | null;
  seconds: number | null;
  concurrency: number | null;
  /** Requests per second at most; empty: as fast as the load balancer answers. */
  rate: number | null;
  keepCookies: boolean;
  path: string;
}

/** The traffic generator: the latest run per environment, updated by `traffic:progress`. */
export const useTrafficStore = defineStore('traffic', () => {
  const reports = ref<Record<string, TrafficReport>>({});
  /** Each environment's form, kept while the window is open: leaving the tab and coming back finds it as it was. */
  const forms = reactive<Record<string, TrafficForm>>({});

  function formFor(environment: string): TrafficForm {
    forms[environment] ??= { mode: 'requests', requests: 200, seconds: 10, concurrency: 4, rate: null, keepCookies: false, path: '/' };
    return forms[environment];
  }
  /** The task of the run shown per environment (progress of older runs is ignored). */
  const current = ref<Record<string, string>>({});

  async function run(request: RequestOf<'traffic:run'>): Promise<string> {
    const { taskId } = await invoke('traffic:run', request);
    current.value[request.environment] = taskId;
    // The first progress event may have come before the answer did.
    const early = reports.value[request.environment];
    if (early?.taskId !== taskId) delete reports.value[request.environment];
    return taskId;
  }

  /** Reads a run's report again (when progress events were missed). */
  async function refresh(environment: string): Promise<void> {
    const taskId = current.value[environment];
    if (taskId) reports.value[environment] = await invoke('traffic:get', { taskId });
  }

  /** Stops the run under way (what it sent so far stays in its report). */
  async function stop(environment: string): Promise<void> {
    const taskId = current.value[environment];
    if (taskId) await invoke('tasks:cancel', { id: taskId });
  }

  function running(environment: string): boolean {
    const r = reports.value[environment];
    return current.value[environment] !== undefined && (!r || !r.done);
  }

  // Every environment's: progress only comes while a run is under way, and costs the core nothing more.
  subscribe('traffic:progress', {}, (r) => {
    const mine = current.value[r.environment];
    if (mine === undefined || mine === r.taskId) {
      current.value[r.environment] = r.taskId;
      reports.value[r.environment] = r;
    }
  });

  return { reports, current, forms, formFor, run, stop, refresh, running };
});
