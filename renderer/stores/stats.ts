import { defineStore } from 'pinia';
import { ref, shallowReactive } from 'vue';
import type { ContainerStatus } from '../../shared/contract';
import type { HealthChange, ServerApplied, StatsSnapshot } from '../../shared/live';
import type { ServerState } from '../../shared/model';
import { invoke, subscribe } from '../api/client';
import { toUiError, type UiError } from '../lib/errors';

/** Points kept per sparkline: a minute at the default 1 s interval. */
export const HISTORY_POINTS = 60;
const HEALTH_EVENTS_KEPT = 100;

/**
 * Per environment: sample times (s) and hits/s per server, aligned (uPlot's data layout).
 * A gap is null, as uPlot wants: a NaN would poison its scale and blank the whole chart.
 */
export interface Series {
  times: number[];
  perServer: Map<string, (number | null)[]>;
}

/**
 * Live figures of the environments being watched: the latest `stats:snapshot` of each, a
 * short history for the sparklines, and the health changes heard.
 */
export const useStatsStore = defineStore('stats', () => {
  // Shallow: a snapshot is replaced whole, never edited in place, and 20 environments × 10
  // servers at 1 Hz must not pay for deep reactivity.
  const snapshots = shallowReactive<Record<string, StatsSnapshot>>({});
  /** Bumped when an environment's series gets a point; the arrays themselves are not reactive. */
  const seriesVersion = shallowReactive<Record<string, number>>({});
  const healthEvents = ref<HealthChange[]>([]);
  const error = ref<UiError | null>(null);
  const series = new Map<string, Series>();

  function record(s: StatsSnapshot): void {
    snapshots[s.environment] = s;
    let ser = series.get(s.environment);
    if (!ser) series.set(s.environment, (ser = { times: [], perServer: new Map() }));
    const t = Date.parse(s.at) / 1000;
    if (ser.times.length && t <= ser.times[ser.times.length - 1]) return;
    ser.times.push(t);
    const n = ser.times.length;
    for (const srv of s.servers) {
      let arr = ser.perServer.get(srv.name);
      // A server that appears late starts with gaps, so every array stays as long as `times`.
      if (!arr) ser.perServer.set(srv.name, (arr = new Array<number | null>(n - 1).fill(null)));
      arr.push(srv.hitsPerSecond);
    }
    for (const arr of ser.perServer.values()) if (arr.length < n) arr.push(null);
    if (n > HISTORY_POINTS) {
      ser.times.splice(0, n - HISTORY_POINTS);
      for (const arr of ser.perServer.values()) arr.splice(0, arr.length - HISTORY_POINTS);
    }
    seriesVersion[s.environment] = (seriesVersion[s.environment] ?? 0) + 1;
  }

  function seriesOf(environment: string): Series | undefined {
    return series.get(environment);
  }

  function heardHealth(h: HealthChange): void {
    healthEvents.value = [h, ...healthEvents.value].slice(0, HEALTH_EVENTS_KEPT);
    const snap = snapshots[h.environment];
    if (snap) snapshots[h.environment] = { ...snap, servers: snap.servers.map((s) => (s.name === h.server ? { ...s, health: h.to } : s)) };
  }

  /**
   * Live figures for `environment` until the returned function is called: the core polls its
   * load balancer while anyone subscribes (and refuses another Switchyard's environment).
   */
  function watch(environment: string): { (): void; ready: Promise<void> } {
    const subs = [subscribe('stats:snapshot', { environment }, record), subscribe('stats:health', { environment }, heardHealth)];
    const ready = Promise.all(subs.map((s) => s.ready)).then(
      () => void (error.value = null),
      (err: unknown) => void (error.value = toUiError(err)),
    );
    return Object.assign(() => subs.forEach((s) => s()), { ready });
  }

  async function setServer(environment: string, server: string, change: { state?: ServerState; weight?: number }): Promise<ServerApplied> {
    const applied = await invoke('servers:set', { environment, server, ...change });
    const snap = snapshots[environment];
    if (snap) {
      // Shown at once; the next snapshot confirms it.
      snapshots[environment] = {
        ...snap,
        servers: snap.servers.map((s) => (s.name === server ? { ...s, state: applied.state, weight: applied.weight } : s)),
      };
    }
    return applied;
  }

  function setServerRunning(environment: string, server: string, running: boolean): Promise<ContainerStatus> {
    return invoke(running ? 'servers:start' : 'servers:stop', { environment, server });
  }

  return {
    snapshots,
    seriesVersion,
    healthEvents,
    error,
    record,
    seriesOf,
    watch,
    setServer,
    setServerRunning,
  };
});
