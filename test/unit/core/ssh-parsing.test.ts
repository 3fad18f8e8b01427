import { PassThrough } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { connectError, fingerprintOf, hostKeyAlgorithmsFor, hostKeyOf, type SshPeer } from '../../../electron/core/targets/ssh-errors';
import { asSocket, listeningPorts } from '../../../electron/core/targets/ssh-target';

// Made with `ssh-keygen -t ed25519`; `ssh-keygen -lf` prints the fingerprint below.
const PUBLIC_KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIDZ+OErw4BQGUNL/97pcYEq17bd22gRAd4GEAdSUYoQs';
const FINGERPRINT = 'SHA256:Lq4Z+MP3sNz/c1jh1tMyjIrRZKQIonBujtFet9n3qlw';

const peer: SshPeer = { hostId: 'vps-1', address: '203.0.113.7', port: 22, user: 'deploy', method: 'key', keyPath: '/home/me/.ssh/id_ed25519' };
const sshError = (message: string, extra: Record<string, unknown>) => Object.assign(new Error(message), extra);

describe('host keys', () => {
  it('are fingerprinted as ssh-keygen -l does', () => {
    const blob = Buffer.from(PUBLIC_KEY, 'base64');
    expect(fingerprintOf(blob)).toBe(FINGERPRINT);
    expect(hostKeyOf(blob)).toEqual({ algorithm: 'ssh-ed25519', fingerprint: FINGERPRINT });
  });

  it("are asked for in the pinned key's type first", () => {
    expect(hostKeyAlgorithmsFor(undefined)[0]).toBe('ssh-ed25519');
    expect(hostKeyAlgorithmsFor({ algorithm: 'ecdsa-sha2-nistp256', fingerprint: FINGERPRINT })[0]).toBe('ecdsa-sha2-nistp256');
    expect(hostKeyAlgorithmsFor({ algorithm: 'ssh-rsa', fingerprint: FINGERPRINT }).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(new Set(hostKeyAlgorithmsFor({ algorithm: 'ssh-rsa', fingerprint: FINGERPRINT })).size).toBe(7);
  });
});

describe('connection errors', () => {
  it('say which part failed, with a machine-readable detail', () => {
    const refused = connectError(sshError('connect ECONNREFUSED', { level: 'client-socket', code: 'ECONNREFUSED' }), peer, undefined, undefined, 15_000);
    expect([refused.code, refused.detail]).toEqual(['HOST_UNREACHABLE', 'ssh-unreachable ECONNREFUSED']);
    const auth = connectError(sshError('All configured authentication methods failed', { level: 'client-authentication' }), peer, undefined, undefined, 15_000);
    expect([auth.code, auth.field, auth.detail]).toEqual(['SSH_AUTH_FAILED', 'auth', 'ssh-auth-failed']);
    expect(auth.message).toContain('/home/me/.ssh/id_ed25519');
    const slow = connectError(sshError('Timed out while waiting for handshake', { level: 'client-timeout' }), peer, undefined, undefined, 15_000);
    expect([slow.code, slow.detail]).toEqual(['TIMEOUT', 'ssh-timeout']);
    expect(slow.message).toContain('within 15 s');
    const dns = connectError(sshError('getaddrinfo ENOTFOUND vps', { level: 'client-dns', code: 'ENOTFOUND' }), peer, undefined, undefined, 15_000);
    expect([dns.code, dns.field]).toEqual(['HOST_UNREACHABLE', 'address']);
  });

  it('tell an unknown host key from a changed one', () => {
    const presented = { algorithm: 'ssh-ed25519', fingerprint: FINGERPRINT };
    const pinned = { algorithm: 'ssh-ed25519', fingerprint: 'SHA256:9PAPd/7GD1n6uCIOBUiEo4FRDgQbaAZIMQPls1ioGSU' };
    const denied = sshError('Host denied (verification failed)', { level: 'protocol' });
    expect(connectError(denied, peer, undefined, presented, 1).detail).toBe(`host-key-unknown ${FINGERPRINT} ssh-ed25519`);
    const changed = connectError(denied, peer, pinned, presented, 1);
    expect(changed.message).toContain(`host key changed for vps-1 (expected ${pinned.fingerprint}, got ${FINGERPRINT})`);
  });
});

describe('listening ports on the host', () => {
  it('are read from ss output', () => {
    const ss = ['LISTEN 0      4096     0.0.0.0:8080 0.0.0.0:*', 'LISTEN 0      511    127.0.0.53%lo:53 0.0.0.0:*', 'LISTEN 0      4096      [::]:2222    [::]:*'].join('\n');
    expect([...listeningPorts(ss)].sort((a, b) => a - b)).toEqual([53, 2222, 8080]);
  });

  it('are read from /proc/net/tcp when ss is missing, listeners only', () => {
    const proc = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
      '   1: 0100007F:0016 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
      '   0: 00000000000000000000000000000000:08AE 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 3 1',
    ].join('\n');
    expect([...listeningPorts(proc)].sort((a, b) => a - b)).toEqual([2222, 8080]);
  });
});

describe('an SSH channel used as a socket', () => {
  it('times out when idle, and closes when the other side does', async () => {
    const standIn = new PassThrough({ allowHalfOpen: true }) as unknown as ClientChannel;
    const s = asSocket(standIn, 9999);
    expect(s.remotePort).toBe(9999);
    const timedOut = new Promise((r) => s.setTimeout(30, () => r('timeout')));
    expect(await timedOut).toBe('timeout');
    s.setTimeout(0);
    // The HTTP client sets and clears its idle timeout on every request of a kept-alive socket.
    for (let i = 0; i < 20; i++) {
      const onIdle = () => undefined;
      s.setTimeout(1000, onIdle);
      s.setTimeout(0, onIdle);
    }
    expect(standIn.listenerCount('timeout')).toBe(0);
    const ended = new Promise((r) => standIn.on('finish', () => r('ended')));
    standIn.push(null);
    standIn.resume();
    expect(await ended).toBe('ended');
  });
});
