/**
 * Docker Swarm clusters as Switchyard shows and manages them: which hosts are in one, with
 * which role, and the nodes a manager sees. Environments placed on a cluster go through a
 * host whose engine is a manager.
 */
import { z } from 'zod';

export const nodeRoles = ['manager', 'worker'] as const;
export type NodeRole = (typeof nodeRoles)[number];
export type NodeState = 'ready' | 'down' | 'disconnected' | 'unknown';
export const nodeAvailabilities = ['active', 'pause', 'drain'] as const;
export type NodeAvailability = (typeof nodeAvailabilities)[number];

export interface ClusterNode {
  id: string;
  hostname: string;
  role: NodeRole;
  leader: boolean;
  state: NodeState;
  availability: NodeAvailability;
  address: string;
  engineVersion: string;
  cpus: number;
  memoryBytes: number;
  labels: Record<string, string>;
  /** this Switchyard's host id that reaches this node's engine, when one does */
  host?: string;
  /** running tasks on it (all services) */
  tasks: number;
  message?: string;
}

/** Docker's LocalNodeState. */
export type SwarmState = 'inactive' | 'pending' | 'active' | 'error' | 'locked';

/** Something about a cluster a user must know, as a message code (shared/messages.ts) with its English. */
export interface ClusterProblem {
  code: string;
  params: Record<string, string | number>;
  message: string;
}

export interface ClusterInfo {
  host: string;
  /** Docker's LocalNodeState */
  state: SwarmState;
  /** the host's engine is a manager: environments can be placed on it */
  manager: boolean;
  clusterId?: string;
  nodeId?: string;
  managerAddress?: string;
  nodes: ClusterNode[];
  /** problems a user must know: a node down, no quorum, a manager unreachable */
  problems: ClusterProblem[];
}

const HOST_ID_PATTERN = /^[a-z](?:[a-z0-9-]{0,22}[a-z0-9])?$/;
/** A node as Docker names it: its id (or the start of it) or its hostname. */
const NODE_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

const hostId = () => z.string({ error: 'must be text' }).regex(HOST_ID_PATTERN, 'must be the id of a known host');

/** The address other nodes reach this one at: an IPv4 address, without a port. */
export const AdvertiseAddress = z.string({ error: 'must be text' }).refine(isIPv4, 'must be an IPv4 address such as 10.0.0.5 (without a port)');

export const NodeRole = z.enum(nodeRoles, { error: `must be one of: ${nodeRoles.join(', ')}` });
export const NodeAvailability = z.enum(nodeAvailabilities, { error: `must be one of: ${nodeAvailabilities.join(', ')}` });

export const ClusterRef = z.object({ host: hostId() }).strict();

/** Starts a cluster with the host's engine as its first manager. */
export const ClusterInit = z.object({ host: hostId(), advertiseAddress: AdvertiseAddress.optional() }).strict();

/** Adds a host to the cluster `manager` (a host whose engine is a manager) manages. */
export const ClusterJoin = z
  .object({
    host: hostId(),
    manager: hostId(),
    role: NodeRole.default('worker'),
    advertiseAddress: AdvertiseAddress.optional(),
  })
  .strict()
  .refine((r) => r.host !== r.manager, { message: 'must be another host than the one joining', path: ['manager'] });

export const ClusterLeave = z.object({ host: hostId(), force: z.boolean({ error: 'must be true or false' }).default(false) }).strict();

export const NodeAvailabilitySet = z
  .object({
    /** A host whose engine is a manager of the node's cluster. */
    host: hostId(),
    /** The node's id (or a unique start of it) or its hostname. */
    node: z.string({ error: 'must be text' }).regex(NODE_PATTERN, "must be a node's id or hostname"),
    availability: NodeAvailability,
  })
  .strict();

export type ClusterRef = z.input<typeof ClusterRef>;
export type ClusterInit = z.input<typeof ClusterInit>;
export type ClusterJoin = z.input<typeof ClusterJoin>;
export type ClusterLeave = z.input<typeof ClusterLeave>;
export type NodeAvailabilitySet = z.input<typeof NodeAvailabilitySet>;

export function isIPv4(v: string): boolean {
  const parts = v.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255) && v !== '0.0.0.0';
}
