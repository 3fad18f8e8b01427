/**
 * The installation's preferences as the main process needs them: read once at start, then kept
 * current from `preferences:changed` (a window's switch, or the CLI in another process).
 */
import { defaultPreferences, type Preferences } from '../../shared/preferences';
import type { Core } from '../core/core';

export interface FollowedPreferences {
  current(): Preferences;
  /** Called with the new preferences after each change; returns what stops it. */
  onChange(fn: (prefs: Preferences) => void): () => void;
  /** Resolves once the first read is in (the defaults stand in until then, or if it fails). */
  ready: Promise<void>;
  stop(): void;
}

export function followPreferences(core: Pick<Core, 'events' | 'invoke'>): FollowedPreferences {
  let prefs = defaultPreferences();
  const listeners = new Set<(p: Preferences) => void>();
  const set = (p: Preferences) => {
    prefs = p;
    for (const fn of listeners) fn(p);
  };
  // An event that lands while the first read is under way is newer than what that read returns.
  let heard = false;
  const off = core.events.on('preferences:changed', (p) => {
    heard = true;
    set(p);
  });
  const ready = core.invoke('preferences:get', {}).then(
    (res) => {
      if (res.ok && !heard) set(res.result as Preferences);
    },
    () => undefined,
  );
  return {
    current: () => prefs,
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    ready,
    stop: off,
  };
}

/** The language notifications speak: the one the window was set to, else the system's. */
export function notificationLocale(prefs: Preferences, systemLocale: string): string {
  return prefs.locale ?? systemLocale;
}
