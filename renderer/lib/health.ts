import type { EnvironmentState, EnvironmentStatus, ServerHealth } from '../../shared/contract';
import type { DisplayState } from '../stores/environments';

export type TagType = 'default' | 'success' | 'error' | 'warning' | 'info';

export function healthTagType(h: ServerHealth | undefined): TagType {
  switch (h) {
    case 'UP':
      return 'success';
    case 'DOWN':
      return 'error';
    case 'DRAIN':
    case 'NOLB':
      return 'warning';
    case 'MAINT':
      return 'info';
    default:
      return 'default';
  }
}

export function stateTagType(s: DisplayState): TagType {
  switch (s) {
    case 'running':
      return 'success';
    case 'partly-down':
    case 'owned-elsewhere':
      return 'warning';
    case 'failed':
      return 'error';
    case 'deploying':
    case 'destroying':
      return 'info';
    default:
      return 'default';
  }
}

/** How many servers are up out of how many, and how many are down, from a status. */
export function healthSummary(s: EnvironmentStatus | undefined): { up: number; down: number; other: number; total: number } | undefined {
  if (!s || s.servers.length === 0) return undefined;
  let up = 0;
  let down = 0;
  for (const v of s.servers) {
    if (v.health === 'UP') up++;
    else if (v.health === 'DOWN') down++;
  }
  return { up, down, other: s.servers.length - up - down, total: s.servers.length };
}

/** What a server card's tag says: HAProxy's word, or one of the card's own before HAProxy has one. */
export type CardHealth = ServerHealth | 'CHECKING' | 'NOT_DEPLOYED';

/**
 * HAProxy's status of a server's last check says none has ended yet: `INI` (or `UNK`) until the
 * first one does, with `* ` in front while one is under way.
 */
export function noCheckVerdict(checkStatus: string | undefined): boolean {
  return /^(?:\* )?(?:INI|UNK)$/.test((checkStatus ?? '').trim());
}

export interface CardHealthFacts {
  /** HAProxy's word for the server (`UNKNOWN` when it has none). */
  health: ServerHealth;
  /** HAProxy's status of the server's last check, when the live figures carry it. */
  checkStatus?: string;
  /** Switchyard runs the server's container (a demo backend or an app replica). */
  managed: boolean;
  container?: { state: string; startedAt?: string };
  /** The environment as its status says, when one was read. */
  environment?: EnvironmentState;
  /** When the deploy of the environment under way started, if one is. */
  deployStartedAt?: string;
}

/**
 * The card's word for a server. A deploy under way brings servers up one step at a time
 * (container created, started, then checked): until a server has had its first check, a DOWN
 * (or a container not started yet) is not a failure, and reads "checking" rather than a red
 * DOWN a new user takes for one. Only servers this deploy starts count: one whose container
 * ran before the deploy and fails its checks is DOWN, deploy or not. Outside a deploy, DOWN is
 * DOWN once a check ended; before the first one ends HAProxy says so (`INI`).
 */
export function cardHealth(f: CardHealthFacts): CardHealth {
  const deploying = f.deployStartedAt !== undefined;
  if (f.environment === 'not-deployed' && !deploying) return 'NOT_DEPLOYED';
  const stopped = f.managed && f.container !== undefined && f.container.state !== 'running';
  const bad = f.health === 'DOWN' || f.health === 'UNKNOWN' || stopped;
  if (!bad) return f.health;
  if (noCheckVerdict(f.checkStatus) && !stopped) return 'CHECKING';
  if (deploying) {
    if (f.health === 'UNKNOWN' && !stopped) return 'CHECKING';
    if (f.managed && startedSince(f.container, f.deployStartedAt!)) return 'CHECKING';
  }
  return stopped ? 'DOWN' : f.health;
}

/** The container has not started yet, or (re)started at or after `since`: the deploy's own. */
function startedSince(c: { state: string; startedAt?: string } | undefined, since: string): boolean {
  if (!c || c.state !== 'running' || !c.startedAt) return true;
  const started = Date.parse(c.startedAt);
  const from = Date.parse(since);
  return Number.isFinite(started) && Number.isFinite(from) && started >= from;
}

export function cardHealthTagType(h: CardHealth): TagType {
  if (h === 'CHECKING' || h === 'NOT_DEPLOYED') return 'default';
  return healthTagType(h);
}
