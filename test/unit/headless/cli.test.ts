import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../../support/cli';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('switchyard CLI', () => {
  it('call runs a channel and prints its JSON result', async () => {
    const r = await cli(dataDir, ['call', 'environments:create', '{"name":"lab","httpPort":18123}']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'lab', httpPort: 18123, balance: 'roundrobin' });
    const list = await cli(dataDir, ['call', 'environments:list']);
    expect(JSON.parse(list.stdout).map((e: { name: string }) => e.name)).toEqual(['lab']);
  });

  it('a refused payload exits 1 with the code, the message and the field', async () => {
    const r = await cli(dataDir, ['call', 'environments:create', '{"name":"a\\nb"}']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error VALIDATION: name: must be/);
    expect(r.stderr).toContain('field: name\n');
  });

  it('bad JSON and unknown channels are errors too', async () => {
    const bad = await cli(dataDir, ['call', 'environments:list', '{oops']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error VALIDATION: The payload is not valid JSON/);
    const unknown = await cli(dataDir, ['call', 'environments:explode', '{}']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error UNKNOWN_CHANNEL: Unknown channel "environments:explode"/);
  });

  it('env shortcuts create and list; a wrong command line exits 2', async () => {
    const created = await cli(dataDir, ['env', 'create', 'shop', '--port', '18124', '--servers', '3', '--balance', 'leastconn', '--no-sticky']);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('created shop (HTTP port 18124)');
    const got = JSON.parse((await cli(dataDir, ['call', 'environments:get', '{"name":"shop"}'])).stdout);
    expect(got.servers.map((s: { name: string }) => s.name)).toEqual(['back1', 'back2', 'back3']);
    expect(got.sticky.enabled).toBe(false);
    expect(got.balance).toBe('leastconn');
    const list = await cli(dataDir, ['env', 'list']);
    expect(list.stdout).toBe('lab\tport 18123\troundrobin\t2 servers\nshop\tport 18124\tleastconn\t3 servers\n');
    const badPort = await cli(dataDir, ['env', 'create', 'x', '--port', '70000']);
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toContain('error VALIDATION: httpPort: must be between 1 and 65535');
    expect((await cli(dataDir, ['env', 'create', 'y', '--balance', 'fastest'])).code).toBe(2);
    expect((await cli(dataDir, ['frobnicate'])).code).toBe(2);
  });

  it('a whole-number option given something else is a command-line error (exit 2) naming the option', async () => {
    for (const args of [
      ['env', 'create', 'x', '--port', 'abc'],
      ['env', 'create', 'x', '--servers', '2.5'],
      ['server', 'set', 'lab', 'back1', '--weight', 'heavy'],
      ['stats', 'lab', '-n', 'many'],
      ['traffic', 'lab', '-c', ''],
      ['logs', 'lab', '-n', '1x'],
      ['serve', '--port', 'http'],
      ['host', 'add', 'vps', '--address', '203.0.113.1', '--user', 'u', '--agent', '--port', 'ssh'],
      ['host', 'check', 'vps', '--port', '80', 'eighty'],
      ['https', 'enable', 'lab', '--https-port', 'x'],
    ]) {
      const r = await cli(dataDir, args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/error: option '.*' argument '.*' is invalid\. ".*" is not a whole number\./);
    }
    const list = JSON.parse((await cli(dataDir, ['call', 'environments:list'])).stdout) as { name: string }[];
    expect(list.map((e) => e.name)).not.toContain('x');
  }, 120_000);

  it('refuses an environment without servers: --servers 0 exits 2, an empty list is refused naming servers', async () => {
    const zero = await cli(dataDir, ['env', 'create', 'empty', '--servers', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('An environment needs at least one server.');
    const r = await cli(dataDir, ['call', 'environments:create', '{"name":"empty","servers":[]}']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error VALIDATION: servers: an environment needs at least one server\nfield: servers\n');
    const patch = await cli(dataDir, ['call', 'environments:update', '{"name":"lab","patch":{"servers":[]}}']);
    expect(patch.stderr).toContain('field: patch.servers\n');
    const list = JSON.parse((await cli(dataDir, ['call', 'environments:list'])).stdout) as { name: string; servers: unknown[] }[];
    expect(list.map((e) => e.name)).not.toContain('empty');
    expect(list.find((e) => e.name === 'lab')?.servers).toHaveLength(2);
  }, 60_000);

  it('env forget asks for --yes first (exit 2, nothing changed), then forgets and says what may remain', async () => {
    expect((await cli(dataDir, ['env', 'create', 'gone', '--port', '18125', '--servers', '1'])).code).toBe(0);
    const asked = await cli(dataDir, ['env', 'forget', 'gone']);
    expect(asked.code).toBe(2);
    expect(asked.stdout).toContain('Forgetting gone removes it from Switchyard only. Nothing is sent to local');
    expect(asked.stdout).toContain('  containers  sy-gone-haproxy, sy-gone-back1\n');
    expect(asked.stderr).toContain('nothing was changed; to forget gone, run the command again with --yes');
    const still = JSON.parse((await cli(dataDir, ['call', 'environments:list'])).stdout) as { name: string }[];
    expect(still.map((e) => e.name)).toContain('gone');

    const forgot = await cli(dataDir, ['env', 'forget', 'gone', '--yes']);
    expect(forgot.stderr).toBe('');
    expect(forgot.code).toBe(0);
    expect(forgot.stdout).toBe(
      [
        'forgot gone; nothing was sent to local',
        'may remain on local for gone:',
        '  containers  sy-gone-haproxy, sy-gone-back1',
        '  networks    sy-gone-backends',
        '  volumes     sy-gone-haproxy-state',
        '  (all labelled io.switchyard.environment=gone: docker ps -a, docker network ls and docker volume ls with --filter label=io.switchyard.environment=gone find them)',
        '',
      ].join('\n'),
    );
    const after = JSON.parse((await cli(dataDir, ['call', 'environments:list'])).stdout) as { name: string }[];
    expect(after.map((e) => e.name)).not.toContain('gone');
    expect((await cli(dataDir, ['env', 'forget', 'gone', '--yes'])).stderr).toMatch(/^error NOT_FOUND: /);
  }, 60_000);

  it('host forget asks for --yes first, then forgets the host with its environments', async () => {
    const added = await cli(dataDir, ['call', 'hosts:add', JSON.stringify({ name: 'vps-gone', address: '203.0.113.7', user: 'deploy', auth: { method: 'password', password: 'pw 123' } })]);
    expect(added.code, added.stderr).toBe(0);
    expect((await cli(dataDir, ['call', 'environments:create', '{"name":"far","host":"vps-gone","httpPort":18126}'])).code).toBe(0);
    expect((await cli(dataDir, ['host', 'remove', 'vps-gone'])).stderr).toMatch(/^error BUSY: .*forget the host/);

    const asked = await cli(dataDir, ['host', 'forget', 'vps-gone']);
    expect(asked.code).toBe(2);
    expect(asked.stdout).toContain('Forgetting vps-gone removes it from Switchyard with its stored password or passphrase, and the environment far placed on it.');
    expect(asked.stdout).toContain('may remain on vps-gone for far:');
    expect(JSON.parse((await cli(dataDir, ['call', 'hosts:list'])).stdout).map((h: { id: string }) => h.id)).toContain('vps-gone');

    const forgot = await cli(dataDir, ['host', 'forget', 'vps-gone', '--yes']);
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(forgot.stdout).toContain('forgot vps-gone and the environment far; nothing was sent to the server\n');
    expect(forgot.stdout).toContain('  containers  sy-far-haproxy, sy-far-back1, sy-far-back2\n');
    expect(JSON.parse((await cli(dataDir, ['call', 'hosts:list'])).stdout).map((h: { id: string }) => h.id)).toEqual(['local']);
    const envs = JSON.parse((await cli(dataDir, ['call', 'environments:list'])).stdout) as { name: string }[];
    expect(envs.map((e) => e.name)).not.toContain('far');
    expect(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')).not.toMatch(/"s[0-9a-f]{24}"/);
  }, 60_000);

  it('app set takes the command, one argument per --command, and limits per replica; a bad number is a command-line error', async () => {
    expect((await cli(dataDir, ['env', 'create', 'cmdapp', '--port', '18127'])).code).toBe(0);
    const set = await cli(dataDir, [
      'app',
      'set',
      'cmdapp',
      '--image',
      'registry.example.com/team/shop:1',
      '--command',
      'node',
      '--command',
      'server.js --port=8080',
      '--memory',
      '256',
      '--cpus',
      '0.5',
    ]);
    expect(set.code, set.stderr).toBe(0);
    const got = JSON.parse((await cli(dataDir, ['call', 'environments:get', '{"name":"cmdapp"}'])).stdout);
    expect(got.app).toMatchObject({ command: ['node', 'server.js --port=8080'], memoryMb: 256, cpus: 0.5 });
    const bad = await cli(dataDir, ['app', 'set', 'cmdapp', '--image', 'x:1', '--cpus', 'half']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--cpus');
  });
});

describe('switchyard notifications', () => {
  it('shows both kinds on, turns one off for the app to read, and refuses a value other than on or off (exit 2, nothing changed)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-notify-'));
    try {
      expect(await cli(dir, ['notifications'])).toMatchObject({ code: 0, stdout: 'backends      on\ncertificates  on\n' });
      expect(await cli(dir, ['notifications', '--backends', 'off'])).toMatchObject({ code: 0, stdout: 'backends      off\ncertificates  on\n' });
      expect(JSON.parse(readFileSync(path.join(dir, 'switchyard.json'), 'utf8')).preferences.notifications).toEqual({ backends: false, certificates: true });
      const bad = await cli(dir, ['notifications', '--certificates', 'maybe']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("option '--certificates <on|off>' argument 'maybe' is invalid. must be on or off");
      expect((await cli(dir, ['notifications'])).stdout).toBe('backends      off\ncertificates  on\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('switchyard env lab', () => {
  it('creates the tutorial lab on the first free name and port; a second one gets the next name and another port', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-lab-'));
    try {
      const first = await cli(dir, ['env', 'lab', '--no-deploy']);
      expect(first.stderr).toBe('');
      const [, port] = /^created lab \(HTTP port (\d+)\)\ndeploy it with: switchyard env deploy lab\n$/.exec(first.stdout) ?? [];
      expect(Number(port)).toBeGreaterThanOrEqual(8080);
      const second = await cli(dir, ['env', 'lab', '--no-deploy']);
      const [, port2] = /^created lab-2 \(HTTP port (\d+)\)\n/.exec(second.stdout) ?? [];
      expect(Number(port2)).toBeGreaterThan(Number(port));
      expect((await cli(dir, ['env', 'list'])).stdout).toBe(`lab\tport ${port}\troundrobin\t2 servers\nlab-2\tport ${port2}\troundrobin\t2 servers\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
