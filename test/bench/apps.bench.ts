/**
 * The user's own app. (1) A deploy of an app with many replicas (a small HTTP image built here
 * from the busybox stand-in, present before the clock starts), from the call until HAProxy has
 * every replica UP, beside the same containers started with plain `docker run` commands typed
 * one after another, until every one answers HTTP. (2) The tutorial's folder built and deployed
 * from cold (no cached build step), beside `docker build` + `docker run` of the same folder.
 * Both sides run in the same run, alternately. Prints figures beside their goals; asserts nothing.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Task } from '../../shared/contract';
import { appImageTag } from '../../electron/core/apps/app-image';
import { LABEL_ENV } from '../../electron/core/environments/naming';
import { TEST_IMAGES, docker, freePort, removeEnvironments, sleep, testCore, uniqueName, until, type TestCore } from '../support/lab';
import { tutorialAppFolder } from '../support/tutorial-app';

const run = promisify(execFile);

/** The small app of (1): busybox httpd serving a page that names the replica, and /health. */
const HTTP_APP_IMAGE = 'switchyard-bench/http-app:busybox';

/** The size the goal of (1) is set for. */
export const GOAL_REPLICAS = 8;

const replicaNames = (n: number) => Array.from({ length: n }, (_, i) => `app${i + 1}`);

/** A GET / straight to a container's address on its network, as a user's curl would; true once it is a 200 naming `server`. */
function answers(ip: string, server: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port: 80, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes(`Hello from Backend: ${server}`)));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Until the container answers; polled every 25 ms, like the deploy benchmark's client. */
async function serving(container: string, server: string, timeoutMs = 60_000): Promise<void> {
  const info = await docker.getContainer(container).inspect();
  const ip = Object.values(info.NetworkSettings.Networks ?? {})[0]?.IPAddress;
  if (!ip) throw new Error(`${container} has no address`);
  await until(`${container} answering HTTP`, () => answers(ip, server), timeoutMs, 25);
}

/**
 * The plain way: optionally `docker build`, then `docker network create` and one `docker run`
 * per replica, each waiting for the previous to return, as typed in a terminal. The clock
 * stops when every container answers HTTP (each is waited for while the next is typed).
 */
async function plainDocker(replicas: number, image: string, buildFolder?: string): Promise<{ ms: number; cached: number }> {
  const id = uniqueName('plainapp');
  const label = ['--label', `${LABEL_ENV}=${id}`];
  const tag = `switchyard-bench/${id}:latest`;
  const ready: Promise<void>[] = [];
  let cached = 0;
  const t0 = performance.now();
  try {
    if (buildFolder) {
      const built = await run('docker', ['build', '-t', tag, buildFolder]);
      cached = built.stdout.split('\n').filter((l) => l.includes('Using cache')).length;
    }
    await run('docker', ['network', 'create', ...label, `${id}-net`]);
    for (const server of replicaNames(replicas)) {
      const name = `${id}-${server}`;
      await run('docker', ['run', '-d', ...label, '--name', name, '--network', `${id}-net`, '-e', `BACKEND_NAME=${server}`, buildFolder ? tag : image]);
      ready.push(serving(name, server));
    }
    await Promise.all(ready);
    return { ms: performance.now() - t0, cached };
  } finally {
    await Promise.allSettled(ready);
    await removeEnvironments(id);
    if (buildFolder)
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

/**
 * Switchyard's way: one deploy, timed from the call until the environment's stats show every
 * replica UP (polled every 25 ms), as the plain side is polled; the deploy task must succeed too.
 */
async function switchyardDeploy(replicas: number, app: { source: { kind: 'image'; image: string } | { kind: 'build'; context: string } }): Promise<{ ms: number; cached: number }> {
  const t: TestCore = testCore();
  const name = uniqueName('appbench');
  const servers = replicaNames(replicas);
  try {
    await t.call('environments:create', {
      name,
      httpPort: await freePort(),
      images: TEST_IMAGES,
      app: { ...app, port: 80, env: [{ name: 'BACKEND_NAME', value: '{{server}}' }] },
      servers: servers.map((s) => ({ name: s, kind: 'app' as const })),
    });
    const lines: string[] = [];
    const off = t.core.events.on('tasks:updated', (task) => task.target === name && lines.push(task.message));
    const t0 = performance.now();
    const { taskId } = await t.call('environments:deploy', { environment: name });
    let ended: Task | undefined;
    const done = t.core.tasks.whenDone(taskId).then((task) => (ended = task));
    for (;;) {
      if (ended && ended.state !== 'succeeded') throw new Error(`deploy failed: ${ended.error?.code} ${ended.message}`);
      // Until the load balancer and its deed exist, there are no stats to read.
      const stats = await t.call('stats:get', { environment: name }).catch(() => undefined);
      if (stats?.servers.filter((s) => servers.includes(s.name) && s.health === 'UP').length === replicas) break;
      if (performance.now() - t0 > 120_000) throw new Error(`${replicas} replicas not UP within 120 s`);
      await sleep(25);
    }
    const ms = performance.now() - t0;
    const task = await done;
    off();
    if (task.state !== 'succeeded') throw new Error(`deploy failed: ${task.error?.code} ${task.message}`);
    return { ms, cached: lines.filter((l) => l.includes('Using cache')).length };
  } finally {
    await removeEnvironments(name);
    await docker
      .getImage(appImageTag(name))
      .remove({ force: true })
      .catch(() => undefined);
    await t.close();
  }
}

/** The HTTP app of (1), built once before any timing. */
async function buildHttpApp(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-bench-app-'));
  try {
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      [
        `FROM ${TEST_IMAGES.demoBase}`,
        // A page naming the replica, and the health path Switchyard checks by default.
        'ENTRYPOINT ["/bin/sh", "-c", "mkdir -p /www && echo \\"<h1>Hello from Backend: ${BACKEND_NAME}</h1>\\" > /www/index.html && echo ok > /www/health && exec httpd -f -p 80 -h /www"]',
        '',
      ].join('\n'),
    );
    await run('docker', ['build', '-q', '-t', HTTP_APP_IMAGE, dir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const ms = (v: number) => `${v.toFixed(0).padStart(6)} ms`;
const row = (label: string, v: number, runs: number[]) => console.log(`  ${label.padEnd(80)}${ms(v)}   (runs: ${list(runs)})`);
const list = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');

export async function benchApps(replicas: number, runs: number): Promise<void> {
  const folder = tutorialAppFolder();
  try {
    await buildHttpApp();
    const plain: number[] = [];
    const own: number[] = [];
    for (let i = 0; i < runs; i++) {
      plain.push((await plainDocker(replicas, HTTP_APP_IMAGE)).ms);
      own.push((await switchyardDeploy(replicas, { source: { kind: 'image', image: HTTP_APP_IMAGE } })).ms);
    }
    const p = median(plain);
    const s = median(own);
    console.log(`apps: ${replicas} replicas of a small HTTP image (present), ${runs} run(s), median`);
    row(`plain docker: network create + ${replicas} docker run in turn, to all answering`, p, plain);
    row(`switchyard deploy, to all ${replicas} UP in HAProxy`, s, own);
    const sized = replicas === GOAL_REPLICAS ? '' : `, set for ${GOAL_REPLICAS} replicas: this is the smoke size`;
    console.log(`  ratio switchyard/plain ${(s / p).toFixed(2)}x   (goal: at most 1.0x${sized})`);

    // (2) Cold builds: each side's image goes with its run, taking its build steps with it.
    const tutorialReplicas = 2;
    const plainBuild: number[] = [];
    const ownBuild: number[] = [];
    for (let i = 0; i < runs; i++) {
      // A line of its own in the folder for each build: the engine's cache (from earlier runs,
      // or the other side's build) can then serve no step after the COPY.
      const fresh = () => appendFileSync(path.join(folder, 'entrypoint.sh'), `# build ${randomBytes(6).toString('hex')}\n`);
      fresh();
      const a = await plainDocker(tutorialReplicas, '', folder);
      fresh();
      const b = await switchyardDeploy(tutorialReplicas, { source: { kind: 'build', context: folder } });
      if (a.cached || b.cached) throw new Error(`a build step came from the cache (plain ${a.cached}, switchyard ${b.cached}): the builds are not cold`);
      plainBuild.push(a.ms);
      ownBuild.push(b.ms);
    }
    const pb = median(plainBuild);
    const sb = median(ownBuild);
    console.log(`apps: the tutorial's folder, built from cold and run as ${tutorialReplicas} replicas, ${runs} run(s), median`);
    row(`plain docker: build + network create + ${tutorialReplicas} docker run in turn, to all answering`, pb, plainBuild);
    row(`switchyard build and deploy, to all ${tutorialReplicas} UP in HAProxy`, sb, ownBuild);
    console.log(`  ratio switchyard/plain ${(sb / pb).toFixed(2)}x   (for scale: no goal set)`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await docker
      .getImage(HTTP_APP_IMAGE)
      .remove({ force: true })
      .catch(() => undefined);
  }
}
