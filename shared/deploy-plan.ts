/**
 * What a deploy would do, per container and for the load balancer, and the config it renders:
 * the plan is shown before a deploy, and the deploy itself follows it.
 */

export interface RenderedConfig {
  config: string;
}

export const containerActions = ['create', 'recreate', 'start', 'unchanged', 'remove'] as const;
/** What a deploy does to a backend container (or to a leftover of an earlier run: remove). */
export type ContainerAction = (typeof containerActions)[number];
export const loadBalancerActions = ['create', 'recreate', 'restart', 'reload', 'start', 'unchanged'] as const;
/**
 * What a deploy does to the load balancer: a reload keeps serving (new config, same container);
 * recreate replaces the container (new image or ports); restart starts a stopped one with a new
 * config; start starts a stopped one as it is.
 */
export type LoadBalancerAction = (typeof loadBalancerActions)[number];

export interface PlannedContainer {
  name: string;
  /** `leftover`: something an interrupted deploy left behind (a config check, a half-made replacement). */
  role: 'backend' | 'leftover';
  server?: string;
  action: ContainerAction;
}

/** A host port the load balancer publishes that a deploy changes (null: not published before, or no longer). */
export interface PortChange {
  kind: 'http' | 'https';
  from: number | null;
  to: number | null;
}

/** What a deploy would do now: the deploy itself follows the same plan. */
export interface DeployPlan {
  environment: string;
  /** `ports`: the published ports that change, why the load balancer is recreated even when its config stays the same. */
  haproxy: { name: string; action: LoadBalancerAction; ports?: PortChange[] };
  containers: PlannedContainer[];
  /** Images the deploy needs; one not on the host is pulled (HAProxy) or built (the demo backend). */
  images: { ref: string; role: 'haproxy' | 'demo' | 'app'; present: boolean }[];
  /** The basis of the config diff: what the load balancer runs now (null: there is none yet), and what the deploy puts there. */
  config: { running: string | null; next: string };
  /** Nothing would change. */
  unchanged: boolean;
}
