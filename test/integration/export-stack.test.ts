import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageService } from '../../electron/core/environments/images';
import { leaveSwarm, NODES, nodeDocker, requireNodes, startEngine, stopEngine } from '../support/cluster';
import { appRoot, freePort, testCore, until, uniqueName, type TestCore, TEST_IMAGES } from '../support/lab';

const run = promisify(execFile);
/** Reserved for this file: the default engine is never put in swarm mode (other tests share it). */
const node = NODES.swn3;

async function onNode(args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout, stderr } = await run('docker', ['-H', node.dockerHost, ...args], { cwd, timeout: 120_000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`docker ${args.join(' ')} on ${node.name} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** One GET on a fresh connection to the node's address, as a client outside the cluster. */
function getFrom(port: number, cookie?: string): Promise<{ status: number; backend?: string; cookie?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: node.address, port, path: '/', agent: false, headers: cookie ? { cookie } : {}, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, backend: /Hello from Backend: ([A-Za-z0-9_-]+)/.exec(body)?.[1], cookie: res.headers['set-cookie']?.[0]?.split(';')[0] }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

describe('an environment exported as a Swarm stack deploys on a single-node swarm', () => {
  const name = uniqueName('stk');
  let t: TestCore;
  let out: string;
  let deployed = false;

  beforeAll(async () => {
    await requireNodes();
    // Whatever an interrupted run left: this node starts outside any swarm.
    await leaveSwarm(node);
    // A swarm network an interrupted run left behind outlives the swarm and its address pool
    // clashes with the next one's ("Pool overlaps"): only a restart of the engine clears it.
    if ((await nodeDocker(node).listNetworks()).some((n) => n.Scope === 'swarm')) {
      await stopEngine(node);
      await startEngine(node);
    }
    await nodeDocker(node).swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: `${node.address}:2377` });
    t = testCore();
    out = mkdtempSync(path.join(os.tmpdir(), 'sy-export-stack-'));
  });
  afterAll(async () => {
    const docker = nodeDocker(node);
    const filters = { label: [`com.docker.stack.namespace=${name}`] };
    const report = (err: Error) => console.error(err.message);
    if (deployed) {
      await onNode(['stack', 'rm', name]).catch(report);
      await until('the stack’s services gone', async () => (await docker.listServices({ filters })).length === 0, 60_000, 250).catch(report);
      // Its networks go once no task uses them any more: still in the swarm, or they would linger on the node.
      await until(
        'the stack’s tasks and networks gone',
        async () => {
          for (const c of await docker.listContainers({ all: true, filters }))
            await docker
              .getContainer(c.Id)
              .remove({ force: true })
              .catch(() => undefined);
          for (const n of await docker.listNetworks({ filters }))
            await docker
              .getNetwork(n.Id)
              .remove()
              .catch(() => undefined);
          return (await docker.listContainers({ all: true, filters })).length === 0 && (await docker.listNetworks({ filters })).length === 0;
        },
        60_000,
        500,
      ).catch(report);
    }
    await leaveSwarm(node).catch(report);
    for (const v of (await docker.listVolumes({ filters }).catch(() => ({ Volumes: [] }))).Volumes ?? [])
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
    await t?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('the lab as a stack: HAProxy finds both tasks through Swarm DNS and answers from each; the sticky cookie holds', async () => {
    const port = await freePort();
    await t.call('environments:create', { name, httpPort: port, images: TEST_IMAGES });
    const dir = path.join(out, `${name}-stack`);
    const exported = await t.call('environments:export', { environment: name, format: 'stack', dir, zip: false });
    expect(exported.files).toEqual(expect.arrayContaining(['stack.yaml', 'haproxy/haproxy.cfg', 'README.md', 'demo-backend/Dockerfile']));

    // Nothing can be pulled: the demo image is built on the node itself, tagged as the stack names it.
    const demo = await new ImageService(path.join(appRoot, 'docker', 'demo-backend')).ensureDemoImage(nodeDocker(node), TEST_IMAGES.demoBase);
    const started = Date.now();
    await onNode(['stack', 'deploy', '-c', 'stack.yaml', '--resolve-image', 'never', name], dir);
    deployed = true;
    const services = await nodeDocker(node).listServices({ filters: { label: [`com.docker.stack.namespace=${name}`] } });
    expect(services.map((s) => [s.Spec?.Name, s.Spec?.TaskTemplate && (s.Spec.TaskTemplate as { ContainerSpec?: { Image?: string } }).ContainerSpec?.Image]).sort()).toEqual([
      [`${name}_demo`, demo.tag],
      [`${name}_haproxy`, TEST_IMAGES.haproxy],
    ]);

    const seen = new Set<string>();
    await until(
      `answers from back1 and back2 at http://${node.address}:${port}/`,
      async () => {
        const r = await getFrom(port);
        if (r.status === 200 && r.backend) seen.add(r.backend);
        return seen.has('back1') && seen.has('back2');
      },
      90_000,
      200,
    ).catch(async (err: Error) => {
      // What Swarm made of the tasks says why.
      const tasks = await onNode(['stack', 'ps', '--no-trunc', '--format', '{{.Name}} {{.CurrentState}} {{.Error}}', name]).catch((e: Error) => e.message);
      throw new Error(`${err.message}\n${tasks}`);
    });
    console.log(`stack: deployed and answering from both tasks in ${Date.now() - started} ms`);

    // The cookie HAProxy derives from a task's address keeps this client on it.
    const first = await getFrom(port);
    expect(first.cookie).toMatch(/^SERVERID=[0-9a-f]+$/);
    for (let i = 0; i < 6; i++) expect((await getFrom(port, first.cookie)).backend).toBe(first.backend);
  });
});
