import { SwitchyardError } from '../../../shared/errors';
import type { Environment, Server } from '../../../shared/model';
import { renderConfig } from '../haproxy/render';
import { BACKEND_NAME, FRONTEND_NAME, HAPROXY_CERT_FILE, HAPROXY_HTTPS_PORT, HAPROXY_HTTP_PORT, PROBE_BACKEND_NAME } from '../environments/naming';

/** One section of haproxy.cfg as the renderer writes it: a title line, then its indented body. */
export interface CfgSection {
  title: string;
  body: string[];
}

/** Splits the renderer's text (comment lines, then sections separated by blank lines) into its parts. */
export function parseSections(text: string): { head: string[]; sections: CfgSection[] } {
  const head: string[] = [];
  const sections: CfgSection[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#') && sections.length === 0) head.push(line);
    else if (line.startsWith('    ')) {
      const last = sections.at(-1);
      if (!last) throw new SwitchyardError('INTERNAL', `haproxy.cfg has an indented line before any section: ${line}`);
      last.body.push(line.slice(4));
    } else sections.push({ title: line, body: [] });
  }
  return { head, sections };
}

/** The text back, laid out as the renderer lays it out. */
export function printSections(head: string[], sections: CfgSection[]): string {
  return [...head, '', ...sections.flatMap((s) => [s.title, ...s.body.map((l) => `    ${l}`), ''])].join('\n');
}

/** How a server of the environment is reached where the export runs, or how a group of them is found. */
export type ServerPlan =
  /** Kept as rendered (external servers; compose's backends, whose network aliases are the deployer's container names). */
  | { kind: 'keep' }
  /** The same line, at another address (`host:port`). */
  | { kind: 'address'; address: string }
  /** Replaced by one `server-template` line for the whole group (the first server of it carries it; the others are dropped). */
  | { kind: 'template'; line: string }
  | { kind: 'drop' };

export interface ConfigTarget {
  /** What the export is, for the header: "a Docker Compose project". */
  what: string;
  /** Where HAProxy finds the certificate (certificate, chain and private key in one PEM) when HTTPS is on. */
  certFile: string;
  /** Ports HAProxy listens on inside its container; absent: Switchyard's own (8080, 8443). */
  listen?: { http: number; https: number };
  plan: (server: Server) => ServerPlan;
  /** Sticky sessions by a cookie HAProxy derives from each task's address (server-template slots have no name of their own). */
  dynamicCookieKey?: string;
  /** Replaces the resolvers' settings (Swarm tasks come and go). */
  resolvers?: string[];
  /** Extra lines at the end of the backend's settings, before its servers. */
  backendExtra?: string[];
  /** ACME HTTP-01 requests go to this backend (a certbot beside HAProxy) instead of Switchyard's runtime map. */
  acmeBackend?: { name: string; lines: string[] };
  /** Whether the HTTPS listener is there (default: whenever HTTPS is on); false before a certificate exists. */
  certificate?: boolean;
}

const ACME_PATH = '/.well-known/acme-challenge/';

/**
 * The haproxy.cfg Switchyard deploys for `env`, adapted to run without Switchyard: no runtime
 * API listener (nothing of the export talks to it), no slots for releases, the certificate
 * where the export mounts it, ACME answers from a certbot when the target has one, and the
 * servers addressed the way the target finds them. Everything else (balance, sticky cookie,
 * redispatch, health checks, timeouts, redirects) is the renderer's, unchanged.
 */
export function exportConfig(env: Environment, target: ConfigTarget): string {
  const https = env.https?.enabled === true;
  // The runtime API's subnets play no part: its listener is dropped below.
  // HTTPS switched off exports as no HTTPS at all: the port it keeps and its challenge rule are Switchyard's.
  const rendered = renderConfig(https ? env : { ...env, https: undefined }, { backendSubnets: [], adminClients: ['127.0.0.1'], certificate: https && target.certificate !== false });
  const { sections } = parseSections(rendered);
  const byName = new Map(env.servers.map((s) => [s.name, s]));
  const out: CfgSection[] = [];
  for (const section of sections) {
    if (section.title === 'defaults admin' || section.title === 'listen runtime-api' || section.title === `backend ${PROBE_BACKEND_NAME}`) continue;
    if (section.title === 'resolvers docker' && target.resolvers) out.push({ title: section.title, body: target.resolvers });
    else if (section.title === `frontend ${FRONTEND_NAME}`) out.push({ title: section.title, body: frontendBody(section.body, target) });
    else if (section.title === `backend ${BACKEND_NAME}`) out.push({ title: section.title, body: backendBody(section.body, byName, target) });
    else out.push(section);
  }
  if (https && target.acmeBackend) out.push({ title: `backend ${target.acmeBackend.name}`, body: target.acmeBackend.lines });
  for (const needed of ['global', 'defaults', `frontend ${FRONTEND_NAME}`, `backend ${BACKEND_NAME}`]) {
    if (!out.some((s) => s.title === needed)) throw new SwitchyardError('INTERNAL', `The rendered haproxy.cfg has no "${needed}" section to export`);
  }
  const head = [`# haproxy.cfg of the Switchyard environment "${env.name}", exported as ${target.what}.`, '# This copy is yours: edit it here. Switchyard does not change it.'];
  return printSections(head, out);
}

function frontendBody(body: string[], target: ConfigTarget): string[] {
  const lines: string[] = [];
  for (const line of body) {
    // Switchyard fills this map through the runtime API while it orders a certificate.
    if (line.startsWith('http-request return') && line.includes(ACME_PATH)) continue;
    // With the other backend choices, after every http-request rule (HAProxy runs those first anyway).
    if (line.startsWith('default_backend ') && target.acmeBackend && body.some((l) => l.includes(ACME_PATH))) {
      lines.push(`use_backend ${target.acmeBackend.name} if { path_beg ${ACME_PATH} }`);
    }
    let l = line.replace(`crt ${HAPROXY_CERT_FILE}`, `crt ${target.certFile}`);
    if (target.listen) {
      l = l.replace(new RegExp(`^bind :${HAPROXY_HTTP_PORT}$`), `bind :${target.listen.http}`).replace(new RegExp(`^bind :${HAPROXY_HTTPS_PORT} `), `bind :${target.listen.https} `);
    }
    lines.push(l);
  }
  return lines;
}

function backendBody(body: string[], byName: Map<string, Server>, target: ConfigTarget): string[] {
  const lines: string[] = [];
  let extraAdded = false;
  for (const line of body) {
    const server = /^server (\S+) /.exec(line);
    if (server) {
      if (!extraAdded) {
        lines.push(...(target.backendExtra ?? []));
        extraAdded = true;
      }
      const s = byName.get(server[1]);
      if (!s) throw new SwitchyardError('INTERNAL', `The rendered haproxy.cfg has a server "${server[1]}" the environment does not have`);
      const plan = target.plan(s);
      if (plan.kind === 'keep') lines.push(line);
      else if (plan.kind === 'address') lines.push(line.replace(/^server (\S+) \S+/, `server $1 ${plan.address}`));
      else if (plan.kind === 'template') lines.push(plan.line);
      continue;
    }
    if (target.dynamicCookieKey && /^cookie \S+ insert/.test(line)) {
      lines.push(`${line} dynamic`, `dynamic-cookie-key ${target.dynamicCookieKey}`);
      continue;
    }
    lines.push(line);
  }
  return lines;
}

/**
 * A server line's options after its address (`cookie back1 weight 100 maxconn 8 disabled`), for
 * a `server-template` standing for several: the per-server cookie goes (slots get dynamic ones).
 */
export function sharedServerOptions(env: Environment, server: Server): string {
  const rendered = renderConfig({ ...env, servers: [server] }, { backendSubnets: [], adminClients: ['127.0.0.1'] });
  const line = parseSections(rendered)
    .sections.find((s) => s.title === `backend ${BACKEND_NAME}`)
    ?.body.find((l) => l.startsWith(`server ${server.name} `));
  if (!line) throw new SwitchyardError('INTERNAL', `The renderer wrote no line for the server "${server.name}"`);
  return line
    .split(' ')
    .slice(3)
    .join(' ')
    .replace(/(^|\s)cookie \S+/, '')
    .trim();
}
