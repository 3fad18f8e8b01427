import { watch, watchFile, unwatchFile, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { EnvironmentChange, HostChange } from '../../../shared/contract';
import type { Environment } from '../../../shared/model';
import type { SshHost } from '../../../shared/hosts';
import type { ReleaseRecord } from '../../../shared/releases';
import type { ConfigsChange, StoredConfigVersion } from '../../../shared/config-history';
import { historyChanges } from '../history/config-history';
import type { Preferences } from '../../../shared/preferences';

/** What one save (this process's or another's) changed, environment by environment and host by host. */
export interface StoreChanges {
  environments: EnvironmentChange[];
  hosts: HostChange[];
  /** Releases started or changed (a rollout's progress is saved as it goes). */
  releases: ReleaseRecord[];
  /** Environments whose config history gained a version, or lost them all. */
  configs: ConfigsChange[];
  /** The preferences, when they changed. */
  preferences?: Preferences;
}

interface Diffable {
  environments: Environment[];
  hosts: SshHost[];
  releases?: ReleaseRecord[];
  configs?: StoredConfigVersion[];
  preferences?: Preferences;
}

function diffBy<T, C>(before: T[], after: T[], key: (x: T) => string, make: (change: 'created' | 'updated' | 'removed', id: string, now?: T) => C): C[] {
  const old = new Map(before.map((x) => [key(x), x]));
  const out: C[] = [];
  for (const x of after) {
    const id = key(x);
    const was = old.get(id);
    old.delete(id);
    // Both sides come out of the same schema, so their keys are in the same order.
    if (!was) out.push(make('created', id, x));
    else if (JSON.stringify(was) !== JSON.stringify(x)) out.push(make('updated', id, x));
  }
  for (const id of old.keys()) out.push(make('removed', id));
  return out;
}

/** The environments and hosts created, updated or removed between two versions of the data. */
export function diffStore(before: Diffable, after: Diffable): StoreChanges {
  return {
    environments: diffBy(
      before.environments,
      after.environments,
      (e) => e.name,
      (change, name, environment) => (environment ? { change, name, environment } : { change, name }),
    ),
    hosts: diffBy(
      before.hosts,
      after.hosts,
      (h) => h.id,
      (change, id, host) => (host ? { change, id, host } : { change, id }),
    ),
    releases: diffBy(
      before.releases ?? [],
      after.releases ?? [],
      (r) => `${r.environment}#${r.number}`,
      (_change, _id, now) => now,
    ).filter((r): r is ReleaseRecord => r !== undefined),
    configs: historyChanges(before.configs ?? [], after.configs ?? []),
    ...(after.preferences && JSON.stringify(before.preferences) !== JSON.stringify(after.preferences) ? { preferences: after.preferences } : {}),
  };
}

export const isEmpty = (c: StoreChanges) => c.environments.length === 0 && c.hosts.length === 0 && c.releases.length === 0 && c.configs.length === 0 && !c.preferences;

export interface FileWatchOptions {
  /** `poll`: stat the file on a timer only (what a folder fs.watch cannot follow falls back to). */
  mode?: 'events' | 'poll';
  pollMs?: number;
  /** Bursts of notifications (a rename is several) are read once, after this long. */
  settleMs?: number;
}

/**
 * Calls `changed` soon after `file` is replaced or written, by this process or another. The
 * data folder is watched (the file itself is replaced on every save, which a watch on the file
 * would lose); where the system cannot watch folders, the file is polled instead.
 */
export function watchDataFile(dir: string, fileName: string, changed: () => void, opts: FileWatchOptions = {}): () => void {
  const settleMs = opts.settleMs ?? 15;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const soon = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (!closed) changed();
    }, settleMs);
  };
  const file = path.join(dir, fileName);
  let watcher: FSWatcher | undefined;
  let polling = false;
  const poll = () => {
    if (polling || closed) return;
    polling = true;
    watchFile(file, { interval: opts.pollMs ?? 500, persistent: false }, (now, before) => {
      if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size) soon();
    });
  };
  if (opts.mode === 'poll') poll();
  else {
    try {
      watcher = watch(dir, { persistent: false }, (_event, name) => {
        // Some systems give no name: read anyway, the diff finds out whether it mattered.
        if (!name || name.toString() === fileName) soon();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
        poll();
      });
    } catch {
      // Out of inotify watches, or a file system without notifications.
      poll();
    }
  }
  return () => {
    closed = true;
    clearTimeout(timer);
    watcher?.close();
    if (polling) unwatchFile(file);
  };
}
