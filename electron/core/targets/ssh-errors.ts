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
  return SwitchyardError.because(
    'HOST_KEY_UNKNOWN',
    'unknown',
    { host: peer.hostId, address: peer.address, port: peer.port, algorithm: presented.algorithm, fingerprint: presented.fingerprint },
    { field: 'hostKey', detail: hostKeyDetail(HOST_KEY_UNKNOWN, presented) },
  );
}

export function hostKeyChanged(peer: SshPeer, presented: HostKey, expected: HostKey): SwitchyardError {
  return SwitchyardError.because(
    'HOST_KEY_CHANGED',
    'changed',
    { host: peer.hostId, expected: expected.fingerprint, presented: presented.fingerprint },
    { field: 'hostKey', detail: hostKeyDetail(HOST_KEY_CHANGED, presented, expected) },
  );
}

export function connectionLost(peer: SshPeer, cause?: unknown): SwitchyardError {
  return SwitchyardError.because('CONNECTION_LOST', 'lost', { host: peer.hostId, address: peer.address }, { detail: 'ssh-connection-lost', cause });
}

/** The error for a failed connection attempt. `presented` is the key the server showed, if it got that far. */
export function connectError(err: unknown, peer: SshPeer, pinned: HostKey | undefined, presented: HostKey | undefined, readyTimeoutMs: number): SwitchyardError {
  if (err instanceof SwitchyardError) return err;
  const e = err as Error & { level?: string; code?: string };
  const where = `${peer.address}:${peer.port}`;
  const at = { host: peer.hostId, where };
  const unreachable = (reason: 'noRoute' | 'reset' | 'closed', why: string) => SwitchyardError.because('HOST_UNREACHABLE', reason, at, { detail: `ssh-unreachable ${e.code ?? why}`, cause: err });

  if (/Host denied/.test(e.message) && presented) {
    return pinned ? hostKeyChanged(peer, presented, pinned) : hostKeyUnknown(peer, presented);
  }
  if (e.level === 'client-authentication') {
    const who = { user: peer.user, host: peer.hostId };
    const opts = { field: 'auth', detail: 'ssh-auth-failed', cause: err };
    // SSH deliberately answers "unknown user" and "wrong credentials" the same way.
    if (peer.method === 'password') return SwitchyardError.because('SSH_AUTH_FAILED', 'password', who, opts);
    if (peer.method === 'key') return SwitchyardError.because('SSH_AUTH_FAILED', 'key', { ...who, keyPath: peer.keyPath ?? '' }, opts);
    return SwitchyardError.because('SSH_AUTH_FAILED', 'agent', who, opts);
  }
  if (e.level === 'client-timeout') {
    return SwitchyardError.because('TIMEOUT', 'sshHandshake', { ...at, seconds: Math.round(readyTimeoutMs / 1000) }, { detail: 'ssh-timeout', cause: err });
  }
  if (e.level === 'client-dns' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
    return SwitchyardError.because(
      'HOST_UNREACHABLE',
      'unresolved',
      { host: peer.hostId, address: peer.address },
      { field: 'address', detail: `ssh-unreachable ${e.code ?? 'ENOTFOUND'}`, cause: err },
    );
  }
  switch (e.code) {
    case 'ECONNREFUSED':
      return SwitchyardError.because('HOST_UNREACHABLE', 'refused', { ...at, port: peer.port }, { detail: 'ssh-unreachable ECONNREFUSED', cause: err });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return unreachable('noRoute', 'no route to the host');
    case 'ETIMEDOUT':
      return SwitchyardError.because('TIMEOUT', 'sshConnect', at, { detail: 'ssh-timeout', cause: err });
    case 'ECONNRESET':
      return unreachable('reset', 'the connection was reset');
  }
  if (/Connection lost before handshake/.test(e.message)) {
    return unreachable('closed', 'the server closed the connection before the SSH handshake');
  }
  return SwitchyardError.because('INTERNAL', 'ssh', { ...at, said: e.message }, { detail: 'ssh-failed', cause: err });
}

/** A refused channel (`forwardOut`, `openssh_forwardOutStreamLocal`): ssh2 gives the reason as text. */
export function channelRefused(err: unknown, peer: SshPeer, what: string): SwitchyardError {
  const msg = (err as Error).message ?? String(err);
  if (/administratively prohibited/i.test(msg)) {
    return SwitchyardError.because('DOCKER_UNAVAILABLE', 'forwarding', { host: peer.hostId, what, user: peer.user }, { detail: 'ssh-forwarding-prohibited', cause: err });
  }
  return SwitchyardError.because('DOCKER_UNAVAILABLE', 'channel', { host: peer.hostId, what, said: msg }, { detail: 'ssh-channel-refused', cause: err });
}
