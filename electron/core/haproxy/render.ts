import type { Environment, Server } from '../../../shared/model';
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
  names,
} from '../environments/naming';

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
  const address = server.kind === 'demo' ? `${names.backend(env.name, server.name)}:${DEMO_BACKEND_PORT}` : `${server.address}:${server.port}`;
  const parts = [`server ${server.name} ${address}`];
  if (env.sticky.enabled) parts.push(`cookie ${server.name}`);
  parts.push(`weight ${server.weight}`);
  // Drain has no config keyword: it is set through the runtime API and carried across
  // reloads by the server-state file.
  if (server.state === 'maint') parts.push('disabled');
  return parts.join(' ');
}

function frontend(env: Environment, ctx: RenderContext): string[] {
  const lines = [`bind :${HAPROXY_HTTP_PORT}`];
  const https = env.https?.enabled ? env.https : undefined;
  if (https) {
    const tls = ctx.certificate === true;
    if (tls) lines.push(`bind :${HAPROXY_HTTPS_PORT} ssl crt ${HAPROXY_CERT_FILE}`);
    // ACME HTTP-01 answers come from a map the app fills through the runtime API: nothing else
    // listens on port 80 and nothing reloads. First, so no redirect swallows the challenge.
    const token = `path,field(4,/),map(${HAPROXY_ACME_MAP})`;
    lines.push(`http-request return status 200 content-type text/plain lf-string "%[${token}]" if { path_beg /.well-known/acme-challenge/ } { ${token} -m found }`);
    if (tls && https.redirectHttp) {
      lines.push('http-request redirect scheme https code 301 if !{ ssl_fc } !{ path_beg /.well-known/acme-challenge/ }');
    }
    if (tls && https.hsts) lines.push('http-response set-header Strict-Transport-Security "max-age=63072000" if { ssl_fc }');
  }
  lines.push(`default_backend ${BACKEND_NAME}`);
  return lines;
}

/**
 * haproxy.cfg for an environment. Pure: the same environment and context give the same text.
 * Valid on HAProxy 2.6 and on the current LTS.
 */
export function renderConfig(env: Environment, ctx: RenderContext): string {
  const hc = env.healthCheck;
  const t = env.timeouts;
  const backend: string[] = [`balance ${env.balance}`];
  if (env.sticky.enabled) backend.push(`cookie ${env.sticky.cookieName} insert indirect nocache`);
  if (hc.type === 'http') {
    backend.push(
      'option httpchk',
      `http-check send meth GET uri ${hc.path} ver HTTP/1.1 hdr Host ${env.name}`,
      `http-check expect status ${hc.expectStatus}`,
    );
  }
  // A connection error from real traffic marks the server down at once (a stopped container's
  // address swallows connects until the timeout, so waiting for `fall` checks would stall
  // users). init-addr none lets HAProxy start while a backend container is down; the
  // resolvers follow a container that comes back with a new address.
  backend.push(
    `default-server check inter ${hc.interval}ms rise ${hc.rise} fall ${hc.fall} observe layer4 error-limit 1 on-error mark-down resolvers docker init-addr last,libc,none`,
  );
  // Tells clients (and the traffic generator) which server answered.
  backend.push('http-response set-header X-Served-By %[srv_name]');
  backend.push(...env.servers.map((s) => serverLine(env, s)));

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
        'timeout http-request 10s',
        `retries ${env.retries}`,
        'load-server-state-from-file global',
        // Redispatch on every retry, not only the last: a sticky user whose server died moves at once.
        env.redispatch ? 'option redispatch 1' : 'no option redispatch',
      ],
    ],
    [
      'resolvers docker',
      // A stopped container vanishes from Docker's DNS; holding its last address keeps the server
      // DOWN by health checks (not MAINT) until it comes back.
      ['nameserver dns 127.0.0.11:53', 'resolve_retries 3', 'timeout resolve 1s', 'timeout retry 1s', 'hold valid 10s', 'hold nx 1h'],
    ],
    [`frontend ${FRONTEND_NAME}`, frontend(env, ctx)],
    [`backend ${BACKEND_NAME}`, backend],
    // A second defaults section: the admin proxy below is plain TCP, unlogged (the poller
    // would flood the log) and keeps long-lived connections.
    ['defaults admin', ['mode tcp', 'timeout connect 5s', 'timeout client 1h', 'timeout server 1h']],
    // The runtime API, reachable from the host through a loopback-only published port.
    ['listen runtime-api', admin],
  ];

  const head = [
    `# haproxy.cfg for the Switchyard environment "${env.name}".`,
    '# Generated: edit the environment in Switchyard, not this file; it is replaced on every deploy.',
  ];
  return [...head, '', ...sections.flatMap(([title, body]) => [title, ...indent(body), ''])].join('\n');
}
