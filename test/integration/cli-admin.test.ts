import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { TEST_IMAGES, freePort, removeEnvironments, uniqueName } from '../support/lab';
import { TestPebble, serialKey, verifiedHttpsGet } from '../support/pebble';
import { TestSshd, freeLoopbackPort } from '../support/sshd';

/** Every file under `dir`, as text. */
function filesUnder(dir: string): { file: string; text: string }[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((file) => ({ file, text: readFileSync(file, 'latin1') }));
}

describe('switchyard host … against a real OpenSSH server', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-hosts-'));
  let sshd: TestSshd;
  let key: { algorithm: string; fingerprint: string };
  const wrongPassword = `wrong-${Date.now()}`;
  const addArgs = (name: string, user: string) => ['host', 'add', name, '--address', sshd.address, '--port', String(sshd.port), '--user', user];

  beforeAll(async () => {
    sshd = await TestSshd.start();
    key = await sshd.hostFingerprint();
  });

  afterAll(async () => {
    await sshd?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds a host with the password from stdin, shows its key and the command that trusts it, and fails until then', async () => {
    const user = sshd.users.dockerPassword;
    const r = await cli(dataDir, [...addArgs('vps-pw', user.name), '--password-stdin'], {}, `${user.password}\n`);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`added vps-pw: ${user.name}@127.0.0.1:${sshd.port}, password`);
    expect(r.stdout).toMatch(/^ok {4}reachable {6}/m);
    expect(r.stdout).toMatch(/^FAIL {2}host-key {7}The host key of vps-pw .* is not trusted yet/m);
    expect(r.stdout).toMatch(/^skip {2}authenticated/m);
    expect(r.stdout).toContain(`host key: ${key.algorithm} ${key.fingerprint}`);
    expect(r.stdout).toContain(`\n  switchyard host trust vps-pw --fingerprint ${key.fingerprint} --algorithm ${key.algorithm}\n`);
    expect(r.stderr).toMatch(/^error HOST_KEY_UNKNOWN: /);
    expect(r.stderr).toContain('field: hostKey');

    const list = await cli(dataDir, ['host', 'list']);
    expect(list.stdout).toBe(`local\tThis computer\nvps-pw\t${user.name}@127.0.0.1:${sshd.port}\tpassword\tkey not trusted\n`);
  });

  it('trusts the compared key; then every check passes and the command exits 0', async () => {
    const t = await cli(dataDir, ['host', 'trust', 'vps-pw', '--fingerprint', key.fingerprint, '--algorithm', key.algorithm]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toBe(`trusted vps-pw: ${key.algorithm} ${key.fingerprint}; check it with: switchyard host check vps-pw\n`);

    const free = await freeLoopbackPort();
    const c = await cli(dataDir, ['host', 'check', 'vps-pw', '--port', String(free)]);
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    const lines = c.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/ {2,}/));
    expect(lines.map((l) => l[1])).toEqual(['reachable', 'host-key', 'authenticated', 'docker', 'docker-access', 'architecture', 'disk', 'swarm', `port ${free}`]);
    expect(lines.filter((l) => l[0] !== 'ok')).toEqual([]);
    expect((await cli(dataDir, ['host', 'list'])).stdout).toContain(`\tpassword\t${key.algorithm} ${key.fingerprint}\n`);
  });

  it("a wrong password fails with the core's SSH_AUTH_FAILED; no password is stored in clear; remove forgets the host", async () => {
    const user = sshd.users.dockerPassword;
    const r = await cli(dataDir, [...addArgs('vps-bad', user.name), '--password-stdin', '--fingerprint', key.fingerprint, '--algorithm', key.algorithm], {}, wrongPassword);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ok {4}host-key/m);
    expect(r.stdout).toMatch(/^FAIL {2}authenticated {2}The server refused the password/m);
    expect(r.stdout).not.toContain('host trust');
    expect(r.stderr).toMatch(/^error SSH_AUTH_FAILED: The server refused the password for user "sytest-pw" on vps-bad/);
    expect(r.stderr).toContain('field: auth');

    const files = filesUnder(dataDir);
    expect(files.map((f) => path.basename(f.file))).toContain('secrets.json');
    for (const { file, text } of files) {
      expect(text, file).not.toContain(user.password);
      expect(text, file).not.toContain(wrongPassword);
    }

    const removed = await cli(dataDir, ['host', 'remove', 'vps-bad']);
    expect([removed.code, removed.stdout]).toEqual([0, 'removed vps-bad\n']);
    expect((await cli(dataDir, ['host', 'list'])).stdout).not.toContain('vps-bad');
  });

  it('refuses a command line without exactly one way to log in (usage error, exit 2)', async () => {
    const none = await cli(dataDir, addArgs('vps-x', 'someone'));
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('error: choose one way to log in: --agent, --key <path> or --password-stdin');
    const two = await cli(dataDir, [...addArgs('vps-x', 'someone'), '--agent', '--password-stdin'], {}, 'x');
    expect(two.code).toBe(2);
    expect((await cli(dataDir, ['host', 'list'])).stdout).not.toContain('vps-x');
  });
});

const DOMAIN = 'cli.switchyard.test';

describe('switchyard https … against a real ACME server (Pebble)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-https-'));
  const caFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'sy-cli-ca-')), 'pebble-ca.pem');
  const name = uniqueName('clitls');
  let pebble: TestPebble;
  let env: NodeJS.ProcessEnv;
  let port: number;
  let httpsPort: number;
  let root: string;
  const enableArgs = () => [
    'https',
    'enable',
    name,
    '--domain',
    DOMAIN,
    '--email',
    'ops@switchyard.test',
    '--directory',
    pebble.directoryUrl,
    '--ca-bundle',
    caFile,
    '--challenge-port',
    String(port),
    '--https-port',
    String(httpsPort),
  ];

  beforeAll(async () => {
    port = await freePort();
    httpsPort = await freePort();
    pebble = await TestPebble.start({ httpPort: port, defaultIPv4: '' });
    root = await pebble.rootCa();
    await pebble.pointDomain(DOMAIN, '127.0.0.1');
    writeFileSync(caFile, pebble.caBundle);
    env = { SWITCHYARD_DNS_SERVERS: `127.0.0.1:${pebble.dnsPort}` };
    const created = await cli(dataDir, ['call', 'environments:create', JSON.stringify({ name, httpPort: port, images: TEST_IMAGES })], env);
    if (created.code !== 0) throw new Error(created.stderr);
  });

  afterAll(async () => {
    await removeEnvironments(name);
    await pebble?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(path.dirname(caFile), { recursive: true, force: true });
  });

  it('without --accept-terms nothing is saved or ordered: exit 1 naming https.termsAccepted', async () => {
    const r = await cli(dataDir, enableArgs(), env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error VALIDATION: https\.termsAccepted: must be accepted.*pass --accept-terms/);
    expect(r.stderr).toContain('field: https.termsAccepted\n');
    expect(r.stdout).toBe('');
    expect((await cli(dataDir, ['https', 'status', name], env)).stdout).toContain(`${name}: HTTPS is not set up`);
  });

  it('enable prints each step and the summary, exits 0, and a verified HTTPS request then succeeds; status shows the serial', async () => {
    const r = await cli(dataDir, [...enableArgs(), '--accept-terms'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const steps = lines.slice(0, -1).map((l) => /^\[ *\d+%\] ([a-z-]+): /.exec(l)?.[1]);
    expect([...new Set(steps)]).toEqual(['prepare', 'preflight', 'order', 'challenge', 'finalize', 'install', 'verify']);
    const summary = /^HTTPS on for cli\.switchyard\.test with certificate ([0-9a-f]+), valid until \S+$/.exec(lines.at(-1)!);
    expect(summary, lines.at(-1)).not.toBeNull();

    const served = await verifiedHttpsGet(httpsPort, DOMAIN, root);
    expect(served.status).toBe(200);
    expect(served.serial).toBe(serialKey(summary![1]));

    const status = await cli(dataDir, ['https', 'status', name], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`${name}: HTTPS on, port ${httpsPort}, HTTP redirects to HTTPS\n`);
    expect(status.stdout).toContain(`domains       ${DOMAIN}\n`);
    expect(status.stdout).toContain(`directory     ${pebble.directoryUrl} (own CA bundle, validates on port ${port})\n`);
    expect(status.stdout).toContain(`serial        ${summary![1]}\n`);
    expect(status.stdout).toMatch(/^issuer {8}Pebble Intermediate CA/m);
    expect(status.stdout).toMatch(/^next renewal {2}\d{4}-\d\d-\d\dT/m);
    expect(status.stdout).toContain('failures      0\n');
  });

  it('disable keeps the settings and stops renewals', async () => {
    const r = await cli(dataDir, ['https', 'disable', name], env);
    expect([r.code, r.stdout]).toEqual([0, `HTTPS off for ${name}: renewals stopped; to remove the HTTPS listener now: switchyard env deploy ${name}\n`]);
    const status = await cli(dataDir, ['https', 'status', name], env);
    expect(status.stdout).toContain(`${name}: HTTPS off, port ${httpsPort}`);
    expect(status.stdout).toContain('next renewal  none scheduled\n');
  });
});
