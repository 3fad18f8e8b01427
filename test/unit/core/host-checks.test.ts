/**
 * A host's checks, against a fake SSH target (the real one needs an SSH server; the integration
 * tests have it): each finding crosses as a code and parameters the window words in its language,
 * beside the English the CLI prints.
 */
import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../../shared/errors';
import { english } from '../../../shared/messages';
import { checkHost, type HostCheckResult } from '../../../electron/core/hosts/host-checks';
import type { SshDockerTarget } from '../../../electron/core/targets/ssh-target';

const FINGERPRINT = 'SHA256:Lq4Z+MP3sNz/c1jh1tMyjIrRZKQIonBujtFet9n3qlw';

interface Host {
  connectError?: SwitchyardError;
  arch?: string;
  sock?: 'usable' | 'missing' | 'denied';
  cli?: string;
  groups?: string;
  dbgroups?: string;
  dockerVersion?: string;
  freeKb?: number;
  busyPorts?: number[];
}

/** A fake of the SSH target: answers the checks' commands as a host with `h`'s facts would. */
function fakeTargetForTests(h: Host): SshDockerTarget {
  const connection = {
    presentedHostKey: { algorithm: 'ssh-ed25519', fingerprint: FINGERPRINT },
    connect: async () => {
      if (h.connectError) throw h.connectError;
    },
    close: async () => undefined,
    exec: async (command: string) => {
      if (command === 'sh -s') {
        const facts = [
          `arch=${h.arch ?? 'x86_64'}`,
          `sock=${h.sock ?? 'usable'}`,
          `cli=${h.cli ?? '/usr/bin/docker'}`,
          `groups=${h.groups ?? 'deploy docker'}`,
          `dbgroups=${h.dbgroups ?? 'deploy docker'}`,
        ];
        return { code: 0, stdout: `${facts.join('\n')}\n`, stderr: '' };
      }
      const kb = h.freeKb ?? 20 * 1024 * 1024;
      return { code: 0, stdout: `Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 41152736 1000 ${kb} 50% /\n`, stderr: '' };
    },
  };
  return {
    hostId: 'vps-1',
    user: 'deploy',
    connection,
    docker: {
      version: async () => ({ Version: h.dockerVersion ?? '24.0.7', ApiVersion: '1.43' }),
      info: async () => ({ DockerRootDir: '/var/lib/docker' }),
    },
    isPortFree: async (port: number) => !(h.busyPorts ?? []).includes(port),
  } as unknown as SshDockerTarget;
}

const byCheck = (results: HostCheckResult[]) => Object.fromEntries(results.map((r) => [r.port ? `port ${r.port}` : r.check, r]));

describe('host checks', () => {
  it('a ready host: every check passed, each with a message code whose English is the message', async () => {
    const results = await checkHost(fakeTargetForTests({}), { ports: [8080] });
    expect(results.map((r) => [r.check, r.ok])).toEqual([
      ['reachable', true],
      ['host-key', true],
      ['authenticated', true],
      ['docker', true],
      ['docker-access', true],
      ['architecture', true],
      ['disk', true],
      ['swarm', true],
      ['port', true],
    ]);
    for (const r of results) {
      expect(r.text, r.check).toBeDefined();
      expect(english(r.text!), r.check).toBe(r.message);
    }
    const c = byCheck(results);
    expect(c['host-key'].message).toBe(`The host key matches the trusted one (${FINGERPRINT})`);
    expect(c.docker.message).toBe('Docker 24.0.7 (API 1.43)');
    expect(c.disk.message).toBe("20.0 GB free on / (Docker's data is in /var/lib/docker)");
    expect(c.disk.text).toEqual({ code: 'check.diskFreeDocker', params: { free: { decimal: 20 }, mount: '/', dockerDir: '/var/lib/docker' } });
  });

  it('a host that is not ready: each failed check carries the error case a call would fail with, in English for the CLI', async () => {
    const results = await checkHost(fakeTargetForTests({ arch: 'mips', sock: 'denied', groups: 'deploy', dbgroups: 'deploy', freeKb: 1024 * 1024, busyPorts: [8080] }), { ports: [8080] });
    const c = byCheck(results);
    expect(c['docker-access']).toMatchObject({ ok: false, code: 'DOCKER_ACCESS_DENIED', reason: 'notInGroup', params: { user: 'deploy', host: 'vps-1' }, detail: 'docker-permission-denied' });
    expect(c['docker-access'].message).toBe(
      'The user "deploy" may not use Docker on vps-1: it is not in the docker group. Run "sudo usermod -aG docker deploy" on vps-1, then run the checks again (Switchyard reconnects)',
    );
    expect(c.architecture).toMatchObject({ ok: false, code: 'HOST_NOT_READY', reason: 'architecture', params: { arch: 'mips' } });
    expect(c.disk).toMatchObject({ ok: false, code: 'HOST_NOT_READY', reason: 'diskLow' });
    expect(c.disk.message).toBe('Only 1.0 GB free on /: free at least 2 GB for images and logs (docker system prune)');
    expect(c['port 8080']).toMatchObject({ ok: false, code: 'PORT_IN_USE', reason: 'host', params: { port: 8080, host: 'vps-1' } });
  });

  it('Docker missing, and a user added to the docker group since the connection was made', async () => {
    const missing = byCheck(await checkHost(fakeTargetForTests({ sock: 'missing', cli: '' })));
    expect(missing.docker).toMatchObject({ ok: false, code: 'DOCKER_UNAVAILABLE', reason: 'absent', detail: 'docker-missing' });
    expect(missing['docker-access']).toMatchObject({ ok: false, skipped: true, text: { code: 'check.skipped' } });
    const stopped = byCheck(await checkHost(fakeTargetForTests({ sock: 'missing' })));
    expect(stopped.docker).toMatchObject({ reason: 'stopped', params: { host: 'vps-1', cli: '/usr/bin/docker' } });
    const since = byCheck(await checkHost(fakeTargetForTests({ sock: 'denied', groups: 'deploy', dbgroups: 'deploy docker' })));
    expect(since['docker-access']).toMatchObject({ ok: false, code: 'DOCKER_ACCESS_DENIED', reason: 'reconnected', params: { user: 'deploy' } });
  });

  it('a connection refused for the credentials: the key was fine, the login failed with the SSH error’s own case', async () => {
    const refused = SwitchyardError.because('SSH_AUTH_FAILED', 'password', { user: 'deploy', host: 'vps-1' }, { field: 'auth', detail: 'ssh-auth-failed' });
    const c = byCheck(await checkHost(fakeTargetForTests({ connectError: refused })));
    expect([c.reachable.ok, c['host-key'].ok]).toEqual([true, true]);
    expect(c.authenticated).toMatchObject({ ok: false, code: 'SSH_AUTH_FAILED', reason: 'password', params: { user: 'deploy', host: 'vps-1' }, message: refused.message });
    expect(c.docker).toMatchObject({ skipped: true });
  });
});
