import { createHash } from 'node:crypto';
import { DEMO_SERVER_MAXCONN, type Environment, type Server } from '../../../shared/model';
import { checkTiming } from './check-timing';
import {
  BACKEND_NAME,
  DEMO_BACKEND_PORT,
  FRONTEND_NAME,
  HAPROXY_ADMIN_PORT,
  HAPROXY_ACME_MAP,
  HAPROXY_ADMIN_SOCKET,
  HAPROXY_CERT_FILE,
  HAPROXY_HTTPS_PORT,
  HAPROXY_HTTP_PORT,
  HAPROXY_SERVER_STATE,
  PROBE_BACKEND_NAME,
  names,
} from '../environments/naming';
import { MAX_RELEASE_BATCH } from '../../../shared/releases';

export interface RenderContext {
  /** Subnets of the environment's backend network: refused by the runtime API listener. */
  backendSubnets: string[];
  /**
   * The only sources the runtime API accepts: the edge network's gateway, which is where
   * connections to a port published on the host's loopback come from. Other load balancers
   * on the shared edge network are refused.
   */
  adminClients: string[];
  /** Whether the load balancer holds a certificate: only then is there an HTTPS listener. */
  certificate?: boolean;
}

const indent = (lines: string[]) => lines.map((l) => `    ${l}`);

function serverLine(env: Environment, server: Server): string {
  const address =
    server.kind === 'external'
      ? `${server.address}:${server.port}`
      : // A container of this environment, by its name on the backend network.
        `${names.backend(env.name, server.name)}:${server.kind === 'app' ? (env.app?.port ?? DEMO_BACKEND_PORT) : DEMO_BACKEND_PORT}`;
  const parts = [`server ${server.name} ${address}`];
  if (env.sticky.enabled) parts.push(`cookie ${server.name}`);
  parts.push(`weight ${server.weight}`);
  // Beyond it HAProxy queues requests rather than overflow the server (see DEMO_SERVER_MAXCONN).
  const maxconn = server.maxconn ?? (server.kind === 'demo' ? DEMO_SERVER_MAXCONN : undefined);
  if (maxconn !== undefined) parts.push(`maxconn ${maxconn}`);
  // Drain has no config keyword: it is set through the runtime API and carried across
  // reloads by the server-state file.
  if (server.state === 'maint') parts.push('disabled');
  return parts.join(' ');
}

/**
 * Plain HTTP to the HTTPS listener as the host publishes it. `redirect scheme` would keep the
 * Host header's port (the HTTP port: TLS to a plain listener) or, without one, land on 443 where
 * nothing may listen; so the location is built here: the Host's name without its port (an IPv6
 * literal keeps its brackets), the published HTTPS port, path and query. A missing or malformed
 * Host goes to the certificate's first name rather than being echoed into the Location header.
 */
function httpsRedirect(httpsPort: number, firstDomain: string): string[] {
  const port = httpsPort === 443 ? '' : `:${httpsPort}`;
  const notAcme = '!{ ssl_fc } !{ path_beg /.well-known/acme-challenge/ }';
  // Strong (single) quotes: HAProxy then leaves the regexes' `$` and `\` alone.
  const hostOk = `{ req.hdr(host) -m reg -i '^([a-z0-9.-]+|\\[[0-9a-f:.]+\\])(:[0-9]*)?$' }`;
  return [
    `http-request redirect code 301 location 'https://%[req.hdr(host),regsub(":[0-9]*$","")]${port}%[pathq]' if ${notAcme} ${hostOk}`,
    `http-request redirect code 301 location 'https://${firstDomain}${port}%[pathq]' if ${notAcme}`,
  ];
}

function frontend(env: Environment, ctx: RenderContext): string[] {
  const lines = [`bind :${HAPROXY_HTTP_PORT}`];
  const https = env.https;
  if (https) {
    const tls = https.enabled && ctx.certificate === true;
    if (tls) lines.push(`bind :${HAPROXY_HTTPS_PORT} ssl crt ${HAPROXY_CERT_FILE}`);
    // ACME HTTP-01 answers come from a map the app fills through the runtime API: nothing else
    // listens on port 80 and nothing reloads. First, so no redirect swallows the challenge.
    // There while HTTPS is still off too: switching it on orders at once, without a reload.
    const token = `path,field(4,/),map(${HAPROXY_ACME_MAP})`;
    lines.push(`http-request return status 200 content-type text/plain lf-string "%[${token}]" if { path_beg /.well-known/acme-challenge/ } { ${token} -m found }`);
    if (tls && https.redirectHttp) lines.push(...httpsRedirect(https.httpsPort, https.domains[0]));
    if (tls && https.hsts) lines.push('http-response set-header Strict-Transport-Security "max-age=63072000" if { ssl_fc }');
  }
  lines.push(`default_backend ${BACKEND_NAME}`);
  return lines;
}

/**
 * On a cluster: one slot per task of the environment's service, found through Docker's DNS
 * (`tasks.<service>` lists every running task's address). Slots without a task wait in MAINT;
 * the server's weight, connection limit and state apply to every slot.
 */
function clusterServers(env: Environment): string[] {
  const server = env.servers[0];
  const port = server.kind === 'app' ? (env.app?.port ?? DEMO_BACKEND_PORT) : DEMO_BACKEND_PORT;
  const parts = [`server-template ${server.name} 1-${env.cluster!.slots} tasks.${names.backend(env.name, server.name)}:${port}`, 'init-addr none', `weight ${server.weight}`];
  const maxconn = server.maxconn ?? (server.kind === 'demo' ? DEMO_SERVER_MAXCONN : undefined);
  if (maxconn !== undefined) parts.push(`maxconn ${maxconn}`);
  if (server.state === 'maint') parts.push('disabled');
  return [parts.join(' ')];
}

/**
 * Where a release tries a new container before it takes any traffic: slots that receive no
 * requests (no frontend uses this backend), disabled until a rollout points one at a new
 * container through the runtime API. They run the servers' own health check, faster, so
 * "healthy" means what it will mean in the pool.
 */
function probeBackend(healthLines: string[], checkMs: number, rise: number): string[] {
  const slots = Array.from({ length: MAX_RELEASE_BATCH }, (_, i) => `server next${i + 1} 127.0.0.1:1 disabled check inter 100ms fastinter 100ms downinter 100ms rise ${rise} fall 1`);
  return [...healthLines, `timeout check ${checkMs}ms`, ...slots];
}

/**
 * haproxy.cfg for an environment. Pure: the same environment and context give the same text.
 * Valid on HAProxy 2.6 and on the current LTS.
 */
export function renderConfig(env: Environment, ctx: RenderContext): string {
  const hc = env.healthCheck;
  const t = env.timeouts;
  const backend: string[] = [`balance ${env.balance}`];
  if (env.sticky.enabled) backend.push(`cookie ${env.sticky.cookieName} insert indirect nocache${env.cluster ? ' dynamic' : ''}`);
  // On a cluster a task's cookie is derived from its address and port with this key: a client
  // keeps its task across reloads and slot changes, and the cookie does not show the address.
  if (env.sticky.enabled && env.cluster) backend.push(`dynamic-cookie-key ${createHash('sha256').update(`${env.name}/${env.createdAt}`).digest('hex').slice(0, 24)}`);
  // A task Swarm stops mid-request (a scale down, a drained node, a release) answers nothing:
  // the request is sent again to another task (only requests HAProxy can replay safely).
  if (env.cluster) backend.push('retry-on conn-failure empty-response response-timeout', 'http-request disable-l7-retry if !METH_GET !METH_HEAD');
  // An error seen by traffic never takes a server out (one refused connect under load must not
  // empty the pool): it brings the next check forward instead, and a short connect timeout
  // for checks keeps a dead server's detection within interval × fall + 1 s (check-timing.ts).
  // Switchyard's own stops and Docker's container events take a server out sooner, through the
  // runtime API. init-addr none lets HAProxy start while a backend container is down; the
  // resolvers follow a container that comes back with a new address.
  const timing = checkTiming(env);
  const healthLines = hc.type === 'http' ? ['option httpchk', `http-check send meth GET uri ${hc.path} ver HTTP/1.1 hdr Host ${env.name}`, `http-check expect status ${hc.expectStatus}`] : [];
  backend.push(...healthLines);
  backend.push(`timeout check ${timing.check}ms`);
  // HAProxy has one connect timeout for checks and traffic: capped here only when the user's
  // is too long for the promise; a backend on the same host or LAN connects in a millisecond.
  if (timing.connectCapped) backend.push(`timeout connect ${timing.connect}ms`);
  backend.push(
    `default-server check inter ${timing.inter}ms fastinter ${timing.fastinter}ms downinter ${timing.downinter}ms rise ${hc.rise} fall ${hc.fall} observe layer4 error-limit 1 on-error fastinter resolvers docker init-addr last,libc,none`,
  );
  // Tells clients (and the traffic generator) which server answered.
  backend.push('http-response set-header X-Served-By %[srv_name]');
  if (env.cluster) backend.push(...clusterServers(env));
  else backend.push(...env.servers.map((s) => serverLine(env, s)));

  const admin: string[] = [`bind :${HAPROXY_ADMIN_PORT}`];
  for (const subnet of ctx.backendSubnets) admin.push(`tcp-request connection reject if { src ${subnet} }`);
  admin.push(`tcp-request connection reject unless { src ${ctx.adminClients.join(' ')} }`);
  admin.push(`server cli unix@${HAPROXY_ADMIN_SOCKET}`);

  const sections: [string, string[]][] = [
    [
      'global',
      [
        'log stdout format raw local0',
        `stats socket ${HAPROXY_ADMIN_SOCKET} mode 600 level admin expose-fd listeners`,
        'stats timeout 1m',
        // Written from the runtime state before every reload, so drain/maint and weights set
        // live survive it.
        `server-state-file ${HAPROXY_SERVER_STATE}`,
        // Old workers finish in-flight requests after a reload, but not forever.
        'hard-stop-after 30s',
      ],
    ],
    [
      'defaults',
      [
        'mode http',
        'log global',
        'option httplog',
        'option dontlognull',
        // On reload, an idle keep-alive connection is closed only after one more response
        // (with "Connection: close"), so a client that reuses it never sees a reset.
        'option idle-close-on-response',
        'option forwardfor',
        `timeout connect ${t.connect}ms`,
        `timeout client ${t.client}ms`,
        `timeout server ${t.server}ms`,
        // Requests waiting for a server under its maxconn: as long as a slow answer may take.
        `timeout queue ${t.server}ms`,
        'timeout http-request 10s',
        `retries ${env.retries}`,
        'load-server-state-from-file global',
        // Redispatch on every retry, not only the last: a sticky user whose server died moves at once.
        env.redispatch ? 'option redispatch 1' : 'no option redispatch',
      ],
    ],
    [
      'resolvers docker',
      // On a cluster the tasks come and go: their records are asked for every second, a large
      // answer (up to 64 tasks) fits, and a task gone from DNS leaves its slot at once.
      env.cluster
        ? ['nameserver dns 127.0.0.11:53', 'accepted_payload_size 8192', 'resolve_retries 3', 'timeout resolve 1s', 'timeout retry 1s', 'hold valid 10s', 'hold obsolete 0s', 'hold nx 1s']
        : // A stopped container vanishes from Docker's DNS; holding its last address keeps the server
          // DOWN by health checks (not MAINT) until it comes back.
          ['nameserver dns 127.0.0.11:53', 'resolve_retries 3', 'timeout resolve 1s', 'timeout retry 1s', 'hold valid 10s', 'hold nx 1h'],
    ],
    [`frontend ${FRONTEND_NAME}`, frontend(env, ctx)],
    [`backend ${BACKEND_NAME}`, backend],
    ...(env.servers.some((s) => s.kind === 'app') && !env.cluster ? [[`backend ${PROBE_BACKEND_NAME}`, probeBackend(healthLines, timing.check, hc.rise)] as [string, string[]]] : []),
    // A second defaults section: the admin proxy below is plain TCP, unlogged (the poller
    // would flood the log) and keeps long-lived connections.
    ['defaults admin', ['mode tcp', 'timeout connect 5s', 'timeout client 1h', 'timeout server 1h']],
    // The runtime API, reachable from the host through a loopback-only published port.
    ['listen runtime-api', admin],
  ];

  const head = [`# haproxy.cfg for the Switchyard environment "${env.name}".`, '# Generated: edit the environment in Switchyard, not this file; it is replaced on every deploy.'];
  return [...head, '', ...sections.flatMap(([title, body]) => [title, ...indent(body), ''])].join('\n');
}
