import type { Environment } from '../../../shared/model';

/**
 * What a user is promised: a server whose address stopped answering is reported DOWN within
 * interval × fall + this, with or without traffic.
 */
export const DOWN_PROMISE_SLACK_MS = 1000;
/**
 * Kept out of the check budget: the container's own stop (half a second for the demo backend)
 * and reading the stats that show it. So checks alone take at most interval × fall.
 */
const OBSERVE_MARGIN_MS = 1000;
/** Below this a connect on a busy host fails for no reason worth a failed check. */
const MIN_CONNECT_MS = 250;

export interface CheckTiming {
  /** Between checks of a server that is fully up. */
  inter: number;
  /** Between checks while a server goes up or down, and after a connection error from traffic. */
  fastinter: number;
  /** Between checks of a server that is down: a restarted container comes back quickly. */
  downinter: number;
  /** How long a check (and, HAProxy having one setting for both, traffic) waits for a connection. */
  connect: number;
  /** Set only when the user's connect timeout is too long for the promise. */
  connectCapped: boolean;
  /** How long a check waits for the answer once connected: a busy server is slow, not dead. */
  check: number;
}

/**
 * The health-check timing for an environment's settings. A stopped container's address takes
 * connects and never answers, so each failing check lasts the connect timeout (HAProxy uses
 * min(inter, timeout connect) once `timeout check` is set). In the worst case the last good
 * check ends just before the server dies, the next one starts `inter` later, and the `fall`
 * failing checks follow one another `fastinter` apart:
 *   inter + fall × connect + (fall − 1) × fastinter ≤ fall × inter + 1 s − margin
 * which sets the longest connect timeout the promise allows.
 */
export function checkTiming(env: Pick<Environment, 'healthCheck' | 'timeouts'>): CheckTiming {
  const { interval: inter, fall } = env.healthCheck;
  const fastinter = Math.max(1, Math.round(inter / 4));
  const downinter = Math.max(1, Math.round(inter / 2));
  const budget = (margin: number) => Math.floor(((fall - 1) * (inter - fastinter) + DOWN_PROMISE_SLACK_MS - margin) / fall);
  // With few checks to share it, the budget can be tiny: then the margin gives way, not the promise.
  const allowed = Math.min(inter, Math.max(budget(OBSERVE_MARGIN_MS), Math.min(MIN_CONNECT_MS, budget(0))));
  const connect = Math.min(env.timeouts.connect, allowed);
  return { inter, fastinter, downinter, connect, connectCapped: connect < env.timeouts.connect, check: inter };
}

/** The longest time from a server's death to HAProxy reporting it DOWN, by checks alone. */
export function worstDownMs(t: CheckTiming, fall: number): number {
  // HAProxy waits min(inter, timeout connect) for a check's connection.
  return t.inter + fall * Math.min(t.inter, t.connect) + (fall - 1) * t.fastinter;
}
