import { englishWith, type MessageParam, type MessageParams } from './messages';

/**
 * Errors that cross the core/renderer boundary. A code the UI can act on, a message a
 * person can read, and the field at fault when the input was the problem.
 */
export const errorCodes = [
  'VALIDATION',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'BUSY',
  'PORT_IN_USE',
  'OWNED_ELSEWHERE',
  'DOCKER_UNAVAILABLE',
  'IMAGE_MISSING',
  'IMAGE_PULL_DENIED',
  'REGISTRY_AUTH_FAILED',
  'IMAGE_BUILD_FAILED',
  'APP_TEST_FAILED',
  'RELEASE_ROLLED_BACK',
  'NOT_DEPLOYED',
  'INVALID_CONFIG',
  'CONTAINER_FAILED',
  'RUNTIME_API',
  'HOST_UNREACHABLE',
  'HOST_KEY_UNKNOWN',
  'HOST_KEY_CHANGED',
  'SSH_AUTH_FAILED',
  'CONNECTION_LOST',
  'DOCKER_ACCESS_DENIED',
  'HOST_NOT_READY',
  'NOT_A_CLUSTER',
  'CLUSTER_FAILED',
  'PREFLIGHT_FAILED',
  'CHALLENGE_FAILED',
  'CA_ERROR',
  'STORE_CORRUPT',
  'STORE_LOCKED',
  'STORE_TOO_NEW',
  'CANCELLED',
  'TIMEOUT',
  'UNKNOWN_CHANNEL',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** Dotted path of the input field at fault, e.g. `servers.0.name`. */
  field?: string;
  /** Extra words a person can act on (the underlying cause, a command's output). */
  detail?: string;
  /**
   * Which of the code's cases it is, when the code covers several (see `errorReasons`): with
   * `params`, the window says it in its own language instead of quoting `message`.
   */
  reason?: string;
  params?: MessageParams;
}

interface ErrorOptions {
  field?: string;
  detail?: string;
  cause?: unknown;
  reason?: string;
  params?: MessageParams;
}

export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly detail?: string;
  readonly reason?: string;
  readonly params?: MessageParams;

  constructor(code: ErrorCode, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SwitchyardError';
    this.code = code;
    this.field = opts.field;
    this.detail = opts.detail;
    this.reason = opts.reason;
    this.params = opts.params;
  }

  /**
   * An error of one of the cases in `errorReasons`: its English message is made from the
   * case's template (with `detail` where the template quotes it), so the CLI and the window
   * can never say two different things.
   */
  static because<C extends ReasonCode, R extends ReasonOf<C>>(code: C, reason: R, params: ReasonParams<C, R>, opts: Omit<ErrorOptions, 'reason' | 'params'> = {}): SwitchyardError {
    const message = englishError(code, reason, params as MessageParams, opts.detail);
    return new SwitchyardError(code, message, { ...opts, reason, params: params as MessageParams });
  }

  toInfo(): ErrorInfo {
    const info: ErrorInfo = { code: this.code, message: this.message };
    if (this.field !== undefined) info.field = this.field;
    if (this.detail !== undefined) info.detail = this.detail;
    if (this.reason !== undefined) info.reason = this.reason;
    if (this.params !== undefined) info.params = this.params;
    return info;
  }

  static fromInfo(info: ErrorInfo): SwitchyardError {
    return new SwitchyardError(info.code, info.message, { field: info.field, detail: info.detail, reason: info.reason, params: info.params });
  }
}

/**
 * The cases a code covers, each with the parameters it carries and its English (what the CLI
 * prints). `{detail}` in the English quotes the error's detail (a tool's own words, Docker's
 * for instance): the window shows that apart, under "Details", never in its own sentence.
 */
export const errorReasons = {
  VALIDATION: {
    portEnvironment: { params: ['port', 'holder'], english: 'Port {port} is already used by the environment "{holder}" on the same host: choose another port' },
    portContainer: { params: ['port', 'holder'], english: 'Port {port} is already in use on the host by the container {holder}: choose another port' },
    portProgram: { params: ['port'], english: 'Port {port} is already in use on the host by another program: choose another port' },
    portTwice: { params: ['port'], english: "Port {port} is already this environment's HTTP port: choose another port for HTTPS" },
    clusterServer: { params: ['env'], english: 'On a cluster, {env} runs one service: give it exactly one "demo" or "app" server' },
    sshNoAgent: {
      params: ['host'],
      english: 'No SSH agent is running for this app (SSH_AUTH_SOCK is not set): start one and add your key, or use a key file for {host}',
    },
    sshKeyUnreadable: { params: ['keyPath', 'errno'], english: 'Cannot read the private key {keyPath}: {errno}' },
    sshKeyPassphrase: { params: ['keyPath'], english: 'The private key {keyPath} is protected by a passphrase: enter it' },
    sshKeyWrongPassphrase: { params: ['keyPath'], english: 'The passphrase for {keyPath} is wrong' },
    sshKeyUnusable: { params: ['keyPath', 'said'], english: '{keyPath} is not a private key ssh can use: {said}' },
    lastServer: {
      params: ['env', 'server'],
      english: 'server: "{server}" is the last server of "{env}", and an environment needs at least one: add another first, or destroy the environment',
    },
    tooManyServers: { params: ['env', 'count'], english: 'server: "{env}" already has {count} servers, the most an environment can have' },
    externalServer: { params: ['server'], english: '"{server}" is an external server: Switchyard does not run its container' },
    noApp: { params: ['env'], english: 'app: "{env}" runs no app of its own; set one (an image or a build folder) first' },
    contextMissing: { params: ['context'], english: 'app.source.context: {context}: there is no such folder on this computer' },
    contextIsFile: { params: ['context'], english: 'app.source.context: {context}: it is a file, not a folder' },
    contextUnreadable: { params: ['context', 'said'], english: 'app.source.context: {context}: {said}' },
    noDockerfile: { params: ['context', 'dockerfile'], english: 'app.source.dockerfile: {context} has no {dockerfile}' },
    httpsNotSetUp: { params: [], english: 'https: HTTPS is not set up for this environment (domains, email, directory)' },
    httpsOff: { params: [], english: 'https.enabled: switch HTTPS on first' },
    placedElsewhere: { params: ['env', 'placed', 'host'], english: 'host: "{env}" is placed on "{placed}" in this Switchyard, not on "{host}"' },
    // Exports (compose project, Swarm stack, JPS manifest).
    exportDirNotEmpty: { params: ['dir'], english: 'dir: {dir} is not empty: choose a new folder, or an empty one. Nothing was written' },
    exportDirIsFile: { params: ['dir'], english: 'dir: {dir} is a file, not a folder. Nothing was written' },
    exportNoParent: { params: ['parent'], english: 'dir: the folder {parent} does not exist: create it first, or choose another place. Nothing was written' },
    exportZipExists: { params: ['zip'], english: 'dir: {zip} already exists: move it away, or choose another folder. Nothing was written' },
    exportDirUnwritable: { params: ['dir', 'said'], english: 'dir: cannot write in {dir} ({said}). Nothing was written' },
    // Backup and restore (electron/core/backup).
    backupMissing: { params: ['file'], english: 'file: there is no file {file}' },
    backupUnreadable: { params: ['file', 'errno'], english: 'file: {file} cannot be read ({errno})' },
    backupNotBackup: { params: ['file'], english: 'file: {file} is not a Switchyard backup' },
    backupDamaged: {
      params: ['file'],
      english: 'file: {file} is damaged or was changed after it was written (cut short, or bytes differ): it was refused, and nothing was changed',
    },
    backupInvalid: { params: ['file', 'problem'], english: 'file: {file} holds data this Switchyard cannot read ({problem}); nothing was changed' },
    backupPassphraseNeeded: { params: ['file'], english: 'passphrase: {file} is encrypted: give the passphrase it was made with' },
    backupWrongPassphrase: { params: ['file'], english: 'passphrase: this is not the passphrase {file} was made with; nothing was changed' },
    backupExists: { params: ['file'], english: 'file: {file} already exists and is not a Switchyard backup: choose another file' },
    backupNoFolder: { params: ['folder'], english: 'file: the folder {folder} does not exist' },
    backupUnwritable: { params: ['file', 'errno'], english: 'file: {file} cannot be written ({errno})' },
    restoreNotEmpty: {
      params: ['environments', 'hosts', 'registries'],
      english:
        'mode: this data folder is not empty (environments: {environments}, hosts: {hosts}, registry logins: {registries}): a replace restore only goes into an empty data folder. Restore as a merge, or into an empty data folder. Nothing was changed.',
    },
    // Clusters (Docker Swarm).
    swarmAlreadyIn: { params: ['host'], english: 'host: {host} is already in a Docker Swarm cluster: take it out first (switchyard cluster leave {host})' },
    swarmNotIn: { params: ['host'], english: 'host: {host} is not in a Docker Swarm cluster: there is nothing to leave' },
    managerNotManager: {
      params: ['manager'],
      english: 'manager: {manager} is not a manager of a Docker Swarm cluster: start one there first (switchyard cluster init {manager}), or name a host that manages one',
    },
    advertiseNeeded: {
      params: ['host'],
      english: 'advertiseAddress: Docker on {host} cannot tell which of its addresses the other nodes reach it at ({detail}): give that address (--advertise-addr)',
    },
    advertiseUnresolved: {
      params: ['host', 'address'],
      english: 'advertiseAddress: {address}, the address of {host}, does not resolve to an IPv4 address here: give the address the other nodes reach it at (--advertise-addr)',
    },
    leaveManager: { params: ['host'], english: 'force: Docker refuses to take {host}, a manager, out of its cluster ({detail}). Nothing was changed; leave with force to do it anyway' },
    nodeAmbiguous: { params: ['node', 'host'], english: 'node: more than one node of the cluster {host} manages matches "{node}": give its id' },
  },
  PORT_IN_USE: {
    container: {
      params: ['port', 'holder'],
      english: 'Port {port} is already in use by the container {holder}. Choose another HTTP port for this environment.',
    },
    program: { params: ['port'], english: 'Port {port} is already in use by another program. Choose another HTTP port for this environment.' },
    httpsContainer: {
      params: ['port', 'holder'],
      english: 'Port {port}, the HTTPS port of this environment, is already in use by the container {holder}. Choose another HTTPS port (HTTPS tab).',
    },
    httpsProgram: { params: ['port'], english: 'Port {port}, the HTTPS port of this environment, is already in use by another program. Choose another HTTPS port (HTTPS tab).' },
    noneFree: { params: ['from', 'to', 'host'], english: 'Every port from {from} to {to} is in use on {host}: create the environment with a port of your choice' },
    environment: { params: ['port', 'holder'], english: 'Port {port} is already used by the environment "{holder}" on the same host' },
    host: { params: ['port', 'host'], english: 'Port {port} is in use on {host}: choose another port, or stop what listens there (sudo ss -tlnp "sport = :{port}")' },
  },
  IMAGE_MISSING: {
    absent: { params: ['image', 'registry'], english: 'The image {image} is not on the host and could not be pulled: {registry} has no image {image}: check its name and tag.' },
    /** Docker Hub answers so both for a name that does not exist and for a private one. */
    absentOrPrivate: {
      params: ['image', 'registry'],
      english: 'The image {image} is not on the host and {registry} would not give it: check its name and tag; if it is private, log in to {registry} first (switchyard registry login {registry}).',
    },
    unreachable: {
      params: ['image', 'registry'],
      english:
        'The image {image} is not on the host and could not be pulled: {registry} could not be reached or failed: {detail}. Pull or load {image} on the host (docker pull {image}), check its name, or log in to {registry} if it is private.',
    },
    vanished: { params: ['image'], english: 'The image {image} was pulled but cannot be found' },
  },
  REGISTRY_AUTH_FAILED: {
    refused: {
      params: ['registry', 'user'],
      english: '{registry} refused the user name or password (token) of {user}: check them and log in again. Nothing was saved.',
    },
    unreachable: { params: ['registry'], english: '{registry} could not be reached to check the login: {detail}. Nothing was saved.' },
  },
  IMAGE_PULL_DENIED: {
    loginNeeded: {
      params: ['image', 'registry'],
      english: 'Pulling {image} was refused: {registry} wants a login. Log in first: switchyard registry login {registry}. Nothing was deployed.',
    },
    loginRefused: {
      params: ['image', 'registry'],
      english: 'Pulling {image} was refused: {registry} refused the login kept for it. Log in again: switchyard registry login {registry}. Nothing was deployed.',
    },
  },
  IMAGE_BUILD_FAILED: {
    app: { params: ['context'], english: 'Building the app from {context} failed: {detail}' },
    appAt: { params: ['context', 'step'], english: 'Building the app from {context} failed at step {step}: {detail}' },
    appVanished: { params: ['tag'], english: 'The app image {tag} was built but cannot be found' },
    build: {
      params: ['base'],
      english: 'Could not build the demo backend image from {base}: {detail}. Make sure {base} is on the host or can be pulled, or choose another base image (images.demoBase).',
    },
  },
  OWNED_ELSEWHERE: {
    owned: {
      params: ['env', 'installation', 'by'],
      english: '"{env}" on this host is managed by another Switchyard (installation {installation}, {by}). Nothing was changed. Adopt it to take it over.',
    },
  },
  PREFLIGHT_FAILED: {
    port: {
      params: ['findings', 'ca', 'port', 'listenPort'],
      english:
        "{findings} {ca} validates on port {port}, but this environment's HTTP port is {listenPort}: set the environment's HTTP port to {port}, or forward port {port} to {listenPort} (router, firewall).",
    },
    /** What each domain that failed its check showed, and what to do (`preflight.domain` messages). */
    domains: { params: ['problems'], english: '{problems}' },
  },
  /** The detail is the app's whole log; `lines` its last three, for the CLI. */
  APP_TEST_FAILED: {
    start: { params: ['lines'], english: 'The app did not start. Its last lines: {lines}' },
    crash: { params: ['exitCode', 'lines'], english: 'The app stopped right after starting (exit code {exitCode}). Its last lines: {lines}' },
    port: { params: ['lines'], english: 'The app did not answer HTTP on its container port. Its last lines: {lines}' },
    health: {
      params: ['path', 'status', 'expected', 'lines'],
      english: 'The app did not answer its health path as expected ({path} answered {status}, expected {expected}). Its last lines: {lines}',
    },
    deployUnhealthy: {
      params: ['env', 'checks', 'seconds', 'lines'],
      english:
        'Deployed, but no replica of the app in {env} passed its health check within {seconds} s ({checks}): fix the app ("app test" says which check fails) and deploy again. Its last lines: {lines}',
    },
    healthSilent: {
      params: ['path', 'expected', 'lines'],
      english: 'The app did not answer its health path as expected ({path} answered nothing, expected {expected}). Its last lines: {lines}',
    },
  },
  RUNTIME_API: {
    unreachable: { params: ['env', 'errno'], english: "HAProxy's runtime API for {env} is not reachable ({errno}). Is its container running?" },
    closed: { params: ['env'], english: "The connection to HAProxy's runtime API for {env} was closed" },
    notRunning: { params: ['env'], english: 'The load balancer of {env} is not running' },
    refused: { params: ['command'], english: 'HAProxy refused "{command}": {detail}' },
    serverState: { params: ['server'], english: 'HAProxy refused the state of {server}: {detail}' },
    acmeMapMissing: {
      params: ['verb', 'map'],
      english: 'HAProxy refused to {verb} an ACME challenge answer. HAProxy has no map {map}: its config must reference it (redeploy the environment).',
    },
  },
  CHALLENGE_FAILED: {
    /** The detail is what the CA said about each domain; `hint` is a `challenge.*` message. */
    validate: { params: ['ca', 'domains', 'hint'], english: '{ca} could not validate {domains}. {detail}. {hint}' },
  },
  /** `what` is a `ca.*` message, `cause` a `cause.*` one (the CA's own words in `cause.said`). */
  CA_ERROR: {
    ca: { params: ['ca', 'what', 'cause'], english: '{ca} {what}: {cause}' },
  },
  BUSY: {
    running: { params: ['env'], english: 'A deploy or destroy of "{env}" is already running; wait for it to finish' },
    hostLock: {
      params: ['installation', 'by', 'env', 'container'],
      english:
        'Another Switchyard (installation {installation}, {by}) is deploying or destroying "{env}" on this host. Try again when it is done; if nothing runs there any more, remove the container {container}.',
    },
    hostLockSince: {
      params: ['installation', 'by', 'env', 'since', 'container'],
      english:
        'Another Switchyard (installation {installation}, {by}) is deploying or destroying "{env}" on this host since {since}. Try again when it is done; if nothing runs there any more, remove the container {container}.',
    },
    hostLockContended: { params: ['env'], english: 'Could not lock "{env}" on the host: another process keeps taking the lock' },
    containersLeft: { params: ['env', 'count'], english: '"{env}" still has {count} containers; destroy it first' },
    clusterPlaced: {
      params: ['host', 'environments'],
      english: 'host: environments of this Switchyard are placed on {host} ({environments}): remove them first, or take {host} out of its cluster anyway with force',
    },
    hostInUse: {
      params: ['host'],
      english: 'Environments still run on "{host}": move or remove them first (if that server is gone for good, forget the host: its environments are forgotten with it)',
    },
  },
  NOT_FOUND: {
    environment: { params: ['env'], english: 'There is no environment named "{env}"' },
    server: { params: ['env', 'server'], english: '"{env}" has no server named "{server}"' },
    host: { params: ['host'], english: 'There is no host "{host}"' },
    node: { params: ['node', 'host'], english: 'node: the cluster {host} manages has no node "{node}"' },
    noContainer: { params: ['server', 'env'], english: '"{server}" has no container yet: deploy "{env}" first' },
    nothingToAdopt: { params: ['env', 'host'], english: 'There is no environment named "{env}" on {host} to adopt' },
    noSettings: {
      params: ['env', 'host'],
      english: '"{env}" on {host} carries no settings this Switchyard can read (an older version deployed it). Create an environment named "{env}" on this host with the same settings, then adopt it.',
    },
  },
  ALREADY_EXISTS: {
    environment: { params: ['env'], english: 'An environment named "{env}" already exists' },
    host: { params: ['host'], english: 'A host named "{host}" already exists' },
    server: { params: ['env', 'server'], english: 'server.name: "{env}" already has a server named "{server}"' },
  },
  HOST_KEY_UNKNOWN: {
    unknown: {
      params: ['host', 'address', 'port', 'algorithm', 'fingerprint'],
      english:
        'The host key of {host} ({address}:{port}) is not trusted yet: it presents {algorithm} {fingerprint}. Compare it with "ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub" on the server, then trust it.',
    },
  },
  HOST_KEY_CHANGED: {
    changed: {
      params: ['host', 'expected', 'presented'],
      english:
        'The host key changed for {host} (expected {expected}, got {presented}). Nothing was sent. If the server was reinstalled, check the new key on the server and trust it again; otherwise someone may be intercepting the connection.',
    },
  },
  CONNECTION_LOST: {
    lost: { params: ['host', 'address'], english: 'The SSH connection to {host} ({address}) was lost; the next request reconnects' },
  },
  HOST_UNREACHABLE: {
    refused: {
      params: ['host', 'where', 'port'],
      english: 'Cannot connect to {host} at {where}: connection refused. Nothing listens on port {port}: is the SSH server running, and is {port} its port?',
    },
    noRoute: { params: ['host', 'where'], english: 'Cannot connect to {host} at {where}: no route to the host. Is the address right, and is the host up?' },
    reset: {
      params: ['host', 'where'],
      english: 'Cannot connect to {host} at {where}: the connection was reset. A firewall or the SSH server (MaxStartups, AllowUsers, fail2ban) may be refusing this client.',
    },
    closed: {
      params: ['host', 'where'],
      english: 'Cannot connect to {host} at {where}: the server closed the connection before the SSH handshake. Is this port an SSH server, and does it accept this client?',
    },
    unresolved: { params: ['host', 'address'], english: 'The host name {address} of {host} cannot be resolved: check the address' },
  },
  SSH_AUTH_FAILED: {
    password: {
      params: ['user', 'host'],
      english: 'The server refused the password for user "{user}" on {host}: the password is wrong, the user does not exist there, or password logins are disabled (PasswordAuthentication no)',
    },
    key: {
      params: ['keyPath', 'user', 'host'],
      english: 'The server refused the key {keyPath} for user "{user}" on {host}: the user does not exist there, or the matching public key is not in its ~/.ssh/authorized_keys',
    },
    agent: {
      params: ['user', 'host'],
      english: 'The server accepted none of the SSH agent\'s keys for user "{user}" on {host}: the user does not exist there, or none of the agent\'s keys is in its ~/.ssh/authorized_keys',
    },
  },
  DOCKER_ACCESS_DENIED: {
    socket: {
      params: ['user', 'host', 'socket'],
      english: 'The user "{user}" may not use Docker on {host}: it is not in the docker group ({socket} refused it). Run "sudo usermod -aG docker {user}" on {host}, then reconnect.',
    },
    notInGroup: {
      params: ['user', 'host'],
      english: 'The user "{user}" may not use Docker on {host}: it is not in the docker group. Run "sudo usermod -aG docker {user}" on {host}, then run the checks again (Switchyard reconnects)',
    },
    reconnected: { params: ['user'], english: '{user} was added to the docker group after this connection was made: run the checks again (Switchyard has reconnected)' },
  },
  HOST_NOT_READY: {
    architecture: { params: ['arch'], english: '{arch}: the official HAProxy image is not published for this architecture; set a compatible image per environment' },
    diskUnknown: { params: ['host', 'said'], english: 'Cannot tell the free space on {host}: {said}' },
    /** `space` is a `check.diskFree*` message. */
    diskLow: { params: ['space'], english: 'Only {space}: free at least 2 GB for images and logs (docker system prune)' },
  },
  NOT_A_CLUSTER: {
    inactive: { params: ['host'], english: '{host} is not in a Docker Swarm cluster: start one with switchyard cluster init {host}' },
    worker: {
      params: ['host', 'manager'],
      english:
        '{host} is a worker of a Docker Swarm cluster (its manager is at {manager}), not a manager: use a host whose engine manages the cluster, or take {host} out (switchyard cluster leave {host}) and start one with switchyard cluster init {host}',
    },
    unavailable: {
      params: ['host', 'state'],
      english:
        'The engine of {host} is not an active manager of a Docker Swarm cluster (its swarm state is {state}): repair or unlock it on {host}, or start a cluster with switchyard cluster init {host}',
    },
  },
  CLUSTER_FAILED: {
    init: { params: ['host'], english: 'Docker on {host} could not start a cluster: {detail}' },
    join: {
      params: ['host', 'manager', 'address'],
      english: 'Docker on {host} could not join the cluster of {manager} (at {address}): {detail}. The nodes must reach each other on TCP port 2377, TCP and UDP port 7946 and UDP port 4789.',
    },
    leave: { params: ['host'], english: 'Docker on {host} could not leave its cluster: {detail}' },
    availability: { params: ['node', 'host'], english: 'The cluster {host} manages could not change the availability of {node}: {detail}' },
    unreadable: { params: ['host'], english: 'The cluster {host} manages could not be read: {detail}' },
    problems: { params: ['host', 'problems'], english: 'The cluster of {host} has problems: {problems}' },
    task: { params: ['service', 'reason'], english: 'A task of {service} failed on the cluster: {reason}' },
    taskPending: { params: ['service', 'reason'], english: 'No node of the cluster can run a task of {service}: {reason}' },
    imageCopy: { params: ['image', 'node'], english: 'Could not copy the image {image} to the node {node}: {detail}' },
    lbNode: {
      params: ['node', 'host'],
      english:
        "The load balancer's node {node} is not a node of the cluster {host} manages that Switchyard reaches: add that machine as a host (or leave the load balancer's node empty to run it on {host})",
    },
    tasks: { params: ['service', 'running', 'replicas', 'seconds'], english: 'Only {running} of {replicas} tasks of {service} run after {seconds} s' },
    update: { params: ['service', 'state', 'message'], english: 'Swarm stopped the rolling update of {service} ({state}): {message}. The previous tasks serve.' },
    serviceUpdate: { params: ['service', 'seconds'], english: 'The rolling update of {service} did not end within {seconds} s' },
  },
  DOCKER_UNAVAILABLE: {
    engine: { params: ['doing', 'errno'], english: 'Cannot reach the Docker engine while {doing} ({errno}): is Docker running?' },
    denied: { params: ['doing', 'errno'], english: 'Cannot reach the Docker engine while {doing} ({errno}): your user may not be allowed to use Docker' },
    forwarding: {
      params: ['host', 'what', 'user'],
      english: 'The SSH server of {host} does not allow forwarding to {what}: set AllowTcpForwarding and AllowStreamLocalForwarding to yes (or local) for "{user}" in sshd_config',
    },
    channel: { params: ['host', 'what', 'said'], english: '{host} could not open {what}: {said}' },
    socketRefused: { params: ['host', 'socket'], english: 'Docker on {host} does not accept connections on {socket}: is it running? ("sudo systemctl start docker")' },
    socketMissing: {
      params: ['host', 'socket'],
      english:
        'Docker is not installed or not running on {host}: {socket} does not exist. Install Docker Engine (Debian/Ubuntu: "sudo apt-get install docker.io") and start it ("sudo systemctl enable --now docker").',
    },
    stopped: { params: ['host', 'cli'], english: 'Docker is installed ({cli}) but not running on {host}: start it with "sudo systemctl enable --now docker"' },
    absent: { params: ['host'], english: 'Docker is not installed on {host}: install Docker Engine (Debian/Ubuntu: "sudo apt-get install docker.io") and start it' },
    tooOld: { params: ['version', 'minimum'], english: 'Docker {version} is too old: Switchyard needs Docker {minimum} or newer' },
    noAnswer: { params: ['host', 'said'], english: 'Docker does not answer on {host}: {said}' },
  },
  CONTAINER_FAILED: {
    start: { params: [], english: 'The load balancer container did not start: {detail}' },
    exited: { params: ['exitCode', 'log'], english: 'HAProxy stopped right after starting (exit code {exitCode}). Its log: {log}' },
  },
  INVALID_CONFIG: {
    haproxy: { params: ['alerts'], english: 'HAProxy refused the new configuration, so the running one was kept: {alerts}' },
  },
  CANCELLED: {
    trafficStopped: { params: ['requests', 'elapsed'], english: 'Stopped after {requests} requests in {elapsed} ms' },
    order: { params: ['domains'], english: 'The certificate order for {domains} was cancelled' },
    task: { params: ['kind', 'target'], english: 'The {kind} of {target} was cancelled' },
  },
  TIMEOUT: {
    http: { params: ['port'], english: 'The load balancer does not answer on port {port}: {detail}' },
    ca: { params: ['ca', 'what', 'cause'], english: '{ca} {what}: {cause}' },
    sshHandshake: {
      params: ['host', 'where', 'seconds'],
      english: '{host} ({where}) did not complete an SSH handshake within {seconds} s: the host may be down, a firewall may drop the connection, or this port is not SSH',
    },
    sshConnect: { params: ['host', 'where'], english: 'Connecting to {host} at {where} timed out: the host may be down or a firewall drops the connection' },
    sshCommand: { params: ['command', 'host', 'seconds'], english: '"{command}" on {host} did not finish within {seconds} s' },
    runtimeApi: { params: ['env', 'command', 'ms'], english: 'HAProxy\'s runtime API for {env} did not answer "{command}" within {ms} ms' },
    haproxyStart: { params: ['env', 'seconds'], english: 'HAProxy for {env} did not answer on its runtime API within {seconds} s' },
    haproxyReload: { params: ['env', 'seconds'], english: 'HAProxy for {env} did not finish reloading within {seconds} s' },
  },
  INTERNAL: {
    docker: { params: ['doing'], english: 'Docker failed while {doing}: {detail}' },
    ssh: { params: ['host', 'where', 'said'], english: 'SSH connection to {host} at {where} failed: {said}' },
  },
  STORE_TOO_NEW: {
    backupFormat: {
      params: ['file', 'format', 'supported'],
      english: '{file} was written by a newer Switchyard (backup format {format}; this one reads up to {supported}): update Switchyard to restore it. Nothing was changed.',
    },
    backupData: {
      params: ['file', 'version', 'supported'],
      english: '{file} holds data from a newer Switchyard (data version {version}; this one reads up to {supported}): update Switchyard to restore it. Nothing was changed.',
    },
  },
  RELEASE_ROLLED_BACK: {
    exited: {
      params: ['number', 'server', 'exitCode'],
      english: 'Release {number} was rolled back: the new container of {server} stopped (exit code {exitCode}) before it passed its health check. The previous release is serving.',
    },
    unhealthy: {
      params: ['number', 'server', 'ms', 'check'],
      english: 'Release {number} was rolled back: the new container of {server} did not pass its health check within {ms} ms ({check}). The previous release is serving.',
    },
    down: { params: ['number', 'server', 'check'], english: 'Release {number} was rolled back: {server} went DOWN on the new release ({check}). The previous release is serving.' },
    errors: {
      params: ['number', 'server', 'errors', 'answers', 'percent'],
      english: 'Release {number} was rolled back: {server} answered {errors} errors in {answers} requests on the new release (more than {percent} %). The previous release is serving.',
    },
    cancelled: { params: ['number'], english: 'Release {number} was cancelled and rolled back. The previous release is serving.' },
    failed: { params: ['number'], english: 'Release {number} was rolled back: {detail}. The previous release is serving.' },
  },
} as const satisfies Partial<Record<ErrorCode, Record<string, { params: readonly string[]; english: string }>>>;

export type ReasonCode = keyof typeof errorReasons;
export type ReasonOf<C extends ReasonCode> = keyof (typeof errorReasons)[C] & string;
type ReasonEntry<C extends ReasonCode, R extends ReasonOf<C>> = (typeof errorReasons)[C][R] extends { params: readonly (infer P extends string)[] } ? P : never;
export type ReasonParams<C extends ReasonCode, R extends ReasonOf<C>> = { [K in ReasonEntry<C, R>]: MessageParam };

/** Every (code, reason) pair the core can send: what the window must have words for. */
export const errorReasonKeys: { code: ReasonCode; reason: string; params: readonly string[]; english: string }[] = Object.entries(errorReasons).flatMap(([code, cases]) =>
  Object.entries(cases as Record<string, { params: readonly string[]; english: string }>).map(([reason, c]) => ({ code: code as ReasonCode, reason, ...c })),
);

/** The English of one case, as the CLI prints it. */
export function englishError(code: ReasonCode, reason: string, params: MessageParams, detail?: string): string {
  const entry = (errorReasons[code] as Record<string, { english: string }>)[reason];
  if (!entry) throw new Error(`No English for ${code}/${reason}`);
  return englishWith(entry.english, detail === undefined ? params : { ...params, detail });
}

/**
 * A detail that is a machine-readable word for the window to act on (`ssh-auth-failed`,
 * `host-key-unknown SHA256:… ssh-ed25519`), not words for a person: never shown as Details.
 */
export function isMachineDetail(detail: string): boolean {
  return /^[a-z]+(?:-[a-z0-9]+)+(?: |$)/.test(detail);
}

/** Any thrown value as an ErrorInfo; unknown failures become INTERNAL with their message kept. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof SwitchyardError) return err.toInfo();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}

export type Envelope<T> = { ok: true; result: T } | { ok: false; error: ErrorInfo };
