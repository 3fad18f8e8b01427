import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { DeployPlan, EnvironmentState, EnvironmentStatus, Footprint, FoundEnvironment, RequestOf } from '../../shared/contract';
import type { ExportResult } from '../../shared/exports';
import type { Environment, EnvironmentInput, EnvironmentPatch } from '../../shared/model';
import { invoke, onReconnect, subscribe } from '../api/client';
import { toUiError, type UiError } from '../lib/errors';
import { sharedLoad } from '../lib/shared-load';
import { useTasksStore } from './tasks';

/** What the list shows: the core's state, or the task under way, or not known yet. */
export type DisplayState = EnvironmentState | 'deploying' | 'destroying' | 'unknown';

export const useEnvironmentsStore = defineStore('environments', () => {
  const tasks = useTasksStore();
  const environments = ref<Environment[]>([]);
  /** `loaded`: a first list has arrived (an empty list then means "none yet", not "loading"). */
  const { loaded, loading, error, load } = sharedLoad(async () => {
    environments.value = await invoke('environments:list', {});
  });
  const statuses = ref<Record<string, EnvironmentStatus>>({});
  const statusErrors = ref<Record<string, UiError>>({});
  /** The config the model renders today, per environment. */
  const configs = ref<Record<string, string>>({});
  /** The config running in the load balancer, for the diff before a deploy. */
  const deployedConfigs = ref<Record<string, string>>({});
  /** The rendered config before the last saved edit, for a diff when the deployed one is not known. */
  const previousConfigs = ref<Record<string, string>>({});
  function byName(name: string): Environment | undefined {
    return environments.value.find((e) => e.name === name);
  }

  function put(env: Environment): void {
    const i = environments.value.findIndex((e) => e.name === env.name);
    if (i >= 0) environments.value[i] = env;
    else environments.value.push(env);
  }

  async function loadStatus(name: string): Promise<EnvironmentStatus | undefined> {
    try {
      const s = await invoke('environments:status', { environment: name });
      await applyStatus(name, s);
      return s;
    } catch (err) {
      statusErrors.value[name] = toUiError(err);
      return undefined;
    }
  }

  /** A status read or pushed by the core. */
  async function applyStatus(name: string, s: EnvironmentStatus): Promise<void> {
    const drifted = statuses.value[name]?.haproxy.configInSync !== false || deployedConfigs.value[name] === undefined;
    statuses.value[name] = s;
    delete statusErrors.value[name];
    if (s.state === 'not-deployed') delete deployedConfigs.value[name];
    else if (s.haproxy.configInSync && configs.value[name] !== undefined) deployedConfigs.value[name] = configs.value[name];
    // Out of sync: what runs is not what renders, so read it from the load balancer, once
    // when that starts, not on every status change (only a deploy changes it back).
    else if (!s.haproxy.configInSync && drifted) await loadRunning(name);
  }

  /**
   * Keeps `statuses` current for one environment (its view) or, without a name, for all (the
   * list), from the core's `environments:status` events, until the returned function is called.
   * Subscribe before loading: a change between the two is then not missed.
   */
  function watchStatus(name?: string): () => void {
    return subscribe('environments:status', name ? { environment: name } : {}, (s) => {
      if (byName(s.name)) void applyStatus(s.name, s);
    });
  }

  async function loadAll(): Promise<void> {
    await load();
    await Promise.all(environments.value.map((e) => loadStatus(e.name)));
  }

  async function create(input: EnvironmentInput): Promise<Environment> {
    const env = await invoke('environments:create', input);
    put(env);
    return env;
  }

  /** The tutorial lab on the first free name and port of the host (not deployed yet). */
  async function createLab(host?: string): Promise<Environment> {
    const env = await invoke('lab:create', host === undefined ? {} : { host });
    put(env);
    return env;
  }

  /** Saves a change to the model (nothing changes on the containers until a deploy). */
  async function update(name: string, patch: EnvironmentPatch): Promise<Environment> {
    const before = configs.value[name] ?? (await render(name).catch(() => undefined));
    const env = await invoke('environments:update', { environment: name, patch });
    put(env);
    if (before !== undefined) previousConfigs.value[name] = before;
    // The status first: render() trusts its "in sync" flag, which the edit may have made stale.
    await loadStatus(name);
    await render(name).catch(() => undefined);
    return env;
  }

  async function remove(name: string): Promise<void> {
    await invoke('environments:remove', { environment: name });
    drop([name]);
  }

  /** What an environment has on its host, by name: what forgetting it would leave there. */
  async function footprint(name: string): Promise<Footprint> {
    return invoke('environments:footprint', { environment: name });
  }

  /** Forgets an environment without reaching its host (gone for good); answers with what may remain there. */
  async function forget(name: string): Promise<Footprint[]> {
    const { left } = await invoke('environments:forget', { environment: name });
    drop([name]);
    return left;
  }

  /** Takes environments the core no longer knows out of every list here. */
  function drop(names: string[]): void {
    environments.value = environments.value.filter((e) => !names.includes(e.name));
    for (const n of names) {
      delete statuses.value[n];
      delete statusErrors.value[n];
      delete configs.value[n];
      delete deployedConfigs.value[n];
      delete previousConfigs.value[n];
    }
  }

  /** Reads the running config; when that fails the last one known stays. */
  async function loadRunning(name: string): Promise<void> {
    try {
      const { config } = await invoke('environments:running', { environment: name });
      if (config === null) delete deployedConfigs.value[name];
      else deployedConfigs.value[name] = config;
    } catch {
      /* the status call reports what is wrong */
    }
  }

  async function render(name: string): Promise<string> {
    const { config } = await invoke('environments:render', { environment: name });
    configs.value[name] = config;
    if (statuses.value[name]?.haproxy.configInSync) deployedConfigs.value[name] = config;
    return config;
  }

  /** The config `patch` would render; nothing is saved. */
  async function preview(name: string, patch: EnvironmentPatch): Promise<string> {
    return (await invoke('environments:preview', { environment: name, patch })).config;
  }

  /** What a deploy would do now, as the core's deploy itself plans it; nothing changes. */
  async function plan(name: string): Promise<DeployPlan> {
    return invoke('environments:plan', { environment: name });
  }

  async function deploy(name: string): Promise<string> {
    const { taskId } = await invoke('environments:deploy', { environment: name });
    return taskId;
  }

  async function destroy(name: string): Promise<string> {
    const { taskId } = await invoke('environments:destroy', { environment: name });
    return taskId;
  }

  /** Takes an environment over from the Switchyard that manages it on `host`; a task. */
  async function adopt(name: string, host: string): Promise<string> {
    const { taskId } = await invoke('environments:adopt', { environment: name, host });
    return taskId;
  }

  /** What Switchyard deployed on a host, with who manages each. */
  async function found(host: string): Promise<FoundEnvironment[]> {
    return invoke('hosts:environments', { id: host });
  }

  /** Writes the environment as a compose project, a Swarm stack or a JPS manifest into a folder on the core's computer. */
  async function exportTo(request: RequestOf<'environments:export'>): Promise<ExportResult> {
    return invoke('environments:export', request);
  }

  function displayState(name: string): DisplayState {
    const t = tasks.runningFor(name);
    if (t) return t.kind === 'destroy' ? 'destroying' : 'deploying';
    return statuses.value[name]?.state ?? 'unknown';
  }

  // A finished deploy or destroy changes what runs: read it back.
  tasks.onFinished((t) => {
    if (t.kind !== 'deploy' && t.kind !== 'destroy' && t.kind !== 'adopt') return;
    void (async () => {
      // An adopted environment this store did not know comes from the host.
      if (t.kind === 'adopt' && t.state === 'succeeded' && !byName(t.target)) environments.value = await invoke('environments:list', {});
      if (t.state === 'succeeded' && t.kind === 'deploy' && configs.value[t.target] !== undefined) await render(t.target).catch(() => undefined);
      await loadStatus(t.target);
    })();
  });
  // Saved by this window, another one, or the CLI on the same data folder: the list follows.
  subscribe('environments:changed', {}, (c) => {
    if (c.change === 'removed') drop([c.name]);
    else if (c.environment) put(c.environment);
  });
  onReconnect(() => void loadAll());

  return {
    environments,
    loaded,
    loading,
    error,
    statuses,
    statusErrors,
    configs,
    deployedConfigs,
    previousConfigs,
    load,
    loadAll,
    loadStatus,
    watchStatus,
    byName,
    create,
    createLab,
    update,
    remove,
    footprint,
    forget,
    drop,
    render,
    preview,
    plan,
    deploy,
    destroy,
    adopt,
    found,
    exportTo,
    displayState,
  };
});
