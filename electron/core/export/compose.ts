import type { Environment } from '../../../shared/model';
import { HAPROXY_CONFIG_DIR, HAPROXY_CONFIG_FILE, HAPROXY_HTTPS_PORT, HAPROXY_HTTP_PORT, HAPROXY_STATE_DIR, names } from '../environments/naming';
import { exportConfig } from './export-config';
import { composeReadme } from './export-readme';
import { certsNote, appServers, appVariables, demoServers, demoVariables, dotEnv, flatten, literal, portOf, secretNames, yamlText, type ExportBundle, type ExportFacts } from './export-model';

/** Where the exported config folder is mounted, and the certificate in it. */
export const COMPOSE_CERT_FILE = `${HAPROXY_CONFIG_DIR}/certs/site.pem`;
export const COMPOSE_BACKENDS_NETWORK = 'backends';
export const COMPOSE_EDGE_NETWORK = 'edge';

/**
 * The environment as a Docker Compose project: HAProxy and one service per backend container,
 * as the deployer runs them. Each backend is reachable on the internal backend network under the
 * name the deployer gives its container (`sy-<env>-<server>`, a network alias), so haproxy.cfg
 * is the one Switchyard renders; external servers stay in it as they are.
 */
export function composeBundle(input: Environment, facts: ExportFacts): ExportBundle {
  const env = flatten(input);
  const demos = demoServers(env);
  const apps = appServers(env);
  const app = env.app;
  const https = env.https?.enabled ? env.https : undefined;
  const secrets = secretNames(env);
  const backendNet = (server: string) => ({ [COMPOSE_BACKENDS_NETWORK]: { aliases: [names.backend(env.name, server)] } });

  const services: Record<string, unknown> = {
    haproxy: {
      image: env.images.haproxy,
      // Master-worker in the foreground: `docker compose kill -s USR2 haproxy` reloads an edited config without dropping connections.
      entrypoint: ['haproxy'],
      command: ['-W', '-db', '-f', HAPROXY_CONFIG_FILE],
      ports: [`${env.httpPort}:${HAPROXY_HTTP_PORT}`, ...(https ? [`${https.httpsPort}:${HAPROXY_HTTPS_PORT}`] : [])],
      volumes: [`./haproxy:${HAPROXY_CONFIG_DIR}:ro`, `haproxy-state:${HAPROXY_STATE_DIR}`],
      networks: [COMPOSE_EDGE_NETWORK, COMPOSE_BACKENDS_NETWORK],
      ...(demos.length + apps.length ? { depends_on: [...demos, ...apps].map((s) => s.name) } : {}),
      restart: 'unless-stopped',
    },
  };
  for (const s of demos) {
    services[s.name] = {
      build: { context: './demo-backend', args: { BASE_IMAGE: env.images.demoBase } },
      image: facts.demoImage,
      environment: demoVariables(s.name),
      networks: backendNet(s.name),
      restart: 'unless-stopped',
    };
  }
  for (const s of apps) {
    if (!app) break;
    const source = app.source.kind === 'image' ? { image: app.source.image } : { build: { context: './app', dockerfile: app.source.dockerfile }, image: facts.appImage };
    const variables = Object.fromEntries(Object.entries(appVariables(env, s.name)).map(([k, v]) => [k, literal(v)]));
    for (const name of secrets) variables[name] = `\${${name}}`;
    services[s.name] = {
      ...source,
      ...(app.command ? { command: app.command.map(literal) } : {}),
      ...(Object.keys(variables).length ? { environment: variables } : {}),
      expose: [String(portOf(env, s))],
      ...(app.memoryMb ? { mem_limit: `${app.memoryMb}m` } : {}),
      ...(app.cpus ? { cpus: app.cpus } : {}),
      networks: backendNet(s.name),
      restart: 'unless-stopped',
    };
  }
  const compose = {
    services,
    networks: {
      [COMPOSE_EDGE_NETWORK]: {},
      // Backends reach nothing but each other and HAProxy, as in Switchyard.
      [COMPOSE_BACKENDS_NETWORK]: { internal: true },
    },
    volumes: { 'haproxy-state': {} },
  };

  const config = exportConfig(env, {
    what: 'a Docker Compose project',
    certFile: COMPOSE_CERT_FILE,
    plan: () => ({ kind: 'keep' }),
  });
  const files: ExportBundle['files'] = [
    { path: 'compose.yaml', content: yamlText(compose, [`The Switchyard environment "${env.name}" as a Docker Compose project: see README.md.`, 'Start it with: docker compose up -d']) },
    { path: 'haproxy/haproxy.cfg', content: config },
    { path: 'README.md', content: composeReadme(env, facts) },
  ];
  if (https) files.push({ path: 'haproxy/certs/README.txt', content: certsNote('haproxy/certs/site.pem', 'Without this file HAProxy does not start.') });
  if (secrets.length) files.push({ path: '.env', content: dotEnv(env, 'then run docker compose up -d from this folder (Compose reads this file by itself).'), mode: 0o600 });
  const folders: ExportBundle['folders'] = [];
  if (demos.length) folders.push({ path: 'demo-backend', from: facts.demoFolder });
  if (apps.length && app?.source.kind === 'build') folders.push({ path: 'app', from: app.source.context });
  return { files, folders, secrets, ...(secrets.length ? { secretsFile: '.env' } : {}), run: 'docker compose up -d' };
}
