import { randomBytes } from 'node:crypto';
import { promises as dns } from 'node:dns';
import http from 'node:http';
import net from 'node:net';
import { SwitchyardError } from '../../../shared/errors';
import { english, msg, type Message } from '../../../shared/messages';
import { ACME_CHALLENGE_PREFIX, type Http01Responder } from './challenge';
import { domainField } from './errors';

/** A domain's addresses; rejects with the resolver's error (ENOTFOUND, ENODATA, …) when it has none. */
export type Resolve = (hostname: string) => Promise<string[]>;

export interface PreflightOptions {
  domains: string[];
  responder: Http01Responder;
  /** Where the CA will connect: 80 for Let's Encrypt, a custom directory's challenge port (Pebble's). */
  port: number;
  /**
   * The port the environment's load balancer is published on. When it is not `port`, only a
   * forward (a router's, a firewall's) can make the probe answer; if none does, that is the
   * explanation given.
   */
  listenPort?: number;
  /** Who validates, for messages: "Let's Encrypt". */
  ca?: string;
  resolve?: Resolve;
  timeoutMs?: number;
}

export interface PreflightResult {
  domain: string;
  addresses: string[];
  /** Addresses that served the probe. */
  answered: string[];
  /** Problems that do not stop an order but may (an address that did not answer, a private address). */
  warnings: string[];
}

/** Resolves the way a CA does: public DNS records only (no hosts file), IPv4 and IPv6. */
export function resolverAt(servers?: string[]): Resolve {
  const r = new dns.Resolver({ timeout: 3000, tries: 2 });
  if (servers) r.setServers(servers);
  return async (host) => {
    const [v4, v6] = await Promise.allSettled([r.resolve4(host), r.resolve6(host)]);
    const found = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (found.length > 0) return found;
    throw v4.status === 'rejected' ? v4.reason : new Error('no address');
  };
}

/**
 * Checks, before anything is ordered, what the CA is about to check: each domain resolves,
 * and its HTTP port serves a challenge answer put through the same responder, without a
 * redirect. A failed order costs rate limit at the CA; a failed preflight costs nothing.
 */
export async function preflight(opts: PreflightOptions): Promise<PreflightResult[]> {
  const resolve = opts.resolve ?? resolverAt();
  const token = randomBytes(24).toString('base64url');
  const answer = `${token}.${randomBytes(24).toString('base64url')}`;
  await opts.responder.add(token, answer);
  try {
    const results = await Promise.all(opts.domains.map((d) => checkDomain(d, token, answer, resolve, opts)));
    const failed = results.filter((r): r is Problem => 'problem' in r);
    const mismatch = opts.listenPort !== undefined && opts.listenPort !== opts.port;
    if (failed.length > 0) {
      if (mismatch && failed.some((f) => f.probed)) throw portMismatch(failed, opts.port, opts.listenPort!, opts.ca);
      const problems = failed.map((f) => msg('preflight.domain', { domain: f.domain, problem: f.problem, fix: f.fix }));
      throw SwitchyardError.because('PREFLIGHT_FAILED', 'domains', { problems: { sentences: problems } }, { field: domainField(opts.domains, failed[0].domain) });
    }
    const ok = results as PreflightResult[];
    if (mismatch) {
      for (const r of ok) r.warnings.push(`port ${opts.port} answered although the load balancer listens on ${opts.listenPort}: something forwards it`);
    }
    return ok;
  } finally {
    await opts.responder.remove(token).catch(() => undefined);
  }
}

/** `probed`: the name resolved and its HTTP port was tried (a DNS problem is not a port problem). */
type Problem = { domain: string; problem: Message; fix: Message; probed: boolean };
type Outcome = PreflightResult | Problem;

/**
 * The CA's port does not reach the load balancer: the probe's own findings, then the one fix
 * that matters. Blames the environment's HTTP port (field `httpPort`), not a domain.
 */
function portMismatch(failed: Problem[], port: number, listenPort: number, ca = 'The certificate authority'): SwitchyardError {
  // What the probe found comes first; the ports are the point.
  const findings = failed.map((f) => (f.probed ? msg('preflight.found', { domain: f.domain, problem: f.problem }) : msg('preflight.domain', { domain: f.domain, problem: f.problem, fix: f.fix })));
  return SwitchyardError.because('PREFLIGHT_FAILED', 'port', { findings: { sentences: findings }, ca, port, listenPort }, { field: 'httpPort' });
}

async function checkDomain(domain: string, token: string, answer: string, resolve: Resolve, opts: PreflightOptions): Promise<Outcome> {
  let addresses: string[];
  try {
    addresses = [...new Set(await resolve(domain))];
    if (addresses.length === 0) throw Object.assign(new Error('no address'), { code: 'ENODATA' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (['ENOTFOUND', 'ENODATA', 'NXDOMAIN'].includes(code) || code === '') {
      return { domain, problem: msg('preflight.noAddress'), fix: msg('preflight.fixDns', { domain }), probed: false };
    }
    return { domain, problem: msg('preflight.dnsFailed', { code }), fix: msg('preflight.fixResolver'), probed: false };
  }

  const url = `http://${domain}${opts.port === 80 ? '' : `:${opts.port}`}${ACME_CHALLENGE_PREFIX}${token}`;
  const probes = await Promise.all(addresses.map((a) => probe(a, domain, opts.port, token, answer, opts.timeoutMs ?? 5000)));
  const answered = addresses.filter((_, i) => probes[i].ok);
  const warnings: string[] = [];
  for (const a of addresses) if (isPrivate(a)) warnings.push(`${domain} points at ${a}, a private address a public CA cannot reach`);
  probes.forEach((p, i) => {
    if (!p.ok && answered.length > 0) warnings.push(`${addresses[i]} ${english(p.problem)}`);
  });
  if (answered.length > 0) return { domain, addresses, answered, warnings };

  const p = probes[0] as Failed;
  const at = addresses.length === 1 ? addresses[0] : addresses.join(', ');
  return { domain, problem: msg('preflight.probe', { url, at, problem: p.problem }), fix: p.fix, probed: true };
}

type Failed = { ok: false; problem: Message; fix: Message };
type Probe = { ok: true } | Failed;

function probe(address: string, domain: string, port: number, token: string, answer: string, timeoutMs: number): Promise<Probe> {
  return new Promise((done) => {
    const req = http.request(
      {
        host: address,
        port,
        path: `${ACME_CHALLENGE_PREFIX}${token}`,
        family: net.isIPv6(address) ? 6 : 4,
        headers: { host: port === 80 ? domain : `${domain}:${port}`, 'user-agent': 'Switchyard-preflight', connection: 'close' },
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (body.length < 4096) body += c;
        });
        res.on('end', () => done(judge(res.statusCode ?? 0, res.headers.location, body, answer)));
        res.on('error', () => done(judge(res.statusCode ?? 0, res.headers.location, body, answer)));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      done({ ok: false, problem: msg('preflight.timeout', { seconds: Math.round(timeoutMs / 1000) }), fix: msg('preflight.fixFirewall', { port }) });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') {
        done({ ok: false, problem: msg('preflight.refused', { port }), fix: msg('preflight.fixPublish', { port }) });
      } else {
        done({ ok: false, problem: msg('preflight.unreachable', { code: err.code ?? err.message }), fix: msg('preflight.fixReach', { port }) });
      }
    });
    req.end();
  });
}

function judge(status: number, location: string | undefined, body: string, answer: string): Probe {
  if (status >= 300 && status < 400) {
    return {
      ok: false,
      problem: location ? msg('preflight.redirectTo', { status, location }) : msg('preflight.redirect', { status }),
      fix: msg('preflight.fixRedirect'),
    };
  }
  if (status === 200 && body.trim() === answer) return { ok: true };
  return { ok: false, problem: msg('preflight.wrongAnswer', { status }), fix: msg('preflight.fixOtherServer') };
}

function isPrivate(address: string): boolean {
  if (net.isIPv4(address)) {
    const [a, b] = address.split('.').map(Number);
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b < 128);
  }
  const v = address.toLowerCase();
  return v === '::1' || v.startsWith('fc') || v.startsWith('fd') || v.startsWith('fe80');
}
