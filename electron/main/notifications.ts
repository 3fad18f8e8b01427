/**
 * Desktop notifications about certificates: one when a certificate expires, nears its end or
 * fails to renew. Electron itself comes in through `deps`, so this runs (and is tested) in
 * plain Node.
 */
import { alertKey, certificateAlert, type CertificateAlert } from '../../shared/certificate-alerts';
import type { ChannelName, RequestOf, ResponseOf } from '../../shared/contract';
import type { CertificateStatus } from '../../shared/https';
import type { Core } from '../core/core';

/** Status events arrive as things change; this pass catches what merely ages into an alert. */
export const RECHECK_INTERVAL_MS = 6 * 60 * 60 * 1000;

export interface CertificateWatchDeps {
  notify: (title: string, body: string) => void;
  /** The UI language, e.g. `fr-FR`; read at each notification. */
  locale: () => string;
  /** Whether the user wants these notifications now (read at each one); default yes. */
  enabled?: () => boolean;
  now?: () => Date;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

/**
 * Notifies once per alert (environment, kind, certificate). An alert that clears is forgotten,
 * so the same alert fires again if it comes back. Returns a function that stops watching.
 */
export function watchCertificates(core: Pick<Core, 'events' | 'invoke'>, deps: CertificateWatchDeps): () => void {
  const now = deps.now ?? (() => new Date());
  const every = deps.setInterval ?? ((fn, ms) => setInterval(fn, ms));
  const stopEvery = deps.clearInterval ?? ((h) => clearInterval(h as ReturnType<typeof setInterval>));
  /** The key of the alert last notified, per environment. */
  const shown = new Map<string, string>();
  let stopped = false;
  // One evaluation at a time, in arrival order: a late answer must not undo a newer status.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void>): void => {
    queue = queue.then(work).catch((err: Error) => console.error(`Certificate notifications: ${err.message}`));
  };

  const call = async <C extends ChannelName>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C> | undefined> => {
    const res = await core.invoke(channel, payload);
    return res.ok ? (res.result as ResponseOf<C>) : undefined;
  };

  const evaluate = (environment: string, status: CertificateStatus | null): void => {
    if (stopped) return;
    const alert = certificateAlert(status, now());
    if (!alert) {
      shown.delete(environment);
      return;
    }
    const key = alertKey(alert);
    if (shown.get(environment) === key) return;
    // Turned off: not shown, nor counted as shown, so turning them on again tells what stands.
    if (deps.enabled && !deps.enabled()) return;
    shown.set(environment, key);
    const { title, body } = certificateMessage(alert, deps.locale());
    deps.notify(title, body);
  };

  // With HTTPS off, the scheduler keeps the last certificate's facts (and says so in a status
  // event) but no longer renews it: its nearing end is no news to the user.
  const httpsOn = async (environment: string): Promise<boolean> => (await call('environments:get', { environment }))?.https?.enabled === true;

  const recheck = async (): Promise<void> => {
    const envs = await call('environments:list', {});
    if (!envs) return;
    const on = new Set(envs.filter((e) => e.https?.enabled).map((e) => e.name));
    for (const environment of shown.keys()) if (!on.has(environment)) shown.delete(environment);
    for (const environment of on) {
      const status = await call('certificates:status', { environment });
      if (status !== undefined) evaluate(environment, status);
    }
  };

  const off = core.events.on('certificates:status', (status) =>
    enqueue(async () => {
      if (await httpsOn(status.environment)) evaluate(status.environment, status);
      else shown.delete(status.environment);
    }),
  );
  const timer = every(() => enqueue(recheck), RECHECK_INTERVAL_MS);
  // At start too: an alert may be due already (the app was closed while the certificate aged).
  enqueue(recheck);

  return () => {
    stopped = true;
    off();
    stopEvery(timer);
  };
}

interface Message {
  title: string;
  body: string;
}

/** The notification's words, in French when the UI is French and in English otherwise. */
export function certificateMessage(alert: CertificateAlert, locale: string): Message {
  const fr = locale.toLowerCase().startsWith('fr');
  return fr ? french(alert, locale) : english(alert, locale);
}

function english(a: CertificateAlert, locale: string): Message {
  const env = a.environment;
  const within = (days: number) => (days < 1 ? 'within a day' : days === 1 ? 'in 1 day' : `in ${days} days`);
  switch (a.kind) {
    case 'expired':
      return {
        title: `Certificate for ${env} has expired`,
        body: `It expired on ${date(a.notAfter!, locale)}. Browsers now warn visitors of ${env} over HTTPS; order a new certificate from Switchyard.`,
      };
    case 'expiring':
      return {
        title: `Certificate for ${env} expires ${within(a.daysLeft ?? 0)}`,
        body: `It is valid until ${date(a.notAfter!, locale)} and has not been renewed yet. Open Switchyard to renew it.`,
      };
    case 'renewal-failed': {
      const tries = a.failures === 1 ? 'The renewal attempt failed' : `${a.failures} renewal attempts in a row failed`;
      const cause = a.lastError ? `: ${sentence(a.lastError.message)}` : '.';
      const left = a.notAfter ? ` The current certificate expires ${within(a.daysLeft ?? 0)}.` : ` ${env} has no certificate yet.`;
      return { title: `Certificate renewal failed for ${env}`, body: `${tries}${cause}${left}` };
    }
  }
}

function french(a: CertificateAlert, locale: string): Message {
  const env = a.environment;
  const within = (days: number) => (days < 1 ? "dans moins d'un jour" : days === 1 ? 'dans 1 jour' : `dans ${days} jours`);
  switch (a.kind) {
    case 'expired':
      return {
        title: `Le certificat de ${env} a expiré`,
        body: `Il a expiré le ${date(a.notAfter!, locale)}. Les navigateurs avertissent désormais les visiteurs de ${env} en HTTPS ; commandez un nouveau certificat depuis Switchyard.`,
      };
    case 'expiring':
      return {
        title: `Le certificat de ${env} expire ${within(a.daysLeft ?? 0)}`,
        body: `Il est valable jusqu'au ${date(a.notAfter!, locale)} et n'a pas encore été renouvelé. Ouvrez Switchyard pour le renouveler.`,
      };
    case 'renewal-failed': {
      const tries = a.failures === 1 ? 'La tentative de renouvellement a échoué' : `${a.failures} tentatives de renouvellement ont échoué à la suite`;
      // Core's error messages are in English; they are quoted as they are.
      const cause = a.lastError ? ` : ${sentence(a.lastError.message)}` : '.';
      const left = a.notAfter ? ` Le certificat actuel expire ${within(a.daysLeft ?? 0)}.` : ` ${env} n'a pas encore de certificat.`;
      return { title: `Échec du renouvellement du certificat de ${env}`, body: `${tries}${cause}${left}` };
    }
  }
}

/** A message ending with a full stop, so the next sentence reads on. */
const sentence = (text: string) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

function date(iso: string, locale: string): string {
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short' }).format(new Date(iso));
  } catch {
    // An odd locale tag: the plain date is still clear.
    return iso.slice(0, 10);
  }
}
