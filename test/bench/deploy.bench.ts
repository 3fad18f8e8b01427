/**
 * Deploy time of the tutorial lab, from the call to the first 200 through the load balancer
 * (images present), beside the same three containers started with plain `docker` commands.
 * Prints figures; asserts nothing.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Environment, EnvironmentInput, parseOrThrow } from '../../shared/model';
import { ImageService } from '../../electron/core/environments/images';
import { renderConfig } from '../../electron/core/haproxy/render';
import { TEST_IMAGES, appRoot, docker, freePort, get, removeEnvironments, testCore, uniqueName } from '../support/lab';

const run = promisify(execFile);

async function firstOk(port: number, since: number, timeoutMs = 60_000): Promise<number> {
  const deadline = since + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await get(port)).status === 200) return Date.now() - since;
    } catch {
      // not listening yet
    }
    // Polled like a user's browser would retry: often enough to time it, not a flood.
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no 200 on port ${port} within ${timeoutMs} ms`);
}

async function plainDockerRun(demoTag: string): Promise<number> {
  const id = uniqueName('plain');
  const port = await freePort();
  const net = `${id}-net`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-bench-'));
  const stamp = new Date().toISOString();
  const env = parseOrThrow(Environment, { ...parseOrThrow(EnvironmentInput, { name: id, images: TEST_IMAGES }), createdAt: stamp, updatedAt: stamp });
  // Same config, with the server addresses the plain containers get.
  const cfg = renderConfig(env, { backendSubnets: ['192.0.2.0/24'], adminClients: ['192.0.2.1'] }).replaceAll(`sy-${id}-`, `${id}-`);
  writeFileSync(path.join(dir, 'haproxy.cfg'), cfg, { mode: 0o644 });
  // The official image runs HAProxy as the unprivileged haproxy user.
  chmodSync(dir, 0o755);
  const label = ['--label', `io.switchyard.environment=${id}`];
  const t0 = Date.now();
  try {
    await run('docker', ['network', 'create', ...label, net]);
    await Promise.all(['back1', 'back2'].map((b) => run('docker', ['run', '-d', ...label, '--name', `${id}-${b}`, '--network', net, '-e', `BACKEND_NAME=${b}`, demoTag])));
    await run('docker', [
      'run',
      '-d',
      ...label,
      '--name',
      `${id}-haproxy`,
      '--network',
      net,
      '-p',
      `${port}:8080`,
      '-v',
      `${dir}:/usr/local/etc/haproxy:ro`,
      '--entrypoint',
      'haproxy',
      TEST_IMAGES.haproxy,
      '-W',
      '-db',
      '-f',
      '/usr/local/etc/haproxy/haproxy.cfg',
    ]);
    return await firstOk(port, t0);
  } finally {
    await removeEnvironments(id);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * With `poll`, an outside client polls the port like the plain run is measured; without it,
 * the time is the task's end, whose last step has itself received a 200 from the front end.
 */
async function switchyardDeploy(poll: boolean): Promise<{ first: number; task: number }> {
  const t = testCore();
  const name = uniqueName('bench');
  const port = await freePort();
  try {
    await t.call('environments:create', { name, httpPort: port, images: TEST_IMAGES });
    const t0 = Date.now();
    const { taskId } = await t.call('environments:deploy', { environment: name });
    const [ok, task] = await Promise.all([poll ? firstOk(port, t0) : undefined, t.core.tasks.whenDone(taskId)]);
    if (task.state !== 'succeeded') throw new Error(`deploy failed: ${task.message}`);
    if (!poll && !/HTTP 200/.test(task.message)) throw new Error(`deploy ended without a 200: ${task.message}`);
    const end = Date.parse(task.endedAt!) - t0;
    return { first: ok ?? end, task: end };
  } finally {
    await removeEnvironments(name);
    await t.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchDeploy(iterations: number): Promise<void> {
  // Images present: build the demo image once, outside the timings.
  const demo = await new ImageService(path.join(appRoot, 'docker', 'demo-backend')).ensureDemoImage(docker, TEST_IMAGES.demoBase);
  const plain: number[] = [];
  const polled: number[] = [];
  const own: number[] = [];
  const polledTask: number[] = [];
  for (let i = 0; i < iterations; i++) {
    plain.push(await plainDockerRun(demo.tag));
    const run = await switchyardDeploy(true);
    polled.push(run.first);
    polledTask.push(run.task);
    own.push((await switchyardDeploy(false)).first);
  }
  const p = median(plain);
  const s = median(polled);
  const o = median(own);
  const pt = median(polledTask);
  console.log(`deploy: tutorial lab, images present, ${iterations} run(s), median`);
  console.log(`  plain docker commands        ${String(p).padStart(6)} ms to first 200, polled every 25 ms   (runs: ${plain.join(', ')})`);
  console.log(`  switchyard deploy            ${String(s).padStart(6)} ms to first 200, polled every 25 ms   (runs: ${polled.join(', ')})`);
  console.log(`  switchyard deploy, unpolled  ${String(o).padStart(6)} ms to the task's own verified 200   (runs: ${own.join(', ')})`);
  console.log(`  switchyard deploy, polled     ${String(pt).padStart(6)} ms to the task's own verified 200 while the client polls   (runs: ${polledTask.join(', ')})`);
  console.log(`  ratio polled/plain ${(s / p).toFixed(2)}x (goal: at most 1.00x), polled task/plain ${(pt / p).toFixed(2)}x, unpolled/plain ${(o / p).toFixed(2)}x`);
}
