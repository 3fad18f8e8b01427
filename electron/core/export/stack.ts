import { createHash } from 'node:crypto';
import type { Environment } from '../../../shared/model';
import { HAPROXY_CONFIG_FILE, HAPROXY_HTTPS_PORT, HAPROXY_HTTP_PORT, HAPROXY_STATE_DIR } from '../environments/naming';
import { exportConfig, sharedServerOptions, type ServerPlan } from './export-config';
import { stackReadme } from './export-readme';
import { appServers, certsNote, demoServers, dotEnv, externalServers, flatten, literal, numberedPrefix, portOf, secretNames, yamlText, type ExportBundle, type ExportFacts } from './export-model';

/** Where a task finds the certificate: a Swarm secret (certificate, chain and key in one PEM). */
export const STACK_CERT_FILE = '/run/secrets/site.pem';

/** One replicated service of the stack: the demo backends, or the app's replicas. */
export interface StackGroup {
  service: 'demo' | 'app';
  replicas: number;
  /** HAProxy slots for its tasks: room for a start-first update, and to scale up without a new config. */
  slots: number;
  /** What HAProxy names the slots (`back` → back1, back2, …), and what `{{server}}` becomes per task. */
  prefix: string;
  port: number;
}

/** Docker's DNS answers `tasks.<service>` with every running task; these let HAProxy follow them closely. */
const SWARM_RESOLVERS = [
  'nameserver dns 127.0.0.11:53',
  'accepted_payload_size 8192',
  'resolve_retries 3',
  'timeout resolve 1s',
  'timeout retry 1s',
  'hold valid 10s',
  // A task gone from the answer leaves its slot at once.
  'hold obsolete 0s',
  'hold nx 1s',
];

export function stackGroups(env: Environment): StackGroup[] {
  const others = new Set(externalServers(env).map((s) => s.name));
  const group = (service: 'demo' | 'app', servers: { name: string }[], port: number): StackGroup => {
    let prefix = numberedPrefix(
      servers.map((s) => s.name),
      service,
    );
    // Slot names must not clash with an external server's (`back3` beside slots back1…back4).
    if ([...others].some((n) => new RegExp(`^${prefix}[0-9]+$`).test(n))) prefix = `${prefix}-task`;
    const replicas = servers.length;
    return { service, replicas, slots: Math.max(2 * replicas, replicas + 1), prefix, port };
  };
  const groups: StackGroup[] = [];
  const demos = demoServers(env);
  const apps = appServers(env);
  if (demos.length) groups.push(group('demo', demos, portOf(env, demos[0])));
  if (apps.length) groups.push(group('app', apps, portOf(env, apps[0])));
  return groups;
}

/** A replica's variable for a Swarm task: `{{server}}` and `{{index}}` become the task's own (Swarm's templates). */
const taskValue = (value: string, prefix: string) =>
  literal(value)
    .replace(/\{\{\s*server\s*\}\}/g, `${prefix}{{.Task.Slot}}`)
    .replace(/\{\{\s*index\s*\}\}/g, '{{.Task.Slot}}');

/**
 * The environment as a Docker Swarm stack: the demo backends and the app each one replicated
 * service (endpoint_mode dnsrr, start-first updates one task at a time), HAProxy one task
 * publishing its ports on its node, its config a Swarm config, and its servers one
 * `server-template` per service that follows the tasks through Docker's DNS (`tasks.<service>`).
 */
export function stackBundle(input: Environment, facts: ExportFacts): ExportBundle {
  const env = flatten(input);
  const groups = stackGroups(env);
  const app = env.app;
  const https = env.https?.enabled ? env.https : undefined;
  const secrets = secretNames(env);
  const backendUpdate = { parallelism: 1, order: 'start-first', delay: '2s', failure_action: 'rollback', monitor: '10s' };

  const services: Record<string, unknown> = {
    haproxy: {
      image: env.images.haproxy,
      entrypoint: ['haproxy'],
      command: ['-W', '-db', '-f', HAPROXY_CONFIG_FILE],
      // On the node the task runs on, not through the routing mesh: clients' addresses reach HAProxy.
      ports: [
        { target: HAPROXY_HTTP_PORT, published: env.httpPort, protocol: 'tcp', mode: 'host' },
        ...(https ? [{ target: HAPROXY_HTTPS_PORT, published: https.httpsPort, protocol: 'tcp', mode: 'host' }] : []),
      ],
      configs: [{ source: 'haproxy_cfg', target: HAPROXY_CONFIG_FILE }],
      // 0444: HAProxy reads it as its own user.
      ...(https ? { secrets: [{ source: 'site_pem', target: 'site.pem', mode: 0o444 }] } : {}),
      volumes: [`haproxy-state:${HAPROXY_STATE_DIR}`],
      networks: ['edge', 'backends'],
      deploy: {
        replicas: 1,
        // Its ports are published on its node: a new task can only start once the old one is gone.
        update_config: { parallelism: 1, order: 'stop-first' },
        restart_policy: { condition: 'any' },
      },
    },
  };
  for (const g of groups) {
    if (g.service === 'demo') {
      services.demo = {
        image: facts.demoImage,
        environment: { BACKEND_NAME: `${g.prefix}{{.Task.Slot}}`, PORT: String(g.port) },
        // busybox is in every demo image: its httpd serves the page, its wget checks it.
        healthcheck: { test: ['CMD', 'busybox', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${g.port}/health`], interval: '2s', timeout: '2s', retries: 3, start_period: '5s' },
        networks: ['backends'],
        deploy: { replicas: g.replicas, endpoint_mode: 'dnsrr', update_config: backendUpdate, rollback_config: { parallelism: 1, order: 'start-first' }, restart_policy: { condition: 'any' } },
      };
    } else if (app) {
      const variables: Record<string, string> = Object.fromEntries(app.env.map((v) => [v.name, taskValue(v.value, g.prefix)]));
      for (const name of secrets) variables[name] = `\${${name}}`;
      const limits = { ...(app.cpus ? { cpus: String(app.cpus) } : {}), ...(app.memoryMb ? { memory: `${app.memoryMb}M` } : {}) };
      services.app = {
        image: app.source.kind === 'image' ? app.source.image : facts.appImage,
        ...(app.command ? { command: app.command.map(literal) } : {}),
        ...(Object.keys(variables).length ? { environment: variables } : {}),
        // No health check of its own: nothing says what the image can run; HAProxy's checks decide which tasks get traffic.
        networks: ['backends'],
        deploy: {
          replicas: g.replicas,
          endpoint_mode: 'dnsrr',
          update_config: backendUpdate,
          rollback_config: { parallelism: 1, order: 'start-first' },
          restart_policy: { condition: 'any' },
          ...(Object.keys(limits).length ? { resources: { limits } } : {}),
        },
      };
    }
  }
  const stack = {
    version: '3.8',
    services,
    networks: { edge: { driver: 'overlay' }, backends: { driver: 'overlay', internal: true } },
    volumes: { 'haproxy-state': {} },
    configs: { haproxy_cfg: { file: './haproxy/haproxy.cfg' } },
    ...(https ? { secrets: { site_pem: { file: './certs/site.pem' } } } : {}),
  };

  const firstOf = (kind: 'demo' | 'app') => env.servers.find((s) => s.kind === kind)!;
  const plan = (server: Environment['servers'][number]): ServerPlan => {
    if (server.kind === 'external') return { kind: 'keep' };
    const g = groups.find((x) => x.service === server.kind)!;
    if (firstOf(server.kind).name !== server.name) return { kind: 'drop' };
    const options = sharedServerOptions(env, server);
    return { kind: 'template', line: `server-template ${g.prefix} 1-${g.slots} tasks.${g.service}:${g.port} ${options} check resolvers docker init-addr none`.replace(/ +/g, ' ') };
  };
  const config = exportConfig(env, {
    what: 'a Docker Swarm stack',
    certFile: STACK_CERT_FILE,
    plan,
    dynamicCookieKey: createHash('sha256').update(`${env.name}\0${env.createdAt}`).digest('hex').slice(0, 24),
    resolvers: SWARM_RESOLVERS,
    // A task Swarm stops mid-request (an update, a scale down) answers nothing: the request is
    // sent again to another task, for the requests that can be replayed safely.
    backendExtra: groups.length ? ['retry-on conn-failure empty-response response-timeout', 'http-request disable-l7-retry if !METH_GET !METH_HEAD'] : [],
  });

  const files: ExportBundle['files'] = [
    {
      path: 'stack.yaml',
      content: yamlText(stack, [`The Switchyard environment "${env.name}" as a Docker Swarm stack: see README.md.`, `Deploy it with: docker stack deploy -c stack.yaml ${env.name}`]),
    },
    { path: 'haproxy/haproxy.cfg', content: config },
    { path: 'README.md', content: stackReadme(env, facts, groups) },
  ];
  if (https) files.push({ path: 'certs/README.txt', content: certsNote('certs/site.pem', 'Without this file docker stack deploy refuses the stack.') });
  if (secrets.length)
    files.push({ path: '.env', content: dotEnv(env, `then load them into your shell before deploying: set -a; . ./.env; set +a (docker stack deploy reads no .env file).`), mode: 0o600 });
  const folders: ExportBundle['folders'] = [];
  if (groups.some((g) => g.service === 'demo')) folders.push({ path: 'demo-backend', from: facts.demoFolder });
  if (groups.some((g) => g.service === 'app') && app?.source.kind === 'build') folders.push({ path: 'app', from: app.source.context });
  return { files, folders, secrets, ...(secrets.length ? { secretsFile: '.env' } : {}), run: `docker stack deploy -c stack.yaml ${env.name}` };
}
