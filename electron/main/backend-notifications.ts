/**
 * Desktop notifications about backends: a server HAProxy's checks took out, an environment with
 * no server left. Follows every environment's status while the preference is on (the core polls
 * the load balancers only while someone listens), and says nothing of what a deploy or a
 * release under way does on purpose. Electron comes in through `deps`, so this runs (and is
 * tested) in plain Node.
 */
import { BackendIncidents, type BackendAlert } from '../../shared/backend-alerts';
import type { Task } from '../../shared/contract';
import type { Core } from '../core/core';
import { notificationLocale, type FollowedPreferences } from './preferences';

/** Tasks that take servers out and put them back on purpose. */
const EXPECTED_CHANGES: Task['kind'][] = ['deploy', 'destroy', 'release', 'adopt'];

export interface BackendWatchDeps {
  notify: (title: string, body: string) => void;
  preferences: FollowedPreferences;
  /** The system's language, when the window has not set one. */
  systemLocale: () => string;
  now?: () => number;
}

/** Starts watching; returns a function that stops it. */
export function watchBackends(core: Pick<Core, 'events' | 'invoke' | 'subscribe'>, deps: BackendWatchDeps): () => void {
  const incidents = new BackendIncidents(deps.now);
  /** Running tasks that change servers on purpose, by id, with the environment they act on. */
  const busy = new Map<string, string>();
  let unsubscribe: Promise<(() => void) | undefined> | undefined;
  let stopped = false;

  const offTasks = core.events.on('tasks:updated', (t) => {
    if (!EXPECTED_CHANGES.includes(t.kind)) return;
    if (t.state === 'running') busy.set(t.id, t.target);
    else busy.delete(t.id);
  });
  void core.invoke('tasks:list', {}).then((res) => {
    if (!res.ok) return;
    for (const t of res.result as Task[]) if (t.state === 'running' && EXPECTED_CHANGES.includes(t.kind)) busy.set(t.id, t.target);
  });

  const isBusy = (environment: string) => [...busy.values()].includes(environment);

  const onStatus = (status: Parameters<BackendIncidents['update']>[0]) => {
    if (stopped) return;
    const alert = incidents.update(status, isBusy(status.name));
    if (!alert) return;
    const { title, body } = backendMessage(alert, notificationLocale(deps.preferences.current(), deps.systemLocale()));
    deps.notify(title, body);
  };

  const follow = (on: boolean) => {
    if (stopped) return;
    if (on && !unsubscribe) {
      unsubscribe = core.subscribe('environments:status', {}, onStatus).catch((err: Error) => {
        console.error(`Backend notifications: ${err.message}`);
        unsubscribe = undefined;
        return undefined;
      });
    } else if (!on && unsubscribe) {
      const going = unsubscribe;
      unsubscribe = undefined;
      void going.then((off) => off?.());
      // Turned on again later, what is DOWN then is news.
      incidents.forget();
    }
  };

  const offPrefs = deps.preferences.onChange((p) => follow(p.notifications.backends));
  void deps.preferences.ready.then(() => follow(deps.preferences.current().notifications.backends));

  return () => {
    stopped = true;
    offTasks();
    offPrefs();
    const going = unsubscribe;
    unsubscribe = undefined;
    void going?.then((off) => off?.());
  };
}

interface Message {
  title: string;
  body: string;
}

/** The notification's words, in French when the language is French and in English otherwise. */
export function backendMessage(alert: BackendAlert, locale: string): Message {
  const fr = locale.toLowerCase().startsWith('fr');
  const list = (names: string[]) => new Intl.ListFormat(fr ? 'fr' : 'en', { style: 'long', type: 'conjunction' }).format(names);
  const env = alert.environment;
  if (alert.kind === 'no-server') {
    const down = list(alert.down);
    return fr
      ? {
          title: `${env} n'a plus aucun serveur`,
          body: `Les contrôles de santé ont mis hors service ${down} : les visiteurs reçoivent des erreurs 503. Ouvrez Switchyard pour voir pourquoi.`,
        }
      : {
          title: `${env} has no server left`,
          body: `Health checks took out ${down}: visitors get 503 errors. Open Switchyard to see why.`,
        };
  }
  const one = alert.servers.length === 1;
  const names = list(alert.servers);
  return fr
    ? {
        title: one ? `${names} est hors service dans ${env}` : `${names} sont hors service dans ${env}`,
        body: `Les contrôles de santé de HAProxy échouent : ${one ? 'il ne reçoit' : 'ils ne reçoivent'} plus de visiteurs. ${alert.serving} serveur${alert.serving > 1 ? 's' : ''} sur ${alert.total} ${alert.serving > 1 ? 'servent' : 'sert'} encore.`,
      }
    : {
        title: one ? `${names} is down in ${env}` : `${names} are down in ${env}`,
        body: `HAProxy's health checks fail: ${one ? 'it gets' : 'they get'} no visitors. ${alert.serving} of ${alert.total} server${alert.total > 1 ? 's' : ''} still serve${alert.serving === 1 ? 's' : ''}.`,
      };
}
