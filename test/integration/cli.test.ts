import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Task } from '../../shared/contract';
import { cli } from '../support/cli';
import { TEST_IMAGES, freePort, get, labelledResources, removeEnvironments, uniqueName } from '../support/lab';

describe('switchyard CLI on real Docker', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-'));
  const name = uniqueName('cli');
  afterAll(async () => {
    await removeEnvironments(name);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('deploys with --follow (one JSON task event per line), shows status, destroys', async () => {
    const port = await freePort();
    const payload = JSON.stringify({ name, httpPort: port, images: TEST_IMAGES });
    expect((await cli(dataDir, ['call', 'environments:create', payload])).code).toBe(0);

    const r = await cli(dataDir, ['call', 'environments:deploy', JSON.stringify({ name }), '--follow']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [first, ...lines] = r.stdout.split('\n{"id"');
    expect(JSON.parse(first)).toHaveProperty('taskId');
    const events = lines.map((l) => JSON.parse(`{"id"${l}`) as Task);
    expect(events.at(-1)!.state).toBe('succeeded');
    expect(new Set(events.map((e) => e.step))).toEqual(new Set(['images', 'ports', 'network', 'backends', 'config', 'haproxy', 'cleanup', 'verify']));
    expect((await get(port)).status).toBe(200);

    const status = await cli(dataDir, ['env', 'status', name]);
    expect(status.stdout).toContain(`${name}: running at http://localhost:${port}/`);
    expect(status.stdout).toMatch(/server back1\tUP/);

    const destroyed = await cli(dataDir, ['env', 'destroy', name]);
    expect(destroyed.code).toBe(0);
    expect(destroyed.stdout).toContain('[ 10%] containers: Removing containers');
    expect(destroyed.stdout).toContain(`${name} destroyed: 3 containers, 1 network, 1 volume removed`);
    expect(await labelledResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it('a failed deploy exits 1 with the task error', async () => {
    const port = await freePort();
    const payload = JSON.stringify({ name, httpPort: port, images: { ...TEST_IMAGES, haproxy: 'switchyard-test/absent:1' } });
    expect((await cli(dataDir, ['call', 'environments:update', JSON.stringify({ name, patch: JSON.parse(payload) })])).code).toBe(1);
    await cli(dataDir, ['call', 'environments:update', JSON.stringify({ name, patch: { images: { haproxy: 'switchyard-test/absent:1' } } })]);
    const r = await cli(dataDir, ['env', 'deploy', name]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error IMAGE_MISSING: The image switchyard-test\/absent:1 is not on the host/);
    expect(r.stderr).toContain('field: images.haproxy');
  });
});
