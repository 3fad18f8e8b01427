import { defineStore } from 'pinia';
import { ref } from 'vue';

export type Route =
  { name: 'environments' } | { name: 'new'; host?: string } | { name: 'environment'; environment: string; tab?: string } | { name: 'hosts' } | { name: 'tasks' } | { name: 'settings' };

/** `#/environments/lab/traffic` → a route; anything unknown is the list. */
export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'new') return parts[1] ? { name: 'new', host: parts[1] } : { name: 'new' };
  if (parts[0] === 'hosts') return { name: 'hosts' };
  if (parts[0] === 'tasks') return { name: 'tasks' };
  if (parts[0] === 'settings') return { name: 'settings' };
  if (parts[0] === 'environments' && parts[1]) return { name: 'environment', environment: parts[1], ...(parts[2] ? { tab: parts[2] } : {}) };
  return { name: 'environments' };
}

export function hashOf(r: Route): string {
  if (r.name === 'new' && r.host) return `#/new/${encodeURIComponent(r.host)}`;
  if (r.name === 'environment') return `#/environments/${encodeURIComponent(r.environment)}${r.tab ? `/${encodeURIComponent(r.tab)}` : ''}`;
  return `#/${r.name}`;
}

/**
 * Asked before the window goes somewhere else (another view, another tab): resolves false to
 * stay, as a form with unsaved edits does once the user chooses to keep editing.
 */
export type LeaveGuard = (next: Route) => boolean | Promise<boolean>;

/**
 * Where the window is. Kept in the URL's hash, so reloads and the back button work, and the
 * query string (which holds the headless server's token) is never touched.
 */
export const useNavStore = defineStore('nav', () => {
  const route = ref<Route>(typeof location === 'undefined' ? { name: 'environments' } : parseHash(location.hash));
  const guards = new Set<LeaveGuard>();

  function apply(next: Route, replace: boolean): void {
    route.value = next;
    if (typeof location === 'undefined') return;
    const hash = hashOf(next);
    if (location.hash === hash) return;
    if (replace) history.replaceState(history.state, '', hash);
    else location.hash = hash;
  }

  /** Whether every guard lets the window go to `next`. */
  async function mayLeave(next: Route): Promise<boolean> {
    for (const guard of [...guards]) if (!(await guard(next))) return false;
    return true;
  }

  /** Goes to `next`, once the guards (if any) let it: without one, at once. */
  function go(next: Route, replace = false): void {
    if (hashOf(next) === hashOf(route.value)) return apply(next, replace);
    if (guards.size === 0) return apply(next, replace);
    void mayLeave(next).then((ok) => ok && apply(next, replace));
  }

  /** Adds a guard until the returned function is called. */
  function guard(g: LeaveGuard): () => void {
    guards.add(g);
    return () => void guards.delete(g);
  }

  if (typeof window !== 'undefined') {
    window.addEventListener('hashchange', () => {
      const next = parseHash(location.hash);
      if (hashOf(next) === hashOf(route.value)) return;
      if (guards.size === 0) return void (route.value = next);
      // The back button or a typed address: the hash has moved already; put it back while the guards decide.
      const here = hashOf(route.value);
      history.replaceState(history.state, '', here);
      void mayLeave(next).then((ok) => ok && apply(next, true));
    });
  }

  return { route, go, guard };
});
