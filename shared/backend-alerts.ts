/**
 * When an environment's backends deserve the user's attention: a server HAProxy's checks took
 * out (DOWN), or an environment with no server left to send visitors to. Pure, fed the statuses
 * the core pushes, so what it alerts on is tested without a desktop.
 */
import type { EnvironmentState, EnvironmentStatus, ServerHealth } from './status';

export type BackendAlertKind = 'server-down' | 'no-server';

export interface BackendAlert {
  kind: BackendAlertKind;
  environment: string;
  /** The servers that went DOWN since the last alert about them. */
  servers: string[];
  /** Every server DOWN now. */
  down: string[];
  /** How many servers take new visitors now, out of how many. */
  serving: number;
  total: number;
}

/** States in which the environment is meant to serve. */
const DEPLOYED: EnvironmentState[] = ['running', 'partly-down', 'failed'];
/** Health that takes new visitors. A drained or maintenance server was taken out by the user. */
const SERVING: ServerHealth[] = ['UP', 'NO_CHECK'];

/**
 * The same server going DOWN again this soon after its last alert is the same incident (a
 * flapping check), not news.
 */
export const REPEAT_AFTER_MS = 10 * 60 * 1000;

interface Tracked {
  /** Servers DOWN in the last status seen. */
  down: Set<string>;
  /** When each server was last alerted about. */
  alerted: Map<string, number>;
  /** The last status left no server serving. */
  empty: boolean;
}

/**
 * Follows statuses environment by environment and says what each new one calls for: once per
 * incident, so a server that stays DOWN is told once, and a server back UP ends its incident.
 */
export class BackendIncidents {
  private readonly envs = new Map<string, Tracked>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * The alert `status` calls for, or null. `quiet`: the change is expected (a deploy or release
   * under way): it is recorded, so it is not announced later either.
   */
  update(status: EnvironmentStatus, quiet = false): BackendAlert | null {
    const environment = status.name;
    if (!DEPLOYED.includes(status.state)) {
      // Destroyed, stopped on purpose, or another installation's: whatever was open is over.
      this.envs.delete(environment);
      return null;
    }
    // A load balancer that does not answer says nothing of its servers (a reload, a restart).
    if (!status.haproxy.reachable || status.servers.length === 0) return null;

    const t = this.envs.get(environment) ?? { down: new Set<string>(), alerted: new Map<string, number>(), empty: false };
    this.envs.set(environment, t);
    const down = status.servers.filter((s) => s.health === 'DOWN').map((s) => s.name);
    const serving = status.servers.filter((s) => SERVING.includes(s.health)).length;
    const now = this.now();
    const fresh = down.filter((name) => !t.down.has(name) && !(now - (t.alerted.get(name) ?? -Infinity) < REPEAT_AFTER_MS));
    // Servers removed from the environment are forgotten with it.
    for (const name of t.alerted.keys()) if (!status.servers.some((s) => s.name === name)) t.alerted.delete(name);
    t.down = new Set(down);
    // Empty because the checks took servers out, not because the user set them all aside.
    const empty = serving === 0 && down.length > 0;
    const wasEmpty = t.empty;
    t.empty = empty;
    if (quiet) return null;
    for (const name of fresh) t.alerted.set(name, now);
    const alert = { environment, servers: fresh, down, serving, total: status.servers.length };
    if (empty && !wasEmpty) return { kind: 'no-server', ...alert };
    if (fresh.length > 0) return { kind: 'server-down', ...alert };
    return null;
  }

  /** Forgets an environment (removed, or alerts turned off). */
  forget(environment?: string): void {
    if (environment === undefined) this.envs.clear();
    else this.envs.delete(environment);
  }
}
