import type { EnvironmentStatus, ServerHealth } from '../../shared/contract';
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
