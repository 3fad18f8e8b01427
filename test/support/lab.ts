import { removeAppImages } from '../../electron/core/apps/app-image';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import type { ChannelName, RequestOf, ResponseOf, Task } from '../../shared/contract';
import { SwitchyardError } from '../../shared/errors';
import { createCore, type Core } from '../../electron/core/core';
import { LABEL_ENV, type Owner } from '../../electron/core/environments/naming';

/** Local stand-ins built by test/support/images/build.sh (nothing can be pulled here). */
export const TEST_IMAGES = {
  haproxy: process.env.SWITCHYARD_TEST_HAPROXY_IMAGE ?? 'switchyard-test/haproxy:2.6-debian',
  demoBase: process.env.SWITCHYARD_TEST_DEMO_BASE ?? 'switchyard-test/busybox:1.35-debian',
};

/** The installation that tests driving a Deployer directly (without a core) deploy as. */
export const TEST_OWNER: Owner = { installation: '00000000-0000-4000-8000-00000000test', by: 'tests@switchyard-test' };

export const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const docker = new Docker();

/** A unique environment name, so a test never touches what another run left behind. */
export const uniqueName = (base: string) => `t${randomBytes(3).toString('hex')}-${base}`;

export interface TestCore {
  core: Core;
  dataDir: string;
  call<C extends ChannelName>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>>;
  /** Starts a task-returning channel and waits for the task to end. */
  runTask(channel: 'environments:deploy' | 'environments:destroy', name: string): Promise<Task>;
  close(): Promise<void>;
}

/**
 * `watchContainers`: follow Docker's container events, as the app and `serve` do; `watchStore`:
 * follow the data file for other processes' changes, as they do too; `dataDir`: a folder to share
 * (with the CLI), removed by close() all the same.
 */
export function testCore(env: NodeJS.ProcessEnv = process.env, opts: { watchContainers?: boolean; watchStore?: boolean; dataDir?: string } = {}): TestCore {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'sy-data-'));
  const core = createCore({ dataDir, appRoot, env, watchContainers: opts.watchContainers, watchStore: opts.watchStore });
  const call = async <C extends ChannelName>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> => {
    const res = await core.invoke(channel, payload);
    if (!res.ok) throw SwitchyardError.fromInfo(res.error);
    return res.result as ResponseOf<C>;
  };
  return {
    core,
    dataDir,
    call,
    async runTask(channel, name) {
      const { taskId } = await call(channel, { environment: name });
      return core.tasks.whenDone(taskId);
    },
    async close() {
      await core.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Removes everything labelled for these environments (also after a failed test). */
export async function removeEnvironments(...names: string[]): Promise<void> {
  for (const name of names) {
    const filters = { label: [`${LABEL_ENV}=${name}`] };
    const containers = await docker.listContainers({ all: true, filters });
    await Promise.all(
      containers.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
    for (const n of await docker.listNetworks({ filters }))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
    for (const v of (await docker.listVolumes({ filters })).Volumes ?? [])
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
    // The app images its deploys built and its releases tagged.
    await removeAppImages(docker, name).catch(() => undefined);
  }
}

export async function labelledResources(name: string): Promise<{ containers: number; networks: number; volumes: number }> {
  const filters = { label: [`${LABEL_ENV}=${name}`] };
  return {
    containers: (await docker.listContainers({ all: true, filters })).length,
    networks: (await docker.listNetworks({ filters })).length,
    volumes: ((await docker.listVolumes({ filters })).Volumes ?? []).length,
  };
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '0.0.0.0', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Reply {
  status: number;
  body: string;
  /** The backend that answered, from the demo page's "Hello from Backend: <name>". */
  backend?: string;
  setCookie: string[];
  /** Where a redirect sends the client. */
  location?: string;
}

/** One GET on a fresh connection, like `curl` in the tutorial. */
export function get(port: number, opts: { cookie?: string; path?: string; agent?: http.Agent; address?: string; host?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { ...(opts.cookie ? { cookie: opts.cookie } : {}), ...(opts.host ? { host: opts.host } : {}) };
    const req = http.get({ host: opts.address ?? '127.0.0.1', port, path: opts.path ?? '/', agent: opts.agent ?? false, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          backend: /Hello from Backend: ([A-Za-z0-9_-]+)/.exec(body)?.[1],
          setCookie: res.headers['set-cookie'] ?? [],
          location: res.headers.location,
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or the time is up. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** A test core with one environment deployed from the stand-in images; its task must succeed. */
export async function deployLab(t: TestCore, name: string, input: Partial<RequestOf<'environments:create'>> = {}): Promise<number> {
  const port = input.httpPort ?? (await freePort());
  await t.call('environments:create', { images: TEST_IMAGES, ...input, name, httpPort: port });
  const task = await t.runTask('environments:deploy', name);
  if (task.state !== 'succeeded') throw new Error(`deploy of ${name} failed: ${task.error?.code} ${task.message}`);
  return port;
}
