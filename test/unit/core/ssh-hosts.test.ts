import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../../shared/errors';
import { parseOrThrow } from '../../../shared/model';
import { HostKey, SshHost, hostKeyDetail, hostKeyFile, parseHostKeyDetail, parseSshHostInput, storedHost } from '../../../shared/hosts';

const base = { name: 'vps-1', address: 'vps.example.com', user: 'deploy', auth: { method: 'agent' } };

function refusal(value: unknown): SwitchyardError {
  try {
    parseSshHostInput(value);
  } catch (err) {
    if (err instanceof SwitchyardError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('SSH host input', () => {
  it('fills the port in and accepts the three ways to log in', () => {
    expect(parseSshHostInput(base)).toEqual({ ...base, port: 22 });
    expect(parseSshHostInput({ ...base, address: '203.0.113.7', port: 2222, auth: { method: 'key', keyPath: '/home/me/.ssh/id_ed25519' } }).port).toBe(2222);
    expect(parseSshHostInput({ ...base, auth: { method: 'key', keyPath: 'C:\\Users\\Jean Dupont\\.ssh\\id_ed25519', passphrase: 'correct horse battery staple' } }).auth).toMatchObject({
      method: 'key',
    });
    expect(parseSshHostInput({ ...base, auth: { method: 'password', password: 'p@ss w"rd' } }).auth).toEqual({ method: 'password', password: 'p@ss w"rd' });
  });

  it.each([
    [{ ...base, name: 'VPS 1' }, 'name'],
    [{ ...base, name: 'local' }, 'name'],
    [{ ...base, address: 'vps.example.com\nProxyCommand evil' }, 'address'],
    [{ ...base, address: 'vps example.com' }, 'address'],
    [{ ...base, address: '"vps"' }, 'address'],
    [{ ...base, address: '999.1.1.1' }, 'address'],
    [{ ...base, address: 'vps:22' }, 'address'],
    [{ ...base, port: 0 }, 'port'],
    [{ ...base, user: 'de ploy' }, 'user'],
    [{ ...base, user: "deploy'" }, 'user'],
    [{ ...base, user: '-oProxyCommand=x' }, 'user'],
    [{ ...base, user: 'root\n' }, 'user'],
    [{ ...base, auth: { method: 'key', keyPath: 'id_ed25519' } }, 'auth.keyPath'],
    [{ ...base, auth: { method: 'key', keyPath: '/home/me/"id"' } }, 'auth.keyPath'],
    [{ ...base, auth: { method: 'key', keyPath: '/home/me/id\n' } }, 'auth.keyPath'],
    [{ ...base, auth: { method: 'key', keyPath: '/home/$USER/id' } }, 'auth.keyPath'],
    [{ ...base, auth: { method: 'key', keyPath: '/k', passphrase: 'two\nlines' } }, 'auth.passphrase'],
    [{ ...base, auth: { method: 'password', password: 'pw\r\n' } }, 'auth.password'],
    [{ ...base, auth: { method: 'password', password: '' } }, 'auth.password'],
    [{ ...base, auth: { method: 'password' } }, 'auth.password'],
    [{ ...base, auth: { method: 'telnet' } }, 'auth.method'],
    [{ ...base, hostKey: { algorithm: 'ssh-ed25519', fingerprint: 'MD5:aa:bb' } }, 'hostKey.fingerprint'],
    [{ ...base, extra: 1 }, 'extra'],
  ])('refuses %j, naming %s', (value, field) => {
    const err = refusal(value);
    expect(err.code).toBe('VALIDATION');
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
  });
});

describe('the stored form of a host', () => {
  it('holds references to secrets, never the secrets', () => {
    const input = parseSshHostInput({ ...base, auth: { method: 'password', password: 'hunter2' } });
    const stored = storedHost(input, { password: 'sabcdef0123456789' });
    expect(stored).toEqual({ kind: 'ssh', id: 'vps-1', name: 'vps-1', address: 'vps.example.com', port: 22, user: 'deploy', auth: { method: 'password', passwordRef: 'sabcdef0123456789' } });
    expect(JSON.stringify(stored)).not.toContain('hunter2');
    const withKey = storedHost(parseSshHostInput({ ...base, auth: { method: 'key', keyPath: '/k', passphrase: 'pp' } }), { passphrase: 'sffffffffffffffff' });
    expect(withKey.auth).toEqual({ method: 'key', keyPath: '/k', passphraseRef: 'sffffffffffffffff' });
  });

  it('refuses a stored host that carries a password or passphrase', () => {
    const stored = { kind: 'ssh', id: 'vps-1', name: 'vps-1', address: 'vps.example.com', port: 22, user: 'deploy' };
    expect(() => parseOrThrow(SshHost, { ...stored, auth: { method: 'password', passwordRef: 'sabcdef0123456789', password: 'hunter2' } })).toThrow(/auth.password: unknown field/);
    expect(() => parseOrThrow(SshHost, { ...stored, auth: { method: 'password', password: 'hunter2' } })).toThrow(/auth.passwordRef: is required/);
    expect(() => parseOrThrow(SshHost, { ...stored, auth: { method: 'key', keyPath: '/k', passphrase: 'x' } })).toThrow(/auth.passphrase: unknown field/);
    expect(() => parseOrThrow(SshHost, { ...stored, id: 'other', auth: { method: 'agent' } })).toThrow(/id: must equal the host name/);
  });
});

describe('host-key error details', () => {
  const key = parseOrThrow(HostKey, { algorithm: 'ssh-ed25519', fingerprint: 'SHA256:Lq4Z+MP3sNz/c1jh1tMyjIrRZKQIonBujtFet9n3qlw' });
  const old = { algorithm: 'ssh-ed25519', fingerprint: 'SHA256:9PAPd/7GD1n6uCIOBUiEo4FRDgQbaAZIMQPls1ioGSU' };

  it('carry the presented key in a form the UI can read back', () => {
    expect(hostKeyDetail('host-key-unknown', key)).toBe('host-key-unknown SHA256:Lq4Z+MP3sNz/c1jh1tMyjIrRZKQIonBujtFet9n3qlw ssh-ed25519');
    expect(parseHostKeyDetail(hostKeyDetail('host-key-unknown', key))).toEqual({ kind: 'unknown', presented: key });
    expect(parseHostKeyDetail(hostKeyDetail('host-key-changed', key, old))).toEqual({ kind: 'changed', presented: key, expected: old.fingerprint });
    expect(parseHostKeyDetail('ssh-auth-failed')).toBeUndefined();
    expect(parseHostKeyDetail(undefined)).toBeUndefined();
  });
});

describe('the host key file to compare with', () => {
  it('is the server key of the same type', () => {
    expect(hostKeyFile('ssh-ed25519')).toBe('/etc/ssh/ssh_host_ed25519_key.pub');
    expect(hostKeyFile('ecdsa-sha2-nistp256')).toBe('/etc/ssh/ssh_host_ecdsa_key.pub');
    expect(hostKeyFile('rsa-sha2-512')).toBe('/etc/ssh/ssh_host_rsa_key.pub');
    expect(hostKeyFile('ssh-rsa')).toBe('/etc/ssh/ssh_host_rsa_key.pub');
    expect(hostKeyFile('unknown')).toBe('/etc/ssh/ssh_host_*_key.pub');
  });
});
