import { basename } from 'node:path/posix';
import type Docker from 'dockerode';
import { SwitchyardError } from '../../../shared/errors';
import type { Environment } from '../../../shared/model';
import { RuntimeApi } from '../haproxy/runtime-api';
import { execIn, filesIn, isNotFound, putFile, readFile, tarOf } from '../targets/docker-util';
import type { Target } from '../targets/target';
import {
  EDGE_NETWORK,
  HAPROXY_ADMIN_PORT,
  HAPROXY_CONFIG_DIR,
  HAPROXY_CONFIG_FILE,
  HAPROXY_ACME_MAP,
  HAPROXY_HTTP_PORT,
  HAPROXY_HTTPS_PORT,
  HAPROXY_SERVER_STATE,
  HAPROXY_STATE_DIR,
  BACKEND_NAME,
  LABEL_ENV,
  LABEL_SPEC,
  labelsFor,
  names,
  type Owner,
} from './naming';

export interface HaproxySpec {
  env: string;
  image: string;
  imageId: string;
  httpPort: number;
  /** Published only once HTTPS is switched on. */
  httpsPort?: number;
}

const CONFIG_NEXT = `${HAPROXY_CONFIG_FILE}.next`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function isPortConflict(err: unknown): boolean {
  return /port is already allocated|address already in use/i.test(errorText(err));
}

/**
 * The port a start refused for, as Docker names it ("Bind for 0.0.0.0:8443 failed: port is
 * already allocated"): the HTTPS port when it says so, else the HTTP port.
 */
export function conflictOf(err: unknown, env: { httpPort: number; https?: { httpsPort: number } }): SwitchyardError {
  const https = env.https?.httpsPort;
  if (https !== undefined && new RegExp(`:${https}\\b`).test(errorText(err))) return portInUse(https, undefined, 'https.httpsPort');
  return portInUse(env.httpPort);
}

export function errorText(err: unknown): string {
  return (err as { json?: { message?: string } }).json?.message ?? (err as Error).message ?? String(err);
}

export function portInUse(port: number, holder?: string, field = 'httpPort'): SwitchyardError {
  const https = field !== 'httpPort';
  if (holder) return SwitchyardError.because('PORT_IN_USE', https ? 'httpsContainer' : 'container', { port, holder }, { field });
  return SwitchyardError.because('PORT_IN_USE', https ? 'httpsProgram' : 'program', { port }, { field });
}

/**
 * Who holds `port` on a host: the name of a running container publishing it, '' for another
 * program, null when it is free. The environment's own load balancer does not count: a deploy
 * keeps the port it publishes.
 */
export async function portHolder(target: Target, envName: string, port: number): Promise<string | null> {
  const publishing = await target.docker.listContainers({ filters: { publish: [String(port)] } });
  const own = (c: { Names: string[]; Labels?: Record<string, string> }) => c.Labels?.[LABEL_ENV] === envName && c.Names.some((n) => n.startsWith(`/${names.haproxy(envName)}`));
  const other = publishing.find((c) => !own(c));
  if (other) return other.Names[0]?.replace(/^\//, '') ?? other.Id;
  if (publishing.length) return null;
  return (await target.isPortFree(port)) ? null : '';
}

/** The create options of the load balancer container; its hash decides whether to recreate. */
export function haproxyCreateOptions(spec: HaproxySpec, name: string, specHash: string, owner: Owner): Docker.ContainerCreateOptions {
  return {
    name,
    Image: spec.image,
    // Master-worker mode in the foreground: USR2 reloads without dropping connections.
    Entrypoint: ['haproxy'],
    Cmd: ['-W', '-db', '-f', HAPROXY_CONFIG_FILE],
    // The owner is left out of the spec hash: an adoption must not recreate the load balancer.
    Labels: labelsFor(owner, spec.env, 'haproxy', { [LABEL_SPEC]: specHash }),
    ExposedPorts: {
      [`${HAPROXY_HTTP_PORT}/tcp`]: {},
      [`${HAPROXY_ADMIN_PORT}/tcp`]: {},
      ...(spec.httpsPort ? { [`${HAPROXY_HTTPS_PORT}/tcp`]: {} } : {}),
    },
    HostConfig: {
      PortBindings: {
        [`${HAPROXY_HTTP_PORT}/tcp`]: [{ HostIp: '', HostPort: String(spec.httpPort) }],
        // The runtime API: host loopback only, on a port the engine picks.
        [`${HAPROXY_ADMIN_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }],
        ...(spec.httpsPort ? { [`${HAPROXY_HTTPS_PORT}/tcp`]: [{ HostIp: '', HostPort: String(spec.httpsPort) }] } : {}),
      },
      // Made on the backends' network only: the edge network, where its ports are published,
      // is joined once it runs (see joinEdge).
      NetworkMode: names.backendNetwork(spec.env),
      // Its addresses announced (gratuitous ARP) as its interfaces come up: the host then sends it
      // at once what it queued for it, instead of at its next ARP attempt (up to a second later).
      Sysctls: { 'net.ipv4.conf.all.arp_notify': '1' },
      Mounts: [{ Type: 'volume', Source: names.stateVolume(spec.env), Target: HAPROXY_STATE_DIR }],
      RestartPolicy: { Name: 'unless-stopped' },
    },
  };
}

/**
 * Creates (not starts) a load balancer container on the backends' network, with its config and
 * the state files it needs in place: one archive put (and no look into a volume made just now),
 * so a first deploy takes little of the engine's time from the backends starting beside it.
 */
export async function createHaproxy(docker: Docker, env: Environment, opts: Docker.ContainerCreateOptions, config: string, freshVolume = false): Promise<Docker.Container> {
  const container = await docker.createContainer(opts);
  try {
    await putInPlace(container, config, freshVolume);
    if (startsOnEdge(env)) await joinEdge(docker, container);
  } catch (err) {
    await container.remove({ force: true }).catch(() => undefined);
    throw err;
  }
  return container;
}

/** Writes the config and the state files missing from the volume, in one archive. */
async function putInPlace(container: Docker.Container, config: string, freshVolume = false): Promise<void> {
  const missing = await missingStateFiles(container, freshVolume);
  const relative = (p: string) => p.replace(/^\//, '');
  const files = [{ name: relative(HAPROXY_CONFIG_FILE), content: config }, ...missing.map((f) => ({ ...f, name: relative(`${HAPROXY_STATE_DIR}/${f.name}`) }))];
  await container.putArchive(await tarOf(files), { path: '/' });
}

/**
 * Whether an environment's load balancer is on the edge network from its start. It is when it
 * has servers outside Docker: it must reach them (and resolve their names) from its first
 * second, which the backends' network alone cannot do (a name asked there waits out the
 * resolver's five seconds). Otherwise it joins the edge once running (see joinEdge).
 */
export function startsOnEdge(env: Environment): boolean {
  return env.servers.some((s) => s.kind === 'external');
}

/** Whether a load balancer container is on the edge network (it publishes its ports there). */
export async function onEdge(container: Docker.Container): Promise<boolean> {
  const info = await container.inspect();
  return Object.keys(info.NetworkSettings?.Networks ?? {}).includes(EDGE_NETWORK);
}

/**
 * Joins a load balancer to the edge network. Running, Docker publishes its ports now, once its
 * address there answers. Published at the start instead, a client knocking at that moment has its
 * first packet held for an address not up yet, and the host asks for that address again only a
 * second later (a starting load balancer talks to its backends, not on the edge): the client waits.
 * A port held elsewhere fails this call as it would fail a start. Docker then keeps the container
 * half joined (listed on the network, nothing published, a second join refused) until it stops.
 */
export async function joinEdge(docker: Docker, container: Docker.Container): Promise<void> {
  await docker.getNetwork(EDGE_NETWORK).connect({ Container: container.id });
}

/**
 * Files the config refers to in the state volume, created empty when missing. The volume
 * outlives containers: what a previous load balancer left (server states) is kept.
 */
export async function seedStateFiles(container: Docker.Container): Promise<void> {
  const missing = await missingStateFiles(container);
  if (missing.length) await container.putArchive(await tarOf(missing), { path: HAPROXY_STATE_DIR });
}

async function missingStateFiles(container: Docker.Container, freshVolume = false): Promise<{ name: string; content: string }[]> {
  const present = freshVolume ? new Set<string>() : await filesIn(container, HAPROXY_STATE_DIR);
  // HAProxy loads the ACME map at start; entries only ever come through the runtime API.
  const seeds = [
    { name: basename(HAPROXY_SERVER_STATE), content: EMPTY_SERVER_STATE },
    { name: basename(HAPROXY_ACME_MAP), content: '' },
  ];
  return seeds.filter((f) => !present.has(f.name));
}

/** The host port (on the target's loopback) where this container's runtime API is published. */
export async function adminPortOf(container: Docker.Container): Promise<number | undefined> {
  const info = await container.inspect();
  const binding = info.NetworkSettings.Ports?.[`${HAPROXY_ADMIN_PORT}/tcp`]?.[0];
  return binding?.HostPort ? Number(binding.HostPort) : undefined;
}

export function runtimeApiFor(target: Target, envName: string, port: number, timeoutMs?: number): RuntimeApi {
  return new RuntimeApi(() => target.connectLoopback(port), envName, timeoutMs);
}

/**
 * Waits until HAProxy in `container` answers on its runtime API. If the container stops
 * instead, its log says why (usually the config), and that becomes the error.
 */
export async function waitReady(target: Target, container: Docker.Container, envName: string, timeoutMs = 20_000): Promise<RuntimeApi> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const info = await container.inspect();
    if (!info.State.Running) {
      const log = await logsOf(container);
      throw SwitchyardError.because('CONTAINER_FAILED', 'exited', { exitCode: info.State.ExitCode, log: lastLines(log) }, { detail: log });
    }
    const port = await adminPortOf(container);
    if (port) {
      // Short attempts: a connection made while the container's network is still coming up
      // can sit in SYN retransmission for a second; a fresh one gets through at once.
      const api = runtimeApiFor(target, envName, port, 150);
      try {
        await api.showInfo();
        return runtimeApiFor(target, envName, port);
      } catch (err) {
        lastError = err;
      }
    }
    await sleep(20);
  }
  throw SwitchyardError.because('TIMEOUT', 'haproxyStart', { env: envName, seconds: timeoutMs / 1000 }, { cause: lastError });
}

/** Checks a config with `haproxy -c` inside the running load balancer. */
export async function validateInPlace(docker: Docker, container: Docker.Container, config: string): Promise<void> {
  await seedStateFiles(container);
  await putFile(container, HAPROXY_CONFIG_DIR, 'haproxy.cfg.next', config);
  const res = await execIn(docker, container, ['haproxy', '-c', '-f', CONFIG_NEXT]);
  if (res.exitCode !== 0) throw invalidConfig(res.output);
}

/** Checks a config with `haproxy -c` in a throwaway container of `image` (nothing else is touched). */
export async function validateInThrowaway(docker: Docker, image: string, envName: string, config: string, owner: Owner): Promise<void> {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['haproxy'],
    Cmd: ['-c', '-f', HAPROXY_CONFIG_FILE],
    Labels: labelsFor(owner, envName, 'config-check'),
    // The environment's state volume: the config names files in it (the ACME map, the certificate).
    HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: names.stateVolume(envName), Target: HAPROXY_STATE_DIR }] },
  });
  try {
    await putInPlace(container, config);
    await container.start();
    const res = (await container.wait()) as { StatusCode: number };
    if (res.StatusCode !== 0) throw invalidConfig(await logsOf(container));
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * Master-worker reload: the new config is put in place, the master gets USR2 and starts a new
 * worker while the old one finishes its requests. Resolves once the new worker answers.
 */
export async function reload(target: Target, container: Docker.Container, envName: string, config: string): Promise<RuntimeApi> {
  const api = await waitReady(target, container, envName, 5000);
  const before = (await api.showInfo()).Pid;
  await saveServerState(api, container);
  await putFile(container, HAPROXY_CONFIG_DIR, 'haproxy.cfg', config);
  await container.kill({ signal: 'SIGUSR2' });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    await sleep(25);
    try {
      if ((await api.showInfo()).Pid !== before) return api;
    } catch {
      // The admin listener moves to the new worker during the reload; try again.
    }
  }
  throw SwitchyardError.because('TIMEOUT', 'haproxyReload', { env: envName, seconds: 15 });
}

/** A state file with no server in it (format version 1). */
const EMPTY_SERVER_STATE = '1\n';

/** Saves HAProxy's live server states (drain, maint, weights) where the next process loads them. */
export async function saveServerState(api: RuntimeApi, container: Docker.Container): Promise<void> {
  const state = await api.execute('show servers state');
  if (!state.startsWith('1\n')) throw new SwitchyardError('RUNTIME_API', 'HAProxy gave an unexpected server state', { detail: state.slice(0, 200) });
  await putFile(container, HAPROXY_STATE_DIR, 'server-state', state);
}

/** Makes HAProxy's admin states match the model (a fresh process, or a model edited while not deployed). */
export async function applyServerStates(api: RuntimeApi, env: Environment): Promise<void> {
  for (const server of env.servers) {
    // On a cluster the server is a template: its state is every slot's.
    const slots = env.cluster ? Array.from({ length: env.cluster.slots }, (_, i) => `${server.name}${i + 1}`) : [server.name];
    for (const slot of slots) {
      const out = await api.execute(`set server ${BACKEND_NAME}/${slot} state ${server.state}`);
      if (out.trim()) throw SwitchyardError.because('RUNTIME_API', 'serverState', { server: slot }, { detail: out.trim() });
    }
  }
}

export async function currentConfig(container: Docker.Container): Promise<string | undefined> {
  try {
    return await readFile(container, HAPROXY_CONFIG_FILE);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function logsOf(container: Docker.Container, tail = 200): Promise<string> {
  const buf = (await container.logs({ stdout: true, stderr: true, tail })) as unknown as Buffer;
  // Without a TTY, Docker prefixes each frame with an 8-byte header; strip them.
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(out).toString('utf8');
}

/** A log's last lines on one line, for a message (the whole log goes in its detail). */
export function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

function invalidConfig(output: string): SwitchyardError {
  const alerts = output
    .split('\n')
    .filter((l) => /\[ALERT\]/.test(l))
    .map((l) => l.replace(/^\[ALERT\]\s*\(\d+\)\s*:\s*/, ''));
  const summary = alerts.length ? alerts.slice(0, 3).join(' | ') : lastLines(output);
  return SwitchyardError.because('INVALID_CONFIG', 'haproxy', { alerts: summary }, { detail: output });
}
