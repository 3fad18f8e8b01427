/**
 * Rolling releases. (1) A release of an app from v1 to v2 (images built here, present) over
 * several replicas under load (keep-alive, new-connection and sticky clients), with the app's
 * own start-to-healthy time measured in the same run, so the time a release spends per server
 * beyond the app's own start can be told apart. (2) Docker Swarm's own start-first update of the
 * same image change, as a service of as many tasks on a single-node swarm on the same engine,
 * published through an HAProxy in front of it (DNS discovery of the tasks), under the same load.
 * Prints figures beside their goals; asserts nothing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Task } from '../../shared/contract';
import { RolloutPolicy } from '../../shared/releases';
import { appImageTag } from '../../electron/core/apps/app-image';
import { LABEL_ENV, PREFIX, names } from '../../electron/core/environments/naming';
import { TEST_IMAGES, docker, freePort, get, removeEnvironments, sleep, testCore, uniqueName, until, type TestCore } from '../support/lab';
import { buildReleaseImage, startClients, type ClientLoad } from '../support/release-app';

const run = promisify(execFile);

/** The size the goals are set for. */
export const GOAL_RELEASE_REPLICAS = 4;
/** Per server, beyond the app's own start-to-healthy time. */
const GOAL_BEYOND_MS = 1000;
/** No monitor window and no grace period: nothing the policy waits for on purpose, beyond sessions still draining. */
const RELEASE_POLICY = { monitorMs: 0, graceMs: 0 };

type Load = Record<'keepAlive' | 'fresh' | 'sticky', ClientLoad>;

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const failures = (load: Load) => Object.values(load).reduce((n, r) => n + r.failed, 0);
const answers = (load: Load) => Object.values(load).reduce((n, r) => n + r.ok, 0);
const byKind = (load: Load) => `keep-alive ${load.keepAlive.failed}, new-connection ${load.fresh.failed}, sticky ${load.sticky.failed}`;
const versionsOf = (load: Load) => {
  const seen: Record<string, number> = {};
  for (const r of Object.values(load)) for (const [v, n] of Object.entries(r.versions)) seen[v] = (seen[v] ?? 0) + n;
  return Object.entries(seen)
    .sort()
    .map(([v, n]) => `v${v}: ${n}`)
    .join(', ');
};
const firstErrors = (load: Load) => {
  const errors = Object.values(load).flatMap((r) => r.errors);
  return errors.length ? `   first errors: ${errors.slice(0, 3).join('; ')}` : '';
};

/** Keeps the clients going until they have answered `n` more requests (so the end is covered too), then stops them. */
async function stopAfter(clients: ReturnType<typeof startClients>, n = 20): Promise<Load> {
  const from = clients.total().ok;
  await until('clients answering after the change', async () => clients.total().ok >= from + n, 30_000, 20).catch(() => undefined);
  return clients.stop();
}

/**
 * The app's own start-to-healthy time: one container of `image` on a network of its own, its
 * port 80 published on loopback, timed from `docker start` until its /health answers 200
 * (polled from the host every 20 ms).
 */
async function appStartToHealthy(image: string): Promise<number> {
  const id = uniqueName('appstart');
  const port = await freePort();
  try {
    await docker.createNetwork({ Name: `${id}-net`, Labels: { [LABEL_ENV]: id } });
    const c = await docker.createContainer({
      Image: image,
      name: `${id}-app`,
      Labels: { [LABEL_ENV]: id },
      Env: ['BACKEND_NAME=app1'],
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { NetworkMode: `${id}-net`, PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
    });
    const t0 = performance.now();
    await c.start();
    for (;;) {
      const ok = await get(port, { path: '/health' }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return performance.now() - t0;
      if (performance.now() - t0 > 60_000) throw new Error(`${image} not healthy within 60 s`);
      await sleep(20);
    }
  } finally {
    await removeEnvironments(id);
  }
}

interface SwitchyardFigures {
  /** From the releases:start call until its task ended. */
  ms: number;
  record: { durationMs?: number; failedRequests?: number; result: string };
  load: Load;
  /** Wall-clock times (ms) of the call, the task's end, and Docker's events per server: its new container created, started, renamed in place (switched). */
  start: number;
  end: number;
  servers: { created?: number; started?: number; switched?: number }[];
}

/** Deploys `replicas` servers of `v1`, then releases `v2` under load with no monitor window and no grace period. */
async function switchyardRelease(replicas: number, v1: string, v2: string): Promise<SwitchyardFigures> {
  const t: TestCore = testCore();
  const name = uniqueName('relbench');
  const servers = Array.from({ length: replicas }, (_, i) => `app${i + 1}`);
  try {
    const port = await freePort();
    const app = { source: { kind: 'image' as const, image: v1 }, port: 80, env: [{ name: 'BACKEND_NAME', value: '{{server}}' }] };
    await t.call('environments:create', { name, httpPort: port, images: TEST_IMAGES, app, servers: servers.map((s) => ({ name: s, kind: 'app' as const })) });
    const deployed = await t.runTask('environments:deploy', name);
    if (deployed.state !== 'succeeded') throw new Error(`deploy failed: ${deployed.error?.code} ${deployed.message}`);
    await until(
      `${replicas} servers UP`,
      async () => (await t.call('stats:get', { environment: name })).servers.filter((s) => servers.includes(s.name) && s.health === 'UP').length === replicas,
      120_000,
      50,
    );

    // Docker's own events say when each new container was created, started and put in its
    // server's place (the rename that goes with the switch), to the millisecond.
    const events = new Map(servers.map((server) => [server, {} as SwitchyardFigures['servers'][number]]));
    const stream = (await docker.getEvents({ filters: { type: ['container'], label: [`${LABEL_ENV}=${name}`] } })) as NodeJS.ReadableStream & { destroy(): void };
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        const e = JSON.parse(line) as { Action: string; timeNano: number; Actor: { Attributes: Record<string, string> } };
        const at = e.timeNano / 1e6;
        for (const server of servers) {
          const seen = events.get(server)!;
          const named = e.Actor.Attributes.name;
          if (named === names.nextBackend(name, server) && e.Action === 'create') seen.created ??= at;
          if (named === names.nextBackend(name, server) && e.Action === 'start') seen.started ??= at;
          if (named === names.backend(name, server) && e.Action === 'rename' && seen.created !== undefined) seen.switched ??= at;
        }
      }
    });
    const clients = startClients(port);
    let start: number;
    let end: number;
    let task: Task;
    let load: Load;
    try {
      await until('clients answering', async () => clients.total().ok > 20, 30_000, 20);
      start = Date.now();
      const { taskId } = await t.call('releases:start', { environment: name, app: { ...app, source: { kind: 'image', image: v2 } }, rollout: RELEASE_POLICY });
      task = await t.core.tasks.whenDone(taskId);
      end = Date.now();
      load = await stopAfter(clients);
    } finally {
      await clients.stop();
      stream.destroy();
    }
    if (task.state !== 'succeeded') throw new Error(`release ${task.state}: ${task.error?.code} ${task.error?.message ?? task.message}`);
    const [record] = await t.call('releases:list', { environment: name });
    return { ms: end - start, record, load, start, end, servers: [...events.values()] };
  } finally {
    await removeEnvironments(name);
    for (const tag of ['latest', 'r1', 'r2'])
      await docker
        .getImage(`${PREFIX}-app/${name}:${tag}`)
        .remove({ force: true })
        .catch(() => undefined);
    await docker
      .getImage(appImageTag(name))
      .remove({ force: true })
      .catch(() => undefined);
    await t.close();
  }
}

/**
 * Where a release's time went, from Docker's events: before the first new container is created
 * (images, ownership and lock checks, history); per server, from its new container's create to
 * its switch (start, health in HAProxy's probe slot, drain, switch), and of that the create and
 * start alone; after the last switch (old containers removed, config and history saved).
 */
function breakdown(s: SwitchyardFigures) {
  const all = s.servers;
  const known = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined && !Number.isNaN(x));
  const firstCreate = Math.min(...known(all.map((x) => x.created)));
  const lastSwitch = Math.max(...known(all.map((x) => x.switched)));
  return {
    before: firstCreate - s.start,
    cycle: median(known(all.map((x) => (x.switched ?? NaN) - (x.created ?? NaN)))),
    toStarted: median(known(all.map((x) => (x.started ?? NaN) - (x.created ?? NaN)))),
    /** From the first create to the last switch: every server's turn, without what comes once before and after. */
    turns: lastSwitch - firstCreate,
    after: s.end - lastSwitch,
  };
}

/**
 * The HAProxy in front of the swarm service: the same check timing, cookie, retries and
 * redispatch as a Switchyard environment's defaults, servers discovered from Docker's DNS
 * (`tasks.<service>`), so a task that starts or goes is followed without a reload.
 */
function swarmFrontConfig(service: string): string {
  return [
    'global',
    '  log stdout format raw local0',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout queue 30s',
    '  retries 3',
    '  option redispatch 1',
    'resolvers docker',
    '  nameserver dns 127.0.0.11:53',
    '  resolve_retries 3',
    '  timeout resolve 1s',
    '  timeout retry 1s',
    '  hold valid 1s',
    'frontend web',
    '  bind :80',
    '  default_backend app',
    'backend app',
    '  balance roundrobin',
    // Template servers have no cookie value of their own: HAProxy derives one from the address.
    '  cookie SERVERID insert indirect nocache dynamic',
    '  dynamic-cookie-key switchyard-bench',
    '  option httpchk GET /health',
    '  default-server check inter 2000ms fastinter 500ms downinter 1000ms rise 2 fall 3 observe layer4 error-limit 1 on-error fastinter resolvers docker init-addr none',
    `  server-template task 1-10 tasks.${service}:80`,
    '',
  ].join('\n');
}

interface SwarmFigures {
  /** From the `service update` call until Docker reported the update completed. */
  ms: number;
  /** Docker's own UpdateStatus.CompletedAt − StartedAt. */
  dockerMs?: number;
  load: Load;
}

/**
 * Docker Swarm's start-first update of `v1` → `v2` as a `replicas`-task service, under the same
 * load, published through an HAProxy container on the service's overlay network. Puts the
 * engine in swarm mode for the run when it is not, and always takes it out again.
 */
async function swarmUpdate(replicas: number, v1: string, v2: string, delayS: number): Promise<SwarmFigures | { skipped: string }> {
  const swarm = (await docker.info()).Swarm as { LocalNodeState?: string; ControlAvailable?: boolean } | undefined;
  const ownSwarm = swarm?.LocalNodeState === 'inactive';
  if (!ownSwarm && !(swarm?.LocalNodeState === 'active' && swarm.ControlAvailable)) {
    return { skipped: `the engine is in swarm state "${swarm?.LocalNodeState ?? 'unknown'}" and not a manager` };
  }
  const hadGwBridge = (await docker.listNetworks({ filters: { name: ['docker_gwbridge'] } })).some((n) => n.Name === 'docker_gwbridge');
  const id = uniqueName('swarmbench');
  const service = `${id}-app`;
  const network = `${id}-net`;
  const label = `${LABEL_ENV}=${id}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-bench-swarm-'));
  // An interrupted run must not leave the shared engine in swarm mode either.
  const onSignal = () => {
    for (const args of [['service', 'rm', service], ...(ownSwarm ? [['swarm', 'leave', '--force']] : [])]) {
      try {
        execFileSync('docker', args, { stdio: 'ignore' });
      } catch {
        // best effort on the way out
      }
    }
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let clients: ReturnType<typeof startClients> | undefined;
  try {
    if (ownSwarm) await run('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    await run('docker', ['network', 'create', '--driver', 'overlay', '--attachable', '--label', label, network]);
    const create = ['--detach', '--name', service, '--label', label, '--container-label', label, '--network', network, '--endpoint-mode', 'dnsrr'];
    await run('docker', ['service', 'create', ...create, '--replicas', String(replicas), '--env', 'BACKEND_NAME=task{{.Task.Slot}}', '--no-resolve-image', v1]);

    const cfg = path.join(dir, 'haproxy.cfg');
    writeFileSync(cfg, swarmFrontConfig(service));
    chmodSync(dir, 0o755);
    chmodSync(cfg, 0o644);
    const port = await freePort();
    const lb = await docker.createContainer({
      Image: TEST_IMAGES.haproxy,
      name: `${id}-lb`,
      Labels: { [LABEL_ENV]: id },
      ExposedPorts: { '80/tcp': {} },
      HostConfig: {
        NetworkMode: network,
        Binds: [`${cfg}:/usr/local/etc/haproxy/haproxy.cfg:ro`],
        PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] },
      },
    });
    await lb.start();
    // Every task answers through the front before the update starts, as the release's servers are UP.
    const backends = new Set<string>();
    await until(
      `all ${replicas} tasks answering through HAProxy`,
      async () => {
        const r = await get(port).catch(() => undefined);
        if (r?.status === 200 && r.backend) backends.add(r.backend);
        return backends.size === replicas;
      },
      120_000,
      50,
    );

    const load = (clients = startClients(port));
    await until('clients answering', async () => load.total().ok > 20, 30_000, 20);
    const t0 = performance.now();
    const update = ['--detach', '--image', v2, '--update-order', 'start-first', '--update-parallelism', '1', '--update-delay', `${delayS}s`, '--no-resolve-image'];
    await run('docker', ['service', 'update', ...update, service]);
    let status: { State?: string; StartedAt?: string; CompletedAt?: string; Message?: string } | undefined;
    for (;;) {
      status = (await docker.getService(service).inspect()).UpdateStatus;
      if (status?.State === 'completed') break;
      if (status?.State && status.State !== 'updating') {
        throw new Error(`swarm update ${status.State}: ${status.Message ?? ''}`);
      }
      if (performance.now() - t0 > 600_000) throw new Error('swarm update not completed within 10 min');
      await sleep(100);
    }
    const ms = performance.now() - t0;
    const after = await stopAfter(load);
    const dockerMs = status.StartedAt && status.CompletedAt ? Date.parse(status.CompletedAt) - Date.parse(status.StartedAt) : undefined;
    return { ms, dockerMs, load: after };
  } finally {
    await clients?.stop();
    await run('docker', ['service', 'rm', service]).catch(() => undefined);
    // Task containers (labelled) and the front; then the network once nothing is attached.
    await until(
      'the service and its containers gone',
      async () => {
        await removeEnvironments(id);
        return (await docker.listContainers({ all: true, filters: { label: [label] } })).length === 0;
      },
      60_000,
      500,
    ).catch(() => undefined);
    await until('the overlay network gone', async () => {
      await docker
        .getNetwork(network)
        .remove()
        .catch(() => undefined);
      return !(await docker.listNetworks({ filters: { label: [label] } })).length;
    }).catch(() => undefined);
    if (ownSwarm) {
      await run('docker', ['swarm', 'leave', '--force']).catch((err: Error) => console.error(`  could not leave the swarm: ${err.message}`));
      if (!hadGwBridge)
        await docker
          .getNetwork('docker_gwbridge')
          .remove()
          .catch(() => undefined);
    }
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchReleases(smoke: boolean): Promise<void> {
  const replicas = smoke ? 2 : GOAL_RELEASE_REPLICAS;
  const delayS = smoke ? 1 : 2;
  const starts = smoke ? 1 : 3;
  const repo = `switchyard-bench/${uniqueName('release-app')}`;
  const v1 = `${repo}:v1`;
  const v2 = `${repo}:v2`;
  try {
    await Promise.all([buildReleaseImage(v1, '1'), buildReleaseImage(v2, '2')]);
    const own: number[] = [];
    for (let i = 0; i < starts; i++) own.push(await appStartToHealthy(v2));
    const appStart = median(own);

    const s = await switchyardRelease(replicas, v1, v2);
    const perServer = s.ms / replicas;
    const beyond = perServer - appStart;
    const b = breakdown(s);
    const sized = replicas === GOAL_RELEASE_REPLICAS ? '' : `; set for ${GOAL_RELEASE_REPLICAS} replicas: this is the smoke size`;
    console.log(`releases: ${replicas} replicas of an app, v1 → v2 (images present), under load (keep-alive, new-connection and sticky clients, 2 each)`);
    console.log(`  app's own start to healthy: docker start → /health 200 from the host, polled every 20 ms: ${secs(appStart)}   (runs: ${own.map((x) => x.toFixed(0)).join(', ')} ms, median)`);
    console.log(
      `  switchyard release (monitor window 0, grace 0, drain timeout ${secs(RolloutPolicy.parse(RELEASE_POLICY).drainTimeoutMs)} as default: waits only while sessions remain): ${secs(s.ms)} from the call to the task's end; ${secs(s.record.durationMs ?? NaN)} in its history`,
    );
    console.log(
      `    where it went (Docker's events): ${secs(b.before)} before the first new container (images, ownership and lock checks, history); per server (median) ${secs(b.cycle)} from its new container's create to its switch, of which ${secs(b.toStarted)} create and start; ${secs(b.after)} after the last switch (old containers removed, config and history saved)`,
    );
    console.log(
      `    beyond the app's own start, per server = release time / ${replicas} − app start to healthy = ${secs(perServer)} − ${secs(appStart)} = ${secs(beyond)}   (goal: at most ${secs(GOAL_BEYOND_MS)}${sized})`,
    );
    console.log(
      `      without what comes once per release (before the first create, after the last switch): first create to last switch / ${replicas} − app start to healthy = ${secs(b.turns / replicas)} − ${secs(appStart)} = ${secs(b.turns / replicas - appStart)}`,
    );
    console.log(
      `    failed requests: clients ${failures(s.load)} of ${answers(s.load) + failures(s.load)} (${byKind(s.load)}), HAProxy's count in the release's history ${s.record.failedRequests ?? '?'}   (goal: 0 and 0)${firstErrors(s.load)}`,
    );
    console.log(`    answers by version: ${versionsOf(s.load)}`);

    const w = await swarmUpdate(replicas, v1, v2, delayS);
    if ('skipped' in w) {
      console.log(`  docker swarm start-first update: skipped (${w.skipped})`);
      return;
    }
    console.log(
      `  docker swarm service update, ${replicas} tasks, --update-order start-first --update-parallelism 1 --update-delay ${delayS}s, behind HAProxy (DNS discovery of tasks.<service>, same check timing):`,
    );
    console.log(
      `    ${secs(w.ms)} from the call until its update state was "completed" (Docker's own start to completion: ${w.dockerMs !== undefined ? secs(w.dockerMs) : '?'}); ${secs(w.ms / replicas)} per task   (for scale: no goal; measured before on a two-node swarm: 94 s for 4 tasks with a 2 s delay)`,
    );
    console.log(`    failed requests: clients ${failures(w.load)} of ${answers(w.load) + failures(w.load)} (${byKind(w.load)})${firstErrors(w.load)}`);
    console.log(`    answers by version: ${versionsOf(w.load)}`);
  } finally {
    for (const tag of [v1, v2])
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
  }
}
