/**
 * Environments on a real two-node Docker Swarm: the test nodes swn1 (manager) and swn2 (worker),
 * two engines in network namespaces on this one machine (test/support/cluster/nodes.sh), added
 * as SSH hosts, the cluster started and joined through Switchyard. (1) A scale of the demo
 * backend from 2 to 8 replicas under load: from the update + deploy call until every new slot is
 * UP in HAProxy, beside Swarm's own convergence (8 running tasks) from the same start. (2) A
 * release of an app's 4 tasks spread over both nodes under clients, beside Swarm's plain
 * start-first update of the same 4 tasks (a service made directly, behind a plain HAProxy).
 * swn1 and swn2 leave every swarm at the end, whatever happened; swn3–swn5 and the default
 * engine are never touched. Prints figures beside their goals; asserts nothing.
 *
 *   npm run bench:clusters [-- --smoke]      this benchmark alone (npm run bench runs it too)
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type Docker from 'dockerode';
import type { EnvironmentStatus } from '../../shared/contract';
import { HealthCheck } from '../../shared/model';
import { LABEL_ENV, PREFIX, names } from '../../electron/core/environments/naming';
import { NODES, NODES_SCRIPT, leaveSwarm, nodeDocker, sshHostInput } from '../support/cluster';
import { TEST_IMAGES, freePort, sleep, testCore, uniqueName, until, type TestCore } from '../support/lab';
import { startLoad } from '../support/load';
import { buildReleaseImage, startClients, type ClientLoad } from '../support/release-app';

/** Only these two nodes: test/integration/clusters.test.ts uses them too, the other files swn3–swn5. */
const { swn1: mgr, swn2: wrk } = NODES;

/** The sizes the goals are set for. */
export const GOAL_SCALE_FROM = 2;
export const GOAL_SCALE_TO = 8;
export const GOAL_RELEASE_TASKS = 4;
/** HAProxy slots of the scaled environment: room for 8 and more, so the scale changes no config. */
const SCALE_SLOTS = 16;
const RELEASE_SLOTS = 8;
const ROLLOUT = { batch: 1, monitorMs: 2000 };
/** An environment's default health check: a new slot is UP after `rise` good checks `interval` apart. */
const HEALTH = HealthCheck.parse({});
const HEALTH_WINDOW_MS = HEALTH.rise * HEALTH.interval;
const NS = 1e9;

type Load = Record<'keepAlive' | 'fresh' | 'sticky', ClientLoad>;

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const signed = (ms: number) => `${ms < 0 ? '−' : '+'}${secs(Math.abs(ms))}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;
const failed = (load: Load) => Object.values(load).reduce((n, r) => n + r.failed, 0);
const answered = (load: Load) => Object.values(load).reduce((n, r) => n + r.ok, 0);
const byKind = (load: Load) => `keep-alive ${load.keepAlive.failed}, new-connection ${load.fresh.failed}, sticky ${load.sticky.failed}`;
const versions = (load: Load) => {
  const seen: Record<string, number> = {};
  for (const r of Object.values(load)) for (const [v, n] of Object.entries(r.versions)) seen[v] = (seen[v] ?? 0) + n;
  return Object.entries(seen)
    .sort()
    .map(([v, n]) => `v${v}: ${n}`)
    .join(', ');
};
const firstErrors = (errors: string[]) => (errors.length ? `   first errors: ${errors.slice(0, 3).join('; ')}` : '');
const loadErrors = (load: Load) => firstErrors(Object.values(load).flatMap((r) => r.errors));

interface RawTask {
  NodeID?: string;
  DesiredState?: string;
  CreatedAt?: string;
  Status?: { State?: string };
}

/** `docker service ps` through the manager's own socket: the tasks Swarm wants running and runs. */
async function runningTasks(d: Docker, service: string): Promise<RawTask[]> {
  const tasks = (await d.listTasks({ filters: { service: [service] } })) as RawTask[];
  return tasks.filter((t) => t.DesiredState === 'running' && t.Status?.State === 'running');
}

/** Running tasks per node hostname, e.g. `swn1 4, swn2 4`. */
async function spread(d: Docker, service: string): Promise<string> {
  const nodes = (await d.listNodes()) as { ID: string; Description?: { Hostname?: string } }[];
  const count: Record<string, number> = {};
  for (const t of await runningTasks(d, service)) {
    const host = nodes.find((n) => n.ID === t.NodeID)?.Description?.Hostname ?? t.NodeID ?? '?';
    count[host] = (count[host] ?? 0) + 1;
  }
  return Object.entries(count)
    .sort()
    .map(([h, n]) => `${h} ${n}`)
    .join(', ');
}

interface UpdateStatus {
  State?: string;
  StartedAt?: string;
  CompletedAt?: string;
  Message?: string;
}

async function updateStatus(d: Docker, service: string): Promise<UpdateStatus | undefined> {
  return ((await d.getService(service).inspect()) as { UpdateStatus?: UpdateStatus }).UpdateStatus;
}

/** Swarm's own duration of its last rolling update (CompletedAt − StartedAt), and when it started. */
function swarmOwn(s: UpdateStatus | undefined): { ms?: number; startedAt?: number } {
  const startedAt = s?.StartedAt ? Date.parse(s.StartedAt) : undefined;
  const completedAt = s?.CompletedAt ? Date.parse(s.CompletedAt) : undefined;
  return { startedAt, ms: startedAt !== undefined && completedAt !== undefined ? completedAt - startedAt : undefined };
}

/** Keeps the clients going until they have answered `n` more requests (so the end is covered too), then stops them. */
async function stopClientsAfter(clients: ReturnType<typeof startClients>, n = 20): Promise<Load> {
  const from = clients.total().ok;
  await until('clients answering after the change', async () => clients.total().ok >= from + n, 30_000, 20).catch(() => undefined);
  return clients.stop();
}

/** Copies an image from one node to the other unless it has it already (nothing can be pulled here). */
async function copyImage(from: Docker, to: Docker, ref: string): Promise<void> {
  const id = (await from.getImage(ref).inspect()).Id;
  const there = await to
    .getImage(ref)
    .inspect()
    .then(
      (i) => i.Id as string | undefined,
      () => undefined,
    );
  if (there === id) return;
  const tar = (await from.getImage(ref).get()) as NodeJS.ReadableStream;
  const out = (await to.loadImage(tar)) as NodeJS.ReadableStream;
  const text = await new Promise<string>((resolve, reject) => {
    let s = '';
    out.on('data', (c: Buffer) => (s += c.toString('utf8')));
    out.on('end', () => resolve(s));
    out.on('error', reject);
  });
  if (/"error"/.test(text)) throw new Error(`loading ${ref} on the worker failed: ${text.slice(0, 300)}`);
}

/** Removes images by reference pattern on a node, best effort; a container still stopping holds its image a while. */
async function removeImages(d: Docker, ...refs: string[]): Promise<void> {
  await until(
    'the images removed',
    async () => {
      let left = 0;
      for (const ref of refs) {
        const found = (await d.listImages({ filters: { reference: [ref] } }).catch(() => [])) as { Id: string }[];
        for (const img of found)
          await d
            .getImage(img.Id)
            .remove({ force: true })
            .catch(() => left++);
      }
      return left === 0;
    },
    30_000,
    1000,
  ).catch(() => undefined);
}

/** One GET to a node's address on a fresh connection; the backend's name from the page, once it answers 200. */
function backendAt(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 ? (/Hello from Backend: ([^<\s]+)/.exec(body)?.[1] ?? '?') : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', () => resolve(undefined));
  });
}

interface Cluster {
  t: TestCore;
  manager: string;
  worker: string;
  mgrDocker: Docker;
  wrkDocker: Docker;
}

/** Both nodes out of any swarm, then added as SSH hosts, the cluster started on swn1 and joined by swn2, all through Switchyard. */
async function openCluster(): Promise<Cluster> {
  // Only these two must answer (tests may be stopping swn4 or swn5 meanwhile); SSH is tried by hosts:add.
  for (const n of [mgr, wrk]) {
    const ok = await Promise.race([
      nodeDocker(n)
        .ping()
        .then(
          () => true,
          () => false,
        ),
      sleep(5000).then(() => false),
    ]);
    if (!ok) throw new Error(`${n.name}'s engine at ${n.socket} does not answer (run \`${NODES_SCRIPT} up\` as root)`);
  }
  await leaveSwarm(wrk);
  await leaveSwarm(mgr);
  const t = testCore();
  const manager = uniqueName('bm').slice(0, 20);
  const worker = uniqueName('bw').slice(0, 20);
  await t.call('hosts:add', sshHostInput(mgr, manager));
  await t.call('hosts:add', sshHostInput(wrk, worker));
  await t.call('clusters:init', { host: manager, advertiseAddress: mgr.address });
  await t.call('clusters:join', { host: worker, manager });
  return { t, manager, worker, mgrDocker: nodeDocker(mgr), wrkDocker: nodeDocker(wrk) };
}

async function deployOrThrow(t: TestCore, name: string): Promise<void> {
  const task = await t.runTask('environments:deploy', name);
  if (task.state !== 'succeeded') throw new Error(`deploy of ${name} failed: ${task.error?.code} ${task.error?.message ?? task.message}`);
}

/**
 * A first deploy, outside any clock. Swarm gives a new overlay network its subnet a moment after
 * creating it, and a deploy that reads the network too soon fails (INTERNAL, "no subnet or
 * gateway"): said, and tried once more, so the figures are still measured.
 */
async function firstDeploy(t: TestCore, name: string): Promise<void> {
  const task = await t.runTask('environments:deploy', name);
  if (task.state === 'succeeded') return;
  console.log(`    (the first deploy of ${name} failed: ${task.error?.code} ${task.error?.message ?? task.message}; deploying again)`);
  await deployOrThrow(t, name);
}

const upSlots = (s: EnvironmentStatus) => s.servers.filter((x) => x.health === 'UP');

interface ScaleFigures {
  /** From the update + deploy call until every slot was UP in HAProxy (the status call that first said so ended). */
  upMs: number;
  /** From the same start until `docker service ps` showed every task running. */
  swarmMs: number;
  /** From the same start until the deploy task ended. */
  deployMs: number;
  /** From the same start until Swarm had the new replicas count (the service's UpdatedAt). */
  specMs?: number;
  /** How long one environments:status call took (median): the resolution of upMs. */
  statusCallMs: number;
  /** How long one task listing took (median): the resolution of swarmMs. */
  listCallMs: number;
  spread: string;
  load: { ok: number; failed: number; errors: string[] };
}

/** Deploys the demo backend with `from` replicas, then scales it to `to` under a steady load. */
async function scale(c: Cluster, from: number, to: number): Promise<ScaleFigures> {
  const { t, manager, mgrDocker } = c;
  const name = uniqueName('clscale');
  const service = names.backend(name, 'web');
  try {
    const port = await freePort();
    await t.call('environments:create', { name, host: manager, httpPort: port, images: TEST_IMAGES, cluster: { replicas: from, slots: SCALE_SLOTS }, servers: [{ name: 'web', kind: 'demo' }] });
    await firstDeploy(t, name);
    await until(`${from} slots UP`, async () => upSlots(await t.call('environments:status', { environment: name })).length >= from, 120_000, 250);

    const load = startLoad(port, 4, 600_000, mgr.address);
    let result: ScaleFigures['load'];
    let figures: Omit<ScaleFigures, 'load' | 'spread'>;
    try {
      await until('the load answered', async () => load.progress.ok > 20, 30_000, 20);
      const env = await t.call('environments:get', { environment: name });
      const statusCalls: number[] = [];
      const listCalls: number[] = [];
      const t0 = Date.now();
      const swarm = (async () => {
        for (;;) {
          const a = Date.now();
          const n = (await runningTasks(mgrDocker, service)).length;
          listCalls.push(Date.now() - a);
          if (n >= to) return Date.now() - t0;
          if (Date.now() - t0 > 300_000) throw new Error(`Swarm did not run ${to} tasks within 300 s`);
          await sleep(100);
        }
      })();
      const haproxy = (async () => {
        for (;;) {
          const a = Date.now();
          const n = upSlots(await t.call('environments:status', { environment: name })).length;
          statusCalls.push(Date.now() - a);
          if (n >= to) return Date.now() - t0;
          if (Date.now() - t0 > 300_000) throw new Error(`HAProxy did not have ${to} slots UP within 300 s`);
          await sleep(100);
        }
      })();
      const deploy = (async () => {
        await t.call('environments:update', { environment: name, patch: { cluster: { ...env.cluster!, replicas: to } } });
        await deployOrThrow(t, name);
        return Date.now() - t0;
      })();
      const [swarmMs, upMs, deployMs] = await Promise.all([swarm, haproxy, deploy]);
      const updatedAt = ((await mgrDocker.getService(service).inspect()) as { UpdatedAt?: string }).UpdatedAt;
      figures = { swarmMs, upMs, deployMs, specMs: updatedAt ? Date.parse(updatedAt) - t0 : undefined, statusCallMs: median(statusCalls), listCallMs: median(listCalls) };
      // A little more traffic once all are UP, so the new slots serve under the same load.
      const after = load.progress.ok;
      await until('the load answered after the scale', async () => load.progress.ok > after + 100, 30_000, 20).catch(() => undefined);
    } finally {
      result = await load.stop();
    }
    return { ...figures, spread: await spread(mgrDocker, service), load: result };
  } finally {
    await t.runTask('environments:destroy', name).catch(() => undefined);
  }
}

interface ReleaseFigures {
  /** From the releases:start call until its task ended. */
  ms: number;
  /** Swarm's own duration of the update Switchyard started, and when it started after the call. */
  swarmMs?: number;
  swarmStartMs?: number;
  record: { durationMs?: number; failedRequests?: number; result: string };
  spread: string;
  load: Load;
}

/** An app of `tasks` replicas at v1 spread over both nodes, released to v2 under clients. */
async function release(c: Cluster, name: string, tasks: number, v1: string, v2: string): Promise<ReleaseFigures> {
  const { t, manager, mgrDocker } = c;
  const service = names.backend(name, 'app');
  try {
    const port = await freePort();
    const app = { source: { kind: 'image' as const, image: v1 }, port: 80 };
    await t.call('environments:create', { name, host: manager, httpPort: port, images: TEST_IMAGES, cluster: { replicas: tasks, slots: RELEASE_SLOTS }, app, servers: [{ name: 'app', kind: 'app' }] });
    await firstDeploy(t, name);
    await until(
      `${tasks} slots UP on both nodes`,
      async () => {
        const s = await t.call('environments:status', { environment: name });
        return upSlots(s).length >= tasks && new Set(upSlots(s).map((x) => x.node)).size >= Math.min(2, tasks);
      },
      120_000,
      250,
    );
    const before = await spread(mgrDocker, service);

    const clients = startClients(port, 2, mgr.address);
    let ms: number;
    let load: Load;
    let t0: number;
    try {
      await until('clients answering', async () => clients.total().ok > 20, 30_000, 20);
      t0 = Date.now();
      const { taskId } = await t.call('releases:start', { environment: name, app: { ...app, source: { kind: 'image', image: v2 } }, rollout: ROLLOUT });
      const task = await t.core.tasks.whenDone(taskId);
      ms = Date.now() - t0;
      if (task.state !== 'succeeded') throw new Error(`release ${task.state}: ${task.error?.code} ${task.error?.message ?? task.message}`);
      await until('clients on v2', async () => (clients.total().versions['2'] ?? 0) > 20, 30_000, 20).catch(() => undefined);
      load = await stopClientsAfter(clients);
    } finally {
      await clients.stop();
    }
    const [record] = await t.call('releases:list', { environment: name });
    const own = swarmOwn(await updateStatus(mgrDocker, service));
    return { ms, swarmMs: own.ms, swarmStartMs: own.startedAt !== undefined ? own.startedAt - t0 : undefined, record, spread: before, load };
  } finally {
    await t.runTask('environments:destroy', name).catch(() => undefined);
  }
}

/**
 * A plain HAProxy for the plain service: the environment's default check timing, retries and
 * redispatch, a cookie derived from each task's address for sticky clients, and the tasks found
 * through Docker's DNS, re-resolved every second.
 */
function plainFrontConfig(service: string, slots: number): string {
  const check = `check inter ${HEALTH.interval}ms rise ${HEALTH.rise} fall ${HEALTH.fall}`;
  return `global
  log stdout format raw local0

defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch 1

resolvers swarmdns
  nameserver embedded 127.0.0.11:53
  resolve_retries 3
  timeout resolve 1s
  timeout retry 1s
  hold valid 10s
  hold obsolete 0s

frontend public
  bind :80
  default_backend tasks

backend tasks
  balance roundrobin
  cookie PLAINID insert indirect nocache dynamic
  dynamic-cookie-key plain-swarm-bench
  option httpchk GET /health
  server-template task 1-${slots} tasks.${service}:80 ${check} resolvers swarmdns init-addr none
`;
}

interface PlainFigures {
  /** From the `service update` call until its UpdateStatus.State was "completed". */
  ms: number;
  /** Swarm's own CompletedAt − StartedAt. */
  swarmMs?: number;
  spread: string;
  load: Load;
}

/**
 * Swarm's plain start-first update of `tasks` tasks, v1 → v2: a service made with dockerode on
 * the manager (parallelism 1, monitor 2 s, endpoint dnsrr, its own overlay network), a plain
 * HAProxy container on the manager in front of it, the same clients.
 */
async function plainSwarm(c: Cluster, tasks: number, v1: string, v2: string): Promise<PlainFigures> {
  const { mgrDocker } = c;
  const id = uniqueName('clplain');
  const labels = { [LABEL_ENV]: id };
  const service = `${id}-app`;
  const network = `${id}-net`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-bench-plain-'));
  let clients: ReturnType<typeof startClients> | undefined;
  let lb: Docker.Container | undefined;
  const spec = (image: string): Docker.CreateServiceOptions => ({
    Name: service,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: { Image: image, Env: ['BACKEND_NAME=task{{.Task.Slot}}@{{.Node.Hostname}}'], Labels: labels, StopGracePeriod: 10 * NS },
      RestartPolicy: { Condition: 'any', Delay: 1 * NS },
      Networks: [{ Target: network }],
    },
    Mode: { Replicated: { Replicas: tasks } },
    UpdateConfig: { Parallelism: 1, Delay: 0, Monitor: ROLLOUT.monitorMs * 1e6, Order: 'start-first', FailureAction: 'pause', MaxFailureRatio: 0 },
    EndpointSpec: { Mode: 'dnsrr' },
  });
  try {
    await mgrDocker.createNetwork({ Name: network, Driver: 'overlay', Attachable: true, Labels: labels });
    await mgrDocker.createService(spec(v1));

    const cfg = path.join(dir, 'haproxy.cfg');
    writeFileSync(cfg, plainFrontConfig(service, RELEASE_SLOTS));
    chmodSync(dir, 0o755);
    chmodSync(cfg, 0o644);
    const port = await freePort();
    lb = await mgrDocker.createContainer({
      Image: TEST_IMAGES.haproxy,
      name: `${id}-lb`,
      Labels: labels,
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { NetworkMode: network, Binds: [`${cfg}:/usr/local/etc/haproxy/haproxy.cfg:ro`], PortBindings: { '80/tcp': [{ HostIp: mgr.address, HostPort: String(port) }] } },
    });
    await lb.start();
    // Every task answers through the front before the update, as the release's slots are all UP.
    const seen = new Set<string>();
    await until(
      `all ${tasks} tasks answering through the plain HAProxy`,
      async () => {
        const b = await backendAt(mgr.address, port);
        if (b) seen.add(b);
        return seen.size >= tasks;
      },
      120_000,
      50,
    );
    const before = await spread(mgrDocker, service);

    const load = (clients = startClients(port, 2, mgr.address));
    await until('clients answering', async () => load.total().ok > 20, 30_000, 20);
    const svc = mgrDocker.getService(service);
    const t0 = performance.now();
    const info = (await svc.inspect()) as { Version: { Index: number } };
    await svc.update({ ...spec(v2), version: info.Version.Index });
    let status: UpdateStatus | undefined;
    for (;;) {
      status = await updateStatus(mgrDocker, service);
      if (status?.State === 'completed') break;
      if (status?.State && status.State !== 'updating') throw new Error(`swarm update ${status.State}: ${status.Message ?? ''}`);
      if (performance.now() - t0 > 600_000) throw new Error('swarm update not completed within 10 min');
      await sleep(100);
    }
    const ms = performance.now() - t0;
    await until('clients on v2', async () => (load.total().versions['2'] ?? 0) > 20, 30_000, 20).catch(() => undefined);
    const after = await stopClientsAfter(load);
    return { ms, swarmMs: swarmOwn(status).ms, spread: before, load: after };
  } finally {
    await clients?.stop();
    await lb?.remove({ force: true }).catch(() => undefined);
    await mgrDocker
      .getService(service)
      .remove()
      .catch(() => undefined);
    // The tasks' containers hold the network until Swarm has stopped them on both nodes.
    await until(
      'the plain service and its network gone',
      async () => {
        await mgrDocker
          .getNetwork(network)
          .remove()
          .catch(() => undefined);
        return (await mgrDocker.listNetworks({ filters: { label: [`${LABEL_ENV}=${id}`] } })).length === 0;
      },
      60_000,
      500,
    ).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** On an interrupted run, the nodes must not stay in a swarm either. */
function leaveOnSignal(): () => void {
  const onSignal = () => {
    for (const n of [wrk, mgr]) {
      try {
        execFileSync('docker', ['-H', n.dockerHost, 'swarm', 'leave', '--force'], { stdio: 'ignore', timeout: 30_000 });
      } catch {
        // best effort on the way out
      }
    }
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
}

export async function benchClusters(smoke: boolean): Promise<void> {
  const from = GOAL_SCALE_FROM;
  const to = smoke ? 4 : GOAL_SCALE_TO;
  const tasks = smoke ? 2 : GOAL_RELEASE_TASKS;
  const sized = (n: number, goal: number) => (n === goal ? '' : `; set for ${goal}: this is the smoke size`);
  const repo = `switchyard-bench/${uniqueName('cluster-app')}`;
  const v1 = `${repo}:v1`;
  const v2 = `${repo}:v2`;
  const releaseEnv = uniqueName('clrel');
  const stopListening = leaveOnSignal();
  let c: Cluster | undefined;
  console.log(
    `clusters: a two-node Docker Swarm, swn1 (manager, HAProxy there) and swn2 (worker): two Docker engines in network namespaces on this one ${os.cpus().length}-core machine, both added as SSH hosts`,
  );
  console.log(
    `  health check: rise ${HEALTH.rise} × interval ${secs(HEALTH.interval)} = ${secs(HEALTH_WINDOW_MS)} for a new slot to be UP once it has an address; HAProxy re-resolves tasks.<service> every second`,
  );
  try {
    c = await openCluster();
    const sc = await scale(c, from, to);
    console.log(
      `  scale ${from} → ${to} replicas of the demo backend (environments:update + environments:deploy, ${SCALE_SLOTS} slots), under a steady load (4 keep-alive clients)${sized(to, GOAL_SCALE_TO)}:`,
    );
    console.log(`    every new slot UP in HAProxy (environments:status polled, each call ${sc.statusCallMs} ms): ${secs(sc.upMs)} from the call`);
    console.log(
      `    Swarm's own convergence (${to} running tasks in \`docker service ps\`, polled, each call ${sc.listCallMs} ms): ${secs(sc.swarmMs)} from the same call (Swarm had the new count after ${sc.specMs !== undefined ? secs(sc.specMs) : '?'}; the deploy task ended after ${secs(sc.deployMs)})`,
    );
    console.log(`    slots UP − Swarm converged = ${signed(sc.upMs - sc.swarmMs)}   (goal: at most the health window, ${secs(HEALTH_WINDOW_MS)})`);
    console.log(`      (HAProxy 2.6 counts a slot UP as soon as DNS gives it a task, "UP/READY (resolves again)", and checks it after: what this waits for is DNS, not ${HEALTH.rise} checks)`);
    console.log(`    tasks per node: ${sc.spread}`);
    console.log(`    load: ${sc.load.ok + sc.load.failed} requests, ${sc.load.failed} failed   (goal: 0)${firstErrors(sc.load.errors)}`);

    await Promise.all([buildReleaseImage(v1, '1', c.mgrDocker), buildReleaseImage(v2, '2', c.mgrDocker)]);
    // Both images on both nodes before any clock starts, for both sides alike.
    for (const ref of [v1, v2]) await copyImage(c.mgrDocker, c.wrkDocker, ref);

    const r = await release(c, releaseEnv, tasks, v1, v2);
    console.log(
      `  release of ${tasks} app tasks over both nodes (${r.spread}), v1 → v2 (images on both nodes), releases:start with batch ${ROLLOUT.batch}, monitor ${secs(ROLLOUT.monitorMs)}, under clients (keep-alive, new-connection and sticky, 2 each)${sized(tasks, GOAL_RELEASE_TASKS)}:`,
    );
    console.log(
      `    switchyard release: ${secs(r.ms)} from the call to the task's end (${secs(r.record.durationMs ?? NaN)} in its history); Swarm's own update inside it: ${r.swarmMs !== undefined ? secs(r.swarmMs) : '?'}, started ${r.swarmStartMs !== undefined ? secs(r.swarmStartMs) : '?'} after the call`,
    );
    console.log(
      `    failed requests: clients ${failed(r.load)} of ${answered(r.load) + failed(r.load)} (${byKind(r.load)}), HAProxy's count in the release's history ${r.record.failedRequests ?? '?'}   (goal: 0 and 0)${loadErrors(r.load)}`,
    );
    console.log(`    answers by version: ${versions(r.load)}`);

    const p = await plainSwarm(c, tasks, v1, v2);
    console.log(
      `  Swarm's plain update of the same ${tasks} tasks (${p.spread}): a service made with dockerode, start-first, parallelism 1, monitor ${secs(ROLLOUT.monitorMs)}, dnsrr on its own overlay, behind a plain HAProxy (DNS discovery, same check timing, retries and redispatch; no draining):`,
    );
    console.log(
      `    ${secs(p.ms)} from \`service update\` until UpdateStatus.State was "completed" (Swarm's own start to completion: ${p.swarmMs !== undefined ? secs(p.swarmMs) : '?'}); switchyard's release − this = ${signed(r.ms - p.ms)}   (for scale: no goal)`,
    );
    console.log(`    failed requests: clients ${failed(p.load)} of ${answered(p.load) + failed(p.load)} (${byKind(p.load)})   (no goal: nothing drains the stopping tasks)${loadErrors(p.load)}`);
    console.log(`    answers by version: ${versions(p.load)}`);
  } finally {
    await c?.t.close().catch(() => undefined);
    await leaveSwarm(wrk).catch((err: Error) => console.error(`  could not take swn2 out of the swarm: ${err.message}`));
    await leaveSwarm(mgr).catch((err: Error) => console.error(`  could not take swn1 out of the swarm: ${err.message}`));
    // Once out of the swarm: tasks still in their stop grace period no longer hold the images.
    for (const d of [nodeDocker(mgr), nodeDocker(wrk)]) await removeImages(d, v1, v2, `${PREFIX}-app/${releaseEnv}:*`);
    stopListening();
  }
}

// `tsx test/bench/clusters.bench.ts [--smoke]` runs this one alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchClusters(process.argv.includes('--smoke'));
}
