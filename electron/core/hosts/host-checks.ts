import { SwitchyardError, type ErrorCode } from '../../../shared/errors';
import { parseHostKeyDetail, type HostCheckName, type HostCheckResult } from '../../../shared/hosts';
import { REMOTE_DOCKER_SOCKET, type SshDockerTarget } from '../targets/ssh-target';

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

const ORDER: HostCheckName[] = ['reachable', 'host-key', 'authenticated', 'docker', 'docker-access', 'architecture', 'disk'];

/** The code of a failed check when no error was thrown to give one. */
const CODE_OF: Record<HostCheckName, ErrorCode> = {
  reachable: 'HOST_UNREACHABLE',
  'host-key': 'HOST_KEY_UNKNOWN',
  authenticated: 'SSH_AUTH_FAILED',
  docker: 'DOCKER_UNAVAILABLE',
  'docker-access': 'DOCKER_ACCESS_DENIED',
  architecture: 'HOST_NOT_READY',
  disk: 'HOST_NOT_READY',
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
  const finish = () => {
    for (const check of ORDER) if (!results.some((r) => r.check === check)) add(check, false, 'Not checked: an earlier check failed', { skipped: true });
    for (const port of opts.ports ?? []) if (!results.some((r) => r.port === port)) add('port', false, `Port ${port}: not checked`, { skipped: true, port });
    return results.sort((a, b) => rank(a) - rank(b));
  };
  const conn = target.connection;
  const where = `${target.hostId}`;

  try {
    await conn.connect();
  } catch (err) {
    const e = err as SwitchyardError;
    const keyProblem = parseHostKeyDetail(e.detail);
    if (keyProblem || e.detail === 'ssh-auth-failed') add('reachable', true, `The SSH server of ${where} answers`);
    if (keyProblem) add('host-key', false, e.message, { detail: e.detail, code: e.code });
    else if (e.detail === 'ssh-auth-failed') {
      add('host-key', true, 'The host key matches the trusted one');
      add('authenticated', false, e.message, { detail: e.detail, code: e.code });
    } else if (e.field === 'auth' || e.field?.startsWith('auth.')) {
      add('reachable', true, `The SSH server of ${where} answers`);
      add('host-key', true, 'The host key matches the trusted one');
      add('authenticated', false, e.message, { detail: e.detail, code: e.code });
    } else add('reachable', false, e.message, { detail: e.detail, code: e.code });
    return finish();
  }
  add('reachable', true, `The SSH server of ${where} answers`);
  add('host-key', true, `The host key matches the trusted one (${conn.presentedHostKey?.fingerprint})`);
  add('authenticated', true, `Logged in as ${user}`);

  const facts = parseFacts((await conn.exec('sh -s', { input: FACTS_SCRIPT(REMOTE_DOCKER_SOCKET) })).stdout);

  const arch = facts.arch ?? 'unknown';
  if (ARCHITECTURES[arch]) add('architecture', true, `${arch} (${ARCHITECTURES[arch]}): HAProxy and BusyBox images exist for it`);
  else add('architecture', false, `${arch}: the official HAProxy image is not published for this architecture; set a compatible image per environment`);

  let rootDir: string | undefined;
  let reconnect = false;
  if (facts.sock === 'missing') {
    const msg = facts.cli
      ? `Docker is installed (${facts.cli}) but not running on ${where}: start it with "sudo systemctl enable --now docker"`
      : `Docker is not installed on ${where}: install Docker Engine (Debian/Ubuntu: "sudo apt-get install docker.io") and start it`;
    add('docker', false, msg, { detail: 'docker-missing' });
  } else if (facts.sock === 'denied') {
    const groupsNow = (facts.groups ?? '').split(/\s+/);
    const groupsDb = (facts.dbgroups ?? '').split(/\s+/);
    // Group membership is fixed at login: a user added since needs a new connection.
    reconnect = true;
    const msg =
      groupsDb.includes('docker') && !groupsNow.includes('docker')
        ? `${user} was added to the docker group after this connection was made: run the checks again (Switchyard has reconnected)`
        : `The user "${user}" may not use Docker on ${where}: it is not in the docker group. Run "sudo usermod -aG docker ${user}" on ${where}, then run the checks again (Switchyard reconnects)`;
    add('docker', true, `Docker is installed${facts.cli ? ` (${facts.cli})` : ''}`);
    add('docker-access', false, msg, { detail: 'docker-permission-denied' });
  } else {
    try {
      const [v, info] = await Promise.all([target.docker.version(), target.docker.info() as Promise<{ DockerRootDir?: string }>]);
      rootDir = info.DockerRootDir || undefined;
      const major = Number(v.Version.split('.')[0]);
      if (major >= MIN_DOCKER_MAJOR) add('docker', true, `Docker ${v.Version} (API ${v.ApiVersion})`);
      else add('docker', false, `Docker ${v.Version} is too old: Switchyard needs Docker ${MIN_DOCKER_MAJOR}.10 or newer`);
      add('docker-access', true, `${user} may use Docker`);
    } catch (err) {
      add('docker', false, `Docker does not answer on ${where}: ${(err as Error).message}`, {
        detail: (err as SwitchyardError).detail,
        code: err instanceof SwitchyardError ? err.code : undefined,
      });
    }
  }

  // Docker's own folder when the engine says where it is; otherwise its usual place, or /.
  const dfPath = rootDir ? shellPath(rootDir) : '/var/lib/docker';
  const df = await conn.exec(`df -Pk ${dfPath} 2>/dev/null || df -Pk /`);
  const free = /\n\S+\s+\d+\s+\d+\s+(\d+)\s+\S+\s+(\S+)/.exec(df.stdout);
  if (!free) add('disk', false, `Cannot tell the free space on ${where}: ${df.stderr.trim() || df.stdout.trim()}`);
  else {
    const bytes = Number(free[1]) * 1024;
    const text = `${(bytes / 1024 ** 3).toFixed(1)} GB free on ${free[2]}${rootDir ? ` (Docker's data is in ${rootDir})` : ''}`;
    add('disk', bytes >= MIN_FREE_BYTES, bytes >= MIN_FREE_BYTES ? text : `Only ${text}: free at least 2 GB for images and logs (docker system prune)`);
  }

  for (const port of opts.ports ?? []) {
    const isFree = await target.isPortFree(port);
    add('port', isFree, isFree ? `Port ${port} is free` : `Port ${port} is in use on ${where}: choose another port, or stop what listens there (sudo ss -tlnp "sport = :${port}")`, { port });
  }
  if (reconnect) await conn.close();
  return finish();
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
