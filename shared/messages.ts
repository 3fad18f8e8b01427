/**
 * What the core tells a person (task steps, notes, results) crosses as a stable code plus
 * parameters. The window words it in its own language (renderer/i18n, `messages.<code>`); the
 * CLI and the logs print the English below, which is what `message` carries beside the code.
 * This file is the one list of codes: a test fails when the window has no words for one.
 */

/** A quantity: the window formats it in its language (73 033), the English prints it as is. */
export interface CountParam {
  count: number;
}
/** A duration in milliseconds: the window picks the unit (1 min 30 s), the English prints the number. */
export interface DurationParam {
  ms: number;
}
/** An instant (ISO 8601): the window formats it, the English prints it as is. */
export interface DateParam {
  date: string;
}
/** A size in bytes: the window picks its unit's word (MB, Mo); the English prints megabytes to one decimal. */
export interface BytesParam {
  bytes: number;
}
/** A task step's name (`images`, `haproxy`, …): the window uses its own word for it. */
export interface StepParam {
  step: string;
}
/** A number with a fraction (free gigabytes): the window writes it in its language (1,5), the English to one decimal. */
export interface DecimalParam {
  decimal: number;
}
/** Whole sentences, one after the other (a list of messages is joined by commas, these by a space). */
export interface SentencesParam {
  sentences: Message[];
}

/**
 * Plain strings and numbers (names, ports, statuses) are shown as they are; a nested message,
 * or a list of them (joined with commas), is worded in the same language as the whole.
 */
export type MessageParam = string | number | CountParam | DurationParam | DateParam | BytesParam | StepParam | DecimalParam | SentencesParam | Message | Message[];
export type MessageParams = Record<string, MessageParam>;

export interface Message {
  code: MessageCode;
  params?: MessageParams;
}

/**
 * Every code with its English. `{name}` is a parameter; `a | b | c` is a plural chosen by the
 * parameter `n` (zero | one | more, as the window's i18n library chooses).
 */
export const messageTemplates = {
  // Deploy: steps, notes and the summary.
  'deploy.images': 'Checking images',
  'deploy.ports': 'Checking that port {port} is free',
  'deploy.network': 'Preparing networks and volume',
  'deploy.config': 'Rendering and checking the HAProxy configuration',
  'deploy.backends': 'Starting backend containers',
  'deploy.haproxy': 'Load balancer: {action}',
  'deploy.haproxyUnchanged': 'Load balancer is up to date',
  'deploy.cleanup': 'Removing what the environment no longer has',
  'deploy.verify': 'Waiting for {url} to answer',
  'deploy.appHealth': 'Waiting for a replica of the app to pass its health check ({check})',
  'deploy.up': '{env} is up at {url} (HTTP {status}; {changes})',
  'deploy.upUnchanged': '{env} is up at {url} (HTTP {status}; nothing to change)',
  // What a deploy changed, listed in its summary.
  'change.createdVolume': 'created volume {name}',
  'change.createdNetwork': 'created network {name}',
  'change.created': 'created {name}',
  'change.recreated': 'recreated {name}',
  'change.started': 'started {name}',
  'change.reloaded': 'reloaded {name}',
  'change.removed': 'removed {name}',
  'change.claimed': 'claimed for this Switchyard',
  'change.takenOver': 'taken over from {by}',
  'change.serviceCreated': 'created service {name} ({replicas} tasks)',
  'change.serviceUpdated': 'updated service {name} one task at a time ({replicas} tasks)',
  'change.serviceScaled': 'scaled service {name} to {replicas} tasks',
  'deploy.service': 'Starting the service {name} on the cluster ({replicas} tasks)',
  'deploy.copyImage': 'Copying {image} to the node {node}',
  // What a deploy does to a container (the plan, and the load balancer step).
  'action.create': 'create',
  'action.recreate': 'recreate',
  'action.restart': 'restart',
  'action.reload': 'reload',
  'action.start': 'start',
  'action.unchanged': 'unchanged',
  'action.remove': 'remove',
  // Images, as notes of the images step. Build output is the tool's own text.
  'image.pulling': 'pulling {image}',
  'image.pullingAs': 'pulling {image} as {user}',
  'image.pullLayers': 'pulling {image}: {done} of {layers} layers',
  'image.pullBytes': 'pulling {image}: {done} of {layers} layers, {current} of {total} MB',
  'image.building': 'building {tag} from {base}',
  'image.output': '{line}',
  // Testing the app in a throwaway container.
  'app.testing': 'Trying the app in a throwaway container (port {port})',
  'app.tested': 'The app started, stayed up and answered on port {port}',
  // Releases.
  'release.baseline': 'Recording what runs now as release {number}',
  'release.batch': 'Replacing {servers}',
  'release.rollingBack': 'Rolling back: {cause}',
  'release.cleanup': 'Removing the previous release’s containers',
  'release.rollbackTrouble': 'Could not put {server} back: {detail}',
  'release.done': 'Release {number} of {env} is out: {servers} replaced in {elapsed} ms, {failed} failed requests',
  'release.unchanged': '{env} already runs this app: nothing to replace',
  'release.rollback': 'Going back to release {to}',
  // Destroy.
  'destroy.containers': 'Removing containers',
  'destroy.networks': 'Removing networks',
  'destroy.volumes': 'Removing volumes',
  'destroy.done': '{env} destroyed: {containers}, {networks}, {volumes} removed',
  'count.containers': '{n} containers | {n} container | {n} containers',
  'count.networks': '{n} networks | {n} network | {n} networks',
  'count.volumes': '{n} volumes | {n} volume | {n} volumes',
  // Adoption.
  'adopt.claim': 'Finding who manages {env} on {host}',
  'adopt.alreadyHere': '{env} is already managed by this Switchyard',
  // Certificates.
  'https.prepare': 'Making sure the load balancer answers ACME challenges',
  'https.preflight': 'Checking that {domains} reach this load balancer on port {port}, as {ca} will',
  'https.order': 'Ordering a certificate from {ca}',
  'https.challenge': 'Proving control of {domains} to {ca}',
  'https.finalize': 'Collecting the certificate from {ca}',
  'https.install': 'Installing the certificate',
  'https.verify': 'Checking the certificate served on port {port}',
  'https.done': 'HTTPS on for {domains} with certificate {serial}, valid until {until}',
  // Traffic.
  'traffic.sending': 'Sending requests',
  'traffic.progress': '{answered} answered, {failed} failed',
  'traffic.done': '{requests} requests in {elapsed} ms: {failed} failed; {split}; p50 {p50} ms, p99 {p99} ms',
  'traffic.served': '{server} {n}',
  'traffic.noneAnswered': 'no server answered',
  // A task run inside another (the deploy a certificate order makes): its steps become notes.
  'task.nested': '{step}: {text}',
  // What a certificate authority failed at ("Let's Encrypt" goes before), and why.
  'ca.unreachable': 'could not be reached',
  'ca.notDirectory': 'is not an ACME directory at this URL',
  'ca.account': 'could not create an account for {email}',
  'ca.order': 'refused an order for {domains}',
  'ca.issue': 'did not issue the certificate for {domains}',
  'ca.uncovered': 'issued a certificate that does not cover every name',
  'cause.refused': 'connection refused',
  'cause.hostNotFound': 'host not found',
  'cause.timedOut': 'timed out',
  'cause.reset': 'connection reset',
  'cause.dns': 'DNS lookup failed',
  'cause.selfSigned': 'its TLS certificate is self-signed (add its CA bundle)',
  'cause.untrusted': 'its TLS certificate is not trusted (add its CA bundle)',
  'cause.expired': 'its TLS certificate has expired',
  'cause.network': 'the connection failed (network error)',
  'cause.http': 'HTTP {status}',
  'cause.missing': 'missing {names}',
  'cause.none': 'no reason given',
  // The certificate authority's own words, quoted.
  'cause.said': '{text}',
  // Why a certificate authority could not validate a domain: what to do.
  'challenge.noHttp01': 'This certificate authority cannot validate over HTTP; choose another directory.',
  'challenge.dns': 'Add a DNS A (or AAAA) record for {domain} pointing at this load balancer.',
  'challenge.unreachable': 'Make sure {domain} points at this load balancer and its HTTP port is reachable from the internet.',
  'challenge.otherServer': 'Another web server answered for {domain}: point the domain at this load balancer.',
  'challenge.check': 'Check that {domain} points at this load balancer and its HTTP port is reachable.',
  // The check of each domain before an order: what was found, and what to do.
  'preflight.domain': '{domain}: {problem}. {fix}',
  'preflight.found': '{domain}: {problem}.',
  'preflight.noAddress': 'the name does not resolve to any address',
  'preflight.dnsFailed': 'the DNS lookup failed ({code})',
  'preflight.probe': '{url} (at {at}) {problem}',
  'preflight.timeout': 'did not answer within {seconds} s',
  'preflight.refused': 'refused the connection: nothing listens on port {port} there',
  'preflight.unreachable': 'could not be reached ({code})',
  'preflight.redirect': 'answered with a redirect ({status}) instead of the challenge',
  'preflight.redirectTo': 'answered with a redirect ({status} to {location}) instead of the challenge',
  'preflight.wrongAnswer': 'answered status {status} without the challenge answer',
  'preflight.fixDns': "Add a DNS A (or AAAA) record for {domain} pointing at this load balancer's public address.",
  'preflight.fixResolver': 'Check the DNS servers this computer uses, then try again.',
  'preflight.fixFirewall': 'Check that port {port} is open to the internet (firewall, router port forwarding) and reaches the load balancer.',
  'preflight.fixPublish': "Publish the load balancer's HTTP port as {port} on that address, or point the domain at the machine that runs it.",
  'preflight.fixReach': 'Check that port {port} is open to the internet and reaches the load balancer.',
  'preflight.fixRedirect': 'The load balancer must answer /.well-known/acme-challenge/ before redirecting HTTP to HTTPS: redeploy the environment with HTTPS enabled.',
  'preflight.fixOtherServer': 'Another web server answers for this name, or the load balancer does not serve ACME challenges yet: point the domain at this load balancer and redeploy the environment.',
  // A host's checks that passed (a failed one is an error, worded as one).
  'check.sshAnswers': 'The SSH server of {host} answers',
  'check.keyMatches': 'The host key matches the trusted one',
  'check.keyMatchesFingerprint': 'The host key matches the trusted one ({fingerprint})',
  'check.loggedIn': 'Logged in as {user}',
  'check.architecture': '{arch} ({platform}): HAProxy and BusyBox images exist for it',
  'check.dockerInstalled': 'Docker is installed',
  'check.dockerInstalledAt': 'Docker is installed ({cli})',
  'check.docker': 'Docker {version} (API {api})',
  'check.dockerAccess': '{user} may use Docker',
  'check.diskFree': '{free} GB free on {mount}',
  'check.diskFreeDocker': "{free} GB free on {mount} (Docker's data is in {dockerDir})",
  'check.portFree': 'Port {port} is free',
  'check.skipped': 'Not checked: an earlier check failed',
  'check.portSkipped': 'Port {port}: not checked',
  'check.swarmNone': 'Not in a Docker Swarm cluster',
  'check.swarmPending': 'Joining a Docker Swarm cluster',
  'check.swarmManager':
    'Manager of a Docker Swarm cluster of {n} nodes, {ready} ready | Manager of a Docker Swarm cluster of {n} node, {ready} ready | Manager of a Docker Swarm cluster of {n} nodes, {ready} ready',
  'check.swarmWorker': 'Worker of a Docker Swarm cluster (its manager is at {manager})',
  // What is wrong with a cluster (a host's swarm check, the cluster section of a host).
  'clusterProblem.nodeNotReady': 'node {node} ({address}) is not ready: {state}',
  'clusterProblem.managerUnreachable': 'manager {node} ({address}) cannot be reached by the other managers',
  'clusterProblem.noQuorum': 'only {reachable} of {managers} managers can be reached: without more than half, the cluster can change nothing (no deploy, scaling or drain)',
  'clusterProblem.noLeader': 'the cluster has no leader: too few of its managers are online',
  'clusterProblem.error': 'the engine reports a cluster error: {error}',
  'clusterProblem.locked': 'the cluster is locked: unlock it on {host} (docker swarm unlock)',
  // Config history: what a version changed from the one before it (one line), and a deploy's note.
  'history.changes': '{changes}',
  'history.first': 'first version',
  'history.oldest': 'oldest version kept',
  'history.balance': 'balance {from} → {to}',
  'history.port': 'HTTP port {from} → {to}',
  'history.serversAdded': 'servers added: {names}',
  'history.serversRemoved': 'servers removed: {names}',
  'history.serversChanged': 'servers changed: {names}',
  'history.stickyOn': 'sticky sessions on',
  'history.stickyOff': 'sticky sessions off',
  'history.sticky': 'sticky cookie changed',
  'history.redispatch': 'redispatch {to}',
  'history.retries': 'retries {from} → {to}',
  'history.healthCheck': 'health check changed',
  'history.timeouts': 'timeouts changed',
  'history.images': 'images changed',
  'history.httpsOn': 'HTTPS on',
  'history.httpsOff': 'HTTPS off',
  'history.https': 'HTTPS settings changed',
  'history.app': 'app changed',
  'history.configOnly': 'configuration only (no setting changed)',
  'history.on': 'on',
  'history.off': 'off',
  'history.notRecorded': 'The configuration deployed could not be added to the history: {reason}',
} as const;

export type MessageCode = keyof typeof messageTemplates;
export const messageCodes = Object.keys(messageTemplates) as MessageCode[];

/** The names between braces in a template, as a type. */
export type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;
export type ParamsOf<C extends MessageCode> = { [K in Placeholders<(typeof messageTemplates)[C]>]: MessageParam };

/** A message; its parameters are checked against the template's placeholders. */
export function msg<C extends MessageCode>(code: C, ...params: [Placeholders<(typeof messageTemplates)[C]>] extends [never] ? [] : [ParamsOf<C>]): Message {
  return params.length ? { code, params: params[0] } : { code };
}

export function isMessageCode(code: unknown): code is MessageCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(messageTemplates, code);
}

/** The parameter that chooses a plural, as a number (a count, or a plain number). */
export function pluralOf(params: MessageParams | undefined): number | undefined {
  const n = params?.n;
  if (typeof n === 'number') return n;
  if (n && typeof n === 'object' && 'count' in n) return n.count;
  return undefined;
}

/** Which of a plural's forms `n` takes: the rule of the window's i18n library (vue-i18n), so both agree. */
export function pluralIndex(n: number, forms: number): number {
  const choice = Math.abs(n);
  if (forms === 2) return choice === 1 ? 0 : 1;
  return Math.min(choice, forms - 1, 2);
}

/** Fills `{name}` placeholders (choosing a plural form first); an unknown placeholder stays as it is. */
export function fill(template: string, params: MessageParams, word: (p: MessageParam) => string): string {
  const forms = template.split(' | ');
  const n = pluralOf(params);
  const chosen = forms.length > 1 ? forms[pluralIndex(n ?? 0, forms.length)] : template;
  return chosen.replace(/\{(\w+)\}/g, (whole, key: string) => (Object.prototype.hasOwnProperty.call(params, key) ? word(params[key]) : whole));
}

function englishParam(p: MessageParam): string {
  if (typeof p === 'string') return p;
  if (typeof p === 'number') return String(p);
  if (Array.isArray(p)) return p.map(english).join(', ');
  if ('code' in p) return english(p);
  if ('count' in p) return String(p.count);
  if ('ms' in p) return String(p.ms);
  if ('date' in p) return p.date;
  if ('bytes' in p) return (p.bytes / 1e6).toFixed(1);
  if ('decimal' in p) return p.decimal.toFixed(1);
  if ('sentences' in p) return p.sentences.map(english).join(' ');
  return p.step;
}

/** A message in English: what the CLI prints and what `message` carries. An unknown code reads as itself. */
export function english(m: Message): string {
  const template: string | undefined = isMessageCode(m.code) ? messageTemplates[m.code] : undefined;
  return fill(template ?? m.code, m.params ?? {}, englishParam);
}

/** Fills an English template with the same rules as task messages (for error texts). */
export function englishWith(template: string, params: MessageParams): string {
  return fill(template, params, englishParam);
}
