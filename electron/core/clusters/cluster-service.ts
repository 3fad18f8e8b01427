import { lookup } from 'node:dns/promises';
import type Docker from 'dockerode';
import { ClusterInit, ClusterJoin, ClusterLeave, NodeAvailabilitySet, isIPv4, type ClusterInfo, type ClusterNode } from '../../../shared/clusters';
import { SwitchyardError } from '../../../shared/errors';
import type { SshHost } from '../../../shared/hosts';
import { msg } from '../../../shared/messages';
import { parseOrThrow } from '../../../shared/model';
import { dockerError } from '../targets/docker-util';
import type { Target } from '../targets/target';
import {
  asProblem,
  dockerWords,
  isManager,
  isNoLeader,
  managerAddressOf,
  problemMessages,
  sortNodes,
  swarmOf,
  swarmState,
  tasksPerNode,
  toClusterNode,
  type DockerNode,
  type DockerTask,
  type SwarmInfo,
} from './cluster-facts';

export interface ClusterServiceOptions {
  /** The Target of a host id ('local' or an SSH host's). */
  targetFor: (hostId: string) => Promise<Target>;
  /** The SSH hosts this Switchyard knows ('local' is always there besides them). */
  hosts: () => Promise<SshHost[]>;
  /** Names of this Switchyard's environments placed on a host: a host with some leaves its cluster only with force. */
  environmentsOn?: (hostId: string) => Promise<string[]>;
  /** Told after an init, join, leave or availability change, with the host's cluster as it is then. */
  changed?: (info: ClusterInfo) => void;
  /** How long a join waits for the manager to see the new node ready. */
  joinReadyTimeoutMs?: number;
  /** How long mapping nodes to hosts waits for one host's engine. */
  lookupTimeoutMs?: number;
}

/** Where Docker Swarm listens for the other nodes (its default). */
const LISTEN_ADDR = '0.0.0.0:2377';
/** A host's node id is read again after this long (a host may have left and joined outside Switchyard). */
const NODE_ID_TTL_MS = 60_000;
/** A host whose engine did not answer is asked again after this long. */
const UNREACHABLE_TTL_MS = 15_000;

interface CachedNodeId {
  nodeId?: string;
  at: number;
}

/**
 * Docker Swarm clusters of this Switchyard's hosts: what a host's engine says of its cluster
 * (and, on a manager, every node), starting one, adding a host to one, taking a host out, and
 * draining or activating a node. Every refusal changes nothing; Docker's own words come with
 * each failure it answered.
 */
export class ClusterService {
  private readonly nodeIds = new Map<string, CachedNodeId>();

  constructor(private readonly opts: ClusterServiceOptions) {}

  /** The host's cluster as its engine sees it: every node when it is a manager. */
  async info(host: string): Promise<ClusterInfo> {
    const target = await this.opts.targetFor(host);
    return this.infoOf(host, target, await this.swarm(host, target));
  }

  /**
   * A host whose engine manages a cluster, with that cluster: what placing environments on a
   * cluster goes through. Any other host is refused with NOT_A_CLUSTER.
   */
  async managerOf(hostId: string): Promise<{ target: Target; info: ClusterInfo }> {
    const { target, swarm } = await this.managerTarget(hostId);
    return { target, info: await this.infoOf(hostId, target, swarm) };
  }

  /** Which of this Switchyard's hosts ('local' first) reaches the engine of that node, if one does. */
  async nodeHost(nodeId: string): Promise<string | undefined> {
    return (await this.hostsByNode()).get(nodeId);
  }

  /** Starts a cluster with the host's engine as its first manager. */
  async init(request: ClusterInit): Promise<ClusterInfo> {
    const r = parseOrThrow(ClusterInit, request);
    const target = await this.opts.targetFor(r.host);
    const before = await this.swarm(r.host, target);
    if (swarmState(before) !== 'inactive') throw SwitchyardError.because('VALIDATION', 'swarmAlreadyIn', { host: r.host }, { field: 'host' });
    const advertise = r.advertiseAddress ?? (await this.sshAdvertiseAddress(r.host));
    try {
      await target.docker.swarmInit({ ListenAddr: LISTEN_ADDR, ...(advertise ? { AdvertiseAddr: advertise } : {}) });
    } catch (err) {
      if (cannotChooseAddress(err)) throw SwitchyardError.because('VALIDATION', 'advertiseNeeded', { host: r.host }, { field: 'advertiseAddress', detail: dockerWords(err), cause: err });
      throw this.failure(err, 'init', { host: r.host }, 'starting a cluster');
    }
    this.nodeIds.delete(r.host);
    const info = await this.info(r.host);
    this.opts.changed?.(info);
    return info;
  }

  /**
   * Adds a host to the cluster `manager` manages: the join token and the manager's address come
   * from the manager's engine, and the joining host's engine (over its SSH connection when it is
   * an SSH host) joins with them. Answers the manager's view once the new node is ready.
   */
  async join(request: ClusterJoin): Promise<ClusterInfo> {
    const r = parseOrThrow(ClusterJoin, request);
    const [joining, manager] = await Promise.all([this.opts.targetFor(r.host), this.opts.targetFor(r.manager)]);
    const [joiningSwarm, managerSwarm] = await Promise.all([this.swarm(r.host, joining), this.swarm(r.manager, manager)]);
    if (swarmState(joiningSwarm) !== 'inactive') throw SwitchyardError.because('VALIDATION', 'swarmAlreadyIn', { host: r.host }, { field: 'host' });
    if (!isManager(managerSwarm)) throw SwitchyardError.because('VALIDATION', 'managerNotManager', { manager: r.manager }, { field: 'manager' });

    let tokens: { Worker?: string; Manager?: string };
    let address: string | undefined;
    try {
      tokens = ((await manager.docker.swarmInspect()) as { JoinTokens?: { Worker?: string; Manager?: string } }).JoinTokens ?? {};
      const self = (await manager.docker.getNode(managerSwarm.NodeID ?? '').inspect()) as DockerNode;
      address = self.ManagerStatus?.Addr || managerAddressOf(managerSwarm);
    } catch (err) {
      throw this.failure(err, 'unreadable', { host: r.manager }, 'reading the cluster');
    }
    const token = r.role === 'manager' ? tokens.Manager : tokens.Worker;
    if (!token || !address) throw SwitchyardError.because('CLUSTER_FAILED', 'unreadable', { host: r.manager }, { detail: 'the manager gave no join token or address', field: 'manager' });

    const advertise = r.advertiseAddress ?? (await this.sshAdvertiseAddress(r.host));
    try {
      await joining.docker.swarmJoin({ ListenAddr: LISTEN_ADDR, RemoteAddrs: [address], JoinToken: token, ...(advertise ? { AdvertiseAddr: advertise } : {}) });
    } catch (err) {
      if (cannotChooseAddress(err)) throw SwitchyardError.because('VALIDATION', 'advertiseNeeded', { host: r.host }, { field: 'advertiseAddress', detail: dockerWords(err), cause: err });
      throw this.failure(err, 'join', { host: r.host, manager: r.manager, address }, 'joining a cluster');
    }
    this.nodeIds.delete(r.host);
    const joined = await this.info(r.host);
    if (joined.nodeId) await this.waitReady(manager.docker, joined.nodeId);
    const info = await this.info(r.manager);
    this.opts.changed?.(joined);
    this.opts.changed?.(info);
    return info;
  }

  /**
   * Takes a host out of its cluster. Refused while this Switchyard's environments are placed on
   * it (unless forced), and when Docker refuses a manager's leaving (unless forced). A worker
   * that left is also removed from the node list of a manager this Switchyard reaches.
   */
  async leave(request: ClusterLeave): Promise<ClusterInfo> {
    const r = parseOrThrow(ClusterLeave, request);
    const target = await this.opts.targetFor(r.host);
    const swarm = await this.swarm(r.host, target);
    if (swarmState(swarm) === 'inactive') throw SwitchyardError.because('VALIDATION', 'swarmNotIn', { host: r.host }, { field: 'host' });
    const placed = (await this.opts.environmentsOn?.(r.host)) ?? [];
    if (placed.length && !r.force) throw SwitchyardError.because('BUSY', 'clusterPlaced', { host: r.host, environments: placed.join(', ') }, { field: 'host' });
    // Found before leaving: a worker knows its managers only while it is in the cluster.
    const cleaner = swarm.ControlAvailable ? undefined : await this.managerAmong(swarm.RemoteManagers ?? [], r.host);
    try {
      await target.docker.swarmLeave({ force: r.force });
    } catch (err) {
      if (!r.force && /--force/.test(dockerWords(err))) {
        throw SwitchyardError.because('VALIDATION', 'leaveManager', { host: r.host }, { field: 'force', detail: dockerWords(err), cause: err });
      }
      throw this.failure(err, 'leave', { host: r.host }, 'leaving the cluster');
    }
    this.nodeIds.delete(r.host);
    if (cleaner && swarm.NodeID) {
      // Best effort: the node would otherwise stay listed as down for good.
      await cleaner.target.docker
        .getNode(swarm.NodeID)
        .remove({ force: true })
        .catch(() => undefined);
    }
    const info = await this.info(r.host);
    this.opts.changed?.(info);
    if (cleaner) await this.info(cleaner.host).then(this.opts.changed ?? (() => undefined), () => undefined);
    return info;
  }

  /** Drains, pauses or activates a node of the cluster `host` manages. */
  async setAvailability(request: NodeAvailabilitySet): Promise<ClusterNode> {
    const r = parseOrThrow(NodeAvailabilitySet, request);
    const { target } = await this.managerTarget(r.host);
    const docker = target.docker;
    const nodes = await this.read(r.host, () => docker.listNodes() as Promise<DockerNode[]>);
    const found = findNode(nodes, r.node, r.host);
    const update = async () => {
      const current = (await docker.getNode(found.ID).inspect()) as DockerNode;
      await docker.getNode(found.ID).update({ _query: { version: current.Version?.Index ?? 0 }, _body: { ...current.Spec, Availability: r.availability } });
    };
    try {
      await update().catch(async (err: unknown) => {
        // Another change landed between reading the node's version and updating it: once more.
        if (!/out of sequence|version/i.test(dockerWords(err))) throw err;
        await update();
      });
    } catch (err) {
      throw this.failure(err, 'availability', { node: r.node, host: r.host }, 'changing a node', 'node');
    }
    const [after, tasks, host] = await Promise.all([
      docker.getNode(found.ID).inspect() as Promise<DockerNode>,
      docker.listTasks({ filters: { node: [found.ID], 'desired-state': ['running'] } }) as Promise<DockerTask[]>,
      this.nodeHost(found.ID),
    ]);
    const node = toClusterNode(after, tasksPerNode(tasks), host);
    await this.info(r.host).then(this.opts.changed ?? (() => undefined), () => undefined);
    return node;
  }

  /** Drops what is remembered of a host (it was changed or removed). */
  forgetHost(hostId: string): void {
    this.nodeIds.delete(hostId);
  }

  // ---- inside ----

  private async infoOf(host: string, target: Target, swarm: SwarmInfo): Promise<ClusterInfo> {
    this.nodeIds.set(host, { nodeId: swarm.NodeID || undefined, at: Date.now() });
    const info: ClusterInfo = { host, state: swarmState(swarm), manager: isManager(swarm), nodes: [], problems: [] };
    if (swarm.Cluster?.ID) info.clusterId = swarm.Cluster.ID;
    if (swarm.NodeID) info.nodeId = swarm.NodeID;
    const managerAddress = managerAddressOf(swarm);
    if (managerAddress) info.managerAddress = managerAddress;
    if (!info.manager) {
      info.problems = problemMessages(host, swarm, []).map(asProblem);
      return info;
    }
    let nodes: DockerNode[];
    let tasks: DockerTask[];
    try {
      [nodes, tasks] = await Promise.all([target.docker.listNodes() as Promise<DockerNode[]>, target.docker.listTasks({ filters: { 'desired-state': ['running'] } }) as Promise<DockerTask[]>]);
    } catch (err) {
      // Without a leader nothing can be listed: that is the problem to show.
      if (isNoLeader(err)) {
        info.problems = [asProblem(msg('clusterProblem.noLeader'))];
        return info;
      }
      throw this.failure(err, 'unreadable', { host }, 'reading the cluster');
    }
    const hosts = await this.hostsByNode();
    // The host asked about reaches its own node, whatever an earlier lookup found.
    if (swarm.NodeID) hosts.set(swarm.NodeID, hosts.get(swarm.NodeID) ?? host);
    const counts = tasksPerNode(tasks);
    info.nodes = sortNodes(nodes.map((n) => toClusterNode(n, counts, hosts.get(n.ID))));
    info.problems = problemMessages(host, swarm, nodes).map(asProblem);
    return info;
  }

  private async managerTarget(hostId: string): Promise<{ target: Target; swarm: SwarmInfo }> {
    const target = await this.opts.targetFor(hostId);
    const swarm = await this.swarm(hostId, target);
    if (isManager(swarm)) return { target, swarm };
    const state = swarmState(swarm);
    if (state === 'inactive') throw SwitchyardError.because('NOT_A_CLUSTER', 'inactive', { host: hostId }, { field: 'host' });
    if (state === 'active') throw SwitchyardError.because('NOT_A_CLUSTER', 'worker', { host: hostId, manager: managerAddressOf(swarm) ?? '?' }, { field: 'host' });
    throw SwitchyardError.because('NOT_A_CLUSTER', 'unavailable', { host: hostId, state }, { field: 'host' });
  }

  private async swarm(host: string, target: Target): Promise<SwarmInfo> {
    try {
      return await swarmOf(target.docker);
    } catch (err) {
      throw dockerError(err, `asking Docker on ${host} about its cluster`);
    }
  }

  private async read<T>(host: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.failure(err, 'unreadable', { host }, 'reading the cluster');
    }
  }

  /** Docker's refusal as CLUSTER_FAILED with its words; an engine that cannot be reached stays what it is. */
  private failure(err: unknown, reason: 'init' | 'join' | 'leave' | 'availability' | 'unreadable', params: Record<string, string>, doing: string, field?: string): SwitchyardError {
    if (err instanceof SwitchyardError) return err;
    if ((err as { statusCode?: number }).statusCode === undefined) return dockerError(err, doing) as SwitchyardError;
    return SwitchyardError.because('CLUSTER_FAILED', reason, params as never, { detail: dockerWords(err), cause: err, ...(field ? { field } : {}) });
  }

  /** An SSH host's address, as an IPv4 address other nodes reach it at; none for 'local' (Docker picks). */
  private async sshAdvertiseAddress(hostId: string): Promise<string | undefined> {
    if (hostId === 'local') return undefined;
    const host = (await this.opts.hosts()).find((h) => h.id === hostId);
    if (!host) return undefined;
    if (isIPv4(host.address)) return host.address;
    try {
      return (await lookup(host.address, { family: 4 })).address;
    } catch {
      throw SwitchyardError.because('VALIDATION', 'advertiseUnresolved', { host: hostId, address: host.address }, { field: 'advertiseAddress' });
    }
  }

  /** Waits (bounded) until the manager sees the node ready: a join answers with the cluster as it will be. */
  private async waitReady(manager: Docker, nodeId: string): Promise<void> {
    const deadline = Date.now() + (this.opts.joinReadyTimeoutMs ?? 20_000);
    for (;;) {
      const node = (await manager
        .getNode(nodeId)
        .inspect()
        .catch(() => undefined)) as DockerNode | undefined;
      if (node?.Status?.State === 'ready' || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** A host of this Switchyard whose engine is one of these managers. */
  private async managerAmong(managers: { NodeID?: string }[], except: string): Promise<{ host: string; target: Target } | undefined> {
    const ids = new Set(managers.map((m) => m.NodeID).filter(Boolean));
    const byNode = await this.hostsByNode();
    for (const [nodeId, host] of byNode) {
      if (host === except || !ids.has(nodeId)) continue;
      try {
        const target = await this.opts.targetFor(host);
        if (isManager(await swarmOf(target.docker))) return { host, target };
      } catch {
        /* another one may do */
      }
    }
    return undefined;
  }

  /** Node id → the first host ('local', then the SSH hosts in order) whose engine is that node. */
  private async hostsByNode(): Promise<Map<string, string>> {
    const ids = ['local', ...(await this.opts.hosts()).map((h) => h.id)];
    const found = await Promise.all(ids.map((id) => this.nodeIdOf(id)));
    const map = new Map<string, string>();
    ids.forEach((id, i) => {
      const nodeId = found[i];
      if (nodeId && !map.has(nodeId)) map.set(nodeId, id);
    });
    return map;
  }

  private async nodeIdOf(hostId: string): Promise<string | undefined> {
    const cached = this.nodeIds.get(hostId);
    const now = Date.now();
    if (cached && now - cached.at < (cached.nodeId === undefined ? UNREACHABLE_TTL_MS : NODE_ID_TTL_MS)) return cached.nodeId;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.opts.lookupTimeoutMs ?? 5000);
      timer.unref?.();
    });
    const read = (async () => (await swarmOf((await this.opts.targetFor(hostId)).docker)).NodeID || undefined)().catch(() => undefined);
    const nodeId = await Promise.race([read, timeout]);
    clearTimeout(timer);
    this.nodeIds.set(hostId, { nodeId, at: now });
    return nodeId;
  }
}

/** Docker could not pick the address to advertise by itself (several interfaces, or none it recognises). */
function cannotChooseAddress(err: unknown): boolean {
  return /could not choose an IP address|could not find the system's IP address|must specify a listening address|advertise address/i.test(dockerWords(err));
}

/** A node by its id, its hostname (when only one has it) or a unique start of its id. */
function findNode(nodes: DockerNode[], ref: string, host: string): DockerNode {
  const byId = nodes.find((n) => n.ID === ref);
  if (byId) return byId;
  const byName = nodes.filter((n) => n.Description?.Hostname === ref);
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) throw SwitchyardError.because('VALIDATION', 'nodeAmbiguous', { node: ref, host }, { field: 'node' });
  const byPrefix = nodes.filter((n) => n.ID.startsWith(ref));
  if (byPrefix.length === 1) return byPrefix[0];
  if (byPrefix.length > 1) throw SwitchyardError.because('VALIDATION', 'nodeAmbiguous', { node: ref, host }, { field: 'node' });
  throw SwitchyardError.because('NOT_FOUND', 'node', { node: ref, host }, { field: 'node' });
}
