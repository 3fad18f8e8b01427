/**
 * An environment's backend on a Docker Swarm cluster: one replicated service (the demo server or
 * the app) on the environment's overlay network, its tasks found by HAProxy through Docker's DNS
 * (`tasks.<service>`, endpoint mode dnsrr: no virtual IP in between, every task its own slot).
 */
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { App } from '../../../shared/apps';
import type { ClusterPlacement, Environment, Server } from '../../../shared/model';
import { SwitchyardError } from '../../../shared/errors';
import { msg, type Message } from '../../../shared/messages';
import { DEMO_BACKEND_PORT, LABEL_ENV, LABEL_INSTALLATION, LABEL_OWNER, LABEL_SERVER, LABEL_SPEC, labelsFor, names, type Owner } from '../environments/naming';
import { ownedElsewhere } from '../environments/ownership';
import { dockerError, isNotFound } from '../targets/docker-util';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NS = 1e9;

/** Where the backend of a cluster environment runs, and what it runs. */
export interface BackendImage {
  /** As the service names it: each node runs the image it has under this reference. */
  ref: string;
  /** The image's id on the manager: part of the spec, so a rebuilt image under the same tag is an update. */
  id: string;
}

export function clusterOf(env: Environment): ClusterPlacement {
  if (!env.cluster) throw new SwitchyardError('INTERNAL', `${env.name} is not a cluster environment`);
  return env.cluster;
}

/** The environment's one server: its service. */
export function clusterServer(env: Environment): Server {
  const server = env.servers[0];
  if (!server || server.kind === 'external') throw SwitchyardError.because('VALIDATION', 'clusterServer', { env: env.name }, { field: 'servers' });
  return server;
}

/**
 * A variable's value with the replica placeholders as Swarm templates: `{{server}}` is the slot's
 * name as HAProxy would not know it (web.3), `{{index}}` the task's slot number.
 */
export function swarmValue(value: string, server: string): string {
  // Written as expandFor (shared/apps.ts) reads them on one machine: `{{ server }}` too. Any other
  // `{{` is text, as on one machine: Swarm would read it as a template, so it is written as one
  // that prints it.
  return value.replace(/\{\{\s*(server|index)\s*\}\}|\{\{/g, (match, placeholder?: string) =>
    placeholder === 'server' ? `${server}.{{.Task.Slot}}` : placeholder === 'index' ? '{{.Task.Slot}}' : '{{"{{"}}',
  );
}

/** Everything a service is made from, hashed: a different hash is an update of the service. */
export function backendSpecHash(env: Environment, image: BackendImage, secretRefs: string[]): string {
  const cluster = clusterOf(env);
  const server = clusterServer(env);
  const basis = {
    image: image.id,
    server: server.name,
    kind: server.kind,
    app: server.kind === 'app' ? { port: env.app?.port, env: env.app?.env, command: env.app?.command, memoryMb: env.app?.memoryMb, cpus: env.app?.cpus, secrets: secretRefs } : undefined,
    placement: { constraints: cluster.constraints, spread: cluster.spread },
  };
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex').slice(0, 16);
}

/** The service spec (the replicas count is set apart: a scale is not an update of the tasks). */
export function backendServiceSpec(env: Environment, image: BackendImage, secretValues: Record<string, string>, specHash: string, me: Owner): Docker.CreateServiceOptions {
  const cluster = clusterOf(env);
  const server = clusterServer(env);
  const app: App | undefined = server.kind === 'app' ? env.app : undefined;
  const labels = labelsFor(me, env.name, 'backend', { [LABEL_SERVER]: server.name, [LABEL_SPEC]: specHash });
  const containerEnv = app
    ? [...app.env.map((v) => `${v.name}=${swarmValue(v.value, server.name)}`), ...Object.entries(secretValues).map(([k, v]) => `${k}=${v}`)]
    : [`BACKEND_NAME=${server.name}.{{.Task.Slot}}@{{.Node.Hostname}}`, `PORT=${DEMO_BACKEND_PORT}`];
  return {
    Name: names.backend(env.name, server.name),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: image.ref,
        Env: containerEnv,
        ...(app?.command ? { Args: app.command } : {}),
        // Role `task`: Swarm owns these containers; a deploy or a status of the load balancer's
        // engine must not take them for containers of its own.
        Labels: labelsFor(me, env.name, 'task', { [LABEL_SERVER]: server.name }),
        // Time for requests in flight when Swarm stops a task (HAProxy has stopped sending it new ones).
        StopGracePeriod: 10 * NS,
      },
      Resources: {
        Limits: {
          ...(app?.memoryMb ? { MemoryBytes: app.memoryMb * 1024 * 1024 } : {}),
          ...(app?.cpus ? { NanoCPUs: Math.round(app.cpus * NS) } : {}),
        },
      },
      RestartPolicy: { Condition: 'any', Delay: 1 * NS },
      Placement: {
        Constraints: cluster.constraints,
        ...(cluster.spread ? { Preferences: [{ Spread: { SpreadDescriptor: cluster.spread } }] } : {}),
      },
      Networks: [{ Target: names.backendNetwork(env.name) }],
    },
    Mode: { Replicated: { Replicas: cluster.replicas } },
    // One task at a time, the new one started beside the old: Swarm's own rolling update, which
    // rolls itself back when a new task fails within the monitor window.
    UpdateConfig: { Parallelism: 1, Delay: 0, FailureAction: 'rollback', Monitor: 5 * NS, MaxFailureRatio: 0, Order: 'start-first' },
    RollbackConfig: { Parallelism: 1, Delay: 0, FailureAction: 'pause', Monitor: 5 * NS, MaxFailureRatio: 0, Order: 'start-first' },
    EndpointSpec: { Mode: 'dnsrr' },
  };
}

export async function findService(docker: Docker, name: string): Promise<Docker.Service | undefined> {
  // Docker's name filter matches by prefix: sy-shop-web also finds sy-shop-web-api.
  const list = (await docker.listServices({ filters: { name: [name] } })) as { ID: string; Spec?: { Name?: string } }[];
  const exact = list.find((s) => s.Spec?.Name === name);
  return exact ? docker.getService(exact.ID) : undefined;
}

/** Every service of an environment (by label), for destroy and the footprint, with the installation that made it. */
export async function environmentServices(docker: Docker, env: string): Promise<{ id: string; name: string; owner?: Owner }[]> {
  const list = (await docker.listServices({ filters: { label: [`${LABEL_ENV}=${env}`] } })) as { ID: string; Spec?: { Name?: string; Labels?: Record<string, string> } }[];
  return list.map((s) => ({ id: s.ID, name: s.Spec?.Name ?? s.ID, owner: ownerOf(s.Spec?.Labels) }));
}

function ownerOf(labels: Record<string, string> | undefined): Owner | undefined {
  const installation = labels?.[LABEL_INSTALLATION];
  return installation ? { installation, by: labels?.[LABEL_OWNER] ?? 'unknown' } : undefined;
}

export type ServiceAction = 'create' | 'update' | 'scale' | 'unchanged';

/**
 * Creates the backend service, or brings it to the spec: a changed spec is a rolling update
 * (start-first), a changed replicas count alone is a scale. Resolves once Swarm has it; the
 * tasks are waited for apart (waitTasks).
 */
export async function applyBackendService(docker: Docker, spec: Docker.CreateServiceOptions, onCreated?: (id: string) => void): Promise<{ action: ServiceAction; id: string }> {
  const name = spec.Name!;
  const existing = await findService(docker, name);
  if (!existing) {
    // An explicit (empty) registry auth: given the spec alone, dockerode sends the spec itself, secret
    // values included, as the X-Registry-Auth header, which Swarm keeps as the tasks' pull options.
    const created = (await docker.createService({}, spec)) as { id?: string; ID?: string };
    const id = created.id ?? created.ID ?? name;
    onCreated?.(id);
    return { action: 'create', id };
  }
  // A version conflict means someone else changed it meanwhile: read it again and retry, once.
  for (let attempt = 0; ; attempt++) {
    const info = (await existing.inspect()) as { ID: string; Version: { Index: number }; Spec: Docker.CreateServiceOptions };
    // Another installation's environment of the same name on this cluster: not ours to change.
    const owner = ownerOf(info.Spec.Labels);
    const mine = spec.Labels?.[LABEL_INSTALLATION];
    if (owner && mine && owner.installation !== mine) throw ownedElsewhere(spec.Labels?.[LABEL_ENV] ?? name, owner);
    const sameSpec = info.Spec.Labels?.[LABEL_SPEC] === spec.Labels?.[LABEL_SPEC];
    const replicas = spec.Mode?.Replicated?.Replicas;
    const sameReplicas = info.Spec.Mode?.Replicated?.Replicas === replicas;
    if (sameSpec && sameReplicas) return { action: 'unchanged', id: info.ID };
    // A scale keeps the running spec as it is (no task replaced); an update takes the new one.
    const next = sameSpec ? { ...info.Spec, Mode: { Replicated: { Replicas: replicas } } } : spec;
    try {
      // The version in the query and the spec in the body only: dockerode would put every field of
      // a flat object in the URL too (secret values included).
      await existing.update({ _query: { version: info.Version.Index }, _body: next });
      return { action: sameSpec ? 'scale' : 'update', id: info.ID };
    } catch (err) {
      if (attempt === 0 && /update out of sequence|version/i.test(String((err as Error).message))) continue;
      throw err;
    }
  }
}

/** A task as the window shows it: where it runs, and the address HAProxy reaches it at. */
export interface TaskFact {
  id: string;
  slot: number;
  nodeId: string;
  /** Docker's state: new, pending, assigned, preparing, starting, running, complete, shutdown, failed, rejected, orphaned… */
  state: string;
  desired: string;
  /** Its address on the environment's overlay network, once it has one. */
  address?: string;
  error?: string;
  /** How its container ended, once it has. */
  exitCode?: number;
  containerId?: string;
  image: string;
  createdAt: string;
  updatedAt: string;
}

interface RawTask {
  ID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: { ContainerSpec?: { Image?: string } };
  Status?: { State?: string; Err?: string; Message?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
  NetworksAttachments?: { Network?: { Spec?: { Name?: string } }; Addresses?: string[] }[];
}

/** The service's tasks, newest state first per slot. */
export async function serviceTasks(docker: Docker, service: string, network: string): Promise<TaskFact[]> {
  const raw = (await docker.listTasks({ filters: { service: [service] } })) as RawTask[];
  return raw.map((t) => {
    const attachment = t.NetworksAttachments?.find((a) => a.Network?.Spec?.Name === network);
    const fact: TaskFact = {
      id: t.ID,
      slot: t.Slot ?? 0,
      nodeId: t.NodeID ?? '',
      state: t.Status?.State ?? 'unknown',
      desired: t.DesiredState ?? 'unknown',
      image: t.Spec?.ContainerSpec?.Image ?? '',
      createdAt: t.CreatedAt ?? '',
      updatedAt: t.UpdatedAt ?? '',
    };
    const address = attachment?.Addresses?.[0]?.split('/')[0];
    if (address) fact.address = address;
    if (t.Status?.Err) fact.error = t.Status.Err;
    if (t.Status?.ContainerStatus?.ContainerID) fact.containerId = t.Status.ContainerStatus.ContainerID;
    if (typeof t.Status?.ContainerStatus?.ExitCode === 'number' && fact.state !== 'running') fact.exitCode = t.Status.ContainerStatus.ExitCode;
    return fact;
  });
}

/**
 * Waits until `replicas` tasks run and none is still starting; a task that fails to start is the
 * error (with Docker's reason: an image no node has, a constraint no node meets).
 */
export async function waitTasks(
  docker: Docker,
  service: string,
  network: string,
  replicas: number,
  timeoutMs: number,
  /**
   * `known`: tasks that were there before (their old failures are not this deploy's); `pendingMs`:
   * how long a task may wait for a node that fits before that is the error. Both on this
   * computer's clock: the manager's may not agree with it.
   */
  opts: { known?: ReadonlySet<string>; pendingMs?: number } = {},
): Promise<TaskFact[]> {
  const deadline = Date.now() + timeoutMs;
  const known = opts.known ?? new Set<string>();
  const pendingSince = new Map<string, number>();
  let last: TaskFact[] = [];
  while (Date.now() < deadline) {
    last = await serviceTasks(docker, service, network);
    const wanted = last.filter((t) => t.desired === 'running');
    const running = wanted.filter((t) => t.state === 'running' && t.address);
    if (running.length >= replicas && wanted.length === running.length) return running;
    const failed = last.find((t) => !known.has(t.id) && ['failed', 'rejected'].includes(t.state) && t.error);
    if (failed && running.length < replicas && !wanted.some((t) => t.state === 'running' && t.slot === failed.slot)) {
      const pending = wanted.find((t) => t.slot === failed.slot || t.state === 'pending');
      if (!pending || pending.state === 'pending' || pending.state === 'rejected') {
        throw SwitchyardError.because('CLUSTER_FAILED', 'task', { service, reason: failed.error! }, { detail: failed.error });
      }
    }
    for (const t of wanted) if (t.state === 'pending' && t.error && !pendingSince.has(t.id)) pendingSince.set(t.id, Date.now());
    const stuck = wanted.find((t) => t.state === 'pending' && t.error && Date.now() - pendingSince.get(t.id)! >= (opts.pendingMs ?? 10_000));
    if (stuck) {
      throw SwitchyardError.because('CLUSTER_FAILED', 'taskPending', { service, reason: stuck.error! }, { detail: stuck.error });
    }
    await sleep(250);
  }
  const running = last.filter((t) => t.desired === 'running' && t.state === 'running').length;
  throw SwitchyardError.because('CLUSTER_FAILED', 'tasks', { service, running, replicas, seconds: Math.round(timeoutMs / 1000) });
}

/** Removes a service and waits until its tasks are gone (their containers hold the overlay network). */
export async function removeService(docker: Docker, id: string, network: string, timeoutMs = 60_000): Promise<void> {
  try {
    await docker.getService(id).remove();
  } catch (err) {
    if (isNotFound(err)) return;
    throw dockerError(err, `removing the service ${id}`);
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const tasks = await serviceTasks(docker, id, network).catch(() => []);
    if (!tasks.some((t) => ['running', 'starting', 'preparing', 'assigned', 'accepted', 'ready'].includes(t.state))) return;
    await sleep(250);
  }
}

/** The change a service action is, for the deploy's summary. */
export function serviceChange(action: ServiceAction, name: string, replicas: number): Message | undefined {
  if (action === 'create') return msg('change.serviceCreated', { name, replicas });
  if (action === 'update') return msg('change.serviceUpdated', { name, replicas });
  if (action === 'scale') return msg('change.serviceScaled', { name, replicas });
  return undefined;
}

/**
 * Puts an image the manager has on the nodes Switchyard reaches that do not have it (nothing can
 * be pulled by a node that has no registry to pull from): `docker save` there, `docker load` here.
 */
export async function distributeImage(from: Docker, ref: string, id: string, to: { name: string; docker: Docker }[], onLine?: (line: Message) => void): Promise<void> {
  await Promise.all(
    to.map(async (node) => {
      const there = await node.docker
        .getImage(ref)
        .inspect()
        .then(
          (i) => i.Id,
          (err) => (isNotFound(err) ? undefined : Promise.reject(err)),
        );
      if (there === id) return;
      // The node has this very image under another name (an earlier release's tag): named here too, nothing copied.
      const byId = await node.docker
        .getImage(id)
        .inspect()
        .then(
          () => true,
          (err) => (isNotFound(err) ? false : Promise.reject(err)),
        );
      if (byId) {
        const at = ref.lastIndexOf(':');
        const tagged = at > ref.lastIndexOf('/') ? { repo: ref.slice(0, at), tag: ref.slice(at + 1) } : { repo: ref, tag: 'latest' };
        await node.docker.getImage(id).tag(tagged);
        return;
      }
      onLine?.(msg('deploy.copyImage', { image: ref, node: node.name }));
      const tar = await from.getImage(ref).get();
      const stream = (await node.docker.loadImage(tar as NodeJS.ReadableStream)) as NodeJS.ReadableStream;
      const out = await new Promise<string>((resolve, reject) => {
        let text = '';
        stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
      });
      if (/"error"/.test(out)) throw SwitchyardError.because('CLUSTER_FAILED', 'imageCopy', { image: ref, node: node.name }, { detail: out.slice(0, 500) });
    }),
  );
}

/** What Swarm says of a rolling update (`UpdateStatus`): absent before a service's first update. */
export interface UpdateState {
  state?: 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';
  message?: string;
}

export async function updateState(docker: Docker, id: string): Promise<UpdateState> {
  const info = (await docker.getService(id).inspect()) as { UpdateStatus?: { State?: UpdateState['state']; Message?: string } };
  return { state: info.UpdateStatus?.State, message: info.UpdateStatus?.Message };
}

/**
 * Waits for Swarm's rolling update of a service to end. One it rolled back (a new task failed
 * within the monitor window) or paused is the error: the previous tasks serve.
 */
export async function waitUpdate(docker: Docker, id: string, timeoutMs: number, onState?: (s: UpdateState) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s = await updateState(docker, id);
    onState?.(s);
    if (s.state === undefined || s.state === 'completed') return;
    if (s.state === 'rollback_completed' || s.state === 'paused' || s.state === 'rollback_paused') {
      throw SwitchyardError.because('CLUSTER_FAILED', 'update', { service: id, state: s.state, message: s.message ?? '' });
    }
    await sleep(250);
  }
  throw SwitchyardError.because('CLUSTER_FAILED', 'serviceUpdate', { service: id, seconds: Math.round(timeoutMs / 1000) });
}
