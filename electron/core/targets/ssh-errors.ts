import { createHash } from 'node:crypto';
import { SwitchyardError } from '../../../shared/errors';
import { HOST_KEY_CHANGED, HOST_KEY_UNKNOWN, hostKeyDetail, type HostKey } from '../../../shared/hosts';

/**
 * Turns what ssh2 reports (an Error with a `level` and maybe a socket `code`) into errors a
 * person can act on. The error-code list is fixed, so the exact cause is also given as a
 * machine-readable word at the start of `detail` (`ssh-auth-failed`, `host-key-unknown …`).
 */

/** Who we were talking to, for messages. */
export interface SshPeer {
  hostId: string;
  address: string;
  port: number;
  user: string;
  /** Known once credentials are read. */
  method?: 'agent' | 'key' | 'password';
  keyPath?: string;
}

/** The `ssh-keygen -l` fingerprint of a public key blob in SSH wire format. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type the blob starts with (a length-prefixed string, e.g. ssh-ed25519). */
export function keyAlgorithmOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  const name = keyBlob.subarray(4, 4 + len).toString('latin1');
  return /^[a-z0-9][a-z0-9@.-]{2,63}$/.test(name) ? name : 'unknown';
}

export function hostKeyOf(keyBlob: Buffer): HostKey {
  return { algorithm: keyAlgorithmOf(keyBlob), fingerprint: fingerprintOf(keyBlob) };
}

const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/**
 * Host-key algorithms in the order to offer them: a server with several keys presents the
 * one we pinned (as OpenSSH does with known_hosts) instead of a "changed" key of another type.
 */
export function hostKeyAlgorithmsFor(pinned: HostKey | undefined): string[] {
  if (!pinned) return HOST_KEY_ALGORITHMS;
  const first = pinned.algorithm === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : HOST_KEY_ALGORITHMS.filter((a) => a === pinned.algorithm);
  return [...first, ...HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}

export function hostKeyUnknown(peer: SshPeer, presented: HostKey): SwitchyardError {
  return new SwitchyardError(
    'HOST_KEY_UNKNOWN',
    `The host key of ${peer.hostId} (${peer.address}:${peer.port}) is not trusted yet: it presents ${presented.algorithm} ${presented.fingerprint}. Compare it with "ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub" on the server, then trust it.`,
    { field: 'hostKey', detail: hostKeyDetail(HOST_KEY_UNKNOWN, presented) },
  );
}

export function hostKeyChanged(peer: SshPeer, presented: HostKey, expected: HostKey): SwitchyardError {
  return new SwitchyardError(
    'HOST_KEY_CHANGED',
    `The host key changed for ${peer.hostId} (expected ${expected.fingerprint}, got ${presented.fingerprint}). Nothing was sent. If the server was reinstalled, check the new key on the server and trust it again; otherwise someone may be intercepting the connection.`,
    { field: 'hostKey', detail: hostKeyDetail(HOST_KEY_CHANGED, presented, expected) },
  );
}

export function connectionLost(peer: SshPeer, cause?: unknown): SwitchyardError {
  return new SwitchyardError('CONNECTION_LOST', `The SSH connection to ${peer.hostId} (${peer.address}) was lost; the next request reconnects`, {
    detail: 'ssh-connection-lost',
    cause,
  });
}

/** The error for a failed connection attempt. `presented` is the key the server showed, if it got that far. */
export function connectError(err: unknown, peer: SshPeer, pinned: HostKey | undefined, presented: HostKey | undefined, readyTimeoutMs: number): SwitchyardError {
  if (err instanceof SwitchyardError) return err;
  const e = err as Error & { level?: string; code?: string };
  const where = `${peer.address}:${peer.port}`;
  const unreachable = (why: string, hint: string) =>
    new SwitchyardError('HOST_UNREACHABLE', `Cannot connect to ${peer.hostId} at ${where}: ${why}. ${hint}`, { detail: `ssh-unreachable ${e.code ?? why}`, cause: err });

  if (/Host denied/.test(e.message) && presented) {
    return pinned ? hostKeyChanged(peer, presented, pinned) : hostKeyUnknown(peer, presented);
  }
  if (e.level === 'client-authentication') {
    const who = `user "${peer.user}" on ${peer.hostId}`;
    const msg =
      peer.method === 'password'
        ? `The server refused the password for ${who}: the password is wrong, the user does not exist there, or password logins are disabled (PasswordAuthentication no)`
        : peer.method === 'key'
          ? `The server refused the key ${peer.keyPath} for ${who}: the user does not exist there, or the matching public key is not in its ~/.ssh/authorized_keys`
          : `The server accepted none of the SSH agent's keys for ${who}: the user does not exist there, or none of the agent's keys is in its ~/.ssh/authorized_keys`;
    // SSH deliberately answers "unknown user" and "wrong credentials" the same way.
    return new SwitchyardError('SSH_AUTH_FAILED', msg, { field: 'auth', detail: 'ssh-auth-failed', cause: err });
  }
  if (e.level === 'client-timeout') {
    return new SwitchyardError(
      'TIMEOUT',
      `${peer.hostId} (${where}) did not complete an SSH handshake within ${Math.round(readyTimeoutMs / 1000)} s: the host may be down, a firewall may drop the connection, or this port is not SSH`,
      { detail: 'ssh-timeout', cause: err },
    );
  }
  if (e.level === 'client-dns' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
    return new SwitchyardError('HOST_UNREACHABLE', `The host name ${peer.address} of ${peer.hostId} cannot be resolved: check the address`, {
      field: 'address',
      detail: `ssh-unreachable ${e.code ?? 'ENOTFOUND'}`,
      cause: err,
    });
  }
  switch (e.code) {
    case 'ECONNREFUSED':
      return unreachable('connection refused', `Nothing listens on port ${peer.port}: is the SSH server running, and is ${peer.port} its port?`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return unreachable('no route to the host', 'Is the address right, and is the host up?');
    case 'ETIMEDOUT':
      return new SwitchyardError('TIMEOUT', `Connecting to ${peer.hostId} at ${where} timed out: the host may be down or a firewall drops the connection`, {
        detail: 'ssh-timeout',
        cause: err,
      });
    case 'ECONNRESET':
      return unreachable('the connection was reset', 'A firewall or the SSH server (MaxStartups, AllowUsers, fail2ban) may be refusing this client.');
  }
  if (/Connection lost before handshake/.test(e.message)) {
    return unreachable('the server closed the connection before the SSH handshake', 'Is this port an SSH server, and does it accept this client?');
  }
  return new SwitchyardError('INTERNAL', `SSH connection to ${peer.hostId} at ${where} failed: ${e.message}`, { detail: 'ssh-failed', cause: err });
}

/** A refused channel (`forwardOut`, `openssh_forwardOutStreamLocal`): ssh2 gives the reason as text. */
export function channelRefused(err: unknown, peer: SshPeer, what: string): SwitchyardError {
  const msg = (err as Error).message ?? String(err);
  if (/administratively prohibited/i.test(msg)) {
    return new SwitchyardError(
      'DOCKER_UNAVAILABLE',
      `The SSH server of ${peer.hostId} does not allow forwarding to ${what}: set AllowTcpForwarding and AllowStreamLocalForwarding to yes (or local) for "${peer.user}" in sshd_config`,
      { detail: 'ssh-forwarding-prohibited', cause: err },
    );
  }
  return new SwitchyardError('DOCKER_UNAVAILABLE', `${peer.hostId} could not open ${what}: ${msg}`, { detail: 'ssh-channel-refused', cause: err });
}
