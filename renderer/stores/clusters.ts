import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ClusterInfo, ClusterNode, NodeAvailability, NodeRole } from '../../shared/clusters';
import { invoke, subscribe } from '../api/client';
import { toUiError, type UiError } from '../lib/errors';

/**
 * The Docker Swarm cluster of each host, as its engine last said it: read when a host's card
 * shows, on Refresh, and kept current by `clusters:changed` (no polling).
 */
export const useClustersStore = defineStore('clusters', () => {
  const infos = ref<Record<string, ClusterInfo>>({});
  const loading = ref<Record<string, boolean>>({});
  const errors = ref<Record<string, UiError>>({});

  function put(info: ClusterInfo): ClusterInfo {
    infos.value[info.host] = info;
    delete errors.value[info.host];
    return info;
  }

  async function load(host: string): Promise<void> {
    loading.value[host] = true;
    try {
      put(await invoke('clusters:info', { host }));
    } catch (err) {
      errors.value[host] = toUiError(err);
    } finally {
      loading.value[host] = false;
    }
  }

  async function init(host: string, advertiseAddress?: string): Promise<ClusterInfo> {
    return put(await invoke('clusters:init', advertiseAddress ? { host, advertiseAddress } : { host }));
  }

  /** Adds `host` to the cluster `manager` manages; answers (and keeps) the manager's view. */
  async function join(host: string, manager: string, role: NodeRole, advertiseAddress?: string): Promise<ClusterInfo> {
    const info = put(await invoke('clusters:join', { host, manager, role, ...(advertiseAddress ? { advertiseAddress } : {}) }));
    // The joined host is in a cluster now; its own card reads it again.
    void load(host);
    return info;
  }

  async function leave(host: string, force = false): Promise<ClusterInfo> {
    return put(await invoke('clusters:leave', { host, force }));
  }

  async function setAvailability(host: string, node: string, availability: NodeAvailability): Promise<ClusterNode> {
    const changed = await invoke('nodes:availability', { host, node, availability });
    const info = infos.value[host];
    const i = info?.nodes.findIndex((n) => n.id === changed.id) ?? -1;
    if (info && i >= 0) info.nodes[i] = changed;
    return changed;
  }

  // Started, joined, left or drained by this window, another one, or the command line of `serve`.
  subscribe('clusters:changed', {}, (info) => void put(info));

  return { infos, loading, errors, load, init, join, leave, setAvailability };
});
