import { mkdtempSync, rmSync } from 'node:fs';
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
});
