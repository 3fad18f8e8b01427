import type { Environment } from '../../../shared/model';
import { appServers, demoServers, externalServers, flatten, secretNames, type ExportFacts } from './export-model';
import type { StackGroup } from './stack';

const bullet = (items: string[]) => items.map((i) => `- ${i}`);

function summary(env: Environment): string[] {
  const e = flatten(env);
  const what = [
    `balance ${e.balance}`,
    e.sticky.enabled ? `sticky sessions (cookie \`${e.sticky.cookieName}\`)` : 'no sticky sessions',
    e.redispatch ? 'redispatch when a sticky server is down' : 'no redispatch',
    `${e.healthCheck.type === 'http' ? `HTTP health checks on \`${e.healthCheck.path}\`` : 'TCP health checks'} every ${e.healthCheck.interval} ms`,
  ];
  const servers = [
    ...demoServers(e).map((s) => `\`${s.name}\`: a demo backend (it answers "Hello from Backend: ${s.name}")`),
    ...appServers(e).map((s) => `\`${s.name}\`: a replica of the app (${e.app?.source.kind === 'image' ? `image \`${e.app.source.image}\`` : 'built from `app/`'})`),
    ...externalServers(e).map((s) => `\`${s.name}\`: an external server at \`${s.kind === 'external' ? `${s.address}:${s.port}` : ''}\`, reached as it is`),
  ];
  return [`HAProxy in front of ${e.servers.length} server(s): ${what.join(', ')}.`, '', ...bullet(servers)];
}

/** What the export leaves out, said the same way in every README. */
function switchyardAdds(): string[] {
  return [
    '## What Switchyard adds',
    '',
    'This folder runs the same load balancer and servers, but nothing watches over them. Switchyard also:',
    '',
    ...bullet([
      "**Live toggles**: a server set to drain or maintenance, or given a new weight, at once through HAProxy's runtime API, without a reload; kept across reloads.",
      '**Zero-downtime releases**: a new app version rolled out server by server (the new container tried first, the old one drained), watched, and rolled back by itself when it hurts.',
      "**Certificate renewals**: Let's Encrypt certificates ordered and renewed when a third of their lifetime is left, installed without a reload, with a warning before they expire.",
      '**Config changes checked first**: every new haproxy.cfg passes `haproxy -c` before it serves, with a history to go back to.',
      '**Live figures**: health, hits and traffic per server, and the access log.',
    ]),
    '',
  ];
}

function secretsSection(env: Environment, how: string): string[] {
  const names = secretNames(env);
  if (!names.length) return [];
  return ['## Secret variables', '', `The app needs ${names.map((n) => `\`${n}\``).join(', ')}. Their values are not in this export: ${how}`, ''];
}

function externalSection(env: Environment): string[] {
  const ext = externalServers(flatten(env));
  if (!ext.length) return [];
  return [
    '## External servers',
    '',
    `${ext.map((s) => `\`${s.name}\``).join(', ')} run elsewhere: haproxy.cfg addresses them as Switchyard does, and HAProxy must be able to reach them from where it runs.`,
    '',
  ];
}

export function composeReadme(env: Environment, facts: ExportFacts): string {
  const https = env.https?.enabled ? env.https : undefined;
  const demos = demoServers(flatten(env));
  return [
    `# ${env.name}: a Docker Compose project`,
    '',
    `Exported from Switchyard. ${summary(env).join('\n')}`,
    '',
    '## Run it',
    '',
    '```sh',
    'docker compose up -d        # or docker-compose up -d',
    `curl -s http://localhost:${env.httpPort}/`,
    'docker compose down         # add -v to remove the state volume too',
    '```',
    '',
    'What is here:',
    '',
    ...bullet([
      '`compose.yaml`: HAProxy (`haproxy`) and one service per backend, on an internal network `backends` (backends reach nothing else); each backend is also known there by the name Switchyard gives its container, which is what haproxy.cfg addresses.',
      "`haproxy/haproxy.cfg`: the config Switchyard renders for this environment, without its runtime API listener (HAProxy's admin socket stays inside the container). Edit it, then reload without dropping a request: `docker compose kill -s USR2 haproxy`.",
      ...(demos.length ? [`\`demo-backend/\`: the demo backend, built on \`${env.images.demoBase}\` and tagged \`${facts.demoImage}\`.`] : []),
      ...(env.app?.source.kind === 'build' && appServers(flatten(env)).length ? ["`app/`: a copy of the app's build folder, built by `docker compose up`."] : []),
    ]),
    '',
    ...secretsSection(env, 'give each one in `.env` (beside `compose.yaml`), which Compose reads by itself, before `docker compose up -d`.'),
    ...(https
      ? [
          '## HTTPS',
          '',
          `HAProxy listens for HTTPS on port ${https.httpsPort} (${https.domains.join(', ')}) and expects the certificate at \`haproxy/certs/site.pem\`: the certificate, its chain and its private key in one PEM file (\`cat fullchain.pem privkey.pem > haproxy/certs/site.pem\`). No private key is ever exported: put yours there before \`docker compose up -d\`, or HAProxy will not start.`,
          '',
        ]
      : []),
    ...externalSection(env),
    ...switchyardAdds(),
  ].join('\n');
}

export function stackReadme(env: Environment, facts: ExportFacts, groups: StackGroup[]): string {
  const https = env.https?.enabled ? env.https : undefined;
  const e = flatten(env);
  const build: string[] = [];
  if (groups.some((g) => g.service === 'demo')) build.push(`docker build -t ${facts.demoImage} --build-arg BASE_IMAGE=${env.images.demoBase} demo-backend`);
  if (groups.some((g) => g.service === 'app') && e.app?.source.kind === 'build') build.push(`docker build -t ${facts.appImage} -f app/${e.app.source.dockerfile} app`);
  return [
    `# ${env.name}: a Docker Swarm stack`,
    '',
    `Exported from Switchyard. ${summary(env).join('\n')}`,
    '',
    '## Deploy it',
    '',
    'On a manager of a Swarm cluster (`docker swarm init` makes one):',
    '',
    '```sh',
    ...(build.length ? ['# images Swarm cannot pull: build them (and push them to a registry every node can pull from, or build them on every node)', ...build] : []),
    ...(secretNames(e).length ? ['set -a; . ./.env; set +a   # the secret values, for the stack file to read'] : []),
    `docker stack deploy -c stack.yaml${build.length ? ' --resolve-image never' : ''} ${env.name}`,
    `curl -s http://<the node running haproxy>:${env.httpPort}/`,
    `docker stack rm ${env.name}`,
    '```',
    '',
    'How it runs:',
    '',
    ...bullet([
      ...groups.map(
        (g) =>
          `\`${g.service}\`: ${g.replicas} replica(s), \`endpoint_mode: dnsrr\`, updated one task at a time, the new one started first (\`docker service update --image … ${env.name}_${g.service}\`). HAProxy follows its tasks through Docker's DNS (\`server-template ${g.prefix} 1-${g.slots} tasks.${g.service}:${g.port}\`): scale it up to ${g.slots - 1} tasks without touching the config (\`docker service scale ${env.name}_${g.service}=N\`); every task gets the same weight. ${g.service === 'demo' ? 'A health check (busybox wget on `/health`) tells Swarm when a task is ready.' : "Swarm has no health check for it (nothing says what the image can run): HAProxy's own checks decide which tasks get traffic."}`,
      ),
      `\`haproxy\`: one task, its ports published on the node it runs on (\`mode: host\`), its config the Swarm config \`haproxy_cfg\` (from \`haproxy/haproxy.cfg\`). Sticky sessions use a cookie HAProxy derives from each task's address. Swarm configs cannot change: after editing haproxy.cfg, rename \`haproxy_cfg\` in stack.yaml and deploy again. To keep HAProxy on one node (where your DNS points), add a placement constraint.`,
    ]),
    '',
    ...secretsSection(env, '`docker stack deploy` reads no `.env` file: fill `.env`, load it into your shell (`set -a; . ./.env; set +a`), then deploy.'),
    ...(https
      ? [
          '## HTTPS',
          '',
          `HAProxy listens for HTTPS on port ${https.httpsPort} (${https.domains.join(', ')}) and reads its certificate from the Swarm secret \`site_pem\`, made from \`certs/site.pem\`: the certificate, its chain and its private key in one PEM file (\`cat fullchain.pem privkey.pem > certs/site.pem\`). No private key is ever exported: put yours there before deploying.`,
          '',
        ]
      : []),
    ...externalSection(env),
    ...switchyardAdds(),
  ].join('\n');
}

export function jpsReadme(env: Environment, facts: ExportFacts): string {
  const e = flatten(env);
  return [
    `# ${env.name}: a JPS manifest`,
    '',
    `Exported from Switchyard. ${summary(env).join('\n')}`,
    '',
    '## Install it',
    '',
    'In a Jelastic / Virtuozzo Application Platform dashboard: **Import** → **Local File** → `manifest.jps`, then fill in the form.',
    '',
    ...bullet([
      "**Domain** and **E-mail**: with a domain (pointed at the load balancer's public address first), the install obtains a Let's Encrypt certificate with certbot, through HAProxy, and switches HTTPS on (HTTP then redirects to it). Leave the domain empty for HTTP only.",
      ...secretNames(e).map((n) => `**${n}**: the value of the app's secret variable \`${n}\` (Switchyard never exports it).`),
    ]),
    '',
    'What it creates:',
    '',
    ...bullet([
      `\`bl\`: HAProxy (\`${env.images.haproxy}\`) with a public address, listening on 80 (and 443 with a certificate); its config is written by the install's \`configure\` action, the servers addressed by the nodes' internal addresses.`,
      ...demoServers(e).map((s) => `\`${s.name.replace(/-/g, '_')}\`: the demo backend ${s.name}, a page served by busybox (\`${env.images.demoBase}\`).`),
      ...(appServers(e).length
        ? [
            `the app's ${appServers(e).length} node(s), image \`${e.app?.source.kind === 'image' ? e.app.source.image : facts.appImage}\`${e.app?.source.kind === 'build' ? ' (built from a folder in Switchyard: push it to a registry the platform can pull from, and set that image in manifest.jps first)' : ''}.`,
          ]
        : []),
      "`certbot`: obtains the certificate and renews it twice a day when it is due (never forced, so Let's Encrypt's limits are safe), rebuilding `combined.pem` each time. HAProxy loads a renewed certificate when it restarts: run the manifest's `reloadCertificate` action after a renewal.",
    ]),
    '',
    ...externalSection(env),
    ...switchyardAdds(),
  ].join('\n');
}
