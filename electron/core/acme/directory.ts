import https from 'node:https';
import { directoryUrl, type AcmeDirectory } from '../../../shared/https';
import { msg } from '../../../shared/messages';
import { caError } from './errors';
import { directoryAgents, originOf } from './library';

/** A directory setting turned into what a client needs: the URL and, for a private CA, whom to trust. */
export interface ResolvedDirectory {
  url: string;
  /** Trusts the directory's own TLS certificate (set for a custom `caBundle`). */
  agent?: https.Agent;
  /** For messages: "Let's Encrypt", "Let's Encrypt (staging)" or the directory's host. */
  label: string;
}

const agents = directoryAgents;

export function resolveDirectory(d: AcmeDirectory): ResolvedDirectory {
  const url = directoryUrl(d);
  if (d === 'letsencrypt') return { url, label: "Let's Encrypt" };
  if (d === 'letsencrypt-staging') return { url, label: "Let's Encrypt (staging)" };
  const label = new URL(url).host;
  const origin = originOf(url);
  if (!d.caBundle) {
    // Trust given for an earlier setting must not outlive it.
    agents.get(origin)?.destroy();
    agents.delete(origin);
    return { url, label };
  }
  let agent = agents.get(origin);
  if (!agent || (agent.options.ca as string | undefined) !== d.caBundle) {
    agent?.destroy();
    agent = new https.Agent({ ca: d.caBundle, keepAlive: true });
    agents.set(origin, agent);
  }
  return { url, agent, label };
}

/**
 * Fetches the directory once before any ACME call: acme-client reports a refused connection
 * or an untrusted certificate only as a TypeError after its retries, so the real cause is
 * read here.
 */
export function reachDirectory(dir: ResolvedDirectory, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.get(dir.url, { agent: dir.agent, timeout: timeoutMs, headers: { 'user-agent': 'Switchyard' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 65_536) body += c;
      });
      res.on('end', () => {
        if (res.statusCode === 200 && /"newNonce"/.test(body)) return resolve();
        reject(caError(dir, msg('ca.notDirectory'), new Error(`HTTP ${res.statusCode}`), msg('cause.http', { status: res.statusCode ?? 0 })));
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => reject(caError(dir, msg('ca.unreachable'), err)));
  });
}
