import { SwitchyardError, type ErrorCode, type ReasonCode, type ReasonOf, type ReasonParams } from '../../../shared/errors';
import { english, msg, type Message } from '../../../shared/messages';
import { parseHostKeyDetail, type HostCheckName, type HostCheckResult } from '../../../shared/hosts';
import type { SshDockerTarget } from '../targets/ssh-target';
import { dockerWords, isManager, isNoLeader, managerAddressOf, problemMessages, swarmState, type DockerNode, type SwarmInfo } from '../clusters/cluster-facts';

export type { HostCheckName, HostCheckResult };

/** Below this, pulling HAProxy and building the demo image may fill the disk. */
export const MIN_FREE_BYTES = 2 * 1024 ** 3;
/** Engines older than this lack API features the deployer uses (API 1.41). */
const MIN_DOCKER_MAJOR = 20;
const ARCHITECTURES: Record<string, string> = {
  x86_64: 'amd64',
  aarch64: 'arm64',
  arm64: 'arm64',
  armv7l: 'arm/v7',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  i686: '386',
};

const FACTS_SCRIPT = (sock: string) => `
echo "arch=$(uname -m)"
if [ ! -S ${sock} ]; then echo "sock=missing"; elif [ -r ${sock} ] && [ -w ${sock} ]; then echo "sock=usable"; else echo "sock=denied"; fi
echo "cli=$(command -v docker)"
echo "groups=$(id -nG)"
echo "dbgroups=$(id -nG "$(id -un)" 2>/dev/null)"
`;

const ORDER: HostCheckName[] = ['reachable', 'host-key', 'authenticated', 'docker', 'docker-access', 'architecture', 'disk', 'swarm'];

/** The code of a failed check when no error was thrown to give one. */
const CODE_OF: Record<HostCheckName, ErrorCode> = {
  reachable: 'HOST_UNREACHABLE',
  'host-key': 'HOST_KEY_UNKNOWN',
  authenticated: 'SSH_AUTH_FAILED',
  docker: 'DOCKER_UNAVAILABLE',
  'docker-access': 'DOCKER_ACCESS_DENIED',
  architecture: 'HOST_NOT_READY',
  disk: 'HOST_NOT_READY',
  swarm: 'CLUSTER_FAILED',
  port: 'PORT_IN_USE',
};

/**
 * Everything a host needs before a deploy, each with a message a user can act on. Runs the
 * checks in order and marks the ones that depend on a failed one as skipped.
 */
export async function checkHost(target: SshDockerTarget, opts: { ports?: number[] } = {}): Promise<HostCheckResult[]> {
  const user = target.user;
  const results: HostCheckResult[] = [];
  const add = (check: HostCheckName, ok: boolean, message: string, extra: Partial<HostCheckResult> = {}) =>
    results.push({ check, ok, message, ...extra, ...(ok || extra.skipped ? {} : { code: extra.code ?? CODE_OF[check] }) });
  /** A check that passed (or was skipped), its message as a code for the window and in English. */
  const pass = (check: HostCheckName, text: Message, extra: Partial<HostCheckResult> = {}) => add(check, !extra.skipped, english(text), { ...extra, text });
  /** A check that failed for a cause the check itself found: worded as the error a call would get. */
  const fail = <C extends ReasonCode, R extends ReasonOf<C>>(check: HostCheckName, code: C, reason: R, params: ReasonParams<C, R>, extra: Partial<HostCheckResult> = {}) => {
    const e = SwitchyardError.because(code, reason, params);
    add(check, false, e.message, { ...extra, code: e.code, reason, params: e.params });
  };
  /** A check that failed with an error a call threw: its words, and its case when it has one. */
  const failWith = (check: HostCheckName, e: SwitchyardError, message = e.message, extra: Partial<HostCheckResult> = {}) =>
    add(check, false, message, { detail: e.detail, code: e.code, ...(e.reason === undefined ? {} : { reason: e.reason, params: e.params }), ...extra });
  const finish = () => {
    for (const check of ORDER) if (!results.some((r) => r.check === check)) pass(check, msg('check.skipped'), { skipped: true });
    for (const port of opts.ports ?? []) if (!results.some((r) => r.port === port)) pass('port', msg('check.portSkipped', { port }), { skipped: true, port });
    return results.sort((a, b) => rank(a) - rank(b));
  };
  const conn = target.connection;
  const where = `${target.hostId}`;

  try {
    await conn.connect();
  } catch (err) {
    const e = err instanceof SwitchyardError ? err : new SwitchyardError('INTERNAL', (err as Error).message ?? String(err));
    const keyProblem = parseHostKeyDetail(e.detail);
    if (keyProblem || e.detail === 'ssh-auth-failed') pass('reachable', msg('check.sshAnswers', { host: where }));
    if (keyProblem) failWith('host-key', e, e.message, { hostKey: keyProblem });
    else if (e.detail === 'ssh-auth-failed') {
      pass('host-key', msg('check.keyMatches'));
      failWith('authenticated', e);
    } else if (e.field === 'auth' || e.field?.startsWith('auth.')) {
      pass('reachable', msg('check.sshAnswers', { host: where }));
      pass('host-key', msg('check.keyMatches'));
      failWith('authenticated', e);
    } else failWith('reachable', e);
    return finish();
  }
  pass('reachable', msg('check.sshAnswers', { host: where }));
  pass('host-key', msg('check.keyMatchesFingerprint', { fingerprint: `${conn.presentedHostKey?.fingerprint}` }));
  pass('authenticated', msg('check.loggedIn', { user }));

  const facts = parseFacts((await conn.exec('sh -s', { input: FACTS_SCRIPT(target.socketPath) })).stdout);

  const arch = facts.arch ?? 'unknown';
  if (ARCHITECTURES[arch]) pass('architecture', msg('check.architecture', { arch, platform: ARCHITECTURES[arch] }));
  else fail('architecture', 'HOST_NOT_READY', 'architecture', { arch });

  let rootDir: string | undefined;
  /** What the engine says of its Docker Swarm cluster, once it answered. */
  let swarm: SwarmInfo | undefined;
  let reconnect = false;
  if (facts.sock === 'missing') {
    if (facts.cli) fail('docker', 'DOCKER_UNAVAILABLE', 'stopped', { host: where, cli: facts.cli }, { detail: 'docker-missing' });
    else fail('docker', 'DOCKER_UNAVAILABLE', 'absent', { host: where }, { detail: 'docker-missing' });
  } else if (facts.sock === 'denied') {
    const groupsNow = (facts.groups ?? '').split(/\s+/);
    const groupsDb = (facts.dbgroups ?? '').split(/\s+/);
    // Group membership is fixed at login: a user added since needs a new connection.
    reconnect = true;
    pass('docker', facts.cli ? msg('check.dockerInstalledAt', { cli: facts.cli }) : msg('check.dockerInstalled'));
    if (groupsDb.includes('docker') && !groupsNow.includes('docker')) fail('docker-access', 'DOCKER_ACCESS_DENIED', 'reconnected', { user }, { detail: 'docker-permission-denied' });
    else fail('docker-access', 'DOCKER_ACCESS_DENIED', 'notInGroup', { user, host: where }, { detail: 'docker-permission-denied' });
  } else {
    try {
      const [v, info] = await Promise.all([target.docker.version(), target.docker.info() as Promise<{ DockerRootDir?: string; Swarm?: SwarmInfo }>]);
      rootDir = info.DockerRootDir || undefined;
      swarm = info.Swarm ?? {};
      const major = Number(v.Version.split('.')[0]);
      if (major >= MIN_DOCKER_MAJOR) pass('docker', msg('check.docker', { version: v.Version, api: v.ApiVersion }));
      else fail('docker', 'DOCKER_UNAVAILABLE', 'tooOld', { version: v.Version, minimum: `${MIN_DOCKER_MAJOR}.10` });
      pass('docker-access', msg('check.dockerAccess', { user }));
    } catch (err) {
      const said = (err as Error).message;
      // An error with its own case (the SSH channel, the socket) is worded as that case in the window.
      if (err instanceof SwitchyardError) failWith('docker', err, `Docker does not answer on ${where}: ${said}`);
      else fail('docker', 'DOCKER_UNAVAILABLE', 'noAnswer', { host: where, said });
    }
  }

  // Docker's own folder when the engine says where it is; otherwise its usual place, or /.
  const dfPath = rootDir ? shellPath(rootDir) : '/var/lib/docker';
  const df = await conn.exec(`df -Pk ${dfPath} 2>/dev/null || df -Pk /`);
  const free = /\n\S+\s+\d+\s+\d+\s+(\d+)\s+\S+\s+(\S+)/.exec(df.stdout);
  if (!free) fail('disk', 'HOST_NOT_READY', 'diskUnknown', { host: where, said: df.stderr.trim() || df.stdout.trim() });
  else {
    const bytes = Number(free[1]) * 1024;
    const space = { free: { decimal: bytes / 1024 ** 3 }, mount: free[2] };
    const text = rootDir ? msg('check.diskFreeDocker', { ...space, dockerDir: rootDir }) : msg('check.diskFree', space);
    if (bytes >= MIN_FREE_BYTES) pass('disk', text);
    else fail('disk', 'HOST_NOT_READY', 'diskLow', { space: text });
  }

  if (swarm) await checkSwarm(swarm);

  for (const port of opts.ports ?? []) {
    if (await target.isPortFree(port)) pass('port', msg('check.portFree', { port }), { port });
    else fail('port', 'PORT_IN_USE', 'host', { port, host: where }, { port });
  }
  if (reconnect) await conn.close();
  return finish();

  /** Not in a cluster is fine; a worker names its manager; a manager counts its nodes, and fails on a node down or no quorum. */
  async function checkSwarm(s: SwarmInfo): Promise<void> {
    const state = swarmState(s);
    if (state === 'inactive') return void pass('swarm', msg('check.swarmNone'));
    if (state === 'pending') return void pass('swarm', msg('check.swarmPending'));
    if (state === 'active' && !isManager(s)) return void pass('swarm', msg('check.swarmWorker', { manager: managerAddressOf(s) ?? '?' }));
    let nodes: DockerNode[] = [];
    if (isManager(s)) {
      try {
        nodes = (await target.docker.listNodes()) as DockerNode[];
      } catch (err) {
        if (isNoLeader(err)) return void fail('swarm', 'CLUSTER_FAILED', 'problems', { host: where, problems: [msg('clusterProblem.noLeader')] });
        return void failWith('swarm', SwitchyardError.because('CLUSTER_FAILED', 'unreadable', { host: where }, { detail: dockerWords(err) }));
      }
    }
    const problems = problemMessages(where, s, nodes);
    if (problems.length) return void fail('swarm', 'CLUSTER_FAILED', 'problems', { host: where, problems });
    pass('swarm', msg('check.swarmManager', { n: nodes.length, ready: nodes.filter((n) => n.Status?.State === 'ready').length }));
  }
}

function rank(r: HostCheckResult): number {
  return r.check === 'port' ? ORDER.length + (r.port ?? 0) / 65536 : ORDER.indexOf(r.check);
}

function parseFacts(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** Docker's root folder comes from the engine, but goes into a shell: anything unusual falls back to /. */
function shellPath(p: string): string {
  return /^\/[A-Za-z0-9._/-]*$/.test(p) ? `'${p}'` : '/';
}
