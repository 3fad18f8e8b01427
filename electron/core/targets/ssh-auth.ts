import { promises as fs } from 'node:fs';
import ssh2, { type ConnectConfig } from 'ssh2';
import { SwitchyardError } from '../../../shared/errors';
import type { SshPeer } from './ssh-errors';

/** Credentials as the connection uses them: secrets already read from the secret store. */
export type SshCredentials =
  { method: 'agent'; /** Defaults to SSH_AUTH_SOCK. */ agentSocket?: string } | { method: 'key'; keyPath: string; passphrase?: string } | { method: 'password'; password: string };

/** ssh2's options for a way of logging in, with a clear error when the key or agent cannot be used. */
export async function authConfig(creds: SshCredentials, peer: SshPeer): Promise<Partial<ConnectConfig>> {
  // Servers that run passwords through PAM often offer only keyboard-interactive; the
  // connection answers its password prompt (see SshConnection.open).
  if (creds.method === 'password') return { password: creds.password, tryKeyboard: true };
  if (creds.method === 'agent') {
    const agent = creds.agentSocket ?? process.env.SSH_AUTH_SOCK;
    if (!agent) {
      throw SwitchyardError.because('VALIDATION', 'sshNoAgent', { host: peer.hostId }, { field: 'auth.method', detail: 'ssh-no-agent' });
    }
    return { agent };
  }
  let key: Buffer;
  try {
    key = await fs.readFile(creds.keyPath);
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw SwitchyardError.because('VALIDATION', 'sshKeyUnreadable', { keyPath: creds.keyPath, errno }, { field: 'auth.keyPath', detail: 'ssh-key-unreadable', cause: err });
  }
  const parsed = ssh2.utils.parseKey(key, creds.passphrase);
  if (parsed instanceof Error) {
    const needs = /no passphrase given/i.test(parsed.message);
    const bad = /passphrase|decrypt/i.test(parsed.message);
    const keyPath = creds.keyPath;
    const opts = { field: needs || bad ? 'auth.passphrase' : 'auth.keyPath', detail: 'ssh-key-unusable' };
    if (needs) throw SwitchyardError.because('VALIDATION', 'sshKeyPassphrase', { keyPath }, opts);
    if (bad) throw SwitchyardError.because('VALIDATION', 'sshKeyWrongPassphrase', { keyPath }, opts);
    throw SwitchyardError.because('VALIDATION', 'sshKeyUnusable', { keyPath, said: parsed.message }, opts);
  }
  return { privateKey: key, passphrase: creds.passphrase };
}
