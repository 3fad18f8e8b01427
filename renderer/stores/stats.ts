import { defineStore } from 'pinia';
import { ref, shallowReactive } from 'vue';
import type { ContainerStatus } from '../../shared/contract';
import type { HealthChange, ServerApplied, StatsSample, StatsSnapshot } from '../../shared/live';
import type { ServerState } from '../../shared/model';
import { appendSample, copySample } from '../../shared/stats-history';
import { invoke, subscribe } from '../api/client';
import { WINDOW_MS, windowSeries, type ChartWindow, type WindowSeries } from '../lib/chart-series';
import { toUiError, type UiError } from '../lib/errors';
import { useTasksStore } from './tasks';

const HEALTH_EVENTS_KEPT = 100;

/** A window of an environment's figures, and a number that changes whenever its arrays do. */
export type WindowedSeries = WindowSeries & { version: number };

/**
 * Live figures of the environments being watched: the latest `stats:snapshot` of each, the last
 * hour of samples for the charts (loaded from the core when a view opens, then fed by the
 * snapshots), and the health changes heard.
 */
export const useStatsStore = defineStore('stats', () => {
  const tasks = useTasksStore();
  // Shallow: a snapshot is replaced whole, never edited in place, and 20 environments × 10
  // servers at 1 Hz must not pay for deep reactivity.
  const snapshots = shallowReactive<Record<string, StatsSnapshot>>({});
  /** Bumped when an environment's figures change; the sample lists themselves are not reactive. */
  const seriesVersion = shallowReactive<Record<string, number>>({});
  const healthEvents = ref<HealthChange[]>([]);
  const error = ref<UiError | null>(null);
  /** The span the charts show, the same for every chart of a view. */
  const chartWindow = ref<ChartWindow>('5m');
  /** Per environment, oldest first, bounded as the core bounds its own (shared/stats-history.ts). */
  const samples = new Map<string, StatsSample[]>();
  const windows = new Map<string, { key: string; value: WindowedSeries }>();
  let builds = 0;

  function bump(environment: string): void {
    seriesVersion[environment] = (seriesVersion[environment] ?? 0) + 1;
  }

  function record(s: StatsSnapshot): void {
    snapshots[s.environment] = s;
    if (s.sample) {
      let list = samples.get(s.environment);
      if (!list) samples.set(s.environment, (list = []));
      appendSample(list, s.sample);
    }
    // Even without a sample: time went on, and a gap since the last one shows.
    bump(s.environment);
  }

  /**
   * Puts the core's history of `environment` under what the snapshots brought meanwhile. What
   * fails leaves the charts to start from the live figures: the subscription says what is wrong.
   */
  async function loadHistory(environment: string): Promise<void> {
    let loaded: StatsSample[];
    try {
      loaded = (await invoke('stats:history', { environment })).samples.map(copySample);
    } catch {
      return;
    }
    const end = loaded.at(-1)?.to ?? -Infinity;
    for (const s of samples.get(environment) ?? []) if (s.from >= end) appendSample(loaded, s);
    samples.set(environment, loaded);
    bump(environment);
  }

  /** Sample lists of `environment`, as they are (not reactive: read `seriesVersion` to follow them). */
  function samplesOf(environment: string): readonly StatsSample[] {
    return samples.get(environment) ?? [];
  }

  /**
   * The chosen window of `environment`'s figures for `servers`, ending at the latest snapshot.
   * Built once per change, however many charts read it.
   */
  function windowOf(environment: string, servers: readonly string[]): WindowedSeries {
    const version = seriesVersion[environment] ?? 0;
    const key = `${version}|${chartWindow.value}|${servers.join(',')}`;
    const cached = windows.get(environment);
    if (cached?.key === key) return cached.value;
    const list = samples.get(environment) ?? [];
    const snap = snapshots[environment];
    const latest = Math.max(snap ? Date.parse(snap.at) : -Infinity, list.at(-1)?.to ?? -Infinity);
    const now = Number.isFinite(latest) ? latest : Date.now();
    const value = { ...windowSeries(list, now, WINDOW_MS[chartWindow.value], servers), version: ++builds };
    windows.set(environment, { key, value });
    return value;
  }

  /** Forgets every figure of `environment`: it was destroyed or removed, and nothing of it may show again. */
  function clear(environment: string): void {
    samples.delete(environment);
    windows.delete(environment);
    delete snapshots[environment];
    bump(environment);
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
    // Subscribed first, then the history: a sample in between is in one or the other, or both
    // (and then taken once).
    const ready = Promise.all(subs.map((s) => s.ready)).then(
      () => {
        error.value = null;
        return loadHistory(environment);
      },
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

  // Gone from its host, or from Switchyard: its figures go too.
  tasks.onFinished((t) => {
    if (t.kind === 'destroy' && t.state === 'succeeded') clear(t.target);
  });
  subscribe('environments:changed', {}, (c) => {
    if (c.change === 'removed') clear(c.name);
  });

  return {
    snapshots,
    seriesVersion,
    healthEvents,
    error,
    chartWindow,
    record,
    samplesOf,
    windowOf,
    clear,
    watch,
    setServer,
    setServerRunning,
  };
});
