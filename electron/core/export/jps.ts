import type { HttpsSettings } from '../../../shared/https';
import type { Environment, Server } from '../../../shared/model';
import { HAPROXY_CONFIG_FILE, HAPROXY_STATE_DIR } from '../environments/naming';
import { exportConfig, type ConfigTarget } from './export-config';
import { jpsReadme } from './export-readme';
import { appServers, appVariables, demoServers, flatten, portOf, secretNames, yamlText, type ExportBundle, type ExportFacts } from './export-model';
import { JpsManifest, type JpsField, type JpsNode } from './jps-schema';

export const JPS_LB_GROUP = 'bl';
export const JPS_CERTBOT_GROUP = 'certbot';
export const JPS_CERTBOT_IMAGE = 'certbot/certbot:latest';
/** certbot's folder, shared with the load balancer's node; `combined.pem` is what HAProxy's `crt` reads. */
export const JPS_LETSENCRYPT = '/etc/letsencrypt';
export const JPS_CERT_FILE = `${JPS_LETSENCRYPT}/combined.pem`;

/** A shell word, quoted only when it must be. */
const sh = (s: string) => (/^[A-Za-z0-9@%+=:,./_-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** Layer names are letters, digits and `_`; Switchyard's server names may hold `-`. */
function layerNames(env: Environment): Map<string, string> {
  const taken = new Set([JPS_LB_GROUP, JPS_CERTBOT_GROUP, 'app']);
  const out = new Map<string, string>();
  for (const s of env.servers) {
    let layer = s.name.replace(/-/g, '_');
    for (let i = 2; taken.has(layer); i++) layer = `${s.name.replace(/-/g, '_')}_${i}`;
    taken.add(layer);
    out.set(s.name, layer);
  }
  return out;
}

/** The app's variables differ per replica (`{{server}}`, `{{index}}`): then each replica is its own layer. */
const perReplica = (env: Environment) => (env.app?.env ?? []).some((v) => /\{\{\s*(server|index)\s*\}\}/.test(v.value));

/**
 * HTTPS as the manifest sets it up, whatever the environment has: the domain and e-mail the
 * install form asks for (placeholders Cloud Scripting fills in), and HAProxy on 443.
 */
function jpsHttps(env: Environment): HttpsSettings {
  return {
    enabled: true,
    domains: ['${settings.domain}'],
    email: '${settings.email}',
    directory: 'letsencrypt',
    termsAccepted: true,
    redirectHttp: env.https?.redirectHttp ?? true,
    hsts: env.https?.hsts ?? false,
    stagingFirst: false,
    httpsPort: 443,
  };
}

/**
 * The environment as a JPS manifest for a Jelastic / Virtuozzo cloud: HAProxy on a load balancer
 * node (`bl`) with a public address, each demo backend its own layer (it says its own name), the
 * app one layer of N nodes (or one layer per replica when its variables name the replica), and a
 * certbot node. The install form asks for a domain and an e-mail (and the app's secret values);
 * with a domain, the install obtains a Let's Encrypt certificate through HAProxy and switches
 * HTTPS on. The servers' addresses are the nodes' internal IPs, filled in at install.
 */
export function jpsBundle(input: Environment, facts: ExportFacts): ExportBundle {
  const env = flatten(input);
  const layers = layerNames(env);
  const demos = demoServers(env);
  const apps = appServers(env);
  const app = env.app;
  const secrets = secretNames(env);
  const split = perReplica(env);
  const address = (s: Server): string => {
    if (s.kind === 'app' && !split) return `\${nodes.app[${apps.findIndex((a) => a.name === s.name)}].intIP}:${portOf(env, s)}`;
    return `\${nodes.${layers.get(s.name)}.first.intIP}:${portOf(env, s)}`;
  };

  const nodes: JpsNode[] = [
    {
      nodeGroup: JPS_LB_GROUP,
      displayName: 'Load balancer (HAProxy)',
      image: env.images.haproxy,
      count: 1,
      fixedCloudlets: 1,
      cloudlets: 8,
      extip: true,
      // The config comes with the install's first action: HAProxy waits for it, then runs in master-worker mode.
      cmd: `while [ ! -s ${HAPROXY_CONFIG_FILE} ]; do sleep 1; done; exec haproxy -W -db -f ${HAPROXY_CONFIG_FILE}`,
      volumes: ['/usr/local/etc/haproxy', HAPROXY_STATE_DIR],
      volumeMounts: { [JPS_LETSENCRYPT]: { sourceNodeGroup: JPS_CERTBOT_GROUP, readOnly: true } },
    },
  ];
  for (const s of demos) {
    nodes.push({
      nodeGroup: layers.get(s.name),
      displayName: `Demo backend ${s.name}`,
      image: env.images.demoBase,
      count: 1,
      cloudlets: 4,
      env: { BACKEND_NAME: s.name },
      // The demo page, from busybox alone: nothing to build on the cloud.
      cmd: `mkdir -p /www && echo "<h1>Hello from Backend: $BACKEND_NAME</h1>" > /www/index.html && echo ok > /www/health && exec httpd -f -p ${portOf(env, s)} -h /www`,
    });
  }
  if (app && apps.length) {
    const image = app.source.kind === 'image' ? app.source.image : facts.appImage;
    const common = {
      image,
      cloudlets: Math.max(4, Math.ceil((app.memoryMb ?? 512) / 128)),
      ...(app.command ? { cmd: app.command.map(sh).join(' ') } : {}),
    };
    const variables = (server: string): Record<string, string> => {
      const v = appVariables(env, server);
      for (const name of secrets) v[name] = `\${settings.${name}}`;
      return v;
    };
    if (split) for (const s of apps) nodes.push({ nodeGroup: layers.get(s.name), displayName: `App ${s.name}`, count: 1, env: variables(s.name), ...common });
    else nodes.push({ nodeGroup: 'app', displayName: 'App', count: apps.length, env: variables(apps[0].name), ...common });
  }
  nodes.push({
    nodeGroup: JPS_CERTBOT_GROUP,
    displayName: 'Certificates (certbot)',
    image: JPS_CERTBOT_IMAGE,
    count: 1,
    cloudlets: 4,
    entrypoint: '/bin/sh',
    // Renews only what is due (no forced renewal: Let's Encrypt's limits), and rebuilds combined.pem each time.
    cmd: `-c ${sh(`trap 'exit 0' TERM; while :; do certbot renew --quiet --deploy-hook ${sh(combine('"$RENEWED_LINEAGE"'))}; sleep 43200 & wait $!; done`)}`,
    volumes: [JPS_LETSENCRYPT],
  });

  const target = (certificate: boolean): ConfigTarget => ({
    what: 'a JPS manifest',
    certFile: JPS_CERT_FILE,
    listen: { http: 80, https: 443 },
    certificate,
    plan: (s) => (s.kind === 'external' ? { kind: 'keep' } : { kind: 'address', address: address(s) }),
    // No Docker DNS on the cloud: external servers resolve through the node's own resolver.
    resolvers: ['parse-resolv-conf', 'resolve_retries 3', 'timeout resolve 1s', 'timeout retry 1s', 'hold valid 10s', 'hold nx 1h'],
    acmeBackend: { name: 'acme', lines: [`server certbot \${nodes.${JPS_CERTBOT_GROUP}.first.intIP}:80`] },
  });
  const withHttps = { ...env, https: jpsHttps(env) };
  const writeConfig = (config: string) => [{ writeFile: [{ nodeGroup: JPS_LB_GROUP, path: HAPROXY_CONFIG_FILE, body: config }] }, { restartNodes: [{ nodeGroup: JPS_LB_GROUP }] }];
  const live = `/etc/letsencrypt/live/\${settings.domain}`;
  const fields: JpsField[] = [
    {
      name: 'domain',
      type: 'string',
      caption: 'Domain for HTTPS (leave empty for HTTP only)',
      default: env.https?.domains[0] ?? '',
      required: false,
    },
    { name: 'email', type: 'string', caption: "E-mail for Let's Encrypt", vtype: 'email', default: env.https?.email ?? '${user.email}', required: false },
    ...secrets.map((name): JpsField => ({ name, type: 'string', inputType: 'password', caption: `${name} (secret variable of the app)`, required: true })),
  ];
  const manifest: JpsManifest = {
    type: 'install',
    name: `Switchyard ${env.name}`,
    description: `The Switchyard environment "${env.name}": HAProxy (${env.balance}${env.sticky.enabled ? `, sticky cookie ${env.sticky.cookieName}` : ''}${env.redispatch ? ', redispatch' : ''}, health checks) in front of ${env.servers.length} server(s).`,
    settings: { fields },
    nodes,
    onInstall: ['configure', { "if ('${settings.domain}')": ['certificate', 'configureHttps'] }],
    actions: {
      configure: writeConfig(exportConfig(withHttps, target(false))),
      certificate: [
        {
          [`cmd [${JPS_CERTBOT_GROUP}]`]: [`certbot certonly --standalone --non-interactive --agree-tos --email '\${settings.email}' -d '\${settings.domain}' --keep-until-expiring`, combine(live)],
        },
      ],
      configureHttps: writeConfig(exportConfig(withHttps, target(true))),
      // certbot renews the file; HAProxy reads it when it starts.
      reloadCertificate: [{ restartNodes: [{ nodeGroup: JPS_LB_GROUP }] }],
    },
    success: `The environment answers at http://\${env.domain}/ (and https://\${settings.domain}/ when a domain was given).`,
  };
  // Every manifest written is one the documented schema accepts.
  JpsManifest.parse(manifest);
  return {
    files: [
      {
        path: 'manifest.jps',
        content: yamlText(manifest, [`The Switchyard environment "${env.name}" as a JPS manifest: see README.md.`, 'Import it in the Jelastic / Virtuozzo dashboard (Import → Local File).']),
      },
      { path: 'README.md', content: jpsReadme(env, facts) },
    ],
    folders: [],
    secrets,
    run: 'Import manifest.jps in the dashboard (Import → Local File)',
  };
}

/** HAProxy's `crt`: certificate, chain and private key in one file, readable by HAProxy's user. */
const combine = (lineage: string) => `cat ${lineage}/fullchain.pem ${lineage}/privkey.pem > ${JPS_CERT_FILE}.next && chmod 0644 ${JPS_CERT_FILE}.next && mv ${JPS_CERT_FILE}.next ${JPS_CERT_FILE}`;
