/**
 * The add-host form's state and checks: the shared SshHostInput schema (the one the core
 * applies), each issue put on the field its path names.
 */
import type { z } from 'zod';
import { SshHostInput } from '../../shared/hosts';
import { problemOf, valueAt, type FieldProblems } from './environment-form';

export interface HostFormState {
  name: string;
  address: string;
  port: number | null;
  user: string;
  method: 'agent' | 'key' | 'password';
  keyPath: string;
  passphrase: string;
  password: string;
}

export function emptyHostForm(): HostFormState {
  return { name: '', address: '', port: 22, user: '', method: 'key', keyPath: '', passphrase: '', password: '' };
}

/** What goes to the core: only the chosen method's fields; an empty passphrase means none. */
export function hostInputOf(f: HostFormState): Record<string, unknown> {
  const auth =
    f.method === 'password'
      ? { method: 'password', password: f.password }
      : f.method === 'key'
        ? { method: 'key', keyPath: f.keyPath.trim(), ...(f.passphrase ? { passphrase: f.passphrase } : {}) }
        : { method: 'agent' };
  return { name: f.name.trim(), address: f.address.trim(), port: f.port, user: f.user.trim(), auth };
}

export function validateHostForm(f: HostFormState): { input?: z.input<typeof SshHostInput>; problems: FieldProblems } {
  const problems: FieldProblems = {};
  const raw = hostInputOf(f);
  const res = SshHostInput.safeParse(raw);
  if (res.success) return { input: raw as z.input<typeof SshHostInput>, problems };
  for (const issue of res.error.issues) {
    const path = issue.path.map(String).join('.');
    // The only custom check on a host's name is the reserved "local".
    problems[path] ??= path === 'name' && issue.code === 'custom' ? { key: 'reservedHostName', params: {}, message: issue.message } : problemOf(issue, valueAt(raw, issue.path));
  }
  return { problems };
}
