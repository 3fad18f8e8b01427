import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../../support/cli';

const root = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-backup-'));
const [a, b] = ['a', 'b'].map((d) => path.join(root, d));
const file = path.join(root, 'all.backup');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `switchyard backup` and `switchyard restore`: what they print, and that nothing changes without --yes. */
describe('switchyard backup and restore', () => {
  it('backup writes the file and says what is in it, secrets included only with a passphrase', async () => {
    expect((await cli(a, ['env', 'create', 'lab', '--port', '18301'])).code).toBe(0);
    const host = { name: 'vps-1', address: '203.0.113.7', user: 'deploy', auth: { method: 'password', password: 'pw 123 secret' } };
    expect((await cli(a, ['call', 'hosts:add', JSON.stringify(host)])).code).toBe(0);

    const plain = await cli(a, ['backup', '--out', path.join(root, 'plain.backup')]);
    expect(plain.stderr).toBe('');
    expect(plain.stdout).toMatch(/^wrote .*plain\.backup \(\d+ bytes, format 1\)\n/);
    expect(plain.stdout).toContain('1 environment, 1 host, 0 registry logins, 0 releases, 0 config versions, 0 ACME accounts, 0 certificates\n');
    expect(plain.stdout).toContain('secrets: 1 left out (no passphrase); a restore names each one to give again\n');

    const enc = await cli(a, ['backup', '--out', file, '--passphrase-stdin'], {}, 'twelve words of passphrase\n');
    expect(enc.code, enc.stderr).toBe(0);
    expect(enc.stdout).toContain('secrets: 1 included, encrypted with the passphrase\n');
    expect(readFileSync(file).toString('latin1')).not.toContain('pw 123 secret');

    const short = await cli(a, ['backup', '--out', file, '--passphrase-stdin'], {}, 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('field: passphrase\n');
  }, 60_000);

  it('restore prints the preview and changes nothing without --yes (exit 2); with it, restores', async () => {
    const asked = await cli(b, ['restore', file, '--passphrase-stdin'], {}, 'twelve words of passphrase\n');
    expect(asked.code).toBe(2);
    const lines = asked.stdout.split('\n');
    expect(lines[0]).toMatch(/^backup of \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ by \S+@\S+ \(installation [0-9a-f]{8}\), Switchyard \S+, format 1, encrypted, 1 secret$/);
    expect(lines[1]).toBe(`restore (replace) into ${b}:`);
    expect(lines.slice(2, 5)).toEqual(['ACTION  WHAT         NAME', 'add     environment  lab', 'add     host         vps-1']);
    expect(asked.stderr).toContain('nothing was changed; to restore, run the command again with --yes');
    expect(JSON.parse((await cli(b, ['call', 'environments:list'])).stdout)).toEqual([]);

    const wrong = await cli(b, ['restore', file, '--passphrase-stdin', '--yes'], {}, 'not the passphrase at all\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error VALIDATION: passphrase: this is not the passphrase .* was made with; nothing was changed\nfield: passphrase\n$/);

    const done = await cli(b, ['restore', file, '--passphrase-stdin', '--yes'], {}, 'twelve words of passphrase\n');
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(`restored into ${b}: 2 added, 0 replaced, 0 unchanged, 0 kept, 0 left out\n`);
    expect(JSON.parse((await cli(b, ['call', 'environments:list'])).stdout).map((e: { name: string }) => e.name)).toEqual(['lab']);

    const again = await cli(b, ['restore', file, '--passphrase-stdin', '--yes'], {}, 'twelve words of passphrase\n');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('field: mode\n');
  }, 60_000);

  it('a merge of the file without secrets names what it would be missing, by what uses it', async () => {
    const c = path.join(root, 'c');
    expect((await cli(c, ['env', 'create', 'mine', '--port', '18302'])).code).toBe(0);
    const r = await cli(c, ['restore', path.join(root, 'plain.backup'), '--merge', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('keep    environment  mine\n');
    expect(r.stdout).toContain('missing secrets, to give again after the restore:\n  host vps-1: its SSH password\n');
    expect(r.stdout).toContain('restored into');
  }, 60_000);
});
