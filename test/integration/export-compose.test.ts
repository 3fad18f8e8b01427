import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTree, readZip } from '../support/export-check';
import { docker, freePort, get, testCore, until, uniqueName, type TestCore, TEST_IMAGES } from '../support/lab';
import { buildReleaseImage } from '../support/release-app';

const run = promisify(execFile);

/** Debian's docker-compose (1.29), on the test engine; the exported folder is all it gets. */
async function compose(dir: string, project: string, ...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('docker-compose', ['-f', path.join(dir, 'compose.yaml'), '-p', project, ...args], { cwd: dir, timeout: 180_000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`docker-compose ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Fresh connections until every backend named has answered; what each answer said. */
async function answersFrom(port: number, backends: string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  await until(
    `answers from ${backends.join(', ')}`,
    async () => {
      const r = await get(port);
      if (r.status === 200 && r.backend) seen.add(r.backend);
      return backends.every((b) => seen.has(b));
    },
    60_000,
    50,
  );
  return seen;
}

describe('an environment exported as a compose project runs on its own', () => {
  let t: TestCore;
  let out: string;
  const projects: { dir: string; project: string }[] = [];

  beforeAll(() => {
    t = testCore();
    out = mkdtempSync(path.join(os.tmpdir(), 'sy-export-compose-'));
  });
  afterAll(async () => {
    // Always, even after a failure: every project this file started goes, with its volumes.
    for (const p of projects) await compose(p.dir, p.project, 'down', '-v', '--remove-orphans').catch((err: Error) => console.error(err.message));
    await t.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('the lab: both demo backends answer, the sticky cookie holds a client, and stopping its backend fails it over', async () => {
    const name = uniqueName('lab');
    const port = await freePort();
    await t.call('environments:create', { name, httpPort: port, images: TEST_IMAGES });
    const dir = path.join(out, `${name}-compose`);
    const exported = await t.call('environments:export', { environment: name, format: 'compose', dir });
    expect(exported.files).toEqual(expect.arrayContaining(['compose.yaml', 'haproxy/haproxy.cfg', 'README.md', 'demo-backend/Dockerfile', 'demo-backend/entrypoint.sh']));
    expect(readZip(exported.zip!).map((e) => e.name)).toContain(`${name}-compose/compose.yaml`);

    const project = uniqueName('cmp');
    projects.push({ dir, project });
    await compose(dir, project, 'config', '-q');
    const started = Date.now();
    await compose(dir, project, 'up', '-d');
    expect([...(await answersFrom(port, ['back1', 'back2']))].sort()).toEqual(['back1', 'back2']);
    console.log(`compose lab: up and answering from both backends in ${Date.now() - started} ms`);

    // The tutorial's sticky session: the cookie HAProxy sets keeps this client on its server.
    const first = await get(port);
    const cookie = first.setCookie[0]?.split(';')[0];
    expect(cookie).toBe(`SERVERID=${first.backend}`);
    for (let i = 0; i < 6; i++) expect((await get(port, { cookie })).backend).toBe(first.backend);

    // Its server stops: the very next request with the same cookie is answered by the other one (redispatch).
    await compose(dir, project, 'stop', '-t', '2', first.backend!);
    const other = first.backend === 'back1' ? 'back2' : 'back1';
    const failover = await get(port, { cookie });
    expect(failover.status).toBe(200);
    expect(failover.backend).toBe(other);
    expect(failover.setCookie[0]).toMatch(new RegExp(`^SERVERID=${other};`));
  });

  it('a 3-replica app with a secret: config passes, every replica answers, no secret value in any file', async () => {
    const name = uniqueName('app');
    const image = `sy-test-export-app:${name}`;
    await buildReleaseImage(image, '1');
    try {
      const port = await freePort();
      const secret = `seeded-${uniqueName('secret')}`;
      await t.call('environments:create', {
        name,
        httpPort: port,
        images: TEST_IMAGES,
        app: { source: { kind: 'image', image }, env: [{ name: 'BACKEND_NAME', value: '{{server}}' }], secrets: [{ name: 'API_TOKEN', value: secret }] },
        servers: [1, 2, 3].map((i) => ({ name: `app${i}`, kind: 'app' as const })),
      });
      const dir = path.join(out, `${name}-compose`);
      const exported = await t.call('environments:export', { environment: name, format: 'compose', dir });
      expect(exported).toMatchObject({ secrets: ['API_TOKEN'], secretsFile: '.env', run: 'docker compose up -d' });
      for (const [file, bytes] of [...readTree(dir), ...readZip(exported.zip!).map((e) => [e.name, e.data] as const)]) expect(bytes.includes(secret), file).toBe(false);

      const project = uniqueName('cmp');
      projects.push({ dir, project });
      await compose(dir, project, 'config', '-q');
      await compose(dir, project, 'up', '-d');
      expect([...(await answersFrom(port, ['app1', 'app2', 'app3']))].sort()).toEqual(['app1', 'app2', 'app3']);
      // The secret reached the containers as the empty value .env holds until the user fills it in.
      const c = (await docker.listContainers({ filters: { label: [`com.docker.compose.project=${project}`, 'com.docker.compose.service=app2'] } }))[0];
      expect((await docker.getContainer(c.Id).inspect()).Config.Env).toContain('API_TOKEN=');
    } finally {
      const p = projects.find((x) => x.dir.includes(name));
      if (p) {
        await compose(p.dir, p.project, 'down', '-v', '--remove-orphans').catch(() => undefined);
        projects.splice(projects.indexOf(p), 1);
      }
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });
});
