import type https from 'node:https';
import type * as Acme from 'acme-client';

/**
 * A private CA's trust, by origin: acme-client talks through one shared axios instance, so the
 * trust is attached per request instead of globally (Let's Encrypt keeps the system's roots).
 */
export const directoryAgents = new Map<string, https.Agent>();

let loading: Promise<typeof Acme> | undefined;

/**
 * acme-client, loaded the first time a certificate is asked for: with its X.509 and HTTP
 * libraries it is a quarter of a second of every start otherwise, and most commands never use it.
 */
export function acmeLibrary(): Promise<typeof Acme> {
  loading ??= import('acme-client').then((acme) => {
    acme.axios.interceptors.request.use((config) => {
      if (config.url) {
        const agent = directoryAgents.get(originOf(config.url));
        if (agent) config.httpsAgent = agent;
      }
      return config;
    });
    // The library retries a refused connection 5 times, 5 s more each time (75 s in all):
    // a mistyped directory URL should fail while the user is still looking.
    const settings = (acme.axios.defaults as { acmeSettings?: { retryMaxAttempts: number; retryDefaultDelay: number } }).acmeSettings;
    if (settings) {
      settings.retryMaxAttempts = 3;
      settings.retryDefaultDelay = 2;
    }
    return acme;
  });
  return loading;
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
