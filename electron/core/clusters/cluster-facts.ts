/**
 * What an engine's answers say about its Docker Swarm cluster: its state, its nodes as the
 * window and the CLI show them, and the problems a user must know. Pure functions over the
 * Engine API's JSON, shared by the cluster service and a host's `swarm` check.
 */
import type Docker from 'dockerode';
import type { ClusterNode, ClusterProblem, NodeAvailability, NodeRole, NodeState, SwarmState } from '../../../shared/clusters';
import { english, msg, type Message } from '../../../shared/messages';

/** The `Swarm` part of `GET /info`. */
export interface SwarmInfo {
  NodeID?: string;
  NodeAddr?: string;
  LocalNodeState?: string;
  ControlAvailable?: boolean;
  Error?: string;
  RemoteManagers?: { NodeID?: string; Addr?: string }[] | null;
  Nodes?: number;
  Managers?: number;
  Cluster?: { ID?: string } | null;
}

/** A node of `GET /nodes`. */
export interface DockerNode {
  ID: string;
  Version?: { Index?: number };
  Spec?: { Name?: string; Role?: string; Availability?: string; Labels?: Record<string, string> | null };
  Description?: {
    Hostname?: string;
    Resources?: { NanoCPUs?: number; MemoryBytes?: number };
    Engine?: { EngineVersion?: string };
  };
  Status?: { State?: string; Message?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string } | null;
}

/** A task of `GET /tasks`. */
export interface DockerTask {
  NodeID?: string;
  Status?: { State?: string };
}

const SWARM_STATES: readonly SwarmState[] = ['inactive', 'pending', 'active', 'error', 'locked'];
const NODE_STATES: readonly NodeState[] = ['ready', 'down', 'disconnected', 'unknown'];
const AVAILABILITIES: readonly NodeAvailability[] = ['active', 'pause', 'drain'];

/** The engine's swarm part of `docker info` (empty when the engine says nothing of it). */
export async function swarmOf(docker: Docker): Promise<SwarmInfo> {
  const info = (await docker.info()) as { Swarm?: SwarmInfo };
  return info.Swarm ?? {};
}

export function swarmState(s: SwarmInfo): SwarmState {
  const state = s.LocalNodeState as SwarmState | undefined;
  return state && SWARM_STATES.includes(state) ? state : 'inactive';
}

/** The engine is an active manager: it can list nodes and place services. */
export function isManager(s: SwarmInfo): boolean {
  return swarmState(s) === 'active' && s.ControlAvailable === true;
}

/** Where another node reaches a manager, as Docker lists it for a worker (`10.0.0.5:2377`). */
export function managerAddressOf(s: SwarmInfo): string | undefined {
  const managers = s.RemoteManagers ?? [];
  return (managers.find((m) => m.NodeID === s.NodeID) ?? managers[0])?.Addr || undefined;
}

/** Running tasks per node id. */
export function tasksPerNode(tasks: DockerTask[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of tasks) if (t.NodeID && t.Status?.State === 'running') counts.set(t.NodeID, (counts.get(t.NodeID) ?? 0) + 1);
  return counts;
}

/**
 * A node's address: its status address, or, when Docker leaves that unset (a manager can show
 * 0.0.0.0 there), the host part of its manager address.
 */
export function nodeAddress(n: DockerNode): string {
  const addr = n.Status?.Addr;
  if (addr && addr !== '0.0.0.0') return addr;
  const manager = n.ManagerStatus?.Addr;
  return manager ? manager.replace(/:\d+$/, '') : (addr ?? '');
}

export function toClusterNode(n: DockerNode, tasks: Map<string, number>, host?: string): ClusterNode {
  const state = n.Status?.State as NodeState | undefined;
  const availability = n.Spec?.Availability as NodeAvailability | undefined;
  const node: ClusterNode = {
    id: n.ID,
    hostname: n.Description?.Hostname ?? '',
    role: (n.Spec?.Role === 'manager' ? 'manager' : 'worker') satisfies NodeRole,
    leader: n.ManagerStatus?.Leader === true,
    state: state && NODE_STATES.includes(state) ? state : 'unknown',
    availability: availability && AVAILABILITIES.includes(availability) ? availability : 'active',
    address: nodeAddress(n),
    engineVersion: n.Description?.Engine?.EngineVersion ?? '',
    cpus: (n.Description?.Resources?.NanoCPUs ?? 0) / 1e9,
    memoryBytes: n.Description?.Resources?.MemoryBytes ?? 0,
    labels: { ...(n.Spec?.Labels ?? {}) },
    tasks: tasks.get(n.ID) ?? 0,
  };
  if (host !== undefined) node.host = host;
  if (n.Status?.Message) node.message = n.Status.Message;
  return node;
}

/** Managers first (the leader at the top), then by hostname: the order every listing uses. */
export function sortNodes(nodes: ClusterNode[]): ClusterNode[] {
  const rank = (n: ClusterNode) => (n.leader ? 0 : n.role === 'manager' ? 1 : 2);
  return nodes.sort((a, b) => rank(a) - rank(b) || a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
}

/** What a user must know about a host's cluster, as messages (for the host's check) . */
export function problemMessages(host: string, s: SwarmInfo, nodes: DockerNode[]): Message[] {
  const out: Message[] = [];
  const state = swarmState(s);
  if (state === 'error') out.push(msg('clusterProblem.error', { error: s.Error || 'unknown' }));
  if (state === 'locked') out.push(msg('clusterProblem.locked', { host }));
  for (const n of nodes) {
    const node = n.Description?.Hostname || n.ID.slice(0, 12);
    const address = nodeAddress(n) || '?';
    if (n.Status?.State !== 'ready') out.push(msg('clusterProblem.nodeNotReady', { node, address, state: n.Status?.State ?? 'unknown' }));
    else if (n.ManagerStatus?.Reachability === 'unreachable') out.push(msg('clusterProblem.managerUnreachable', { node, address }));
  }
  const managers = nodes.filter((n) => n.Spec?.Role === 'manager');
  const reachable = managers.filter((n) => n.ManagerStatus?.Reachability === 'reachable').length;
  if (managers.length > 0 && reachable * 2 <= managers.length) out.push(msg('clusterProblem.noQuorum', { reachable, managers: managers.length }));
  return out;
}

/** Whether Docker's error says the cluster has no leader (too few managers online to list or change anything). */
export function isNoLeader(err: unknown): boolean {
  return /does not have a leader|no leader|quorum/i.test(dockerWords(err));
}

export function asProblem(m: Message): ClusterProblem {
  return { code: m.code, params: (m.params ?? {}) as Record<string, string | number>, message: english(m) };
}

/** Docker's own words for a failed call (the JSON message it answered), else the error's message. */
export function dockerWords(err: unknown): string {
  const said = (err as { json?: { message?: unknown } } | null)?.json?.message;
  return (typeof said === 'string' ? said : ((err as Error | null)?.message ?? String(err))).trim();
}
