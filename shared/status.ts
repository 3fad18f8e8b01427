/**
 * An environment's status as the engine and the load balancer report it: its containers, the
 * servers HAProxy sees, and on a cluster the nodes its tasks run on.
 */
import type { InstallationRef } from './system';

export type ContainerRole = 'haproxy' | 'backend';

export interface ContainerStatus {
  name: string;
  role: ContainerRole;
  /** For backends: the server it runs. */
  server?: string;
  /** Docker's state: running, exited, created, … */
  state: string;
  /** The image by name (a tag, or a digest when it has no tag); the id when it has neither. */
  image: string;
  id: string;
  /** When it last started (ISO 8601); absent when it never did. */
  startedAt?: string;
  /** How many times Docker restarted it by its restart policy (after a crash). */
  restartCount?: number;
  /** On a cluster: the node (hostname) a task runs on. */
  node?: string;
  /** On a cluster: why a task failed, in Docker's words. */
  error?: string;
}

export type ServerHealth = 'UP' | 'DOWN' | 'MAINT' | 'DRAIN' | 'NOLB' | 'NO_CHECK' | 'UNKNOWN';

export interface ServerStatus {
  name: string;
  /** Health as HAProxy reports it, reduced to a word. */
  health: ServerHealth;
  /** HAProxy's own status text, e.g. `UP 1/3`. */
  status: string;
  weight: number;
  container?: string;
  /** The address HAProxy sends its requests to (`ip:port`), once it has one. */
  address?: string;
  /** On a cluster: the task in this slot (`service.slot`) and the node it runs on. */
  task?: string;
  node?: string;
}

/** A node of the cluster an environment runs on, as its status shows it. */
export interface ClusterNodeStatus {
  id: string;
  hostname: string;
  /** ready, down, disconnected, unknown (Docker's word). */
  state: string;
  /** active, pause, drain. */
  availability: string;
  /** Tasks of this environment running there. */
  tasks: number;
}

/** On a cluster: where the environment's tasks run, and the nodes it has lost. */
export interface ClusterStatus {
  /** The host whose engine manages the cluster. */
  manager: string;
  service: string;
  replicas: number;
  running: number;
  nodes: ClusterNodeStatus[];
  /** Nodes that are not ready (their engine stopped, or the machine is gone): hostnames. */
  lost: string[];
  /** Swarm's rolling update of the service, while one runs or after one stopped. */
  update?: { state: string; message?: string };
}

export type EnvironmentState = 'not-deployed' | 'running' | 'partly-down' | 'stopped' | 'failed' | 'owned-elsewhere';

export interface EnvironmentStatus {
  name: string;
  state: EnvironmentState;
  /** Who manages it on the host, when that is another Switchyard (`owned-elsewhere`). */
  owner?: InstallationRef;
  /** The front end's address, once deployed. */
  url?: string;
  containers: ContainerStatus[];
  servers: ServerStatus[];
  /** Set for an environment on a cluster. */
  cluster?: ClusterStatus;
  haproxy: {
    /** HAProxy's version as its runtime API reports it. */
    version?: string;
    /** Whether the runtime API answered. */
    reachable: boolean;
    /** Whether the config running is the one the model renders today. */
    configInSync: boolean;
    /**
     * Whether the running load balancer publishes the host ports the model says (HTTP, and HTTPS
     * once on); false after a port change not deployed yet. Absent while it does not run.
     */
    portsInSync?: boolean;
  };
}
