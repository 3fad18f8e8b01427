import type { ContainerAction, DeployPlan, LoadBalancerAction, PlannedContainer, PortChange } from '../../../shared/contract';
import { HAPROXY_HTTP_PORT, HAPROXY_HTTPS_PORT, names } from './naming';

/** A container of the environment as Docker lists it, reduced to what planning looks at. */
export interface ContainerFact {
  /** Without Docker's leading slash. */
  name: string;
  /** The role label: `haproxy`, `backend`, `config-check`, … */
  role?: string;
  /** The server label of a backend. */
  server?: string;
  /** The spec-hash label: what the container was created from. */
  spec?: string;
  /** Docker's state: running, exited, created, … */
  state: string;
  /** Host port per container port, as Docker lists them (only a running container's are listed). */
  published?: Record<number, number>;
}

export interface PlanInput {
  environment: string;
  /**
   * What the load balancer must be: the hash of its create options, the config it must run, and
   * the host ports it must publish (HTTPS: only once switched on).
   */
  haproxy: { specHash: string; config: string; ports?: { http: number; https?: number } };
  /** The backends the deploy runs (demo servers), each with the hash of its create options. */
  backends: { server: string; specHash: string }[];
  existing: ContainerFact[];
  /** The config inside the current load balancer (undefined when there is none, or no file). */
  runningConfig: string | undefined;
  images?: DeployPlan['images'];
}

/**
 * What a deploy does, decided from what Docker has and what the model wants, and nothing else:
 * the deploy follows this plan, and `environments:plan` shows it, so the two cannot disagree.
 */
export function planDeploy(input: PlanInput): DeployPlan {
  const lbName = names.haproxy(input.environment);
  const lb = input.existing.find((c) => c.role === 'haproxy' && c.name === lbName);
  const ports = lb ? portChanges(lb, input.haproxy.ports) : [];
  const haproxy: DeployPlan['haproxy'] = { name: lbName, action: ports.length ? 'recreate' : loadBalancerAction(lb, input.haproxy, input.runningConfig) };
  if (ports.length) haproxy.ports = ports;

  const containers: PlannedContainer[] = input.backends.map((b) => {
    const name = names.backend(input.environment, b.server);
    const found = input.existing.find((c) => c.name === name);
    return { name, role: 'backend', server: b.server, action: backendAction(found, b.specHash) };
  });
  const wanted = new Set(input.backends.map((b) => b.server));
  for (const c of input.existing) {
    const goneBackend = c.role === 'backend' && !wanted.has(c.server ?? '');
    const leftover = c.role === 'config-check' || c.name === `${lbName}-next`;
    if (!goneBackend && !leftover) continue;
    const planned: PlannedContainer = { name: c.name, role: goneBackend ? 'backend' : 'leftover', action: 'remove' };
    if (goneBackend && c.server) planned.server = c.server;
    containers.push(planned);
  }

  const images = input.images ?? [];
  const unchanged = haproxy.action === 'unchanged' && containers.every((c) => c.action === 'unchanged') && images.every((i) => i.present);
  return {
    environment: input.environment,
    haproxy,
    containers,
    images,
    config: { running: lb ? (input.runningConfig ?? null) : null, next: input.haproxy.config },
    unchanged,
  };
}

/**
 * The host ports the running load balancer publishes that the model changes: a port cannot be
 * changed on a container, so each one means a new load balancer (and the config may not change
 * at all: the ports are Docker's, not HAProxy's).
 */
function portChanges(lb: ContainerFact, want: { http: number; https?: number } | undefined): PortChange[] {
  if (!want || !lb.published || lb.state !== 'running') return [];
  const changes: PortChange[] = [];
  const http = lb.published[HAPROXY_HTTP_PORT];
  if (http !== undefined && http !== want.http) changes.push({ kind: 'http', from: http, to: want.http });
  const https = lb.published[HAPROXY_HTTPS_PORT];
  if ((https ?? null) !== (want.https ?? null)) changes.push({ kind: 'https', from: https ?? null, to: want.https ?? null });
  return changes;
}

function loadBalancerAction(lb: ContainerFact | undefined, want: PlanInput['haproxy'], runningConfig: string | undefined): LoadBalancerAction {
  if (!lb) return 'create';
  // A new image or new ports cannot be applied to a container: it is replaced.
  if (lb.spec !== want.specHash) return 'recreate';
  const running = lb.state === 'running';
  if ((runningConfig ?? '') === want.config) return running ? 'unchanged' : 'start';
  return running ? 'reload' : 'restart';
}

function backendAction(found: ContainerFact | undefined, specHash: string): ContainerAction {
  if (!found) return 'create';
  if (found.spec !== specHash) return 'recreate';
  return found.state === 'running' ? 'unchanged' : 'start';
}
