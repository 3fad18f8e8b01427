import { defineStore } from 'pinia';
import { ref } from 'vue';

export type Route =
  | { name: 'environments' }
  | { name: 'new'; host?: string }
  | { name: 'environment'; environment: string; tab?: string }
  | { name: 'hosts' }
  | { name: 'tasks' }
  | { name: 'settings' };

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
 * Where the window is. Kept in the URL's hash, so reloads and the back button work, and the
 * query string (which holds the headless server's token) is never touched.
 */
export const useNavStore = defineStore('nav', () => {
  const route = ref<Route>(typeof location === 'undefined' ? { name: 'environments' } : parseHash(location.hash));

  function go(next: Route, replace = false): void {
    route.value = next;
    if (typeof location === 'undefined') return;
    const hash = hashOf(next);
    if (location.hash === hash) return;
    if (replace) history.replaceState(history.state, '', hash);
    else location.hash = hash;
  }

  if (typeof window !== 'undefined') window.addEventListener('hashchange', () => (route.value = parseHash(location.hash)));

  return { route, go };
});
